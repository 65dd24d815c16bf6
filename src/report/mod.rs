//! Report: pure renderers of one [`ReportModel`] into the files of a run directory.
//!
//! `model.json` (the model itself), `owners.csv`, `topics.csv`, `cost_components.csv` and `index.html`. Each file is
//! a function of the model alone, so `render --from model.json` redraws them byte for byte.

mod charts;

mod html;
mod tables;

use std::path::Path;

use crate::report_model::{MODEL_VERSION, ReportModel};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("writing {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("rendering index.html: {0}")]
    Template(#[from] minijinja::Error),
    #[error("reading {path}: {reason}")]
    ReadModel { path: String, reason: String },
}

/// The files a report consists of, in the order they are written.
pub const REPORT_FILES: &[&str] = &["model.json", "owners.csv", "topics.csv", "cost_components.csv", "index.html"];

/// Renders every report file for `model` as (file name, contents).
pub fn render_all(model: &ReportModel) -> Result<Vec<(&'static str, Vec<u8>)>, ReportError> {
    let json = serde_json::to_vec_pretty(model).expect("the report model serializes");
    Ok(vec![
        ("model.json", json),
        ("owners.csv", tables::owners_csv(model)),
        ("topics.csv", tables::topics_csv(model)),
        ("cost_components.csv", tables::cost_components_csv(model)),
        ("index.html", html::render(model)?.into_bytes()),
    ])
}

/// Writes every report file into `dir` (which must exist).
pub fn write_all(model: &ReportModel, dir: &Path) -> Result<(), ReportError> {
    for (name, bytes) in render_all(model)? {
        let path = dir.join(name);
        std::fs::write(&path, bytes)
            .map_err(|e| ReportError::Write { path: path.display().to_string(), reason: e.to_string() })?;
    }
    Ok(())
}

/// Reads a saved `model.json`, refusing versions this build cannot draw.
pub fn read_model(path: &Path) -> Result<ReportModel, ReportError> {
    let err = |reason: String| ReportError::ReadModel { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| err(format!("not JSON: {e}")))?
        .get("version")
        .and_then(|v| v.as_u64());
    if version != Some(u64::from(MODEL_VERSION)) {
        return Err(err(format!("model version {version:?}; this build draws version {MODEL_VERSION}")));
    }
    serde_json::from_str(&text).map_err(|e| err(format!("line {}: {e}", e.line())))
}
