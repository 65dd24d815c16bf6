//! The errors each stage can end a run with, and the one `Problem` shape every validation message takes.
//!
//! Stages return their own error enum; [`Error`] wraps them so `main` can print one message and map it to an exit
//! code. Nothing here prints.

use std::fmt;

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

/// How a command ended, as the process's exit code: the one place an outcome becomes a number (README, "Exit
/// codes"; schedulers alert on them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything collected, nothing flagged.
    Complete = 0,
    /// The report was written, but a source was partial or failed, or an input warning was flagged in it.
    Partial = 1,
    /// Bad usage, config or input, or a fatal error: nothing was written.
    Failed = 2,
}

impl Exit {
    /// `Complete` when `complete`, else `Partial`: a written report.
    pub fn written(complete: bool) -> Exit {
        if complete { Exit::Complete } else { Exit::Partial }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

impl Error {
    /// Every error class ends the command with nothing written. The match is exhaustive on purpose: a new class
    /// must say what it exits with.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Invalid(_)
            | Error::Collect(_)
            | Error::Normalize(_)
            | Error::Join(_)
            | Error::Model(_)
            | Error::Report(_)
            | Error::Record(_) => Exit::Failed,
        }
    }
}

/// A run that ended before any report was written. `main` prints it and exits with [`Error::exit`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(#[from] Problems),
    #[error("collect: {0}")]
    Collect(#[from] crate::collect::CollectError),
    #[error("normalize: {0}")]
    Normalize(#[from] crate::normalize::NormalizeError),
    #[error("join: {0}")]
    Join(#[from] crate::join::JoinError),
    #[error("model: {0}")]
    Model(#[from] crate::model::ModelError),
    #[error("report: {0}")]
    Report(#[from] crate::report::ReportError),
    #[error("record: {0}")]
    Record(#[from] crate::collect::record::RecordError),
}
