//! Validate: the one layer between collection and the join that decides whether the input can be trusted, for
//! every source alike (recorded scenarios and live collectors). Pure: no I/O.
//!
//! The rules are data ([`RULES`]): each has an id, the table and column it reads, whether a breach is an error (the
//! run stops with exit 2, naming table, line, column and value, and nothing is written) or a warning (the report is
//! written, lists the finding under data completeness, marks the run incomplete, and the affected figures are
//! unknown rather than zero). `docs/input-rules.md` is the same table for readers; a test keeps the two in step.
//! Lines are the row's line in its scenario CSV (header = line 1), or its position for a live source.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::collect::Collected;
use crate::problem::{Finding, Problem, Problems};

/// Whether a breach stops the run or is flagged in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One rule: what it checks, where, and what a breach does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub table: &'static str,
    pub column: &'static str,
    pub severity: Severity,
    pub rule: &'static str,
}

const fn rule(
    id: &'static str,
    table: &'static str,
    column: &'static str,
    severity: Severity,
    text: &'static str,
) -> Rule {
    Rule { id, table, column, severity, rule: text }
}

use Severity::{Error, Warning};

/// Bytes per second above which a topic's metric is not plausible: 1 TB/s, about a thousand of the largest brokers.
pub const MAX_BYTES_PER_SEC: f64 = 1e12;
/// Bytes above which one partition's size is not plausible: 1 PiB (MSK's largest volume is 16 TiB).
pub const MAX_PARTITION_BYTES: i64 = 1 << 50;
/// Dollars above which one billed line is not plausible.
pub const MAX_LINE_USD: i64 = 1_000_000_000;

