//! The recorded-scenario source: a folder with `scenario.toml` and one CSV per normalized table.
//!
//! This is what `fixtures/demo/` is, and what `collect --record` will write. CSV headers must be exactly the
//! table's columns (see `schema`); every bad row is reported with its file and line.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{CollectError, Collected, EachTableMut, InScenario, Source};
use crate::completeness::SourceReport;
use crate::files::InputFiles;
use crate::problem::{Problem, Problems};
use crate::schema::{ConsumerGroupMember, Table, Topic};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    #[serde(default)]
    description: String,
    captured_at: DateTime<Utc>,
    #[serde(default)]
    sources: Vec<SourceReport>,
}

/// A `scenario` source as written in the config (besides `name` and `kind`).
#[derive(Debug, Deserialize)]
pub struct ScenarioSourceFile {
    /// The folder holding scenario.toml, relative to the config file.
    path: Option<toml::Spanned<String>>,
}

impl ScenarioSourceFile {
    /// The scenario's folder; `here` is where the table starts.
    pub fn check(
        self,
        ctx: &super::SourceContext<'_>,
        here: std::ops::Range<usize>,
    ) -> Result<InputFiles, Vec<crate::problem::SettingProblem>> {
        match &self.path {
            Some(path) => Ok(ctx.files.subdir(path.get_ref())),
            None => Err(vec![crate::problem::SettingProblem::new(
                "path",
                here,
                "a `scenario` source needs `path`, the folder holding scenario.toml",
            )]),
        }
    }
}

pub struct ScenarioSource {
    pub name: String,
    pub files: InputFiles,
}

impl super::SourceKindSpec for ScenarioSource {
    const KIND: &'static str = "scenario";
    type File = ScenarioSourceFile;
    type Settings = InputFiles;
    fn check(
        file: ScenarioSourceFile,
        ctx: &super::SourceContext<'_>,
        here: std::ops::Range<usize>,
    ) -> Result<InputFiles, Vec<crate::problem::SettingProblem>> {
        file.check(ctx, here)
    }
    fn collector(name: &str, files: &InputFiles) -> Box<dyn Source> {
        Box::new(ScenarioSource { name: name.to_string(), files: files.clone() })
    }
}

impl Source for ScenarioSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn collect(&self, into: &mut Collected) -> Result<(), CollectError> {
        let meta_name = "scenario.toml";
        let meta_path = self.files.display(meta_name);
        let text = self.files.read(meta_name).map_err(|e| one(&meta_path, e.to_string()))?;
        let meta: ScenarioFile =
            toml::from_str(&text).map_err(|e| Problems(vec![crate::files::toml_problem(&meta_path, &text, &e)]))?;

        let mut reader = Reader { files: &self.files, problems: Vec::new() };
        into.each_table_mut(&mut reader);
        if !reader.problems.is_empty() {
            return Err(Problems(reader.problems).into());
        }

        into.scenario_name = meta.name;
        into.description = meta.description;
        into.captured_at = Some(into.captured_at.map_or(meta.captured_at, |t| t.max(meta.captured_at)));
        into.sources.extend(meta.sources);
        Ok(())
    }
}

fn one(file: &str, message: String) -> CollectError {
    CollectError::Input(Problems(vec![Problem::new(file, None, None, message)]))
}

/// Reads every collected table's file into its rows, gathering the problems of all of them.
struct Reader<'a> {
    files: &'a InputFiles,
    problems: Vec<Problem>,
}

impl EachTableMut for Reader<'_> {
    fn table<T: Table>(&mut self, rows: &mut Vec<T>, file: InScenario) {
        rows.extend(read_table::<T>(self.files, file, &mut self.problems));
    }
}

/// What a row's error says: the field and the value when they can be found (the csv reader names the field for some
/// errors only; for the rest each value is tried against its column's type), and what was expected.
fn describe(
    e: &csv::Error,
    record: Option<&csv::StringRecord>,
    columns: &[crate::schema::ColumnSpec],
) -> (Option<&'static str>, String) {
    let reason = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.kind().to_string(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            return (None, format!("{len} fields; expected {expected_len}, one per column"));
        }
        other => format!("{other:?}"),
    };
    let by_reader = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.field().map(|i| i as usize),
        _ => None,
    };
    let Some(record) = record else { return (None, reason) };
    let index = by_reader.or_else(|| columns.iter().zip(record.iter()).position(|(c, value)| !fits(c.dtype, value)));
    match index.and_then(|i| Some((columns.get(i)?, record.get(i)?))) {
        Some((column, value)) => {
            (Some(column.name), format!("`{value}`: {reason}; expected {}", expected_of(column.dtype)))
        }
        None => (None, reason),
    }
}

