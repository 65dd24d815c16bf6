//! Run directories: `<out>/<run-id>/`, written in a temporary sibling and renamed into place at the end.
//!
//! A run id is the UTC start time, `YYYYMMDDTHHMMSS.mmmZ`, so run directories sort by time. A failed run leaves
//! nothing behind and never touches an earlier run's directory: an error removes the temporary directory, SIGINT
//! and SIGTERM remove it and exit 130 and 143 ([`clean_up_on_signals`]), and one a crash left (`kill -9`, power) is
//! removed by the next run ([`remove_stale`]) when the process named in it is gone.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Exit;
use crate::report::{self, ReportError};
use crate::report_model::ReportModel;

/// What `run.json` records about one run (kept apart from `model.json` so the model stays reproducible): enough
/// for a scheduler's monitor to alert without parsing logs.
#[derive(Debug, Serialize)]
pub struct RunInfo {
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub tool_version: &'static str,
    /// The config file, or `<embedded demo>`, or the model a `render` redrew.
    pub input: String,
    pub complete: bool,
    /// `complete` (exit 0) or `partial` (exit 1: a source partial or failed, or an input warning). A run that
    /// exits 2 writes no run directory.
    pub outcome: &'static str,
    /// The exit code the command ends with for this run.
    pub exit_code: u8,
    /// Each source as collected: name, kind, `complete` / `partial` / `failed`, what went wrong, requests made.
    pub sources: Vec<crate::report_model::SourceReport>,
    /// Input warnings flagged in the report (docs/input-rules.md).
    pub findings: usize,
}

/// `offsets.json`: the last reading of each topic's log-end offsets and each group's committed offsets in a run, for
/// the next run's rates between runs (`history::earlier_offsets`). Versioned: a reader refuses a format it does not
/// know rather than guessing.
/// Format 2 adds each partition's own readings (`partitions`), which the lag classes compare; format 1 (sums only)
/// still reads, as no partition readings.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct CarriedOffsets {
    pub format: u32,
    pub samples: Vec<crate::schema::OffsetSample>,
    /// Each partition's log-end offset and each group's committed offset on it, as this run read them (`run` is
    /// this run's id). Format 2.
    #[serde(default)]
    pub partitions: Vec<crate::schema::EarlierPartitionOffset>,
}

/// The format `offsets.json` is written in.
pub const OFFSETS_FORMAT: u32 = 2;
/// The formats this build reads.
pub const OFFSETS_FORMATS_READ: [u32; 2] = [1, OFFSETS_FORMAT];

/// What a run carries to the next one: its offset sums, and the partitions and committed offsets it read.
#[derive(Clone, Copy)]
pub struct Readings<'a> {
    pub samples: &'a [crate::schema::OffsetSample],
    pub partitions: &'a [crate::schema::Partition],
    pub committed: &'a [crate::schema::ConsumerGroupOffset],
    /// When they were read: the scenario's capture, else the run's start.
    pub read_at: DateTime<Utc>,
}

impl Readings<'_> {
    /// A render's: nothing read.
    pub const NONE: Readings<'static> =
        Readings { samples: &[], partitions: &[], committed: &[], read_at: DateTime::<Utc>::MIN_UTC };
}

/// Each partition's log end and each group's committed offset on it, as run `run` read them.
fn partition_readings(r: Readings<'_>, run: &str) -> Vec<crate::schema::EarlierPartitionOffset> {
    let at = r.read_at;
    let reading =
        |cluster: &str, topic: &str, partition, group_id: Option<&str>, offset| crate::schema::EarlierPartitionOffset {
            cluster: cluster.to_string(),
            topic: topic.to_string(),
            partition,
            group_id: group_id.map(str::to_string),
            offset,
            sampled_at: at,
            run: run.to_string(),
        };
    let log_ends = r
        .partitions
        .iter()
        .filter_map(|p| p.latest_offset.map(|o| reading(&p.cluster, &p.topic, p.partition, None, o)));
    let committed = r
        .committed
        .iter()
        .filter_map(|c| c.committed_offset.map(|o| reading(&c.cluster, &c.topic, c.partition, Some(&c.group_id), o)));
    log_ends.chain(committed).collect()
}

