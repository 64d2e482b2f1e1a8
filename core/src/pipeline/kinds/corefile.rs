//! CoreDNS Corefiles, as written or inside `kubectl describe configmap` output.

use crate::pipeline::intake::{Input, Intake, Reading};
use crate::pipeline::registry::{InputKind, Probe};
use crate::source::inputs::{CorefileRead, CorefileSource};
use crate::source::{corefile, Kind};

pub(crate) const KIND: InputKind = InputKind {
    kind: Kind::Corefile,
    binary: false,
    detect,
    read,
};

fn detect(probe: &Probe<'_>) -> bool {
    corefile::looks_like(&corefile::view(probe.bytes))
}

fn read<'a>(input: &Input<'a>, intake: &mut Intake<'a>, reading: &mut Reading) {
    let parsed = corefile::parse(&corefile::view(input.bytes));
    reading.diagnostics.extend(parsed.diagnostics);
    reading.counts.add_corefile(&parsed.value);
    intake.corefiles.push(CorefileSource::new(
        &input.name.into(),
        CorefileRead {
            config_map: None,
            string_line: None,
            corefile: parsed.value,
        },
    ));
}