/// Every rule, in the order they are checked and documented.
pub const RULES: &[Rule] = &[
    rule("unique-brokers", "brokers", "cluster, broker_id", Error, "one row per broker"),
    rule("unique-topics", "topics", "cluster, topic", Error, "one row per topic"),
    rule("unique-partitions", "partitions", "cluster, topic, partition", Error, "one row per partition"),
    rule(
        "unique-offsets",
        "consumer_group_offsets",
        "cluster, group_id, topic, partition",
        Error,
        "one committed offset per group and partition",
    ),
    rule("unique-members", "consumer_group_members", "cluster, group_id, member_id", Error, "one row per member"),
    rule("unique-log-dirs", "log_dirs", "cluster, broker, log_dir", Error, "one row per broker and log dir"),
    rule(
        "unique-offset-samples",
        "offset_samples",
        "cluster, topic, group_id, sampled_at, taken",
        Error,
        "one reading per topic (or group on it) and time",
    ),
    rule(
        "unique-earlier-offsets",
        "earlier_partition_offsets",
        "cluster, topic, partition, group_id",
        Error,
        "one earlier reading per partition's log end (or group on it)",
    ),
    rule("unique-acls", "acls", "every column", Error, "no ACL binding listed twice"),
    rule("unique-acl-visibility", "acl_visibility", "cluster", Error, "one row per cluster"),
    rule(
        "unique-metric-points",
        "metric_points",
        "namespace, metric, dimensions, timestamp, stat",
        Error,
        "one value per metric, dimensions, timestamp and statistic: two (equal or not) are a source listed twice or a conflict",
    ),
    rule(
        "unique-cost-lines",
        "cost_lines",
        "every column",
        Error,
        "no exact repeat of a line (same day, key, quantity and amount, from the same source): a source listed twice; a charge and its credit on one key differ in amount and are two lines",
    ),
    rule("metric-finite", "metric_points", "value", Error, "a finite number (no NaN, no infinity)"),
    rule(
        "metric-range",
        "metric_points",
        "value",
        Error,
        "0 or more; bytes/s at most 1e12 (1 TB/s); percent at most 100",
    ),
    rule("topic-rf", "topics", "replication_factor", Error, "at least 1"),
    rule("topic-partitions", "topics", "partitions", Error, "at least 1"),
    rule("partition-size", "partitions", "size_bytes", Error, "0 to 2^50 bytes (1 PiB), or empty when not collected"),
    rule(
        "partition-offsets",
        "partitions",
        "earliest_offset, latest_offset",
        Error,
        "0 or more, earliest not after latest",
    ),
    rule("partition-brokers", "partitions", "replicas", Error, "every replica on a broker listed in `brokers`"),
    rule(
        "partition-replica-repeat",
        "partitions",
        "replicas",
        Error,
        "each replica on a different broker (Kafka never places two replicas of a partition on one broker)",
    ),
    rule(
        "partition-number",
        "partitions",
        "partition",
        Error,
        "0 or more and below the topic's declared partitions (partitions are numbered 0 to partitions − 1)",
    ),
    rule(
        "partition-replicas",
        "partitions",
        "replicas",
        Warning,
        "as many replicas as the topic's replication factor (fewer: under-replicated or being reassigned)",
    ),
    rule(
        "topic-partitions-present",
        "topics",
        "partitions",
        Warning,
        "every partition the topic declares is in `partitions`; a missing one leaves the topic's size unknown",
    ),
    rule(
        "offsets-lag",
        "consumer_group_offsets",
        "lag",
        Warning,
        "0 or more; a negative lag (committed after the latest offset) is read as unknown, and so is the group's lag on that topic (never the sum of the other partitions')",
    ),
    rule("offsets-topic", "consumer_group_offsets", "topic", Warning, "a topic listed in `topics`"),
    rule(
        "metric-topic",
        "metric_points",
        "dimensions",
        Warning,
        "a topic listed in `topics`: a topic deleted inside the window (or named differently) is in no topic's cost, so its traffic shows only on the bill, in the residual",
    ),
    rule(
        "log-dir-bytes",
        "log_dirs",
        "total_bytes, usable_bytes",
        Error,
        "0 or more, usable not above total, or empty when unknown",
    ),
    rule("log-dir-broker", "log_dirs", "broker", Error, "a broker listed in `brokers`"),
    rule(
        "offset-sample-values",
        "offset_samples",
        "offset_sum, partitions, taken",
        Error,
        "an offset sum of 0 or more over 1 or more partitions, taken `this run` or `run <run id>`",
    ),
    rule(
        "earlier-offset-values",
        "earlier_partition_offsets",
        "offset, run",
        Error,
        "an offset of 0 or more, and the earlier run's id",
    ),
    rule(
        "acl-values",
        "acls",
        "resource_type, pattern_type, operation, permission",
        Error,
        "Kafka's words: a resource type (TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID, DELEGATION_TOKEN, USER), LITERAL or PREFIXED, an operation (READ, WRITE, ALL, DESCRIBE, ...), ALLOW or DENY",
    ),
    rule("sum-bytes", "partitions", "size_bytes", Error, "the sum over a cluster fits a 64-bit integer"),
    rule(
        "sum-offsets",
        "partitions",
        "latest_offset",
        Error,
        "the records retained over a cluster fit a 64-bit integer",
    ),
    rule("sum-lag", "consumer_group_offsets", "lag", Error, "the lag summed over a cluster fits a 64-bit integer"),
    rule("cost-amount", "cost_lines", "amount", Error, "within ±$1,000,000,000 a line"),
    rule("source-tables", "scenario.toml", "sources.tables", Error, "names of tables the tool knows"),
    rule("source-window", "scenario.toml", "sources.window", Error, "first day not after the last"),
    rule("cost-in-window", "cost_lines", "date", Error, "within its source's window, when the source has one"),
];

/// The tables a source may name in `scenario.toml`'s `tables`: every collected table.
const KNOWN_TABLES: &[&str] = crate::collect::COLLECTED_TABLES;

/// At most this many findings of one rule are listed, then how many there were.
const MAX_PER_RULE: usize = 20;

struct Found {
    errors: Vec<Problem>,
    warnings: Vec<Finding>,
    counts: HashMap<&'static str, usize>,
}

