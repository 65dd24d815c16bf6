//! Helpers shared by the integration tests: running the binary, copying the demo fixture, reading CSVs.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_kafka-finops");

/// The demo fixture folder in the source tree.
pub fn demo_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The last stdout line, which on success is the run directory.
    pub fn run_dir(&self) -> PathBuf {
        PathBuf::from(self.stdout.lines().last().expect("stdout has a last line").trim())
    }
}

pub fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(cwd).output().expect("the binary runs").into()
}

impl From<std::process::Output> for Output {
    fn from(out: std::process::Output) -> Self {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A run directory's model.json, read as the typed model this build writes: a renamed or retyped field fails here
/// (or fails to compile where a test names it) instead of reading as null.
pub fn read_model(run_dir: &Path) -> kafka_finops::report_model::ReportModel {
    let path = run_dir.join("model.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not a ReportModel: {e}", path.display()))
}

/// A temporary copy of the demo fixture whose files a test may edit.
pub fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(demo_fixture()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
    }
    dir
}

/// A copy of the demo whose CloudWatch has no per-topic series (only the brokers' own), as a self-managed
/// cluster's has.
pub fn demo_without_topic_metrics() -> tempfile::TempDir {
    let fixture = demo_copy();
    let points = fixture.path().join("metric_points.csv");
    let text = std::fs::read_to_string(&points).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.contains(",Topic=")).collect();
    std::fs::write(&points, kept.join("\n") + "\n").unwrap();
    fixture
}

/// Replaces `from` by `to` in a file, failing the test if `from` is absent.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} does not contain {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Reads a CSV into its header and rows.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

pub fn column<'a>(header: &[String], rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
    let i = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    rows.iter().map(|r| r[i].as_str()).collect()
}

/// Entries of a directory (names), sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// A test service (`what`) is not there: fails when `require` is set (CI), else says the test is skipped.
pub fn service_missing(require: &str, what: &str) {
    assert!(std::env::var(require).is_err(), "{require} is set but no {what}: run the tests with `bash ci/test.sh`");
    eprintln!("skipping: no {what} (run `bash ci/test.sh`, which starts one)");
}

/// Runs `validate` on `config` and checks it exits 2 with every needle in its messages.
pub fn validate_fails_with(config: &Path, needles: &[&str]) {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["validate", "--config", config.to_str().unwrap()], work.path());
    assert_eq!(out.code, 2, "{}", out.stderr);
    for needle in needles {
        assert!(out.stderr.contains(needle), "{needle} missing from:\n{}", out.stderr);
    }
    assert!(entries(work.path()).is_empty(), "validate wrote nothing");
}
