//! The recorded-scenario source: a folder with `scenario.toml` and one CSV per normalized table.
//!
//! This is what `fixtures/demo/` is, and what `collect --record` will write. CSV headers must be exactly the
//! table's columns (see `schema`); every bad row is reported with its file and line.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{CollectError, Collected, Source, SourceReport};
use crate::error::{Problem, Problems};
use crate::files::InputFiles;
use crate::schema::{
    Broker, ConsumerGroupMember, ConsumerGroupOffset, CostAllocation, CostLine, MetricPoint, Partition, ReplicaLogDir,
    Table, Topic, TopicConfig,
};

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

pub struct ScenarioSource {
    pub name: String,
    pub files: InputFiles,
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
            toml::from_str(&text).map_err(|e| Problems(vec![crate::config::toml_problem(&meta_path, &text, &e)]))?;

        let mut problems = Vec::new();
        let files = &self.files;
        into.brokers.extend(read_table::<Broker>(files, Required::Yes, &mut problems));
        into.topics.extend(read_table::<Topic>(files, Required::Yes, &mut problems));
        into.topic_configs.extend(read_table::<TopicConfig>(files, Required::No, &mut problems));
        into.partitions.extend(read_table::<Partition>(files, Required::Yes, &mut problems));
        into.replica_log_dirs.extend(read_table::<ReplicaLogDir>(files, Required::No, &mut problems));
        into.consumer_group_offsets.extend(read_table::<ConsumerGroupOffset>(files, Required::Yes, &mut problems));
        into.consumer_group_members.extend(read_table::<ConsumerGroupMember>(files, Required::No, &mut problems));
        into.cost_lines.extend(read_table::<CostLine>(files, Required::Yes, &mut problems));
        into.cost_allocations.extend(read_table::<CostAllocation>(files, Required::No, &mut problems));
        into.metric_points.extend(read_table::<MetricPoint>(files, Required::Yes, &mut problems));
        if !problems.is_empty() {
            return Err(Problems(problems).into());
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

/// Whether a scenario must have a table's file. Optional tables were added after the first format; their absence
/// means "not collected".
#[derive(Clone, Copy, PartialEq, Eq)]
enum Required {
    Yes,
    No,
}

/// Nullable columns added at the end of a table after recordings without them were made: (table, column).
const ADDED_LATER: &[(&str, &str)] = &[("consumer_group_members", "rack")];

/// Reads `<table>.csv`, checking its header against the schema and each row's types. Problems are appended, not
/// returned early, so one pass reports every bad file and the first bad rows of each.
fn read_table<T: Table>(files: &InputFiles, required: Required, problems: &mut Vec<Problem>) -> Vec<T> {
    const MAX_ROW_PROBLEMS_PER_FILE: usize = 5;
    let name = format!("{}.csv", T::NAME);
    let path = files.display(&name);
    let text = match files.read(&name) {
        Ok(text) => text,
        Err(_) if required == Required::No => return Vec::new(),
        Err(e) => {
            problems.push(Problem::new(
                &path,
                None,
                None,
                format!("{}: a scenario needs every table's file", e.reason),
            ));
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
    let mut rows = Vec::new();
    let mut bad = 0;
    for record in reader.deserialize::<T>() {
        match record {
            Ok(row) => rows.push(row),
            Err(e) => {
                bad += 1;
                if bad <= MAX_ROW_PROBLEMS_PER_FILE {
                    let line = e.position().map(|p| p.line() as usize);
                    let field = match e.kind() {
                        csv::ErrorKind::Deserialize { err, .. } => err.field().and_then(|i| expected.get(i as usize)),
                        _ => None,
                    };
                    let message = match e.kind() {
                        csv::ErrorKind::Deserialize { err, .. } => err.kind().to_string(),
                        other => format!("{other:?}"),
                    };
                    problems.push(Problem::new(&path, line, field.copied(), message));
                }
            }
        }
    }
    if bad > MAX_ROW_PROBLEMS_PER_FILE {
        problems.push(Problem::new(&path, None, None, format!("{bad} bad rows in all")));
    }
    rows
}
