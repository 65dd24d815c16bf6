//! Run directories: `<out>/<run-id>/`, written in a temporary sibling and renamed into place at the end.
//!
//! A run id is the UTC start time, `YYYYMMDDTHHMMSS.mmmZ`, so run directories sort by time. A failed run leaves
//! nothing behind and never touches an earlier run's directory.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::report::{self, ReportError};
use crate::report_model::ReportModel;

/// What `run.json` records about one run (kept apart from `model.json` so the model stays reproducible).
#[derive(Debug, Serialize)]
pub struct RunInfo {
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub tool_version: &'static str,
    /// The config file, or `<embedded demo>`, or the model a `render` redrew.
    pub input: String,
    pub complete: bool,
}

pub fn run_id(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

/// Writes the report for `model` into a new run directory under `out` and returns its path.
pub fn write_run(
    out: &Path,
    started_at: DateTime<Utc>,
    input: &str,
    model: &ReportModel,
) -> Result<PathBuf, ReportError> {
    let werr =
        |path: &Path, e: std::io::Error| ReportError::Write { path: path.display().to_string(), reason: e.to_string() };
    std::fs::create_dir_all(out).map_err(|e| werr(out, e))?;

    // A later run in the same millisecond gets the next free millisecond, so ids stay unique and ordered.
    let mut at = started_at;
    let mut id = run_id(at);
    for _ in 0..1000 {
        if !out.join(&id).exists() {
            break;
        }
        at += chrono::Duration::milliseconds(1);
        id = run_id(at);
    }
    let final_dir = out.join(&id);
    if final_dir.exists() {
        return Err(werr(&final_dir, std::io::Error::other("run directory already exists")));
    }
    let tmp = out.join(format!(".tmp-{id}-{}", std::process::id()));
    std::fs::create_dir(&tmp).map_err(|e| werr(&tmp, e))?;

    let result = (|| {
        report::write_all(model, &tmp)?;
        let info = RunInfo {
            run_id: id.clone(),
            started_at: started_at.to_rfc3339(),
            finished_at: Utc::now().to_rfc3339(),
            tool_version: env!("CARGO_PKG_VERSION"),
            input: input.to_string(),
            complete: model.totals.complete,
        };
        let path = tmp.join("run.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&info).expect("run info serializes"))
            .map_err(|e| werr(&path, e))?;
        std::fs::rename(&tmp, &final_dir).map_err(|e| werr(&final_dir, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|()| final_dir)
}
