//! What a lint rule reports: a misconfiguration or failure signature, with the input lines that prove it.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Severity;
use crate::evidence::Evidence;

/// A misconfiguration or failure signature, with the input lines that prove it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable kebab-case code.
    pub code: String,
    /// How bad it is.
    pub severity: Severity,
    /// One-line title.
    pub title: String,
    /// What is wrong, naming the objects.
    pub message: String,
    /// Where it shows.
    pub evidence: Vec<Evidence>,
}
