//! The errors a command can end with, where the stages are wired: each stage returns its own error enum and
//! [`Error`] wraps them, so `main` can print one chain and map it to an exit code ([`Exit`]). No stage names this
//! module (`tests/it/architecture.rs`); the problems stages share live in the leaf `problem`. Nothing here prints.

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

/// A run that ended before any report was written. Each class names its stage and carries the stage's error as
/// its source; `main` prints the chain once (`problem::chain`) and exits with [`Error::exit`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] crate::problem::Problems),
    #[error("collect")]
    Collect(#[from] crate::collect::CollectError),
    #[error("normalize")]
    Normalize(#[from] crate::normalize::NormalizeError),
    #[error("join")]
    Join(#[from] crate::join::JoinError),
    #[error("model")]
    Model(#[from] crate::model::ModelError),
    #[error("report")]
    Report(#[from] crate::report::ReportError),
    #[error("record")]
    Record(#[from] crate::collect::record::RecordError),
}
