//! The one-way house, checked: stages import only what is below them (ARCHITECTURE.md). The report, the config and
//! the collectors must not reach into the model (`crate::model`). Files that still do are listed in `DEBT` with the
//! number of references, so the debt can only shrink: a new reference, or a new file, fails; so does a listed file
//! that no longer needs its entry (remove it).

use std::collections::BTreeMap;
use std::path::Path;

/// Where `crate::model` must not be named.
const FORBIDDEN: &[&str] = &["src/report", "src/collect", "src/config.rs"];

/// Files that name `crate::model` today, and how often (issue 15 removes them: a plain report model, settings
/// beside their stages).
const DEBT: &[(&str, usize)] = &[
    ("src/config.rs", 6),
    ("src/report/html.rs", 7),
    ("src/report/mod.rs", 2),
    ("src/report/packs.rs", 3),
    ("src/report/tables.rs", 4),
];

/// Every reference to `crate::model` in Rust source text, comments excluded.
fn references(text: &str) -> usize {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).map(|code| code.matches("crate::model").count()).sum()
}

fn scan(root: &Path, under: &str, found: &mut BTreeMap<String, usize>) {
    let path = root.join(under);
    if path.is_dir() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            scan(root, &format!("{under}/{name}"), found);
        }
    } else if under.ends_with(".rs") {
        let n = references(&std::fs::read_to_string(&path).unwrap());
        if n > 0 {
            found.insert(under.to_string(), n);
        }
    }
}

/// What breaks the rule, against the listed debt.
fn violations(found: &BTreeMap<String, usize>, debt: &[(&str, usize)]) -> Vec<String> {
    let mut out = Vec::new();
    for (file, n) in found {
        match debt.iter().find(|(f, _)| f == file) {
            None => out.push(format!("{file} names crate::model {n} time(s): stages below the model must not")),
            Some((_, allowed)) if n > allowed => {
                out.push(format!("{file} names crate::model {n} time(s), more than the {allowed} still allowed"))
            }
            _ => {}
        }
    }
    for (file, allowed) in debt {
        let n = found.get(*file).copied().unwrap_or(0);
        if n < *allowed {
            out.push(format!("{file} names crate::model {n} time(s) now: lower its debt entry from {allowed}"));
        }
    }
    out
}

#[test]
fn the_report_config_and_collectors_do_not_import_the_model() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = BTreeMap::new();
    for under in FORBIDDEN {
        scan(root, under, &mut found);
    }
    let wrong = violations(&found, DEBT);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_check_fails_on_a_violation() {
    // A collector that reaches into the model, as a new file would.
    let text = "use crate::model::cost::CostBreakdown;\n// crate::model in a comment does not count\n";
    let found = BTreeMap::from([("src/collect/new.rs".to_string(), references(text))]);
    let wrong = violations(&found, DEBT);
    assert!(wrong.iter().any(|w| w.contains("src/collect/new.rs names crate::model 1 time(s)")), "{wrong:?}");
    // A listed file that grew.
    let found = BTreeMap::from([("src/report/tables.rs".to_string(), 5)]);
    assert!(violations(&found, DEBT).iter().any(|w| w.contains("more than the 4 still allowed")));
}
