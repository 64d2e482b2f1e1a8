//! `kubectl` output (`get` tables, `describe`, `-o json`/`-o yaml` objects): the cluster's objects, and the
//! Corefile of any CoreDNS ConfigMap among them.

use crate::diagnostic::Diagnostic;
use crate::pipeline::intake::{Input, Intake, Reading};
use crate::pipeline::registry::{InputKind, Probe};
use crate::source::inputs::{CorefileRead, CorefileSource, KubeRead, KubeSource};
use crate::source::kubectl::model::{KubeConfigMap, TextAt};
use crate::source::{corefile, kubectl, Kind};

pub(crate) const KIND: InputKind = InputKind {
    kind: Kind::Kubectl,
    binary: false,
    detect,
    read,
};

fn detect(probe: &Probe<'_>) -> bool {
    kubectl::detect(probe.bytes).is_some()
}

fn read<'a>(input: &Input<'a>, intake: &mut Intake<'a>, reading: &mut Reading) {
    let parsed = kubectl::parse(input.bytes);
    reading.diagnostics.extend(parsed.diagnostics);
    for config_map in &parsed.value.config_maps {
        let found = embedded_corefile(input.name, config_map, &mut reading.diagnostics);
        reading.counts.add_corefile(&found.corefile);
        intake.corefiles.push(found);
    }
    let objects = &parsed.value;
    reading.counts.services = objects.services.len();
    reading.counts.endpoints = objects
        .endpoints
        .iter()
        .flat_map(|e| e.subsets.iter())
        .map(|s| s.addresses.len())
        .sum::<usize>()
        + objects
            .endpoint_slices
            .iter()
            .map(|s| s.endpoints.len())
            .sum::<usize>();
    intake.kubernetes.push(KubeSource::new(
        &input.name.into(),
        KubeRead {
            format: kubectl::detect(input.bytes).map(|f| f.as_str().to_string()),
            objects: parsed.value,
        },
    ));
}

/// Parses the Corefile of a ConfigMap read from kubectl output named `name`. A YAML block's lines are parsed where
/// they stand in the input (blank lines above, the block's indentation before each line: Caddyfile syntax does
/// not care), so every line and column is the input's; a Corefile that is one JSON string is parsed alone, and
/// its diagnostics point at that string's line with the Corefile's own line and column in the message.
fn embedded_corefile(
    name: &str,
    config_map: &KubeConfigMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> CorefileSource {
    let label = match &config_map.namespace {
        Some(namespace) => format!("{namespace}/{}", config_map.name),
        None => config_map.name.clone(),
    };
    let text = &config_map.corefile;
    let (parsed, string_line) = match config_map.corefile_at {
        Some(TextAt::Lines { first_line, indent }) => {
            let indent = " ".repeat(usize::try_from(indent).unwrap_or(0).min(1024));
            let blank = usize::try_from(first_line.saturating_sub(1)).unwrap_or(0);
            let mut placed = String::with_capacity(text.len() + blank + 64);
            placed.extend(std::iter::repeat_n('\n', blank));
            for line in text.lines() {
                if !line.is_empty() {
                    placed.push_str(&indent);
                    placed.push_str(line);
                }
                placed.push('\n');
            }
            (corefile::parse(placed.as_bytes()), None)
        }
        Some(TextAt::String { line }) => (corefile::parse(text.as_bytes()), Some(line)),
        None => (corefile::parse(text.as_bytes()), Some(config_map.line)),
    };
    for d in parsed.diagnostics {
        diagnostics.push(match string_line {
            Some(line) => Diagnostic::new(
                d.severity,
                &d.code,
                line,
                1,
                format!(
                    "Corefile of ConfigMap {label}, its line {} column {}: {}",
                    d.line, d.column, d.message
                ),
            ),
            None => Diagnostic {
                message: format!("Corefile of ConfigMap {label}: {}", d.message),
                ..d
            },
        });
    }
    CorefileSource::new(
        &name.into(),
        CorefileRead {
            config_map: Some(label),
            string_line,
            corefile: parsed.value,
        },
    )
}
