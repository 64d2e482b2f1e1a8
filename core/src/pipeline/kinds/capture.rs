//! DNS captures: tcpdump's text output, pcap and pcapng files. Each is grouped into transactions on its own.

use crate::capture;
use crate::lint;
use crate::pipeline::intake::{Input, Intake, Reading};
use crate::pipeline::registry::{InputKind, Probe};
use crate::source::{pcap, tcpdump, Kind};

pub(crate) const PCAP: InputKind = InputKind {
    kind: Kind::Pcap,
    binary: true,
    detect: |probe: &Probe<'_>| pcap::is_pcap(probe.bytes),
    read: read_pcap,
};

pub(crate) const PCAPNG: InputKind = InputKind {
    kind: Kind::Pcapng,
    binary: true,
    detect: |probe: &Probe<'_>| pcap::is_pcapng(probe.bytes),
    read: read_pcap,
};

pub(crate) const TCPDUMP: InputKind = InputKind {
    kind: Kind::Tcpdump,
    binary: false,
    detect: |probe: &Probe<'_>| probe.tcpdump(),
    read: read_tcpdump,
};

/// A grouper for one capture, listing what is left of the analysis's transaction limit.
fn grouper(input: &Input<'_>, intake: &Intake<'_>) -> capture::Grouper {
    let limits = capture::Limits {
        max_listed: intake
            .max_listed_transactions
            .saturating_sub(intake.listed_transactions()),
        ..capture::Limits::default()
    };
    capture::Grouper::new(input.name.into(), limits).judged_by(&lint::rules::capture::THRESHOLDS)
}

fn read_tcpdump<'a>(input: &Input<'a>, intake: &mut Intake<'a>, reading: &mut Reading) {
    let mut grouper = grouper(input, intake);
    let parsed = tcpdump::parse(input.bytes);
    reading.diagnostics.extend(parsed.diagnostics);
    grouper.add_packets(parsed.value.packets.len() as u64);
    for packet in &parsed.value.packets {
        grouper.push(&tcpdump::compact(packet));
    }
    finish(input, grouper, intake, reading);
}

fn read_pcap<'a>(input: &Input<'a>, intake: &mut Intake<'a>, reading: &mut Reading) {
    let mut grouper = grouper(input, intake);
    reading
        .diagnostics
        .extend(pcap::read(input.bytes, &mut grouper));
    finish(input, grouper, intake, reading);
}

fn finish(
    input: &Input<'_>,
    grouper: capture::Grouper,
    intake: &mut Intake<'_>,
    reading: &mut Reading,
) {
    let grouped = grouper.finish();
    reading
        .diagnostics
        .extend(grouped.diagnostics.iter().cloned());
    reading.counts.packets = grouped.summary.packets;
    reading.counts.dns_messages = grouped.summary.dns_messages;
    reading.counts.transactions = grouped.summary.transactions;
    reading.capture = Some(grouped.summary.clone());
    intake.add_capture(input.name.into(), grouped);
}
