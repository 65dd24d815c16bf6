//! The one-way house, checked: a stage names only what is below it (ARCHITECTURE.md, "What each stage may name").
//!
//! Each rule lists, for a stage's files, the crate modules they must not name (`crate::<module>` in code, comments
//! excluded). The renderers and the report model are held tighter still: they may name only what `ALLOWED` lists.
//! The last tests show each check failing on a violation.

use std::path::Path;

/// Per stage, the crate modules it must not name: everything that runs after it (and, for the collectors, the
/// config that runs before them: their settings live beside them, and the config names those).
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "src/collect",
        &["config", "normalize", "validate", "join", "model", "report_model", "report", "output", "history"],
    ),
    ("src/config.rs", &["normalize", "validate", "join", "model", "report_model", "report", "output", "history"]),
    ("src/catalog.rs", &["config", "collect", "normalize", "validate", "join", "model", "report", "output"]),
    ("src/settings.rs", &["config", "collect", "normalize", "validate", "join", "model", "report", "output"]),
    ("src/prices.rs", &["config", "collect", "normalize", "validate", "join", "model", "report", "output"]),
    ("src/normalize.rs", &["config", "join", "model", "report_model", "report", "output", "history"]),
    ("src/validate.rs", &["config", "join", "model", "report_model", "report", "output", "history"]),
    ("src/join", &["config", "model", "report_model", "report", "output", "history"]),
    ("src/model", &["config", "report", "output"]),
];

/// Stages held to an allow-list: the only crate modules their files may name.
const ALLOWED: &[(&str, &[&str])] = &[
    ("src/report", &["report", "report_model", "format"]),
    // The catalog defines `UNOWNED`; the report model carries it for the renderers.
    ("src/report_model", &["report_model", "catalog"]),
];

/// The crate modules named in Rust source text (`crate::x`), comments excluded.
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
fn sources(root: &Path, under: &str) -> Vec<(String, String)> {
    let path = root.join(under);
    let mut out = Vec::new();
    if path.is_dir() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            out.extend(sources(root, &format!("{under}/{name}")));
        }
    } else if under.ends_with(".rs") && path.exists() {
        out.push((under.to_string(), std::fs::read_to_string(&path).unwrap()));
    }
    out
}

/// Files naming a module their stage must not.
fn forbidden_named(files: &[(String, String)], forbidden: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (file, text) in files {
        for module in modules_named(text).into_iter().filter(|m| forbidden.contains(&m.as_str())) {
            out.push(format!("{file} names crate::{module}, which runs after it"));
        }
    }
    out
}

/// Files naming a module their stage may not.
fn outside_allowed(files: &[(String, String)], allowed: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (file, text) in files {
        for module in modules_named(text).into_iter().filter(|m| !allowed.contains(&m.as_str())) {
            out.push(format!("{file} names crate::{module}: it may name only {}", allowed.join(", ")));
        }
    }
    out
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_stage_names_one_that_runs_after_it() {
    let mut wrong = Vec::new();
    for (under, forbidden) in FORBIDDEN {
        let files = sources(root(), under);
        assert!(!files.is_empty(), "{under} has no Rust files: the check would pass on nothing");
        wrong.extend(forbidden_named(&files, forbidden));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_renderers_read_only_the_report_model() {
    let mut wrong = Vec::new();
    for (under, allowed) in ALLOWED {
        let files = sources(root(), under);
        assert!(!files.is_empty(), "{under} has no Rust files: the check would pass on nothing");
        wrong.extend(outside_allowed(&files, allowed));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_checks_fail_on_a_violation() {
    // A collector that reaches into the model, as a new file would; a mention in a comment does not count.
    let text = "use crate::model::cost::CostBreakdown;\n// crate::report in a comment does not count\n";
    let files = vec![("src/collect/new.rs".to_string(), text.to_string())];
    let collect = FORBIDDEN.iter().find(|(under, _)| *under == "src/collect").unwrap().1;
    assert_eq!(forbidden_named(&files, collect), vec!["src/collect/new.rs names crate::model, which runs after it"]);

    // The model reaching back into the config.
    let files = vec![("src/model/new.rs".to_string(), "fn f(c: &crate::config::Config) {}\n".to_string())];
    let model = FORBIDDEN.iter().find(|(under, _)| *under == "src/model").unwrap().1;
    assert_eq!(forbidden_named(&files, model).len(), 1);

    // A renderer that reaches past the report model.
    let text = "use crate::report_model::ReportModel;\nuse crate::config::WhatIf;\n";
    let files = vec![("src/report/new.rs".to_string(), text.to_string())];
    let wrong = outside_allowed(&files, &["report", "report_model", "format"]);
    assert_eq!(wrong, vec!["src/report/new.rs names crate::config: it may name only report, report_model, format"]);
}

/// `Result<_, String>` in code: errors are typed per module (thiserror), so a caller can match on them.
fn string_errors(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, code) in text.lines().map(|l| l.split("//").next().unwrap_or("")).enumerate() {
        if code.contains("Result<") && code.replace(' ', "").contains(",String>") {
            out.push(i + 1);
        }
    }
    out
}

#[test]
fn no_error_is_a_bare_string() {
    let mut wrong = Vec::new();
    for (file, text) in sources(root(), "src") {
        wrong.extend(string_errors(&text).into_iter().map(|line| format!("{file}:{line}: Result<_, String>")));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(string_errors("fn f() -> Result<(), String> {}\n// Result<(), String> in a comment\n"), vec![1]);
}

/// Functions longer than `limit` lines (from `fn` to its closing brace) whose doc comment gives no reason
/// ("Over 80 lines on purpose"), as (line, name, length).
fn long_functions(text: &str, limit: usize) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let head = ["pub(crate) fn ", "pub fn ", "fn ", "async fn ", "pub async fn ", "pub(crate) async fn "];
        let Some(rest) = head.iter().find_map(|h| trimmed.strip_prefix(h)) else { continue };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        // The body opens on the first line ending with `{` (a declaration ending with `;` has none).
        let Some(open) = (i..lines.len()).find(|&j| lines[j].trim_end().ends_with('{') || lines[j].ends_with(';'))
        else {
            continue;
        };
        if lines[open].ends_with(';') {
            continue;
        }
        let close = format!("{}}}", " ".repeat(indent));
        let Some(end) = (open + 1..lines.len()).find(|&j| lines[j].trim_end() == close) else { continue };
        let length = end - i + 1;
        let doc: String = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("///") || l.trim_start().starts_with("#["))
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join(" ");
        if length > limit && !doc.contains("Over 80 lines on purpose") {
            out.push((i + 1, name, length));
        }
    }
    out
}

#[test]
fn no_function_runs_over_80_lines_without_saying_why() {
    let mut wrong = Vec::new();
    for (file, text) in sources(root(), "src") {
        // Test modules hold table-driven cases and fixtures, not logic to read.
        let code = text.split("\n#[cfg(test)]\nmod tests").next().unwrap_or("");
        for (line, name, length) in long_functions(code, 80) {
            wrong.push(format!("{file}:{line}: fn {name} is {length} lines; split it or say why in its doc comment"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let long = format!("fn long() {{\n{}}}\n", "    let x = 1;\n".repeat(85));
    assert_eq!(long_functions(&long, 80).len(), 1);
    let excused = format!("/// Over 80 lines on purpose: it is one table.\n{long}");
    assert!(long_functions(&excused, 80).is_empty());
}
