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
const COMPARABLE: [u32; 9] = [7, 8, 9, 10, 11, 12, 13, 14, MODEL_VERSION];

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

/// Why a file an earlier run kept (`offsets.json`, `gaps.json`) cannot be carried on.
#[derive(Debug, thiserror::Error)]
#[error("{run}: {file} {why}")]
pub struct KeptUnusable {
    run: String,
    file: &'static str,
    why: String,
}

/// `file` of the newest earlier run that kept one, read as `T`, with that run's name; None when no run did. One
/// that cannot be read, or whose format (`format_of`) is none of `formats`, is named, never taken as none.
fn newest_kept<T: serde::de::DeserializeOwned>(
    out: &Path,
    file: &'static str,
    formats: &[u32],
    format_of: impl Fn(&T) -> u32,
) -> Result<Option<(String, T)>, KeptUnusable> {
    let Ok(entries) = std::fs::read_dir(out) else { return Ok(None) };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_run_id(n) && out.join(n).join(file).is_file())
        .collect();
    names.sort();
    let Some(name) = names.pop() else { return Ok(None) };
    let unusable = |why: String| KeptUnusable { run: name.clone(), file, why };
    let text =
        std::fs::read_to_string(out.join(&name).join(file)).map_err(|e| unusable(format!("is unreadable ({e})")))?;
    let kept: T = serde_json::from_str(&text).map_err(|e| unusable(format!("is malformed ({e})")))?;
    let format = format_of(&kept);
    if !formats.contains(&format) {
        return Err(unusable(format!("has format {format}, this build reads {formats:?}")));
    }
    Ok(Some((name, kept)))
}

/// The last offset readings of the newest earlier run that kept any (`offsets.json`), marked `run <id>`: the earlier
/// half of this run's rates between runs; and its partitions' own readings, which the lag classes compare with
/// this run's. None kept is no readings; one that cannot be read is named, never taken as none.
pub fn earlier_offsets(out: &Path) -> Result<EarlierReadings, KeptUnusable> {
    let formats = crate::output::OFFSETS_FORMATS_READ;
    let kept = newest_kept(out, "offsets.json", &formats, |c: &crate::output::CarriedOffsets| c.format)?;
    let Some((name, carried)) = kept else { return Ok(EarlierReadings::default()) };
    let taken = format!("run {name}");
    Ok(EarlierReadings {
        samples: carried
            .samples
            .into_iter()
            .map(|s| crate::schema::OffsetSample { taken: taken.clone(), ..s })
            .collect(),
        partitions: carried
            .partitions
            .into_iter()
            .map(|p| crate::schema::EarlierPartitionOffset { run: name.clone(), ..p })
            .collect(),
    })
}

/// Adds an earlier run's partition readings to those a scenario already holds, each (partition, group) keeping the
/// newest reading taken before `now` (this run's reading time): a run replaying the same scenario again in the same
/// output directory read the same offsets at the same time, which is no earlier reading (comparing them would call
/// every group stalled).
pub fn merge_earlier(
    held: &mut Vec<crate::schema::EarlierPartitionOffset>,
    earlier: Vec<crate::schema::EarlierPartitionOffset>,
    now: chrono::DateTime<chrono::Utc>,
) {
    type Key = (String, String, i64, Option<String>);
    let key = |r: &crate::schema::EarlierPartitionOffset| -> Key {
        (r.cluster.clone(), r.topic.clone(), r.partition, r.group_id.clone())
    };
    let mut at: std::collections::HashMap<Key, usize> = held.iter().enumerate().map(|(i, r)| (key(r), i)).collect();
    for r in earlier.into_iter().filter(|r| r.sampled_at < now) {
        match at.get(&key(&r)) {
            Some(&i) if held[i].sampled_at >= r.sampled_at => {}
            Some(&i) => held[i] = r,
            None => {
                at.insert(key(&r), held.len());
                held.push(r);
            }
        }
    }
}

/// The gap ledger of the newest earlier run that kept one (`gaps.json`); None when no run did. One that cannot be
/// read, or is of another format, is named: the caller says the ledger starts again, never silently.
pub fn earlier_ledger(out: &Path) -> Result<Option<crate::report_model::GapLedger>, KeptUnusable> {
    let formats = [crate::model::ledger::LEDGER_FORMAT];
    Ok(newest_kept(out, "gaps.json", &formats, |l: &crate::report_model::GapLedger| l.format)?.map(|(_, l)| l))
}

/// An earlier run's readings (`offsets.json`).
#[derive(Debug, Default)]
pub struct EarlierReadings {
    pub samples: Vec<crate::schema::OffsetSample>,
    pub partitions: Vec<crate::schema::EarlierPartitionOffset>,
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
    fn an_earlier_reading_is_kept_only_before_this_run_and_the_newest_wins() {
        let at =
            |day: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
        let reading = |partition: i64, offset: i64, day: u32| crate::schema::EarlierPartitionOffset {
            cluster: "c".into(),
            topic: "t".into(),
            partition,
            group_id: None,
            offset,
            sampled_at: at(day),
            run: format!("day {day}"),
        };
        // The scenario holds partition 0 read on the 24th and partition 1 on the 25th.
        let mut held = vec![reading(0, 10, 24), reading(1, 20, 25)];
        // The output directory's newest run read partition 0 on the 25th (newer: it wins), partition 1 on the 24th
        // (older: the scenario's stays), and partition 2 on the 26th, which is this run's own time: not earlier.
        let earlier = vec![reading(0, 11, 25), reading(1, 19, 24), reading(2, 30, 26)];
        super::merge_earlier(&mut held, earlier, at(26));
        let got: Vec<(i64, i64)> = held.iter().map(|r| (r.partition, r.offset)).collect();
        assert_eq!(got, vec![(0, 11), (1, 20)]);
    }

    #[test]
    fn run_ids_are_recognised() {
        assert!(super::is_run_id("20261127T151234.089Z"));
        assert!(!super::is_run_id(".tmp-20261127T151234.089Z-12"));
        assert!(!super::is_run_id("notes"));
    }
}