impl Found {
    fn add(&mut self, id: &'static str, line: Option<usize>, message: String) {
        let r = RULES.iter().find(|r| r.id == id).expect("a rule id from RULES");
        let n = self.counts.entry(id).or_default();
        *n += 1;
        if *n > MAX_PER_RULE {
            return;
        }
        // Every message says what was expected: the rule's own words, unless the message has them already.
        let message = if message.contains("expected") { message } else { format!("{message}; expected {}", r.rule) };
        match r.severity {
            Error => self.errors.push(Problem::new(r.table, line, Some(r.column), message)),
            Warning => self.warnings.push(Finding {
                rule: id.into(),
                table: r.table.into(),
                line,
                column: r.column.into(),
                message,
            }),
        }
    }

    fn summarize(&mut self) {
        for r in RULES {
            let n = self.counts.get(r.id).copied().unwrap_or(0);
            if n > MAX_PER_RULE {
                let message = format!("{n} rows break this rule in all; the first {MAX_PER_RULE} are listed");
                match r.severity {
                    Error => self.errors.push(Problem::new(r.table, None, Some(r.column), message)),
                    Warning => self.warnings.push(Finding {
                        rule: r.id.into(),
                        table: r.table.into(),
                        line: None,
                        column: r.column.into(),
                        message,
                    }),
                }
            }
        }
    }
}

/// Rows of one table whose key repeats an earlier row's: (line, key as text).
fn repeats<T, K: std::hash::Hash + Eq + std::fmt::Debug>(rows: &[T], key: impl Fn(&T) -> K) -> Vec<(usize, String)> {
    let mut seen: HashMap<K, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let k = key(row);
        let text = format!("{k:?}");
        if let Some(first) = seen.insert(k, i + 2) {
            out.push((i + 2, format!("{text} repeats line {first}")));
        }
    }
    out
}

/// Checks the collected input against every rule: `Err` with every error found, else the warnings.
pub fn check(c: &Collected) -> Result<Vec<Finding>, Problems> {
    let mut f = Found { errors: Vec::new(), warnings: Vec::new(), counts: HashMap::new() };
    keys(c, &mut f);
    metric_values(c, &mut f);
    topic_values(c, &mut f);
    partitions(c, &mut f);
    log_dirs(c, &mut f);
    offset_samples(c, &mut f);
    earlier_offsets(c, &mut f);
    acl_values(c, &mut f);
    offsets(c, &mut f);
    cost_lines(c, &mut f);
    sources(c, &mut f);
    f.summarize();
    if f.errors.is_empty() { Ok(f.warnings) } else { Err(Problems(f.errors)) }
}

