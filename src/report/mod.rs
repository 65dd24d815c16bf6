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

/// A renderer: the model to the files it draws, handed to a [`RunDir`] as they are drawn.
type Renderer = fn(&ReportModel, &RunDir) -> Result<(), ReportError>;

/// Every report file's renderer: `model.json`, the CSV and Parquet tables, the owners' handoff packs under
/// `owners/`, and `index.html`. (`summary.json`, the model's own projection for history, is written beside them by
/// `output`.) The heaviest first, so that, rendered side by side, the last to start is a short one.
const RENDERERS: [Renderer; 9] = [
    |m, dir| sheet(dir, "cost_components", tables::cost_components(m)),
    |m, dir| dir.write("index.html", html::render(m)?.as_bytes()),
    // Compact (40 % smaller at 10,000 topics), and streamed: at that size it is 50 MB.
    |m, dir| dir.stream("model.json", |w| serde_json::to_writer(w, m).map_err(std::io::Error::from)),
    |m, dir| packs::files(m).into_iter().try_for_each(|(name, bytes)| dir.write(&name, &bytes)),
    |m, dir| sheet(dir, "topics", tables::topics(m)),
    |m, dir| sheet(dir, "owners", tables::owners(m)),
    |m, dir| sheet(dir, "prices", tables::prices(m)),
    |m, dir| sheet(dir, "chargeback", tables::chargeback(m)),
    |m, dir| sheet(dir, "brokers", tables::brokers(m)),
];

/// A table as CSV and as Parquet, from the same cells.
fn sheet(dir: &RunDir, name: &'static str, sheet: tables::Sheet) -> Result<(), ReportError> {
    dir.write(&format!("{name}.csv"), &sheet.csv())?;
    let parquet = sheet.parquet().map_err(|source| ReportError::Parquet { table: name, cause: source })?;
    dir.write(&format!("{name}.parquet"), &parquet)
}

/// The run directory the renderers write into, by paths relative to it (`owners/` is created on first use).
struct RunDir<'a>(&'a Path);

impl RunDir<'_> {
    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), ReportError> {
        let path = self.0.join(name);
        guarded(&path, || {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)
        })
    }

    fn stream(
        &self,
        name: &str,
        draw: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
    ) -> Result<(), ReportError> {
        use std::io::Write;
        let path = self.0.join(name);
        guarded(&path, || {
            let file = std::fs::File::create(&path)?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            draw(&mut out).and_then(|()| out.flush())
        })
    }
}

/// Whether files may still be written: false once a signal stopped the run. Each write holds it for reading while it
/// writes one file; [`stop_writing`] takes it for writing, so it returns once no file is half-written, and no file
/// (or directory) is started after it: the run directory can then be removed whole.
static WRITES_OPEN: std::sync::RwLock<bool> = std::sync::RwLock::new(true);

/// Stops every later write of the run directory, waiting for the ones under way. For the signal handler, which
/// exits the process next: a write that comes after it waits for that exit.
pub fn stop_writing() {
    *WRITES_OPEN.write().unwrap_or_else(|e| e.into_inner()) = false;
}

/// Writes one file (or makes one directory, or renames) of the run directory, unless the run was stopped.
pub fn guarded<T>(path: &Path, write: impl FnOnce() -> std::io::Result<T>) -> Result<T, ReportError> {
    let open = WRITES_OPEN.read().unwrap_or_else(|e| e.into_inner());
    if !*open {
        // Only the signal handler stops the writes, and it ends the process once the directory is gone: wait for
        // that, rather than race it to an exit code of our own.
        drop(open);
        loop {
            std::thread::park();
        }
    }
    pause_per_file_for_tests();
    write().map_err(|e| write_error(path, e))
}

/// A test hook: `KAFKA_FINOPS_PAUSE_PER_FILE_MS` slows every file written by that long, so the interruption tests
/// can signal a run while its packs are being written. Unset (always, outside tests): no pause.
fn pause_per_file_for_tests() {
    // Read once: every file of every run would otherwise look the variable up.
    static PAUSE_MS: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    let pause = PAUSE_MS.get_or_init(|| std::env::var("KAFKA_FINOPS_PAUSE_PER_FILE_MS").ok()?.parse().ok());
    if let Some(ms) = pause {
        std::thread::sleep(std::time::Duration::from_millis((*ms).min(1_000)));
    }
}

fn write_error(path: &Path, e: std::io::Error) -> ReportError {
    ReportError::Write { path: path.display().to_string(), reason: e.to_string() }
}

/// Writes every report file into `dir` (which must exist), creating `owners/`. The renderers run side by side on
/// every core, each writing its files as soon as they are drawn, so the run never holds every file at once.
pub fn write_all(model: &ReportModel, dir: &Path) -> Result<(), ReportError> {
    let dir = RunDir(dir);
    RENDERERS.par_iter().with_max_len(1).try_for_each(|render| render(model, &dir))
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
