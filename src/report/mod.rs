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

use rayon::prelude::*;

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

/// A pure renderer: the model to the files it draws, as (path relative to the run directory, contents).
type Renderer = fn(&ReportModel) -> Result<Vec<(String, Vec<u8>)>, ReportError>;

/// Every report file's renderer: `model.json`, the CSV and Parquet tables, the owners' handoff packs under
/// `owners/`, and `index.html`. (`summary.json`, the model's own projection for history, is written beside them by
/// `output`.) The heaviest first, so that, rendered side by side, the last to start is a short one.
const RENDERERS: [Renderer; 7] = [
    |m| sheet("cost_components", tables::cost_components(m)),
    |m| Ok(vec![("index.html".to_string(), html::render(m)?.into_bytes())]),
    // compact: 40 % smaller at 10,000 topics
    |m| Ok(vec![("model.json".to_string(), serde_json::to_vec(m).expect("the report model serializes"))]),
    |m| Ok(packs::files(m)),
    |m| sheet("topics", tables::topics(m)),
    |m| sheet("owners", tables::owners(m)),
    |m| sheet("prices", tables::prices(m)),
];

/// A table as CSV and as Parquet, from the same cells.
fn sheet(name: &'static str, sheet: tables::Sheet) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let parquet = sheet.parquet().map_err(|source| ReportError::Parquet { table: name, cause: source })?;
    Ok(vec![(format!("{name}.csv"), sheet.csv()), (format!("{name}.parquet"), parquet)])
}

/// Writes every report file into `dir` (which must exist), creating `owners/`. The renderers run side by side on
/// every core, each writing its files as soon as they are drawn, so the run never holds every file at once.
pub fn write_all(model: &ReportModel, dir: &Path) -> Result<(), ReportError> {
    let werr =
        |path: &Path, e: std::io::Error| ReportError::Write { path: path.display().to_string(), reason: e.to_string() };
    RENDERERS.par_iter().with_max_len(1).try_for_each(|render| {
        for (name, bytes) in render(model)? {
            let path = dir.join(&name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| werr(parent, e))?;
            }
            std::fs::write(&path, bytes).map_err(|e| werr(&path, e))?;
        }
        Ok(())
    })
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