/// This run's last reading of each (cluster, topic, group), to carry to the next run.
fn last_readings(samples: &[crate::schema::OffsetSample]) -> Vec<crate::schema::OffsetSample> {
    let mut last: std::collections::BTreeMap<(&str, &str, Option<&str>), &crate::schema::OffsetSample> =
        std::collections::BTreeMap::new();
    for s in samples.iter().filter(|s| s.taken == "this run") {
        let slot = last.entry((s.cluster.as_str(), s.topic.as_str(), s.group_id.as_deref())).or_insert(s);
        if s.sampled_at > slot.sampled_at {
            *slot = s;
        }
    }
    last.into_values().cloned().collect()
}

/// The temporary run directory being written, for the signal handler to remove.
static WRITING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Exit codes for a run stopped by a signal: 128 + the signal's number, as shells report it.
pub const EXIT_INTERRUPTED: i32 = 130;
pub const EXIT_TERMINATED: i32 = 143;

/// Installs, once, a handler for SIGINT and SIGTERM that removes the run directory being written and exits 130 or
/// 143. Without it the process would die mid-write and leave `.tmp-<run-id>-<pid>/` behind.
pub fn clean_up_on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else { return };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // No file is half-written or started from here on; then the directory goes, and only then is it said.
            report::stop_writing();
            let writing = WRITING.lock().map(|mut w| w.take()).unwrap_or(None);
            if let Some(dir) = writing.filter(|d| d.exists()) {
                match remove_whole(&dir) {
                    Ok(()) => eprintln!("interrupted: removed {}", dir.display()),
                    Err(e) => eprintln!("interrupted: could not remove {}: {e}", dir.display()),
                }
            }
            std::process::exit(if signal == SIGINT { EXIT_INTERRUPTED } else { EXIT_TERMINATED });
        }
    });
}

/// Removes `dir` and checks it is gone (bounded retries: a file system may report a directory busy for a moment).
fn remove_whole(dir: &Path) -> std::io::Result<()> {
    let mut last = Ok(());
    for _ in 0..50 {
        last = std::fs::remove_dir_all(dir);
        if !dir.exists() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    last.and(Err(std::io::Error::other("still there after 50 attempts")))
}

fn set_writing(dir: Option<PathBuf>) {
    if let Ok(mut w) = WRITING.lock() {
        *w = dir;
    }
}

/// Removes the temporary run directories under `out` that a crashed run left: `.tmp-<run-id>-<pid>` whose process
/// is no longer running (on Linux, `/proc/<pid>` is gone; elsewhere, older than a day). A directory another run is
/// still writing is left alone. Returns what was removed, to report it.
pub fn remove_stale(out: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(out) else { return Vec::new() };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(".tmp-").and_then(|rest| rest.rsplit('-').next()) else { continue };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if pid == std::process::id() || still_running(pid, &entry.path()) {
            continue;
        }
        if std::fs::remove_dir_all(entry.path()).is_ok() {
            removed.push(entry.path().display().to_string());
        }
    }
    removed.sort();
    removed
}

fn still_running(pid: u32, dir: &Path) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    let age = std::fs::metadata(dir).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
    age.is_none_or(|a| a < std::time::Duration::from_secs(86_400))
}

pub fn run_id(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

/// A test hook: `KAFKA_FINOPS_PAUSE_BEFORE_RENAME_MS` holds the finished temporary directory that long before it is
/// renamed, so the interruption tests can signal a run while it writes. Unset (always, outside tests): no pause.
fn pause_for_tests() {
    if let Some(ms) = std::env::var("KAFKA_FINOPS_PAUSE_BEFORE_RENAME_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(60_000)));
    }
}

/// What a new directory under the output directory holds: a run (named by its run id, with the `summary.json`
/// later runs compare with), or a report redrawn from a saved model (`render-<id>`, no summary: not a new
/// observation, so `history` neither lists nor compares it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Run,
    Render,
}