/// Keys and uniqueness per table.
fn keys(c: &Collected, f: &mut Found) {
    for (line, k) in repeats(&c.brokers, |b| (b.cluster.clone(), b.broker_id)) {
        f.add("unique-brokers", Some(line), format!("broker {k}"));
    }
    for (line, k) in repeats(&c.topics, |t| (t.cluster.clone(), t.topic.clone())) {
        f.add("unique-topics", Some(line), format!("topic {k}"));
    }
    for (line, k) in repeats(&c.partitions, |p| (p.cluster.clone(), p.topic.clone(), p.partition)) {
        f.add("unique-partitions", Some(line), format!("partition {k}"));
    }
    for (line, k) in
        repeats(&c.consumer_group_offsets, |o| (o.cluster.clone(), o.group_id.clone(), o.topic.clone(), o.partition))
    {
        f.add("unique-offsets", Some(line), format!("offset {k}"));
    }
    for (line, k) in
        repeats(&c.consumer_group_members, |m| (m.cluster.clone(), m.group_id.clone(), m.member_id.clone()))
    {
        f.add("unique-members", Some(line), format!("member {k}"));
    }
    for (line, k) in repeats(&c.log_dirs, |d| (d.cluster.clone(), d.broker, d.log_dir.clone())) {
        f.add("unique-log-dirs", Some(line), format!("log dir {k}"));
    }
    for (line, k) in repeats(&c.offset_samples, |s| {
        (s.cluster.clone(), s.topic.clone(), s.group_id.clone(), s.sampled_at, s.taken.clone())
    }) {
        f.add("unique-offset-samples", Some(line), format!("reading {k}"));
    }
    for (line, k) in
        repeats(&c.earlier_partition_offsets, |o| (o.cluster.clone(), o.topic.clone(), o.partition, o.group_id.clone()))
    {
        f.add("unique-earlier-offsets", Some(line), format!("reading {k}"));
    }
    for (line, k) in repeats(&c.acls, |a| {
        let words = [&a.resource_type, &a.resource_name, &a.pattern_type, &a.principal, &a.host, &a.operation];
        (a.cluster.clone(), words.map(|w| w.clone()), a.permission.clone())
    }) {
        f.add("unique-acls", Some(line), format!("binding {k:?}"));
    }
    for (line, k) in repeats(&c.acl_visibility, |v| v.cluster.clone()) {
        f.add("unique-acl-visibility", Some(line), format!("cluster {k}"));
    }
    for (line, k) in repeats(&c.metric_points, |m| {
        (m.namespace.clone(), m.metric.clone(), m.dimensions.clone(), m.timestamp, m.stat.clone())
    }) {
        f.add("unique-metric-points", Some(line), format!("point {k}"));
    }
    for (line, k) in repeats(&c.cost_lines, |l| {
        (
            l.date,
            l.account_id.clone(),
            l.service.clone(),
            l.usage_type.clone(),
            l.operation.clone(),
            l.resource_id.clone(),
            l.tags.clone(),
            l.usage_unit.clone(),
            l.currency.clone(),
            l.source.clone(),
            (l.usage_quantity, l.amount, l.amortized_amount),
        )
    }) {
        f.add("unique-cost-lines", Some(line), format!("cost line {k}"));
    }
}

/// Metric values: finite, and within plausible ranges; a per-topic point names a topic in the inventory.
fn metric_values(c: &Collected, f: &mut Found) {
    let clusters: HashSet<&str> = c.topics.iter().map(|t| t.cluster.as_str()).collect();
    let topics: HashSet<String> =
        c.topics.iter().map(|t| crate::schema::topic_dimensions(&t.cluster, &t.topic)).collect();
    let mut unknown: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, m) in c.metric_points.iter().enumerate() {
        let line = Some(i + 2);
        if m.namespace == "AWS/Kafka"
            && let Some((cluster, _)) =
                m.dimensions.strip_prefix("Cluster Name=").and_then(|rest| rest.split_once(",Topic="))
            && clusters.contains(cluster)
            && !topics.contains(&m.dimensions)
        {
            let slot = unknown.entry(m.dimensions.as_str()).or_insert((i + 2, 0));
            slot.1 += 1;
        }
        if !m.value.is_finite() {
            f.add("metric-finite", line, format!("`{}` of {} at {}: {}", m.metric, m.dimensions, m.timestamp, m.value));
            continue;
        }
        let bytes = m.unit.starts_with("Bytes");
        let percent = m.unit == "Percent";
        if m.value < 0.0 || (bytes && m.value > MAX_BYTES_PER_SEC) || (percent && m.value > 100.0) {
            f.add(
                "metric-range",
                line,
                format!("`{}` of {} at {}: {} {}", m.metric, m.dimensions, m.timestamp, m.value, m.unit),
            );
        }
    }
    // Once per topic, at its first point.
    for (dimensions, (line, points)) in unknown {
        f.add(
            "metric-topic",
            Some(line),
            format!("{points} point(s) of {dimensions}, a topic not in `topics`: in no topic's cost"),
        );
    }
}

/// Topics: a replication factor and partitions.
fn topic_values(c: &Collected, f: &mut Found) {
    for (i, t) in c.topics.iter().enumerate() {
        if t.replication_factor < 1 {
            f.add("topic-rf", Some(i + 2), format!("topic `{}`: {}", t.topic, t.replication_factor));
        }
        if t.partitions < 1 {
            f.add("topic-partitions", Some(i + 2), format!("topic `{}`: {}", t.topic, t.partitions));
        }
    }
}

