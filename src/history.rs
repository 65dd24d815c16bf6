//! Earlier runs under an output directory: each run directory's `summary.json` (written beside the report by `output`), for the
//! history comparison and `kafka-finops history`. Reads only; a run directory is never written after its run.

use std::path::Path;

use crate::model::trend::RunSummary;
use crate::report_model::MODEL_VERSION;

/// Why an earlier run cannot be compared with this one.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    #[error("no readable summary.json ({0})")]
    Unreadable(std::io::Error),
    #[error("summary.json: {0}")]
    Malformed(serde_json::Error),
    #[error("model version {0}, this build compares versions {versions}", versions = COMPARABLE.map(|v| v.to_string()).join(", "))]
    Version(u32),
}

/// The model versions whose summaries this build compares with its own: a summary's fields and figures mean the
/// same in each. Version 8 only made the billed lines' quantities unknown (null) where the bill has none, which no
/// summary carries; version 9 made a cost that misses a part unknown (null) where 8 wrote the part that could be
/// priced, and such a cost has no move; so the first run after an upgrade still compares with the runs before it.
/// Version 10 added fields to actions and sizing (disk freed, follow-ups, the fullest broker) that no summary
/// carries; the costs it corrects (what Kafka retains and reads, the volume type billed) are the same fields, so
/// a change between a 9 and a 10 shows as a move, as a real one would. Version 11 added each topic's write rate basis and
/// the rates offsets give; a topic that had no write rate before may now have one from its offsets,
/// and its cost moves as it would had a metric arrived. Version 12 added capacity and the MSK Express placement
/// beside the fields summaries carry; version 13 only each source's bytes fetched from object storage, and 14
/// only the queries a source ran on Athena and what their scans cost.
const COMPARABLE: [u32; 8] = [7, 8, 9, 10, 11, 12, 13, MODEL_VERSION];

/// The run directories under `out` (names that look like run ids), oldest first, each with its summary or why it
/// has none usable.
pub fn runs(out: &Path) -> Vec<(String, Result<RunSummary, Unusable>)> {
    let Ok(entries) = std::fs::read_dir(out) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_run_id(n))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let path = out.join(&name).join("summary.json");
            let summary = std::fs::read_to_string(&path)
                .map_err(Unusable::Unreadable)
                .and_then(|text| serde_json::from_str::<RunSummary>(&text).map_err(Unusable::Malformed))
                .and_then(|s| {
                    if COMPARABLE.contains(&s.model_version) { Ok(s) } else { Err(Unusable::Version(s.model_version)) }
                });
            (name, summary)
        })
        .collect()
}

/// Why an earlier run's offset readings cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{run}: offsets.json {why}; rates between runs are unknown this run")]
pub struct OffsetsUnusable {
    run: String,
    why: String,
}

/// The last offset readings of the newest earlier run that kept any (`offsets.json`), marked `run <id>`: the earlier
/// half of this run's rates between runs. None kept is no readings; one that cannot be read is named, never taken
/// as none.
pub fn earlier_offsets(out: &Path) -> Result<Vec<crate::schema::OffsetSample>, OffsetsUnusable> {
    let Ok(entries) = std::fs::read_dir(out) else { return Ok(Vec::new()) };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_run_id(n) && out.join(n).join("offsets.json").is_file())
        .collect();
    names.sort();
    let Some(name) = names.pop() else { return Ok(Vec::new()) };
    let path = out.join(&name).join("offsets.json");
    let unusable = |why: String| OffsetsUnusable { run: name.clone(), why };
    let text = std::fs::read_to_string(&path).map_err(|e| unusable(format!("is unreadable ({e})")))?;
    let carried: crate::output::CarriedOffsets =
        serde_json::from_str(&text).map_err(|e| unusable(format!("is malformed ({e})")))?;
    if carried.format != crate::output::OFFSETS_FORMAT {
        return Err(unusable(format!(
            "has format {}, this build reads {}",
            carried.format,
            crate::output::OFFSETS_FORMAT
        )));
    }
    let taken = format!("run {name}");
    Ok(carried.samples.into_iter().map(|s| crate::schema::OffsetSample { taken: taken.clone(), ..s }).collect())
}

/// `YYYYMMDDTHHMMSS.mmmZ` (see `output::run_id`).
fn is_run_id(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 20 && b[8] == b'T' && b[15] == b'.' && b[19] == b'Z' && name[..8].bytes().all(|c| c.is_ascii_digit())
}

/// The summaries usable for a comparison, and a note per run directory that is not.
pub fn earlier(out: &Path) -> (Vec<(String, RunSummary)>, Vec<String>) {
    let mut ok = Vec::new();
    let mut skipped = Vec::new();
    for (name, summary) in runs(out) {
        match summary {
            Ok(s) => ok.push((name, s)),
            Err(why) => skipped.push(format!("{name}: {why}")),
        }
    }
    (ok, skipped)
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_ids_are_recognised() {
        assert!(super::is_run_id("20261127T151234.089Z"));
        assert!(!super::is_run_id(".tmp-20261127T151234.089Z-12"));
        assert!(!super::is_run_id("notes"));
    }
}
