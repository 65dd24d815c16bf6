//! `collect --record DIR`: writes what was collected as a recorded scenario that `run` replays offline.
//!
//! The same format as `fixtures/demo/`: `scenario.toml` plus one CSV per table, written in a temporary sibling
//! folder and renamed into place, so a failed recording leaves nothing half-written.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Collected, EachTable, InScenario};
use crate::schema::Table;

/// Why a recording could not be written. Nothing half-written is left in any case.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{} already exists; record into a new folder", .0.display())]
    Exists(PathBuf),
    #[error("{}: {cause}", path.display())]
    Io { path: PathBuf, cause: std::io::Error },
    #[error("{}: {cause}", path.display())]
    Csv { path: PathBuf, cause: csv::Error },
    #[error("scenario.toml: {0}")]
    Toml(toml::ser::Error),
    #[error("{}: a writer thread panicked", .0.display())]
    Panicked(PathBuf),
}

impl From<toml::ser::Error> for RecordError {
    fn from(e: toml::ser::Error) -> Self {
        RecordError::Toml(e)
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> RecordError + '_ {
    move |source| RecordError::Io { path: path.to_path_buf(), cause: source }
}

#[derive(Serialize)]
struct ScenarioMeta<'a> {
    name: &'a str,
    description: &'a str,
    captured_at: String,
    sources: &'a [crate::completeness::SourceReport],
}

/// Writes one table as `<dir>/<table>.csv`. Big tables (a billing export's cost lines) are serialized in chunks
/// on all cores, a block of chunks at a time, each block written in order before the next is serialized: memory
/// holds one block's text, not the whole file's.
fn write_csv<T: Table + Sync>(dir: &Path, rows: &[T]) -> Result<(), RecordError> {
    const CHUNK: usize = 50_000;
    let path = dir.join(file_name::<T>());
    let csv_err = |source: csv::Error| RecordError::Csv { path: path.clone(), cause: source };
    let serialize = |chunk: &[T]| -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::with_capacity(chunk.len() * 160));
        for row in chunk {
            w.serialize(row)?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io(&path))?);
    let header = T::columns().iter().map(|c| c.name).collect::<Vec<_>>().join(",");
    writeln!(file, "{header}").map_err(io(&path))?;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    for block in rows.chunks(CHUNK * threads) {
        let parts: Vec<Option<Result<Vec<u8>, csv::Error>>> = std::thread::scope(|s| {
            let handles: Vec<_> = block.chunks(CHUNK).map(|c| s.spawn(move || serialize(c))).collect();
            handles.into_iter().map(|h| h.join().ok()).collect()
        });
        for part in parts {
            let bytes = part.ok_or_else(|| RecordError::Panicked(path.clone()))?.map_err(csv_err)?;
            file.write_all(&bytes).map_err(io(&path))?;
        }
    }
    file.flush().map_err(io(&path))
}

/// Writes every collected table's file, stopping at the first error.
struct Writer<'a> {
    dir: &'a Path,
    result: Result<(), RecordError>,
}

impl EachTable for Writer<'_> {
    fn table<T: Table + Sync>(&mut self, rows: &[T], _: InScenario) {
        if self.result.is_ok() {
            self.result = write_csv(self.dir, rows);
        }
    }
}

/// Writes `collected` as a scenario folder at `dir`, which must not exist yet.
pub fn write_scenario(collected: &Collected, name: &str, dir: &Path) -> Result<(), RecordError> {
    if dir.exists() {
        return Err(RecordError::Exists(dir.to_path_buf()));
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let tmp = parent.join(format!(
        ".tmp-record-{}-{}",
        dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    std::fs::create_dir(&tmp).map_err(io(&tmp))?;
    let result = (|| {
        let meta = ScenarioMeta {
            name,
            description: &collected.description,
            captured_at: collected.captured_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            sources: &collected.sources,
        };
        let toml = toml::to_string_pretty(&meta)?;
        let path = tmp.join("scenario.toml");
        std::fs::write(&path, format!("# Recorded by kafka-finops collect --record.\n{toml}")).map_err(io(&path))?;
        let mut writer = Writer { dir: &tmp, result: Ok(()) };
        collected.each_table(&mut writer);
        writer.result?;
        std::fs::rename(&tmp, dir).map_err(io(dir))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

fn file_name<T: Table>() -> String {
    format!("{}.csv", T::NAME)
}

#[cfg(test)]
mod scenario_keys {
    use super::*;
    use crate::completeness::{DayWindow, SourceReport, SourceStatus};

    /// docs/scenario.md's `scenario.toml` table names every key a recording writes (every field set).
    #[test]
    fn the_scenario_doc_names_every_key_a_recording_writes() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let source = SourceReport {
            name: "s".into(),
            kind: "cost".into(),
            status: SourceStatus::Partial,
            detail: Some("d".into()),
            tables: vec!["cost_lines".into()],
            requests: 1,
            window: Some(DayWindow { first: day, last: day }),
            line_source: Some("scenario".into()),
            transfer: Some(crate::completeness::Transfer { fetched_bytes: 1, object_bytes: 2 }),
            queries: vec![crate::completeness::QueryRun { id: "q".into(), bytes_scanned: 1, cost: None }],
        };
        let meta = ScenarioMeta { name: "n", description: "d", captured_at: "t".into(), sources: &[source] };
        let value: toml::Table = toml::from_str(&toml::to_string(&meta).unwrap()).unwrap();
        let doc = include_str!("../../docs/scenario.md");
        let section = doc.split("## `scenario.toml`").nth(1).unwrap().split("\n## ").next().unwrap();
        for (key, v) in &value {
            let written = if key == "sources" { "`[[sources]]`".to_string() } else { format!("`{key}`") };
            assert!(section.contains(&written), "docs/scenario.md lacks {written}");
            if let Some(first) = v.as_array().and_then(|a| a.first()).and_then(|s| s.as_table()) {
                for inner in first.keys() {
                    assert!(
                        section.contains(&format!("`sources.{inner}`")),
                        "docs/scenario.md lacks `sources.{inner}`"
                    );
                }
            }
        }
    }
}