/// Partitions: sizes, offsets, brokers and replicas, and what the sums over a cluster come to; topics whose declared partitions are missing.
fn partitions(c: &Collected, f: &mut Found) {
    let brokers: HashSet<(&str, i64)> = c.brokers.iter().map(|b| (b.cluster.as_str(), b.broker_id)).collect();
    let rf: HashMap<(&str, &str), i64> =
        c.topics.iter().map(|t| ((t.cluster.as_str(), t.topic.as_str()), t.replication_factor)).collect();
    let declared: HashMap<(&str, &str), i64> =
        c.topics.iter().map(|t| ((t.cluster.as_str(), t.topic.as_str()), t.partitions)).collect();
    let mut present: HashMap<(&str, &str), i64> = HashMap::new();
    let mut bytes: BTreeMap<&str, i128> = BTreeMap::new();
    let mut records: BTreeMap<&str, i128> = BTreeMap::new();
    for (i, p) in c.partitions.iter().enumerate() {
        let line = Some(i + 2);
        let name = format!("`{}` partition {}", p.topic, p.partition);
        *present.entry((p.cluster.as_str(), p.topic.as_str())).or_default() += 1;
        if let Some(s) = p.size_bytes {
            if !(0..=MAX_PARTITION_BYTES).contains(&s) {
                f.add("partition-size", line, format!("{name}: {s} bytes"));
            }
            *bytes.entry(p.cluster.as_str()).or_default() += i128::from(s);
        }
        if let (Some(e), Some(l)) = (p.earliest_offset, p.latest_offset) {
            if e < 0 || l < 0 || e > l {
                f.add("partition-offsets", line, format!("{name}: earliest {e}, latest {l}"));
            } else {
                *records.entry(p.cluster.as_str()).or_default() += i128::from(l) - i128::from(e);
            }
        }
        placement(p, line, &name, &Known { brokers: &brokers, rf: &rf, declared: &declared }, f);
    }
    for (cluster, sum) in &bytes {
        if *sum > i128::from(i64::MAX) {
            f.add("sum-bytes", None, format!("cluster `{cluster}`: {sum} bytes in all"));
        }
    }
    for (cluster, sum) in &records {
        if *sum > i128::from(i64::MAX) {
            f.add("sum-offsets", None, format!("cluster `{cluster}`: {sum} records in all"));
        }
    }
    for (i, t) in c.topics.iter().enumerate() {
        let found = present.get(&(t.cluster.as_str(), t.topic.as_str())).copied().unwrap_or(0);
        if found < t.partitions && t.partitions >= 1 {
            f.add(
                "topic-partitions-present",
                Some(i + 2),
                format!(
                    "topic `{}` declares {} partition(s), {} are in `partitions`: its size is unknown",
                    t.topic, t.partitions, found
                ),
            );
        }
    }
}

/// What a partition row's placement is checked against: the brokers, and each topic's RF and partitions.
struct Known<'a> {
    brokers: &'a HashSet<(&'a str, i64)>,
    rf: &'a HashMap<(&'a str, &'a str), i64>,
    declared: &'a HashMap<(&'a str, &'a str), i64>,
}