/// What a run leaves for the next: its summary for history (the model stage's projection, beside the report's
/// files) and its offset readings (`offsets.json`).
fn write_carried(tmp: &Path, id: &str, model: &ReportModel, offsets: Readings<'_>) -> Result<(), ReportError> {
    let summary = crate::model::trend::summarize(model);
    let path = tmp.join("summary.json");
    let bytes = serde_json::to_vec_pretty(&summary).expect("a run summary serializes");
    report::guarded(&path, || std::fs::write(&path, &bytes))?;
    if model.gap_ledger.run > 0 {
        let path = tmp.join("gaps.json");
        let bytes = serde_json::to_vec_pretty(&model.gap_ledger).expect("a gap ledger serializes");
        report::guarded(&path, || std::fs::write(&path, &bytes))?;
    }
    let carried = CarriedOffsets {
        format: OFFSETS_FORMAT,
        samples: last_readings(offsets.samples),
        partitions: partition_readings(offsets, id),
    };
    if !carried.samples.is_empty() || !carried.partitions.is_empty() {
        let path = tmp.join("offsets.json");
        let bytes = serde_json::to_vec(&carried).expect("offset readings serialize");
        report::guarded(&path, || std::fs::write(&path, &bytes))?;
    }
    Ok(())
}

/// Writes the report for `model` into a new run directory under `out` and returns its path. A run also keeps the
/// last of this run's `offsets` readings (`offsets.json`) for the next run's rates.
pub fn write_run(
    out: &Path,
    started_at: DateTime<Utc>,
    input: &str,
    model: &ReportModel,
    written: Written,
    offsets: Readings<'_>,
) -> Result<PathBuf, ReportError> {
    let werr =
        |path: &Path, e: std::io::Error| ReportError::Write { path: path.display().to_string(), reason: e.to_string() };
    if out.exists() && !out.is_dir() {
        let message = "is a file; expected a directory to hold the run directories (--out)";
        return Err(werr(out, std::io::Error::other(message)));
    }
    std::fs::create_dir_all(out).map_err(|e| werr(out, e))?;

    // A later run in the same millisecond gets the next free millisecond, so ids stay unique and ordered.
    let name = |at| match written {
        Written::Run => run_id(at),
        Written::Render => format!("render-{}", run_id(at)),
    };
    let mut at = started_at;
    let mut id = name(at);
    for _ in 0..1000 {
        if !out.join(&id).exists() {
            break;
        }
        at += chrono::Duration::milliseconds(1);
        id = name(at);
    }
    let final_dir = out.join(&id);
    if final_dir.exists() {
        return Err(werr(&final_dir, std::io::Error::other("run directory already exists")));
    }
    let tmp = out.join(format!(".tmp-{id}-{}", std::process::id()));
    std::fs::create_dir(&tmp).map_err(|e| werr(&tmp, e))?;
    set_writing(Some(tmp.clone()));

    let result = (|| {
        report::write_all(model, &tmp)?;
        if written == Written::Run {
            write_carried(&tmp, &id, model, offsets)?;
        }
        let exit = Exit::written(model.totals.complete);
        let info = RunInfo {
            run_id: id.clone(),
            started_at: started_at.to_rfc3339(),
            finished_at: Utc::now().to_rfc3339(),
            tool_version: env!("CARGO_PKG_VERSION"),
            input: input.to_string(),
            complete: model.totals.complete,
            outcome: if exit == Exit::Complete { "complete" } else { "partial" },
            exit_code: exit as u8,
            sources: model.sources.clone(),
            findings: model.findings.len(),
        };
        let path = tmp.join("run.json");
        let bytes = serde_json::to_vec_pretty(&info).expect("run info serializes");
        report::guarded(&path, || std::fs::write(&path, &bytes))?;
        pause_for_tests();
        report::guarded(&final_dir, || std::fs::rename(&tmp, &final_dir))
    })();
    set_writing(None);
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|()| final_dir)
}
