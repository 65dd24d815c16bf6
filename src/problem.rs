//! Problems with inputs: the one shape every validation message takes (file, line, field, what was expected), and
//! the warnings the input rules carry into the report. A leaf: every stage may name it, and it names no stage.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One thing wrong with an input: which file, which line, which field, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<String>, line: Option<usize>, field: Option<&str>, message: impl Into<String>) -> Self {
        Problem { file: file.into(), line, field: field.map(str::to_string), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A problem with one key of a config table, found where that table's settings are checked (beside the stage that
/// takes them): the key within the table, where its value is in the file's text, and what was expected. The config
/// turns it into a [`Problem`] with the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingProblem {
    pub key: String,
    pub span: std::ops::Range<usize>,
    pub message: String,
}

impl SettingProblem {
    pub fn new(key: impl Into<String>, span: std::ops::Range<usize>, message: impl Into<String>) -> Self {
        SettingProblem { key: key.into(), span, message: message.into() }
    }
}

/// Every problem found while checking config, catalog or recorded inputs (all of them, not just the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "{n} problem{} found:", if n == 1 { "" } else { "s" })?;
        for p in &self.0 {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// A warning found in the input, carried into the report (an input rule's, or the config's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub table: String,
    pub line: Option<usize>,
    pub column: String,
    pub message: String,
}

/// An error and every cause under it, joined by ": " (each level's message leaves its cause to the next, so the
/// chain is printed once).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cause = e.source();
    }
    out
}