/// One partition's number and replicas: within the topic's partitions, each on a known and different broker, as
/// many as the replication factor.
fn placement(p: &crate::schema::Partition, line: Option<usize>, name: &str, known: &Known<'_>, f: &mut Found) {
    let Known { brokers, rf, declared } = known;
    if let Some(n) = declared.get(&(p.cluster.as_str(), p.topic.as_str()))
        && !(0..*n).contains(&p.partition)
    {
        f.add("partition-number", line, format!("{name}: the topic declares {n} partition(s)"));
    }
    let replicas: Vec<i64> = crate::schema::split_list(&p.replicas).filter_map(|r| r.parse().ok()).collect();
    if let Some(twice) = replicas.iter().enumerate().find(|(j, id)| replicas[..*j].contains(id)).map(|x| x.1) {
        f.add("partition-replica-repeat", line, format!("{name}: replicas `{}` name broker {twice} twice", p.replicas));
    }
    for id in &replicas {
        if !brokers.contains(&(p.cluster.as_str(), *id)) {
            f.add(
                "partition-brokers",
                line,
                format!("{name}: replica on broker {id}, which cluster `{}` does not list in `brokers`", p.cluster),
            );
        }
    }
    if let Some(want) = rf.get(&(p.cluster.as_str(), p.topic.as_str()))
        && (replicas.len() as i64) < *want
    {
        f.add(
            "partition-replicas",
            line,
            format!("{name}: {} replica(s) for replication factor {want}", replicas.len()),
        );
    }
}

/// Log dirs: sizes that can be, on brokers that are listed.
fn log_dirs(c: &Collected, f: &mut Found) {
    let brokers: HashSet<(&str, i64)> = c.brokers.iter().map(|b| (b.cluster.as_str(), b.broker_id)).collect();
    for (i, d) in c.log_dirs.iter().enumerate() {
        let line = Some(i + 2);
        let name = format!("broker {} log dir `{}`", d.broker, d.log_dir);
        let negative = d.total_bytes.is_some_and(|t| t < 0) || d.usable_bytes.is_some_and(|u| u < 0);
        let over = d.total_bytes.zip(d.usable_bytes).is_some_and(|(t, u)| u > t);
        if negative || over {
            let text = |v: Option<i64>| v.map_or("unknown".to_string(), |v| v.to_string());
            let (total, usable) = (text(d.total_bytes), text(d.usable_bytes));
            f.add("log-dir-bytes", line, format!("{name}: total {total}, usable {usable}"));
        }
        if !brokers.contains(&(d.cluster.as_str(), d.broker)) {
            f.add("log-dir-broker", line, format!("{name}: cluster `{}` lists no broker {}", d.cluster, d.broker));
        }
    }
}

/// Offset readings: sums that can be, over partitions that exist, taken when the file says.
fn offset_samples(c: &Collected, f: &mut Found) {
    for (i, s) in c.offset_samples.iter().enumerate() {
        let taken = s.taken == "this run" || s.taken.strip_prefix("run ").is_some_and(|id| !id.is_empty());
        if s.offset_sum < 0 || s.partitions < 1 || !taken {
            let of = s.group_id.as_ref().map(|g| format!(" (group `{g}`)")).unwrap_or_default();
            f.add(
                "offset-sample-values",
                Some(i + 2),
                format!(
                    "topic `{}`{of} at {}: offset sum {} over {} partition(s), taken `{}`",
                    s.topic, s.sampled_at, s.offset_sum, s.partitions, s.taken
                ),
            );
        }
    }
}

/// The earlier run's partition readings: offsets that can be, from a named run.
fn earlier_offsets(c: &Collected, f: &mut Found) {
    for (i, o) in c.earlier_partition_offsets.iter().enumerate() {
        if o.offset < 0 || o.run.trim().is_empty() {
            let of = o.group_id.as_ref().map(|g| format!(" (group `{g}`)")).unwrap_or_default();
            f.add(
                "earlier-offset-values",
                Some(i + 2),
                format!("partition {}/{}{of}: offset {}, run `{}`", o.topic, o.partition, o.offset, o.run),
            );
        }
    }
}

