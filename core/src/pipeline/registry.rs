//! The input kinds dnatlas reads, in the order detection tries them: for each, how it is detected and which
//! reader takes it. Adding a kind is one reader module under `pipeline/kinds/` and one entry in [`KINDS`].

use std::cell::OnceCell;

use super::intake::{Input, Intake, Reading};
use super::kinds;
use crate::source::{iptables, Kind};
use crate::text;

/// One input kind: how it is detected and how it is read into the model.
pub(crate) struct InputKind {
    /// The kind.
    pub(crate) kind: Kind,
    /// A binary kind is detected from its first bytes; text kinds are never tried on input with NUL bytes in its
    /// first 4 KiB.
    pub(crate) binary: bool,
    /// Whether an input is this kind. Kinds are tried in [`KINDS`] order; the first that says yes wins.
    pub(crate) detect: fn(&Probe<'_>) -> bool,
    /// Parses the input, adds what it holds to the intake and its counts and diagnostics to its report.
    pub(crate) read: for<'a> fn(&Input<'a>, &mut Intake<'a>, &mut Reading),
}

/// Every kind, in detection order. A document that holds several kinds (a pasted terminal session) is read as the
/// richest: node rules first, then a capture (whose paste may end with the first lines of a dump), then the rest.
pub(crate) const KINDS: &[InputKind] = &[
    kinds::capture::PCAP,
    kinds::capture::PCAPNG,
    kinds::iptables_save::KIND,
    kinds::capture::TCPDUMP,
    kinds::iptables_list::KIND,
    kinds::resolv_conf::KIND,
    kinds::kubectl::KIND,
    kinds::corefile::KIND,
];

/// The entry of `kind`, `None` for [`Kind::Unknown`].
pub(crate) fn entry(kind: Kind) -> Option<&'static InputKind> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// Detects the kind of an input from its content.
pub fn detect(bytes: &[u8]) -> Kind {
    let probe = Probe::new(bytes);
    KINDS
        .iter()
        .filter(|k| k.binary || !probe.binary())
        .find(|k| (k.detect)(&probe))
        .map_or(Kind::Unknown, |k| k.kind)
}

/// How many leading lines detection looks at.
const DETECT_LINES: usize = 4000;

/// An input as detection sees it, with what several kinds' tests share computed once, when first asked for.
pub(crate) struct Probe<'a> {
    /// The input.
    pub(crate) bytes: &'a [u8],
    iptables: OnceCell<IptablesLines>,
    tcpdump: OnceCell<bool>,
}

/// How many of the leading lines look like `iptables-save` lines, and how many of those are rules or counters.
#[derive(Clone, Copy)]
pub(crate) struct IptablesLines {
    /// Lines that look like an `iptables-save` line.
    pub(crate) lines: usize,
    /// Of those, rules (`-A …`) and counter prefixes (`[…]`).
    pub(crate) rules: usize,
}

