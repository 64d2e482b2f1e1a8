//! Resolver configurations (`/etc/resolv.conf` of a pod or a node).

use crate::pipeline::intake::{Input, Intake, Reading};
use crate::pipeline::registry::{InputKind, Probe};
use crate::source::inputs::ResolvSource;
use crate::source::{resolv_conf, Kind};

pub(crate) const KIND: InputKind = InputKind {
    kind: Kind::ResolvConf,
    binary: false,
    detect,
    read,
};

fn detect(probe: &Probe<'_>) -> bool {
    resolv_conf::looks_like(probe.bytes)
}

fn read<'a>(input: &Input<'a>, intake: &mut Intake<'a>, reading: &mut Reading) {
    let parsed = resolv_conf::parse(input.bytes);
    reading.diagnostics.extend(parsed.diagnostics);
    intake
        .resolv_confs
        .push(ResolvSource::new(&input.name.into(), parsed.value));
}
