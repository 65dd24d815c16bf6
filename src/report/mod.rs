//! Report: pure renderers of one [`ReportModel`] into the files of a run directory.
//!
//! `model.json` (the model itself), `owners.csv`, `topics.csv`, `cost_components.csv`, `prices.csv` (each also as
//! `.parquet`, typed: decimals as decimals, counts as integers, flags as booleans), the handoff packs
//! `owners/<owner>.json|csv` and `index.html`. Each file is
//! a function of the model alone, so `render --from model.json` redraws them byte for byte.

mod charts;

mod html;
pub mod packs;
mod tables;

use std::path::Path;

use crate::report_model::{MODEL_VERSION, ReportModel};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("writing {path}: {reason}")]
    Write { path: String, reason: String },
    /// minijinja's error has causes of its own (the include, then the expression): `main` prints the chain.
    #[error("rendering index.html")]
    Template(#[from] minijinja::Error),
    #[error("reading {path}: {reason}")]
    ReadModel { path: String, reason: String },
    #[error("writing {table}.parquet: {cause}")]
    Parquet { table: &'static str, cause: polars::prelude::PolarsError },
}

/// Where a component's price came from: the cluster's price for its key (source, basis), and the multiplier.
pub(crate) fn price_source(prices: &[crate::report_model::Price], c: &crate::report_model::CostComponent) -> String {
    let base = match prices.iter().find(|p| p.key == c.price_key) {
        Some(p) => format!("{} [{}]", p.source, p.basis.key()),
        None => format!("`{}`", c.price_key),
    };
    if c.price_multiplier == rust_decimal::Decimal::ONE {
        base
    } else {
        format!("{base} × {}: billed on both sides", c.price_multiplier.normalize())
    }
}

/// Renders every report file for `model` as (path relative to the run directory, contents): `model.json`, the
/// CSV tables, the owners' handoff packs under `owners/`, and `index.html`. (`summary.json`, the model's own
/// projection for history, is written beside them by `output`.)
pub fn render_all(model: &ReportModel) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let json = serde_json::to_vec(model).expect("the report model serializes"); // compact: 40 % smaller at 10,000 topics
    let mut files = vec![("model.json".to_string(), json)];
    let sheets = [
        ("owners", tables::owners(model)),
        ("topics", tables::topics(model)),
        ("cost_components", tables::cost_components(model)),
        ("prices", tables::prices(model)),
    ];
    for (name, sheet) in sheets {
        files.push((format!("{name}.csv"), sheet.csv()));
        let parquet = sheet.parquet().map_err(|source| ReportError::Parquet { table: name, cause: source })?;
        files.push((format!("{name}.parquet"), parquet));
    }
    files.extend(packs::files(model));
    files.push(("index.html".to_string(), html::render(model)?.into_bytes()));
    Ok(files)
}

/// Writes every report file into `dir` (which must exist), creating `owners/`.
pub fn write_all(model: &ReportModel, dir: &Path) -> Result<(), ReportError> {
    let werr =
        |path: &Path, e: std::io::Error| ReportError::Write { path: path.display().to_string(), reason: e.to_string() };
    for (name, bytes) in render_all(model)? {
        let path = dir.join(&name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| werr(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| werr(&path, e))?;
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
        let found = version.map_or_else(|| "no `version` field".to_string(), |v| format!("model version {v}"));
        return Err(err(format!(
            "{found}; this build draws version {MODEL_VERSION} only (render it with the build that wrote it)"
        )));
    }
    serde_json::from_str(&text).map_err(|e| err(format!("line {}: {e}", e.line())))
}
