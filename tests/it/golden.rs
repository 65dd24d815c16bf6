//! Golden outputs: the demo's `model.json`, `topics.csv`, `owners.csv`, `cost_components.csv`, `chargeback.csv`,
//! `brokers.csv`, the HTML report (`index.html`), one owner's handoff pack (`owners/search.json` and `.csv`) and
//! `run.json` are committed under
//! `tests/golden/demo/`. Any change of a figure, a column, a field or a line of the report fails here with the first
//! differing lines, and lands only as a reviewed diff of those files whose commit message says why it moved.
//!
//! Regenerate them after such a change with
//!
//! ```sh
//! KAFKA_FINOPS_UPDATE_GOLDEN=1 cargo test --test it golden
//! git diff tests/golden/
//! ```
//!
//! `model.json` and the pack's JSON are written compact (one line); the golden copies are the same JSON
//! pretty-printed, one value a line, so that a diff points at the field. Before that, `model.json` must read back as
//! this build's typed `ReportModel`. `index.html` is compared one tag a line (a line break before each `<` that
//! follows a `>`), so a diff points at the cell. `run.json` differs per run only in its id and times: those read
//! `(normalized)`.

use std::path::{Path, PathBuf};

use crate::support::*;

const FILES: &[&str] = &[
    "model.json",
    "topics.csv",
    "owners.csv",
    "cost_components.csv",
    "chargeback.csv",
    "brokers.csv",
    "index.html",
    "owners/search.json",
    "owners/search.csv",
    "run.json",
];
/// The fields of `run.json` that differ from one run to the next.
const PER_RUN: &[&str] = &["run_id", "started_at", "finished_at"];
const UPDATE: &str = "KAFKA_FINOPS_UPDATE_GOLDEN";
/// How many differing lines a failure shows.
const SHOWN: usize = 8;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/demo")
}

/// The text a file is compared as: CSVs as written, JSON pretty-printed (model.json after it reads as a
/// `ReportModel`, run.json with its per-run fields normalized), HTML one tag a line.
fn comparable(run_dir: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(run_dir.join(name)).unwrap();
    if name.ends_with(".html") {
        return text.replace("><", ">\n<");
    }
    if !name.ends_with(".json") {
        return text;
    }
    if name == "model.json" {
        read_model(run_dir);
    }
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    if name == "run.json" {
        for field in PER_RUN {
            let slot = value.get_mut(*field).unwrap_or_else(|| panic!("run.json has no `{field}`"));
            *slot = serde_json::Value::String("(normalized)".into());
        }
    }
    serde_json::to_string_pretty(&value).unwrap() + "\n"
}

/// The first differing lines of two texts, numbered from 1, or None when they are equal.
fn first_differences(expected: &str, actual: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let mut shown = Vec::new();
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i).copied(), a.get(i).copied());
        if x != y {
            shown.push(format!(
                "  line {}:\n    golden: {}\n    actual: {}",
                i + 1,
                x.unwrap_or("(no line)"),
                y.unwrap_or("(no line)")
            ));
            if shown.len() == SHOWN {
                break;
            }
        }
    }
    if shown.is_empty() {
        shown.push("  the same lines; the line endings or the final newline differ".to_string());
    }
    Some(format!("{} golden lines, {} actual lines; first differences:\n{}", e.len(), a.len(), shown.join("\n")))
}

#[test]
fn the_demo_outputs_equal_the_golden_files() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let run_dir = work.path().join(out.run_dir());
    let update = std::env::var(UPDATE).is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for name in FILES {
        let actual = comparable(&run_dir, name);
        let golden = golden_dir().join(name);
        if update {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &actual).unwrap();
            eprintln!("wrote {}", golden.display());
            continue;
        }
        let expected = std::fs::read_to_string(&golden)
            .unwrap_or_else(|e| panic!("{}: {e} (make it with {UPDATE}=1)", golden.display()));
        if let Some(diff) = first_differences(&expected, &actual) {
            failures.push(format!("{name} differs from {}: {diff}", golden.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nIf the change is intended, regenerate with {UPDATE}=1 and say why in the commit message.",
        failures.join("\n\n")
    );
}

#[test]
fn a_difference_is_shown_by_line_with_both_sides() {
    assert_eq!(first_differences("a\nb\n", "a\nb\n"), None);
    let diff = first_differences("a\nb\nc\n", "a\nB\nc\nd\n").unwrap();
    assert!(diff.starts_with("3 golden lines, 4 actual lines"), "{diff}");
    assert!(diff.contains("line 2:\n    golden: b\n    actual: B"), "{diff}");
    assert!(diff.contains("line 4:\n    golden: (no line)\n    actual: d"), "{diff}");
    assert!(!diff.contains("line 1:") && !diff.contains("line 3:"), "{diff}");
    assert!(first_differences("a\n", "a").unwrap().contains("final newline"));
}
