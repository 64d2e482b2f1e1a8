#!/usr/bin/env bash
# Regenerates fixtures/pcap/<case>/tshark.tsv: a reference decoder's (tshark's) reading of the capture that
# `dnatlas-gen capture --config fixtures/pcap/<case>/case.json` writes. Needs tshark (Debian: `apt-get install
# tshark`). CI does not run it: the tsv files are committed, and core/tests/pcap_reference.rs regenerates each
# capture, checks its SHA-256 against the one recorded here (so the reference is about those exact bytes) and
# compares dnatlas's transactions with tshark's.
#
# Before writing a case's tsv it checks that tshark finds nothing wrong with the capture: no malformed packet,
# no bad IPv4/UDP/TCP checksum (checking enabled), and no expert warning other than "DNS query retransmission".
#
#   bash scripts/tshark-reference.sh            # every case
#   bash scripts/tshark-reference.sh seed-004   # the named cases
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v tshark >/dev/null || { echo "tshark is not installed (apt-get install tshark)" >&2; exit 2; }
cargo build --release --quiet -p dnatlas-gen
gen=target/release/dnatlas-gen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fields=(
  frame.number frame.time_epoch ip.src ipv6.src ip.dst ipv6.dst udp.srcport udp.dstport tcp.srcport tcp.dstport
  dns.id dns.flags.response dns.flags.truncated dns.flags.rcode dns.qry.name dns.qry.type dns.count.answers
  dns.resp.type dns.a dns.aaaa dns.cname dns.ptr.domain_name dns.time dns.retransmission
  dns.retransmit_request_in dns.response_in dns.response_to
)
efields=()
for f in "${fields[@]}"; do efields+=(-e "$f"); done
# Two passes, so that a query's dns.response_in is known; TCP streams reassembled so that a message split across
# segments is decoded in the frame that completes it; copies of a query up to 30 s apart counted as
# retransmissions of it (tshark's default is 5 s, which would make glibc's re-send after its 5 s timeout a new
# query).
options=(-2 -Y dns -o tcp.desegment_tcp_streams:TRUE -o dns.desegment_dns_messages:TRUE
  -o dns.retransmission_timer:30 -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=,)
checks=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE
  -o tcp.desegment_tcp_streams:TRUE -o dns.retransmission_timer:30)

if [[ $# -gt 0 ]]; then
  cases=()
  for name in "$@"; do cases+=("fixtures/pcap/$name"); done
else
  cases=(fixtures/pcap/*/)
fi

version=$(tshark --version 2>/dev/null | head -1)
for dir in "${cases[@]}"; do
  dir=${dir%/}
  name=$(basename "$dir")
  file="$tmp/$name.cap"
  "$gen" capture --config "$dir/case.json" --output "$file"
  sum=$(sha256sum "$file" | cut -d' ' -f1)
  bytes=$(wc -c < "$file")

  expert=$(tshark -r "$file" "${checks[@]}" -q -z expert,warn 2>/dev/null)
  problems=$(printf '%s\n' "$expert" | awk '
    /^(Errors|Warns|Notes|Chats)/ { section = $1; next }
    section == "" || /^=+$/ || /^ *$/ || /Frequency/ { next }
    section == "Errors" { print; next }
    section == "Warns" && !/DNS query retransmission/ { print }')
  if [[ -n "$problems" ]]; then
    echo "$name: tshark reports problems:" >&2
    printf '%s\n' "$problems" >&2
    exit 1
  fi
  if tshark -r "$file" -Y '_ws.malformed || _ws.expert.severity == error' -T fields -e frame.number 2>/dev/null | grep -q .; then
    echo "$name: tshark finds malformed frames" >&2
    exit 1
  fi

  {
    echo "# $version"
    echo "# tshark -r case.pcap ${options[*]} ${efields[*]}"
    echo "# sha256 $sum ($bytes bytes: dnatlas-gen capture --config fixtures/pcap/$name/case.json)"
    tshark -r "$file" "${options[@]}" "${efields[@]}" 2>/dev/null
  } > "$dir/tshark.tsv"
  echo "$name: $(($(grep -vc '^#' "$dir/tshark.tsv") - 1)) DNS frames, $bytes bytes"
done