/// ACL bindings in Kafka's words: anything else is a recording edited by hand or a broker newer than this build.
fn acl_values(c: &Collected, f: &mut Found) {
    const TYPES: [&str; 6] = ["TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"];
    const OPERATIONS: [&str; 14] = [
        "ALL",
        "READ",
        "WRITE",
        "CREATE",
        "DELETE",
        "ALTER",
        "DESCRIBE",
        "CLUSTER_ACTION",
        "DESCRIBE_CONFIGS",
        "ALTER_CONFIGS",
        "IDEMPOTENT_WRITE",
        "CREATE_TOKENS",
        "DESCRIBE_TOKENS",
        "TWO_PHASE_COMMIT",
    ];
    for (i, a) in c.acls.iter().enumerate() {
        let known = TYPES.contains(&a.resource_type.as_str())
            && ["LITERAL", "PREFIXED"].contains(&a.pattern_type.as_str())
            && OPERATIONS.contains(&a.operation.as_str())
            && ["ALLOW", "DENY"].contains(&a.permission.as_str());
        if !known {
            f.add(
                "acl-values",
                Some(i + 2),
                format!(
                    "{} `{}` ({}): {} {} for {}",
                    a.resource_type, a.resource_name, a.pattern_type, a.permission, a.operation, a.principal
                ),
            );
        }
    }
}

/// Committed offsets: lag, its sum, and the topics they name.
fn offsets(c: &Collected, f: &mut Found) {
    let topics: HashSet<(&str, &str)> = c.topics.iter().map(|t| (t.cluster.as_str(), t.topic.as_str())).collect();
    let mut lags: BTreeMap<&str, i128> = BTreeMap::new();
    for o in &c.consumer_group_offsets {
        *lags.entry(o.cluster.as_str()).or_default() += i128::from(o.lag.unwrap_or(0).max(0));
    }
    for (cluster, sum) in &lags {
        if *sum > i128::from(i64::MAX) {
            f.add("sum-lag", None, format!("cluster `{cluster}`: {sum} messages of lag in all"));
        }
    }
    for (i, o) in c.consumer_group_offsets.iter().enumerate() {
        if o.lag.is_some_and(|l| l < 0) {
            f.add(
                "offsets-lag",
                Some(i + 2),
                format!(
                    "group `{}` on `{}` partition {}: lag {}",
                    o.group_id,
                    o.topic,
                    o.partition,
                    o.lag.unwrap_or(0)
                ),
            );
        }
        if !topics.contains(&(o.cluster.as_str(), o.topic.as_str())) {
            f.add("offsets-topic", Some(i + 2), format!("group `{}` commits on `{}`", o.group_id, o.topic));
        }
    }
}

/// Billed lines: plausible amounts.
fn cost_lines(c: &Collected, f: &mut Found) {
    let cap = rust_decimal::Decimal::from(MAX_LINE_USD);
    for (i, l) in c.cost_lines.iter().enumerate() {
        if l.amount.abs() > cap {
            f.add("cost-amount", Some(i + 2), format!("{} on {}: ${}", l.usage_type, l.date, l.amount));
        }
    }
}

/// Sources: the tables they name and their windows, and cost lines within them.
fn sources(c: &Collected, f: &mut Found) {
    for s in &c.sources {
        for t in s.tables.iter().filter(|t| !KNOWN_TABLES.contains(&t.as_str())) {
            f.add(
                "source-tables",
                None,
                format!("source `{}` lists `{t}`; expected one of {}", s.name, KNOWN_TABLES.join(", ")),
            );
        }
        let Some(w) = s.window else { continue };
        if w.first > w.last {
            f.add("source-window", None, format!("source `{}`: first {} is after last {}", s.name, w.first, w.last));
            continue;
        }
        let Some(tag) = s.line_source.as_deref() else { continue };
        for (i, l) in c.cost_lines.iter().enumerate().filter(|(_, l)| l.source == tag) {
            if l.date < w.first || l.date > w.last {
                f.add(
                    "cost-in-window",
                    Some(i + 2),
                    format!("{} of source `{}` is outside its window {} to {}", l.date, s.name, w.first, w.last),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_id_is_unique_and_documented() {
        let doc = include_str!("../docs/input-rules.md");
        let mut ids = HashSet::new();
        for r in RULES {
            assert!(ids.insert(r.id), "{} twice", r.id);
            assert!(doc.contains(&format!("`{}`", r.id)), "docs/input-rules.md lacks `{}`", r.id);
        }
    }
}