/// Whether `value` reads as a column of `dtype` (see `schema::ColumnValue`); empty reads as null where nullable.
fn fits(dtype: &str, value: &str) -> bool {
    let (base, nullable) = match dtype.strip_suffix('?') {
        Some(b) => (b, true),
        None => (dtype, false),
    };
    if value.is_empty() {
        return nullable || base == "str";
    }
    match base {
        "i64" => value.parse::<i64>().is_ok(),
        "f64" => value.parse::<f64>().is_ok(),
        "bool" => value.parse::<bool>().is_ok(),
        "date" => value.parse::<chrono::NaiveDate>().is_ok(),
        "datetime[ms, UTC]" => value.parse::<DateTime<Utc>>().is_ok(),
        b if b.starts_with("decimal") => value.parse::<rust_decimal::Decimal>().is_ok(),
        _ => true,
    }
}

fn expected_of(dtype: &str) -> &'static str {
    match dtype.trim_end_matches('?') {
        "i64" => "a whole number",
        "f64" => "a number",
        "bool" => "`true` or `false`",
        "date" => "a date, YYYY-MM-DD",
        "datetime[ms, UTC]" => "a UTC time, RFC 3339 (2026-11-01T00:00:00Z)",
        d if d.starts_with("decimal") => "a decimal number with a dot (12.5)",
        _ => "text",
    }
}

/// Nullable columns added at the end of a table after recordings without them were made: (table, column).
const ADDED_LATER: &[(&str, &str)] = &[(ConsumerGroupMember::NAME, "rack"), (Topic::NAME, "segment_ms")];

/// Reads `<table>.csv`, checking its header against the schema and each row's types. Problems are appended, not
/// returned early, so one pass reports every bad file and the first bad rows of each.
fn read_table<T: Table>(files: &InputFiles, file: InScenario, problems: &mut Vec<Problem>) -> Vec<T> {
    const MAX_ROW_PROBLEMS_PER_FILE: usize = 5;
    let name = format!("{}.csv", T::NAME);
    let path = files.display(&name);
    let text = match files.read(&name) {
        Ok(text) => text,
        Err(_) if file == InScenario::Optional => return Vec::new(),
        Err(e) if e.path.ends_with(".csv") => {
            problems.push(Problem::new(
                &path,
                None,
                None,
                format!("{}: a scenario needs every table's file", e.reason),
            ));
            return Vec::new();
        }
        Err(e) => {
            problems.push(Problem::new(&e.path, None, None, e.reason));
            return Vec::new();
        }
    };
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let columns = T::columns();
    let expected: Vec<&str> = columns.iter().map(|c| c.name).collect();
    // A recording made before a column in ADDED_LATER joined the contract lacks it; it reads as null (unknown).
    let older = |h: &csv::StringRecord| {
        h.len() < expected.len()
            && h.iter().eq(expected[..h.len()].iter().copied())
            && columns[h.len()..].iter().all(|c| c.dtype.ends_with('?') && ADDED_LATER.contains(&(T::NAME, c.name)))
    };
    match reader.headers() {
        Ok(h) if h.iter().eq(expected.iter().copied()) || older(h) => {}
        Ok(h) => {
            problems.push(Problem::new(
                &path,
                Some(1),
                None,
                format!(
                    "header is `{}`; expected exactly `{}`",
                    h.iter().collect::<Vec<_>>().join(","),
                    expected.join(",")
                ),
            ));
            return Vec::new();
        }
        Err(e) => {
            problems.push(Problem::new(&path, Some(1), None, e.to_string()));
            return Vec::new();
        }
    }
    let headers = reader.headers().cloned().unwrap_or_default();
    let mut rows = Vec::new();
    let mut bad = 0;
    let mut report = |e: csv::Error, record: Option<&csv::StringRecord>| {
        bad += 1;
        if bad <= MAX_ROW_PROBLEMS_PER_FILE {
            // The line the record starts on, counted from its byte offset (the reader's own count is one short
            // after CRLF endings).
            let at = e.position().or_else(|| record.and_then(|r| r.position())).map(|p| p.byte() as usize);
            let line = at.map(|byte| line_of(text.as_bytes(), byte));
            let (field, message) = describe(&e, record, &columns);
            problems.push(Problem::new(&path, line, field, message));
        }
    };
    for record in reader.records() {
        match record {
            Err(e) => report(e, None),
            Ok(r) => match r.deserialize::<T>(Some(&headers)) {
                Ok(row) => rows.push(row),
                Err(e) => report(e, Some(&r)),
            },
        }
    }
    if bad > MAX_ROW_PROBLEMS_PER_FILE {
        problems.push(Problem::new(&path, None, None, format!("{bad} bad rows in all")));
    }
    rows
}

/// The 1-based line of the record starting at `byte`. A reader given CRLF endings puts a record's start on the
/// previous line's `\n`; line breaks at the offset are stepped over first, so LF, CRLF, blank lines and a missing
/// final newline all number alike.
fn line_of(text: &[u8], byte: usize) -> usize {
    let mut at = byte.min(text.len());
    while at < text.len() && matches!(text[at], b'\r' | b'\n') {
        at += 1;
    }
    text[..at].iter().filter(|b| **b == b'\n').count() + 1
}
