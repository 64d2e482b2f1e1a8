//! The app's state: the raw inputs a user gave, and the analysis derived from them.

use dnatlas_core::{analyze, Analysis, Options, Source};
use leptos::prelude::*;

/// One input: a pasted text or a picked file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// File name, or the paste area's label.
    pub name: String,
    /// The raw bytes.
    pub bytes: Vec<u8>,
}

/// Everything the user typed or picked; the analysis follows from it.
#[derive(Debug, Clone, Copy)]
pub struct AppState {
    /// Name shown for the paste area's content.
    pub paste_name: RwSignal<String>,
    /// The paste area's text.
    pub pasted: RwSignal<String>,
    /// Files picked or dropped, in order.
    pub files: RwSignal<Vec<Input>>,
    /// The analysis of the paste area and the files.
    pub analysis: Memo<Analysis>,
}

impl AppState {
    /// New state showing the built-in example.
    pub fn with_example() -> Self {
        let paste_name = RwSignal::new(crate::EXAMPLE_NAME.to_string());
        let pasted = RwSignal::new(crate::EXAMPLE_DUMP.to_string());
        let files = RwSignal::new(Vec::<Input>::new());
        let analysis = Memo::new(move |_| {
            let name = paste_name.get();
            let text = pasted.get();
            let files = files.get();
            analyze_inputs(&name, &text, &files)
        });
        Self {
            paste_name,
            pasted,
            files,
            analysis,
        }
    }

    /// Puts the example back into the paste area.
    pub fn load_example(&self) {
        self.paste_name.set(crate::EXAMPLE_NAME.to_string());
        self.pasted.set(crate::EXAMPLE_DUMP.to_string());
    }
}

/// Analyses the paste area (when not blank) and the files.
pub fn analyze_inputs(paste_name: &str, pasted: &str, files: &[Input]) -> Analysis {
    let mut sources = Vec::with_capacity(files.len() + 1);
    if !pasted.trim().is_empty() {
        sources.push(Source::new(paste_name, pasted.as_bytes()));
    }
    sources.extend(files.iter().map(|f| Source::new(&f.name, &f.bytes)));
    analyze(&sources, &Options::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_paste_is_not_an_input() {
        let a = analyze_inputs("pasted", "  \n", &[]);
        assert!(a.sources.is_empty());
        let files = [Input {
            name: "nat.txt".into(),
            bytes: crate::EXAMPLE_DUMP.as_bytes().to_vec(),
        }];
        let a = analyze_inputs("pasted", "", &files);
        assert_eq!(a.sources.len(), 1);
        assert_eq!(a.services.len(), 4);
    }
}
