//! Normalize: collected rows → polars frames with the fixed schemas of `schema`, plus tables derived from them.
//!
//! Derived here: `replica_placements` (see `schema::ReplicaPlacement`). Consistency checks that need several tables (a partition
//! of an unknown topic, racks that do not line up with replicas) and the one currency of money (USD; a cost line or
//! allocation in another, or in none, is refused, never converted) are reported as problems naming the table.
//! No I/O, no SQL.

use std::collections::HashMap;

use polars::prelude::*;

use crate::collect::{Collected, EachTable, InScenario};
use crate::problem::{Problem, Problems};
use crate::schema::{self, ConsumerGroupOffset, CostAllocation, CostLine, ReplicaPlacement, Table, Topic};

/// Every normalized table by name, in a fixed order.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub frames: Vec<(String, DataFrame)>,
}

impl Tables {
    pub fn get(&self, name: &str) -> Option<&DataFrame> {
        self.frames.iter().find(|(n, _)| n == name).map(|(_, f)| f)
    }
    /// Replaces the frame of `name` where it stands (or adds it last).
    pub fn replace(&mut self, name: &str, frame: DataFrame) {
        match self.frames.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = frame,
            None => self.frames.push((name.to_string(), frame)),
        }
    }
    pub fn insert(&mut self, name: &str, frame: DataFrame) {
        self.frames.retain(|(n, _)| n != name);
        self.frames.push((name.to_string(), frame));
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    #[error(transparent)]
    Inconsistent(#[from] Problems),
    #[error("building table `{table}`: {cause}")]
    Frame { table: &'static str, cause: PolarsError },
}

fn frame<T: Table>(rows: &[T]) -> Result<DataFrame, NormalizeError> {
    T::to_frame(rows).map_err(|source| NormalizeError::Frame { table: T::NAME, cause: source })
}

/// Every collected table as its frame, in declaration order (`collect::Collected`), then the derived ones.
pub fn normalize(c: &Collected) -> Result<Tables, NormalizeError> {
    check_consistency(c)?;
    let mut framer = Framer { tables: Tables::default(), result: Ok(()) };
    c.each_table(&mut framer);
    framer.result?;
    let mut t = framer.tables;
    // A negative lag (committed after the latest offset read a moment earlier) is not a lag: unknown, flagged by
    // validate's `offsets-lag`.
    let offsets: Vec<ConsumerGroupOffset> = c
        .consumer_group_offsets
        .iter()
        .map(|o| ConsumerGroupOffset { lag: o.lag.filter(|l| *l >= 0), ..o.clone() })
        .collect();
    t.replace(ConsumerGroupOffset::NAME, frame(&offsets)?);
    t.insert(ReplicaPlacement::NAME, frame(&replica_placements(c))?);
    Ok(t)
}

/// Builds each collected table's frame, stopping at the first error.
struct Framer {
    tables: Tables,
    result: Result<(), NormalizeError>,
}

impl EachTable for Framer {
    fn table<T: Table + Sync>(&mut self, rows: &[T], _: InScenario) {
        if self.result.is_ok() {
            self.result = frame(rows).map(|f| self.tables.insert(T::NAME, f));
        }
    }
}

/// One row per replica of each partition, racks filled in from `brokers` when the partition does not carry them.
fn replica_placements(c: &Collected) -> Vec<ReplicaPlacement> {
    let rack_of: HashMap<(&str, i64), Option<&str>> =
        c.brokers.iter().map(|b| ((b.cluster.as_str(), b.broker_id), b.rack.as_deref())).collect();
    let mut rows = Vec::new();
    for p in &c.partitions {
        let racks: Vec<&str> = schema::split_list(&p.replica_racks).collect();
        for (i, id) in schema::split_list(&p.replicas).enumerate() {
            let id: i64 = id.parse().unwrap_or(-1);
            let rack = racks.get(i).copied().or_else(|| rack_of.get(&(p.cluster.as_str(), id)).copied().flatten());
            rows.push(ReplicaPlacement {
                cluster: p.cluster.clone(),
                topic: p.topic.clone(),
                partition: p.partition,
                broker_id: id,
                rack: rack.map(str::to_string),
                is_leader: p.leader == Some(id),
            });
        }
    }
    rows
}

fn check_consistency(c: &Collected) -> Result<(), Problems> {
    let mut problems = Vec::new();
    let topics: HashMap<(&str, &str), &Topic> =
        c.topics.iter().map(|t| ((t.cluster.as_str(), t.topic.as_str()), t)).collect();
    for (i, p) in c.partitions.iter().enumerate() {
        let line = Some(i + 2);
        let at = |field: &str, message: String| Problem::new("partitions", line, Some(field), message);
        if !topics.contains_key(&(p.cluster.as_str(), p.topic.as_str())) {
            problems.push(at("topic", format!("partition of `{}`, which is not in `topics`", p.topic)));
        }
        let replicas: Vec<&str> = schema::split_list(&p.replicas).collect();
        if replicas.iter().any(|r| r.parse::<i64>().is_err()) {
            problems.push(at("replicas", format!("expected broker ids joined by `;`, found `{}`", p.replicas)));
        }
        let racks = schema::split_list(&p.replica_racks).count();
        if racks != 0 && racks != replicas.len() {
            problems.push(at(
                "replica_racks",
                format!("{racks} racks for {} replicas; expected one rack per replica, in order", replicas.len()),
            ));
        }
        if p.size_bytes.is_some_and(|s| s < 0) {
            problems.push(at("size_bytes", "expected 0 or more bytes, or empty when not collected".into()));
        }
    }
    cap(&mut problems, "partitions");
    let mut money =
        currency_problems(CostLine::NAME, c.cost_lines.iter().map(|l| (l.currency.as_str(), l.source.as_str())));
    cap(&mut money, CostLine::NAME);
    let mut allocations = currency_problems(
        CostAllocation::NAME,
        c.cost_allocations.iter().map(|a| (a.currency.as_str(), a.source.as_str())),
    );
    cap(&mut allocations, CostAllocation::NAME);
    problems.extend(money.into_iter().chain(allocations));
    if problems.is_empty() { Ok(()) } else { Err(Problems(problems)) }
}

/// The one currency every figure is in. Nothing is converted: a line in another currency, or in none, is an input
/// error, never added to dollars.
const CURRENCY: &str = "USD";

fn currency_problems<'a>(table: &str, rows: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Problem> {
    rows.enumerate()
        .filter(|(_, (currency, _))| *currency != CURRENCY)
        .map(|(i, (currency, source))| {
            let found = if currency.trim().is_empty() { "no currency".to_string() } else { format!("`{currency}`") };
            let message = format!(
                "expected `{CURRENCY}` (every figure is in US dollars and nothing is converted), found {found} \
                 (source `{source}`)"
            );
            Problem::new(table, Some(i + 2), Some("currency"), message)
        })
        .collect()
}

/// At most 20 problems of one table, then how many there were.
fn cap(problems: &mut Vec<Problem>, table: &str) {
    if problems.len() > 20 {
        let n = problems.len();
        problems.truncate(20);
        problems.push(Problem::new(table, None, None, format!("{n} problems in all")));
    }
}