impl<'a> Probe<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            iptables: OnceCell::new(),
            tcpdump: OnceCell::new(),
        }
    }

    /// NUL bytes in the first 4 KiB: not text.
    fn binary(&self) -> bool {
        self.bytes.get(..4096).unwrap_or(self.bytes).contains(&0)
    }

    /// The leading lines that look like `iptables-save` output.
    pub(crate) fn iptables(&self) -> IptablesLines {
        *self.iptables.get_or_init(|| {
            let mut counted = IptablesLines { lines: 0, rules: 0 };
            for line in text::lines(self.bytes).take(DETECT_LINES) {
                let line = text::decode(line.bytes).0;
                if iptables::looks_like_line(&line) {
                    counted.lines += 1;
                    let t = line.trim_start();
                    if t.starts_with("-A ") || t.starts_with('[') {
                        counted.rules += 1;
                    }
                }
            }
            counted
        })
    }

    /// Whether it reads as tcpdump's text output.
    pub(crate) fn tcpdump(&self) -> bool {
        *self
            .tcpdump
            .get_or_init(|| crate::source::tcpdump::looks_like(self.bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_dumps_and_fragments() {
        assert_eq!(
            detect(b"*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n"),
            Kind::IptablesSave
        );
        assert_eq!(
            detect(b"some text\n-A KUBE-SERVICES -j X\n"),
            Kind::IptablesSave
        );
        assert_eq!(detect(b"nameserver 10.96.0.10\n"), Kind::ResolvConf);
        assert_eq!(
            detect(b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"),
            Kind::ResolvConf
        );
        assert_eq!(
            detect(b"Chain KUBE-SERVICES (2 references)\ntarget     prot opt source               destination\n"),
            Kind::IptablesList
        );
        assert_eq!(
            detect(b"NAME         ENDPOINTS           AGE\nkube-dns     10.244.0.2:53       5d\n"),
            Kind::Kubectl
        );
        assert_eq!(
            detect(br#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}}"#),
            Kind::Kubectl
        );
        assert_eq!(detect(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00"), Kind::Pcap);
        assert_eq!(detect(b"\xa1\xb2\x3c\x4d\x00\x02"), Kind::Pcap);
        assert_eq!(detect(b"\x0a\x0d\x0d\x0a\x1c\x00"), Kind::Pcapng);
        assert_eq!(detect(b"\x0a\x0d\x0d\x00\x1c\x00"), Kind::Unknown);
        assert_eq!(
            detect(b"IP 10.0.0.1.1000 > 10.0.0.2.53: 1+ A? a. (19)\n*nat\nCOMMIT\n"),
            Kind::Tcpdump
        );
        assert_eq!(
            detect(b"IP 10.0.0.1.1000 > 10.0.0.2.53: 1+ A? a. (19)\n*nat\n-A X -j Y\n"),
            Kind::IptablesSave
        );
    }

    /// Prompt lines as terminals print them above a command's output.
    const PROMPTS: [&str; 4] = [
        "$ kubectl exec -n default web-0 -- cat /etc/resolv.conf\n",
        "root@node-1:~# iptables-save\n",
        "[root@host ~]# cat /etc/resolv.conf\n",
        "PS C:\\Users\\me> kubectl get svc -A\n",
    ];

    #[test]
    fn noise_around_a_kind_does_not_hide_it() {
        let resolv = "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";
        let dump = "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n";
        let table = "NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)         AGE\nkube-dns     ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP   5d\n";
        let corefile = ".:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n}\n";
        let tcpdump = "12:00:00.000001 IP 10.244.0.20.35926 > 10.96.0.10.53: 44017+ A? web.default.svc.cluster.local. (47)\n";
        let cases = [
            (resolv, Kind::ResolvConf),
            (dump, Kind::IptablesSave),
            (table, Kind::Kubectl),
            (corefile, Kind::Corefile),
            (tcpdump, Kind::Tcpdump),
        ];
        for (text, kind) in cases {
            assert_eq!(detect(text.as_bytes()), kind, "{text}");
            for prompt in PROMPTS {
                let noisy = format!("{prompt}{text}");
                assert_eq!(detect(noisy.as_bytes()), kind, "{noisy}");
                // And a prompt after the output, as a copied terminal ends.
                let noisy = format!(
                    "{prompt}{text}{}",
                    prompt.trim_end_matches(|c| c != '#' && c != '$' && c != '>')
                );
                assert_eq!(detect(noisy.as_bytes()), kind, "{noisy}");
            }
            // A Latin-1 byte in a comment line.
            let mut latin1 = b"# r\xe9solveur du n\xa6ud\n".to_vec();
            latin1.extend(text.as_bytes());
            assert_eq!(detect(&latin1), kind, "{text}");
        }
        // A typo among valid resolv.conf lines.
        assert_eq!(
            detect(b"search default.svc.cluster.local\nnameservr 10.96.0.10\nnameserver 10.96.0.11\noptions ndots:5\n"),
            Kind::ResolvConf
        );
        // But text that is mostly something else is not read as a resolv.conf for one keyword in it.
        assert_eq!(
            detect(b"hello there\nsome notes\nsearch the logs\nmore notes\nand more\n"),
            Kind::Unknown
        );
    }

    #[test]
    fn detects_corefiles_but_not_configmaps_or_other_kinds() {
        assert_eq!(
            detect(b".:53 {\n    errors\n    forward . /etc/resolv.conf\n}\n"),
            Kind::Corefile
        );
        // `kubectl describe configmap coredns`: only the Corefile key's lines are read.
        assert_eq!(
            detect(b"Name:         coredns\nNamespace:    kube-system\n\nData\n====\nCorefile:\n----\n.:53 {\n    errors\n}\n\n\nBinaryData\n====\n"),
            Kind::Corefile
        );
        // The ConfigMap as YAML is kubectl output, which reads the Corefile in it.
        assert_eq!(
            detect(b"apiVersion: v1\ndata:\n  Corefile: |\n    .:53 {\n        errors\n    }\nkind: ConfigMap\nmetadata:\n  name: coredns\n"),
            Kind::Kubectl
        );
        assert_eq!(
            detect(b"options ndots:5\nsearch x.svc.cluster.local\n"),
            Kind::ResolvConf
        );
        assert_ne!(detect(b"{\n}\n"), Kind::Corefile);
        assert_ne!(detect(b"hello {\n  world\n}\n"), Kind::Corefile);
    }
}
