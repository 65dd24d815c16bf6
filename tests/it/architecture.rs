//! The one-way house, checked: stages import only what is below them (ARCHITECTURE.md).
//!
//! - The config and the collectors must not reach into the model (`crate::model`). Files that still do are listed
//!   in `DEBT` with the number of references, so the debt can only shrink: a new reference, or a new file, fails;
//!   so does a listed file that no longer needs its entry (remove it).
//! - The renderers (`src/report/`) name nothing of the crate but the report model and `format`, and the report
//!   model names nothing but itself (and the catalog's word for "no owner"): `ALLOWED`.

use std::collections::BTreeMap;
use std::path::Path;

/// Where `crate::model` must not be named.
const FORBIDDEN: &[&str] = &["src/report", "src/report_model", "src/collect", "src/config.rs"];

/// Per stage, the only crate modules its files may name (`crate::<module>`).
const ALLOWED: &[(&str, &[&str])] = &[
    ("src/report", &["report", "report_model", "format"]),
    // The catalog defines `UNOWNED`; the report model carries it for the renderers.
    ("src/report_model", &["report_model", "catalog"]),
];

/// Files that name `crate::model` today, and how often (issue 15 removes them: a plain report model, settings
/// beside their stages).
const DEBT: &[(&str, usize)] = &[("src/config.rs", 6)];

/// Every reference to `crate::model` in Rust source text, comments excluded.
fn references(text: &str) -> usize {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).map(|code| code.matches("crate::model").count()).sum()
}

/// The crate modules named in Rust source text (`crate::x`, and `super::` is within the stage), comments excluded.
fn modules_named(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for code in text.lines().map(|l| l.split("//").next().unwrap_or("")) {
        for (at, _) in code.match_indices("crate::") {
            let name: String =
                code[at + "crate::".len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// Every `.rs` file under `under` (a file or a folder), with its text.
fn sources(root: &Path, under: &str, out: &mut Vec<(String, String)>) {
    let path = root.join(under);
    if path.is_dir() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            sources(root, &format!("{under}/{name}"), out);
        }
    } else if under.ends_with(".rs") && path.exists() {
        out.push((under.to_string(), std::fs::read_to_string(&path).unwrap()));
    }
}

fn scan(root: &Path, under: &str, found: &mut BTreeMap<String, usize>) {
    let mut files = Vec::new();
    sources(root, under, &mut files);
    for (file, text) in files {
        let n = references(&text);
        if n > 0 {
            found.insert(file, n);
        }
    }
}

/// Files naming a crate module their stage may not.
fn outside_allowed(files: &[(String, String)], allowed: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (file, text) in files {
        for module in modules_named(text).into_iter().filter(|m| !allowed.contains(&m.as_str())) {
            out.push(format!("{file} names crate::{module}: it may name only {}", allowed.join(", ")));
        }
    }
    out
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
fn the_renderers_read_only_the_report_model() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut wrong = Vec::new();
    for (under, allowed) in ALLOWED {
        let mut files = Vec::new();
        sources(root, under, &mut files);
        assert!(!files.is_empty(), "{under} has no Rust files: the check would pass on nothing");
        wrong.extend(outside_allowed(&files, allowed));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_allow_list_fails_on_a_renderer_that_reaches_past_the_report_model() {
    let text = "use crate::report_model::ReportModel;\nuse crate::config::WhatIf;\n// crate::model in a comment\n";
    let files = vec![("src/report/new.rs".to_string(), text.to_string())];
    let wrong = outside_allowed(&files, &["report", "report_model", "format"]);
    assert_eq!(wrong, vec!["src/report/new.rs names crate::config: it may name only report, report_model, format"]);
}

#[test]
fn the_check_fails_on_a_violation() {
    // A collector that reaches into the model, as a new file would.
    let text = "use crate::model::cost::CostBreakdown;\n// crate::model in a comment does not count\n";
    let found = BTreeMap::from([("src/collect/new.rs".to_string(), references(text))]);
    let wrong = violations(&found, DEBT);
    assert!(wrong.iter().any(|w| w.contains("src/collect/new.rs names crate::model 1 time(s)")), "{wrong:?}");
    // A listed file that grew.
    let found = BTreeMap::from([("src/config.rs".to_string(), 7)]);
    assert!(violations(&found, DEBT).iter().any(|w| w.contains("more than the 6 still allowed")));
}
