//! The one-way house, checked: a stage names only what is below it (ARCHITECTURE.md, "What each stage may name").
//!
//! Each rule lists, for a stage's files, the crate modules they must not name (`crate::<module>` in code, comments
//! excluded). The renderers and the report model are held tighter still: they may name only what `ALLOWED` lists.
//! The last tests show each check failing on a violation.

use std::path::Path;

/// Per stage, the crate modules it must not name: everything that runs after it (and, for the collectors, the
/// config that runs before them: their settings live beside them, and the config names those).
///
/// `error` (the command's error, built where the stages are wired) is named by no stage: a stage returns its own
/// error, and the problems stages share live in the leaf `problem`.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "src/collect",
        &["config", "normalize", "validate", "join", "model", "report_model", "report", "output", "history", "error"],
    ),
    (
        "src/config.rs",
        &["normalize", "validate", "join", "model", "report_model", "report", "output", "history", "error"],
    ),
    ("src/catalog.rs", &["config", "collect", "normalize", "validate", "join", "model", "report", "output", "error"]),
    ("src/settings.rs", &["config", "collect", "normalize", "validate", "join", "model", "report", "output", "error"]),
    ("src/prices.rs", &["config", "collect", "normalize", "validate", "join", "model", "report", "output", "error"]),
    ("src/schema.rs", &["config", "collect", "normalize", "validate", "join", "model", "report", "output", "error"]),
    ("src/normalize.rs", &["config", "join", "model", "report_model", "report", "output", "history", "error"]),
    ("src/validate.rs", &["config", "join", "model", "report_model", "report", "output", "history", "error"]),
    ("src/join", &["config", "model", "report_model", "report", "output", "history", "error"]),
    // The model reads the run's source reports and findings from the leaves `completeness` and `problem`, never
    // from the collectors or the input rules that made them.
    ("src/model", &["config", "collect", "validate", "report", "output", "error"]),
    ("src/format.rs", &["config", "collect", "normalize", "validate", "join", "model", "report", "output", "error"]),
];

/// Stages held to an allow-list: the only crate modules their files may name.
const ALLOWED: &[(&str, &[&str])] = &[
    ("src/report", &["report", "report_model", "format"]),
    // The catalog defines `UNOWNED`; the report model carries it for the renderers.
    ("src/report_model", &["report_model", "catalog"]),
    // Leaves every stage may read: they name nothing of the crate.
    ("src/problem.rs", &[]),
    ("src/completeness.rs", &[]),
    // `discover` writes a config from what MSK describes: it reads the MSK collector's records and nothing else.
    ("src/discover.rs", &["collect"]),
    // The command's error wraps each stage's error and the shared problems; it names no other part of the crate.
    ("src/error.rs", &["collect", "normalize", "join", "model", "report", "problem"]),
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

    // The model reaching back into the config, the collectors' source reports, or the input rules' findings.
    let model = FORBIDDEN.iter().find(|(under, _)| *under == "src/model").unwrap().1;
    for text in [
        "fn f(c: &crate::config::Config) {}\n",
        "use crate::collect::SourceReport;\n",
        "fn f(w: crate::collect::DayWindow) {}\n",
        "use crate::validate::Finding;\n",
    ] {
        let files = vec![("src/model/new.rs".to_string(), text.to_string())];
        assert_eq!(forbidden_named(&files, model).len(), 1, "{text}");
    }

    // A stage naming the command's error, which wraps every stage's error: an import cycle.
    for under in ["src/collect", "src/config.rs", "src/normalize.rs", "src/validate.rs", "src/join", "src/model"] {
        let text = "use crate::error::{Problem, Problems};\n";
        let files = vec![(format!("{under}/new.rs"), text.to_string())];
        let forbidden = FORBIDDEN.iter().find(|(u, _)| *u == under).unwrap().1;
        assert_eq!(forbidden_named(&files, forbidden).len(), 1, "{under}");
    }

    // A leaf that names a stage, and the command's error reaching past the stages' errors.
    let allowed = |under: &str| ALLOWED.iter().find(|(u, _)| *u == under).unwrap().1;
    let files = vec![("src/problem.rs".to_string(), "use crate::collect::Collected;\n".to_string())];
    assert_eq!(outside_allowed(&files, allowed("src/problem.rs")).len(), 1);
    let files = vec![("src/error.rs".to_string(), "use crate::config::Config;\n".to_string())];
    assert_eq!(outside_allowed(&files, allowed("src/error.rs")).len(), 1);

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

/// Error messages that both interpolate their cause and carry it as the error's source, as (line, message): the
/// cause would print twice once `main` prints the chain. A variant's text runs from its `#[error(…)]` to the next
/// one or the end of its enum; the source is a `#[from]` or `#[source]` field, or a field named `source`.
fn causes_printed_twice(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = line.find("#[error(\"") else { continue };
        let message = &line[at + "#[error(".len()..];
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].contains("#[error(") || lines[j].trim() == "}" || lines[j].trim() == "}}")
            .unwrap_or(lines.len());
        let body = lines[i..end].join("\n");
        let tuple_source = body.contains("(#[from]") || body.contains("(#[source]");
        let named_source = body.contains(" source:") || body.contains("#[source]") || body.contains("#[from]");
        // A named field marked `#[source]`: `{field}` in the message prints it.
        let marked: Vec<String> = body
            .split("#[source]")
            .skip(1)
            .filter_map(|rest| {
                let field = rest.trim_start().trim_start_matches("pub ");
                let name: String = field.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                field[name.len()..].starts_with(':').then(|| format!("{{{name}}}"))
            })
            .collect();
        if (tuple_source && message.contains("{0}"))
            || (named_source && message.contains("{source}"))
            || marked.iter().any(|m| message.contains(m.as_str()))
        {
            out.push((i + 1, message.trim_end_matches(')').to_string()));
        }
    }
    out
}

#[test]
fn an_error_carries_its_cause_once() {
    let mut wrong = Vec::new();
    for (file, text) in sources(root(), "src") {
        for (line, message) in causes_printed_twice(&text) {
            wrong.push(format!("{file}:{line}: {message} interpolates the cause it also carries as its source"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let twice = "enum E {\n    #[error(\"reading {path}: {source}\")]\n    Io { path: String, source: std::io::Error },\n    #[error(\"bad: {0}\")]\n    Bad(#[from] Problems),\n}\n";
    assert_eq!(causes_printed_twice(twice).len(), 2);
    let marked = "struct E {\n    #[error(\"column {column}: {reason}\")]\n    X { column: String, #[source]\n    pub reason: ValueError },\n}\n";
    assert_eq!(causes_printed_twice(marked).len(), 1);
    let once = "enum E {\n    #[error(\"reading {path}\")]\n    Io { path: String, source: std::io::Error },\n    #[error(transparent)]\n    Bad(#[from] Problems),\n    #[error(\"no answer ({0})\")]\n    Plain(String),\n}\n";
    assert!(causes_printed_twice(once).is_empty());
}
