//! `corefile-forward-loop`: the Corefile forwards to a resolver that leads back to CoreDNS.

use std::net::IpAddr;

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::rules::corefile::{blocks, per_corefile, Risk};
use crate::lint::{Context, Rule, RuleDoc};
use crate::source::corefile::plugins::Plugin;
use crate::source::corefile::Corefile;

pub struct CorefileForwardLoop;

static DOC: RuleDoc = RuleDoc {
    code: "corefile-forward-loop",
    severity: Severity::Error,
    title: "CoreDNS forwards to a resolver that points back at CoreDNS",
    what: "Reads the `forward` plugin of every server block of a Corefile (a file, `kubectl describe configmap`, or the `Corefile` key of a ConfigMap in kubectl JSON/YAML). It reports a forward to a loopback address (inside the CoreDNS pod that is CoreDNS itself — the classic 127.0.0.53 of systemd-resolved), a forward to the cluster DNS itself (the kube-dns Service's cluster IP or a CoreDNS pod IP that a node dump, kubectl output or a ClusterFirst pod's resolv.conf shows), and — as a warning, since it depends on the node — `forward . /etc/resolv.conf` without the `loop` plugin that would detect such a loop.",
    why: "CoreDNS runs with dnsPolicy Default, so `/etc/resolv.conf` in its pod is the node's file (kubelet `--resolv-conf`). On a systemd-resolved node that file says `nameserver 127.0.0.53`, which inside the pod is CoreDNS's own port 53: every name outside the cluster goes round until it times out, and the `loop` plugin, when present, makes CoreDNS exit at startup (`[FATAL] plugin/loop: Loop … detected`, CrashLoopBackOff). Forwarding to the kube-dns VIP sends every external query back through kube-proxy to CoreDNS in the same way.",
    example: ".:53 {\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . 127.0.0.53      <- the node's systemd-resolved stub: a loopback address in the pod\n    loop\n}",
    fix: "Forward to real upstream resolvers (`forward . 10.0.0.2 10.0.0.3`), or point kubelet's `--resolv-conf` (KubeletConfiguration `resolvConf`) at `/run/systemd/resolve/resolv.conf`, which lists the real upstreams instead of the stub, and restart the CoreDNS pods. Keep the `loop` plugin so that a loop is caught at startup.",
};

impl Rule for CorefileForwardLoop {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for risk in per_corefile(context, risks) {
            let mut finding = DOC.finding(risk.message, risk.evidence);
            if !risk.to_itself {
                // Upstreams read from /etc/resolv.conf loop only on some nodes.
                finding.severity = Severity::Warning;
            }
            out.push(finding);
        }
    }
}

/// Each `forward` destination of a server block that leads back to CoreDNS: `/etc/resolv.conf` when the block
/// runs no `loop` plugin, a loopback address, or an address in `cluster_dns`; with the directive's and the
/// destination's lines.
pub(super) fn risks(corefile: &Corefile, cluster_dns: &[IpAddr]) -> Vec<Risk> {
    let mut out = Vec::new();
    for block in blocks(corefile) {
        let loop_plugin = block.has_loop();
        for d in &block.directives {
            let Some(Plugin::Forward(f)) = &d.plugin else {
                continue;
            };
            for up in &f.to {
                if up.text == "/etc/resolv.conf" && !loop_plugin {
                    out.push(Risk::new(
                        DOC.code,
                        "`forward` reads its upstreams from /etc/resolv.conf, which for CoreDNS (dnsPolicy Default) is \
                         the node's resolv.conf; on a systemd-resolved node that points at 127.0.0.53, back at CoreDNS \
                         itself, and there is no `loop` plugin to detect it. Add `loop`, or give kubelet \
                         `--resolv-conf=/run/systemd/resolve/resolv.conf`"
                            .to_string(),
                        vec![d.line, up.line],
                    ));
                } else if let Some(ip) = up.ip() {
                    let why = if ip.is_loopback() {
                        Some("a loopback address: inside the CoreDNS pod that is CoreDNS itself")
                    } else if cluster_dns.contains(&ip) {
                        Some("the cluster DNS itself")
                    } else {
                        None
                    };
                    if let Some(why) = why {
                        out.push(Risk::new(
                            DOC.code,
                            format!(
                                "`forward` sends queries to {} — {why}; every forwarded query comes back to CoreDNS{}",
                                up.text,
                                if loop_plugin {
                                    " (the `loop` plugin stops CoreDNS at startup: CrashLoopBackOff)"
                                } else {
                                    ""
                                }
                            ),
                            vec![d.line, up.line],
                        ));
                    }
                }
            }
        }
    }
    out
}
