//! The join contract: every normalized table's name, columns and types, written down once.
//!
//! Collectors (live or recorded) produce rows of these structs; `normalize` turns them into polars frames with
//! exactly these columns; the SQL in `queries/` reads them by these names. Nothing downstream of `normalize` sees a
//! raw API shape. A recorded scenario stores each table as `<table>.csv` with these headers, in this order.
//!
//! Conventions: sizes in bytes, durations in milliseconds, Kafka's sentinels kept as they are (`-1` = unlimited,
//! `-2` = "same as retention" for local retention), lists of broker ids or racks joined by `;` with the leader
//! first, money and billed quantities as decimals, timestamps in UTC.

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The scale every decimal column is stored with in polars (CUR publishes up to 10 fraction digits).
pub const DECIMAL_SCALE: u32 = 10;
const DECIMAL_PRECISION: usize = 38;

/// Describes one column for documentation and for checking a frame against the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub dtype: &'static str,
    /// The field's attributes as written (`doc = r" …"` for each doc-comment line): docs/scenario.md's column
    /// descriptions are generated from them.
    pub attributes: &'static [&'static str],
}

impl ColumnSpec {
    /// The field's doc comment, its lines joined by spaces.
    pub fn doc(&self) -> String {
        let lines = self.attributes.iter().filter_map(|a| {
            let text = a.trim().strip_prefix("doc")?.trim_start().strip_prefix('=')?.trim();
            let text = text.strip_prefix('r').unwrap_or(text);
            Some(text.trim_matches('"').trim().to_string())
        });
        lines.collect::<Vec<_>>().join(" ")
    }
}

/// A normalized table: its name, its columns, and how rows become a polars frame and back.
pub trait Table: Sized + Serialize + for<'de> Deserialize<'de> {
    /// Table name: the SQL table name and the recorded file's stem.
    const NAME: &'static str;
    fn columns() -> Vec<ColumnSpec>;
    fn to_frame(rows: &[Self]) -> PolarsResult<DataFrame>;
    /// The frame's rows as this struct, by column name: a missing column, a value of another kind, or a null
    /// where the field's type has none is an error naming the column (and the row), never a default.
    fn from_frame(frame: &DataFrame) -> Result<Vec<Self>, ReadError>;
}

/// A frame column that does not read back as its declared field.
#[derive(Debug, thiserror::Error)]
#[error("column `{column}`: {reason}")]
pub struct ReadError {
    pub column: &'static str,
    pub reason: ValueError,
}

/// Why a column's values do not read as its field's type.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    /// Missing, or not castable to the field's kind.
    #[error(transparent)]
    Frame(#[from] PolarsError),
    #[error("row {0} is null, where the contract has a value")]
    Null(usize),
    #[error("`{text}` is not {expected}")]
    Malformed { text: String, expected: &'static str },
}

/// How one Rust field type becomes a polars column, and is read back from one.
pub trait ColumnValue: Clone {
    const DTYPE: &'static str;
    fn column(name: &str, values: Vec<Self>) -> PolarsResult<Column>;
    /// The column's values; an error says why (the first null row where the type has no null, a bad value).
    fn read(column: &Column) -> Result<Vec<Self>, ValueError>;
}

/// The column cast to `dtype`, as a series.
fn cast(column: &Column, dtype: &DataType) -> Result<Series, ValueError> {
    Ok(column.as_materialized_series().cast(dtype)?)
}

/// Every value present, or the first null row named.
fn present<T>(values: impl Iterator<Item = Option<T>>) -> Result<Vec<T>, ValueError> {
    values.enumerate().map(|(row, v)| v.ok_or(ValueError::Null(row))).collect()
}

/// Text values parsed with `parse` (decimals through their exact text form, never through f64; dates).
fn parsed<T>(
    column: &Column,
    parse: impl Fn(&str) -> Option<T>,
    expected: &'static str,
) -> Result<Vec<Option<T>>, ValueError> {
    let s = cast(column, &DataType::String)?;
    s.str()?
        .iter()
        .map(|v| v.map(|t| parse(t).ok_or_else(|| ValueError::Malformed { text: t.to_string(), expected })).transpose())
        .collect()
}

/// A column of a plain type: the nullable form reads every value, the plain form also refuses a null.
macro_rules! plain_column {
    ($($ty:ty => $dtype:literal, $polars:expr, $method:ident;)*) => {$(
        impl ColumnValue for Option<$ty> {
            const DTYPE: &'static str = concat!($dtype, "?");
            fn column(name: &str, values: Vec<Self>) -> PolarsResult<Column> {
                Ok(Column::new(name.into(), values))
            }
            fn read(column: &Column) -> Result<Vec<Self>, ValueError> {
                let s = cast(column, &$polars)?;
                Ok(s.$method()?.iter().map(|v| v.map(Into::into)).collect())
            }
        }
        impl ColumnValue for $ty {
            const DTYPE: &'static str = $dtype;
            fn column(name: &str, values: Vec<Self>) -> PolarsResult<Column> {
                Ok(Column::new(name.into(), values))
            }
            fn read(column: &Column) -> Result<Vec<Self>, ValueError> {
                present(<Option<$ty>>::read(column)?.into_iter())
            }
        }
    )*};
}
plain_column!(
    i64 => "i64", DataType::Int64, i64;
    f64 => "f64", DataType::Float64, f64;
    bool => "bool", DataType::Boolean, bool;
    String => "str", DataType::String, str;
);

/// Text that rows share: a clone counts a reference instead of copying the bytes. A billing export rolls up to
/// millions of cost lines that repeat a few thousand accounts, services, usage types, units and tag sets; the
/// readers hand each line the one copy their id tables already hold (`collect/aws/export_dictionary.rs`), so a line
/// costs pointers, not nine allocations. Reads, compares, prints and serializes as the `str` it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(std::sync::Arc<str>);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(s.into())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(s.into())
    }
}

impl From<std::sync::Arc<str>> for Text {
    fn from(s: std::sync::Arc<str>) -> Text {
        Text(s)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

impl ColumnValue for Option<Text> {
    const DTYPE: &'static str = "str?";
    fn column(name: &str, values: Vec<Self>) -> PolarsResult<Column> {
        let values: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
        Ok(Column::new(name.into(), values))
    }
    fn read(column: &Column) -> Result<Vec<Self>, ValueError> {
        Ok(<Option<String>>::read(column)?.into_iter().map(|v| v.map(Text::from)).collect())
    }
}

impl ColumnValue for Text {
    const DTYPE: &'static str = "str";
    fn column(name: &str, values: Vec<Self>) -> PolarsResult<Column> {
        let values: Vec<&str> = values.iter().map(|v| v.as_str()).collect();
        Ok(Column::new(name.into(), values))
    }
    fn read(column: &Column) -> Result<Vec<Self>, ValueError> {
        present(<Option<Text>>::read(column)?.into_iter())
    }
}

fn decimal(text: &str) -> Option<Decimal> {
    text.parse::<Decimal>().ok()
}

impl ColumnValue for Decimal {
    const DTYPE: &'static str = "decimal(38,10)";
    fn column(name: &str, values: Vec<Self>) -> PolarsResult<Column> {
        let text: Vec<String> = values.iter().map(|d| d.to_string()).collect();
        Column::new(name.into(), text).cast(&DataType::Decimal(DECIMAL_PRECISION, DECIMAL_SCALE as usize))
    }
    fn read(column: &Column) -> Result<Vec<Self>, ValueError> {
        present(parsed(column, decimal, "a decimal")?.into_iter())
    }
}

impl ColumnValue for Option<Decimal> {
    const DTYPE: &'static str = "decimal(38,10)?";
    fn column(name: &str, values: Vec<Self>) -> PolarsResult<Column> {
        let text: Vec<Option<String>> = values.iter().map(|d| d.map(|d| d.to_string())).collect();
        Column::new(name.into(), text).cast(&DataType::Decimal(DECIMAL_PRECISION, DECIMAL_SCALE as usize))
    }
    fn read(column: &Column) -> Result<Vec<Self>, ValueError> {
        parsed(column, decimal, "a decimal")
    }
}

impl ColumnValue for NaiveDate {
    const DTYPE: &'static str = "date";
    fn column(name: &str, values: Vec<Self>) -> PolarsResult<Column> {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
        let days: Vec<i32> = values.iter().map(|d| (*d - epoch).num_days() as i32).collect();
        Column::new(name.into(), days).cast(&DataType::Date)
    }
    fn read(column: &Column) -> Result<Vec<Self>, ValueError> {
        let day = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
        present(parsed(column, day, "a date YYYY-MM-DD")?.into_iter())
    }
}

impl ColumnValue for DateTime<Utc> {
    const DTYPE: &'static str = "datetime[ms, UTC]";
    fn column(name: &str, values: Vec<Self>) -> PolarsResult<Column> {
        let millis: Vec<i64> = values.iter().map(|t| t.timestamp_millis()).collect();
        Column::new(name.into(), millis).cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
    }
    fn read(column: &Column) -> Result<Vec<Self>, ValueError> {
        let utc = cast(column, &DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))?;
        let millis = cast(&utc.into(), &DataType::Int64)?;
        let millis = present(millis.i64()?.iter())?;
        millis
            .into_iter()
            .map(|ms| {
                DateTime::from_timestamp_millis(ms)
                    .ok_or(ValueError::Malformed { text: format!("{ms} ms"), expected: "a time in range" })
            })
            .collect()
    }
}

/// Declares a table struct together with its column list and frame builder, so the three never drift apart.
macro_rules! table {
    ($(#[$meta:meta])* $name:ident = $table:literal { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name { $($(#[$fmeta])* pub $field: $ty),* }

        impl Table for $name {
            const NAME: &'static str = $table;
            fn columns() -> Vec<ColumnSpec> {
                vec![$(ColumnSpec {
                    name: stringify!($field),
                    dtype: <$ty as ColumnValue>::DTYPE,
                    attributes: &[$(stringify!($fmeta)),*],
                }),*]
            }
            fn to_frame(rows: &[Self]) -> PolarsResult<DataFrame> {
                DataFrame::new_infer_height(vec![$(
                    <$ty as ColumnValue>::column(
                        stringify!($field),
                        rows.iter().map(|row| row.$field.clone()).collect(),
                    )?
                ),*])
            }
            fn from_frame(source_frame: &DataFrame) -> Result<Vec<Self>, $crate::schema::ReadError> {
                $(
                    let mut $field = {
                        let column = stringify!($field);
                        let read = |reason: $crate::schema::ValueError| $crate::schema::ReadError { column, reason };
                        let values = source_frame.column(column).map_err(|e| read(e.into()))?;
                        <$ty as ColumnValue>::read(values).map_err(read)?.into_iter()
                    };
                )*
                Ok((0..source_frame.height())
                    .map(|_| Self { $($field: $field.next().expect("a column has one value per row")),* })
                    .collect())
            }
        }
    };
}
/// The join stage declares its queries' outputs with the same macro (`join::contract`).
pub(crate) use table;

table! {
    /// One row per broker.
    Broker = "brokers" {
        /// The cluster's name as `[[clusters]] name` declares it (every table's `cluster`).
        cluster: String,
        /// `broker.id` (`node.id` in KRaft).
        broker_id: i64,
        /// `broker.rack`, which on AWS is the availability zone (id or name). Null when the broker sets none.
        rack: Option<String>,
        /// The broker's advertised host.
        host: String,
    }
}

table! {
    /// One row per topic, with the configs that drive cost.
    Topic = "topics" {
        cluster: String,
        /// The topic's name.
        topic: String,
        /// Kafka's internal topics (`__consumer_offsets`, …): priced by their storage, no write rate needed.
        is_internal: bool,
        /// Partitions the topic declares.
        partitions: i64,
        /// Replicas per partition.
        replication_factor: i64,
        /// `retention.ms`; -1 = keep forever. The config columns are null when the configs could not be read
        /// (e.g. DescribeConfigs denied): unknown, never a guessed default.
        retention_ms: Option<i64>,
        /// `retention.bytes` per partition; -1 = unlimited.
        retention_bytes: Option<i64>,
        /// `cleanup.policy`: `delete`, `compact` or `compact,delete`.
        cleanup_policy: Option<String>,
        /// `min.insync.replicas`.
        min_insync_replicas: Option<i64>,
        /// `segment.bytes`: a partition's active segment rolls at this size.
        segment_bytes: Option<i64>,
        /// `remote.storage.enable` (KIP-405 tiered storage).
        remote_storage_enable: Option<bool>,
        /// `local.retention.ms`; -2 = same as `retention.ms`.
        local_retention_ms: Option<i64>,
        /// `local.retention.bytes`; -2 = same as `retention.bytes`.
        local_retention_bytes: Option<i64>,
        /// `segment.ms`: the active segment rolls at this age (Kafka's default 7 days) or at `segment.bytes`,
        /// whichever comes first; retention deletes rolled segments only. Added with model version 10: a recording
        /// without this column reads it as null.
        segment_ms: Option<i64>,
    }
}

table! {
    /// One row per (topic, config) as DescribeConfigs reports it, with where the value comes from.
    /// Optional in a recorded scenario (absent file = not collected).
    TopicConfig = "topic_configs" {
        cluster: String,
        topic: String,
        name: String,
        /// Null for sensitive values.
        value: Option<String>,
        /// `topic` (set on the topic), `default`, `static_broker`, `dynamic_broker`, ...
        source: String,
        is_default: bool,
    }
}

table! {
    /// One row per partition. Replica lists are broker ids joined by `;`, leader first; racks in the same order.
    Partition = "partitions" {
        cluster: String,
        topic: String,
        /// The partition's number.
        partition: i64,
        /// The leader's broker id; null when the partition has none.
        leader: Option<i64>,
        /// Broker ids of the replicas, `;`-separated, leader first.
        replicas: String,
        /// Broker ids of the in-sync replicas, `;`-separated.
        isr: String,
        /// Each replica's rack, in `replicas`' order, `;`-separated (empty where a broker has none).
        replica_racks: String,
        /// Size on disk of the leader's copy. Null = not collected (never read as zero).
        size_bytes: Option<i64>,
        /// The log start offset; null when not collected.
        earliest_offset: Option<i64>,
        /// The log end offset; null when not collected. `latest − earliest` is the records retained.
        latest_offset: Option<i64>,
    }
}

table! {
    /// One row per log dir of each broker, as DescribeLogDirs reports it (v4+, KIP-827, gives the volume's size).
    /// Optional in a recorded scenario.
    LogDir = "log_dirs" {
        cluster: String,
        /// The broker's id.
        broker: i64,
        /// The dir's path on the broker.
        log_dir: String,
        /// Bytes of the volume holding the dir (KIP-827 `TotalBytes`). Null when the broker answers an older
        /// version or -1: unknown, never 0.
        total_bytes: Option<i64>,
        /// Bytes still free for the broker on that volume (`UsableBytes`). Null as above.
        usable_bytes: Option<i64>,
        /// The dir's error as the broker reports it (`KafkaStorageError` for an offline dir); null when it answered.
        error: Option<String>,
    }
}

table! {
    /// One row per reading of a topic's offsets, summed over its partitions: its log-end offsets (the writes), or one
    /// consumer group's committed offsets on it (the reads). Two readings of the same thing give a rate in records
    /// per second (`offset_rates`). A live run reads log-end offsets twice, `rate_sample_seconds` apart, and every
    /// group's committed offsets once; the last reading of each is kept beside the run (`offsets.json`) and comes back
    /// in the next run as an earlier reading. Optional in a recorded scenario. Added with model version 11.
    OffsetSample = "offset_samples" {
        cluster: String,
        topic: String,
        /// Null: the topic's log-end offsets. Else the consumer group whose committed offsets were summed.
        group_id: Option<String>,
        /// When the offsets were read (the broker's answer).
        sampled_at: DateTime<Utc>,
        /// The sum of the offsets over the partitions read.
        offset_sum: i64,
        /// How many partitions were summed: two readings compare only when they sum the same number.
        partitions: i64,
        /// `this run`, or `run <run id>` for the last reading of an earlier run.
        taken: String,
    }
}

table! {
    /// One row per partition reading kept from the newest earlier run (its `offsets.json`): the partition's log-end
    /// offset (`group_id` null) or one consumer group's committed offset on it. Beside this run's `partitions` and
    /// `consumer_group_offsets` they give each partition's change between the runs, which the lag classes read
    /// (Burrow's rules, docs/handoff.md). Optional in a recorded scenario; a live run fills it from the earlier run.
    /// Added with model version 15.
    EarlierPartitionOffset = "earlier_partition_offsets" {
        cluster: String,
        topic: String,
        partition: i64,
        /// Null: the partition's log-end offset. Else the consumer group whose committed offset this is.
        group_id: Option<String>,
        offset: i64,
        /// When the earlier run read it.
        sampled_at: DateTime<Utc>,
        /// The earlier run's id.
        run: String,
    }
}

table! {
    /// One row per ACL binding, as one DescribeAcls request (every resource type, name and pattern) reports them, in
    /// Kafka's own words (as `kafka-acls --list` prints them). Optional in a recorded scenario. Added with model
    /// version 15.
    AclBinding = "acls" {
        cluster: String,
        /// `TOPIC`, `GROUP`, `CLUSTER`, `TRANSACTIONAL_ID`, `DELEGATION_TOKEN` or `USER`.
        resource_type: String,
        /// The resource's name; `*` (with `LITERAL`) for every resource of the type; a prefix (with `PREFIXED`).
        resource_name: String,
        /// `LITERAL` or `PREFIXED`.
        pattern_type: String,
        /// `User:svc-payments`; `User:*` for every principal.
        principal: String,
        /// The client host it applies to; `*` for any.
        host: String,
        /// `READ`, `WRITE`, `ALL`, `DESCRIBE`, `DESCRIBE_CONFIGS`, `CREATE`, `DELETE`, `ALTER`, `ALTER_CONFIGS`,
        /// `CLUSTER_ACTION`, `IDEMPOTENT_WRITE`, `CREATE_TOKENS`, `DESCRIBE_TOKENS` or `TWO_PHASE_COMMIT`.
        operation: String,
        /// `ALLOW` or `DENY`.
        permission: String,
    }
}

table! {
    /// One row per cluster whose ACLs were asked for: whether the broker showed them, and why not. Optional in a
    /// recorded scenario (without it, ACLs were not collected). Added with model version 15.
    AclVisibility = "acl_visibility" {
        cluster: String,
        visible: bool,
        /// Why they are not visible (no authorizer; the collector's principal lacks DESCRIBE on the cluster).
        reason: Option<String>,
    }
}

table! {
    /// One row per replica on disk, as DescribeLogDirs reports it. Optional in a recorded scenario.
    ReplicaLogDir = "replica_log_dirs" {
        cluster: String,
        topic: String,
        partition: i64,
        broker_id: i64,
        log_dir: String,
        size_bytes: i64,
        /// How far this replica is behind the log end (0 for an in-sync replica).
        offset_lag: i64,
        /// True for a replica being moved between log dirs (its bytes are counted apart).
        is_future: bool,
    }
}

table! {
    /// One row per (consumer group, topic, partition) with a committed offset.
    ConsumerGroupOffset = "consumer_group_offsets" {
        cluster: String,
        /// The consumer group.
        group_id: String,
        /// Group state as the coordinator reports it (`Stable`, `Empty`, ...).
        state: String,
        /// A topic the group has committed offsets on.
        topic: String,
        /// The partition.
        partition: i64,
        /// The group's committed offset; null when it has none.
        committed_offset: Option<i64>,
        /// latest offset − committed offset, in messages. Null when either is unknown.
        lag: Option<i64>,
    }
}

table! {
    /// One row per member of a consumer group, as DescribeGroups (classic) or ConsumerGroupDescribe (KIP-848)
    /// reports it. Optional in a recorded scenario.
    ConsumerGroupMember = "consumer_group_members" {
        cluster: String,
        group_id: String,
        member_id: String,
        /// Static membership id (`group.instance.id`), when set.
        group_instance_id: Option<String>,
        client_id: String,
        client_host: String,
        /// The member's `client.rack`: the `rack_id` of its subscription (KIP-881, classic groups) or its `rackId`
        /// (KIP-848 groups). Null when the client sets none or its protocol cannot carry it. Added with model
        /// version 7: a recording without this column reads it as null.
        rack: Option<String>,
    }
}

table! {
    /// One row per billed line per day, from Cost Explorer, CUR or FOCUS, already in one shape.
    CostLine = "cost_lines" {
        /// The usage day.
        date: NaiveDate,
        /// The AWS account charged.
        account_id: Text,
        /// `AmazonMSK`, `AmazonEC2`, `AWSDataTransfer`, …
        service: Text,
        /// AWS's usage type (`USE1-Kafka.m5.2xlarge`, `USE1-DataTransfer-Regional-Bytes`, …): what the model
        /// classifies the line by.
        usage_type: Text,
        /// AWS's operation, when the bill gives one.
        operation: Option<Text>,
        /// ARN, volume id or bucket name; null when the bill does not say.
        resource_id: Option<Text>,
        /// Resource tags as a JSON object, keys sorted.
        tags: Text,
        /// Null when unknown: the source gives no quantity for a line it charges (a Cost Explorer answer without
        /// UsageQuantity, an export line with a cost but no usage amount). Credits without one count as no usage.
        usage_quantity: Option<Decimal>,
        /// The unit of `usage_quantity` (`Hrs`, `GB-Mo`, `GB`).
        usage_unit: Text,
        /// Unblended cost (what was charged for the usage that day).
        amount: Decimal,
        /// Amortized cost (upfront fees and commitments spread over the usage): Cost Explorer's AmortizedCost,
        /// FOCUS's EffectiveCost, derived per line item type for CUR (`collect/aws/cur.rs`). Null when unknown.
        amortized_amount: Option<Decimal>,
        /// `USD` (other currencies are refused).
        currency: Text,
        /// Where the line came from: `cost-explorer`, `cur`, `focus`, `scenario`.
        source: Text,
    }
}

table! {
    /// Billed cost per day and owner tag value, as a cost source allocates it (Cost Explorer grouped by a tag key,
    /// or an export's lines summed per tag value). Another view of the same money as `cost_lines`: never added to
    /// it. Optional in a recorded scenario.
    CostAllocation = "cost_allocations" {
        date: NaiveDate,
        /// The tag key (`team`) and its value; an empty value means the cost carries no such tag.
        tag_key: String,
        tag_value: String,
        service: String,
        amount: Decimal,
        currency: String,
        /// Where the allocation came from: `cost-explorer`, `cur`, `focus`, `scenario`.
        source: String,
    }
}

table! {
    /// One row per metric datapoint.
    MetricPoint = "metric_points" {
        /// CloudWatch namespace (`AWS/Kafka`, `AWS/EC2`).
        namespace: String,
        /// `BytesInPerSec`, `BytesOutPerSec`, … (per topic with `Topic` in the dimensions).
        metric: String,
        /// `Key=Value` pairs sorted by key, joined by `,`.
        dimensions: String,
        /// The start of the point's period (a day for the CloudWatch sources).
        timestamp: DateTime<Utc>,
        /// CloudWatch statistic: `Average`, `Sum`, `Maximum`, ...
        stat: String,
        /// The statistic's value, in `unit`.
        value: f64,
        /// CloudWatch's unit (`Bytes/Second`, `Percent`, …).
        unit: String,
    }
}

table! {
    /// Derived by `normalize` from `partitions`: one row per replica. `rack` comes from the partition's
    /// `replica_racks`, else from `brokers`; null when neither knows it.
    ReplicaPlacement = "replica_placements" {
        cluster: String,
        topic: String,
        partition: i64,
        broker_id: i64,
        rack: Option<String>,
        is_leader: bool,
    }
}

/// Every table of the contract, for documentation and checks.
pub fn all_tables() -> Vec<(&'static str, Vec<ColumnSpec>)> {
    vec![
        (Broker::NAME, Broker::columns()),
        (Topic::NAME, Topic::columns()),
        (Partition::NAME, Partition::columns()),
        (ConsumerGroupOffset::NAME, ConsumerGroupOffset::columns()),
        (CostLine::NAME, CostLine::columns()),
        (CostAllocation::NAME, CostAllocation::columns()),
        (MetricPoint::NAME, MetricPoint::columns()),
        (ReplicaPlacement::NAME, ReplicaPlacement::columns()),
        (TopicConfig::NAME, TopicConfig::columns()),
        (ReplicaLogDir::NAME, ReplicaLogDir::columns()),
        (ConsumerGroupMember::NAME, ConsumerGroupMember::columns()),
        (OffsetSample::NAME, OffsetSample::columns()),
        (EarlierPartitionOffset::NAME, EarlierPartitionOffset::columns()),
        (AclBinding::NAME, AclBinding::columns()),
        (AclVisibility::NAME, AclVisibility::columns()),
    ]
}

/// The dimensions string of a topic's per-topic metric points (`AWS/Kafka`, summed over brokers by the CloudWatch
/// collector): built here only, used by the collector and, through the join stage's `topic_dimensions` table, by
/// the SQL.
pub fn topic_dimensions(cluster: &str, topic: &str) -> String {
    format!("Cluster Name={cluster},Topic={topic}")
}

/// The `dimensions` of one MSK broker's own series (no topic) under the config's cluster name.
pub fn broker_dimensions(cluster: &str, broker: i64) -> String {
    format!("Broker ID={broker},Cluster Name={cluster}")
}

/// Splits a `;`-joined list of broker ids or racks. Empty input gives an empty list.
pub fn split_list(joined: &str) -> impl Iterator<Item = &str> {
    joined.split(';').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn line(day: u32, operation: Option<&str>, amortized: Option<Decimal>) -> CostLine {
        CostLine {
            date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            account_id: "111122223333".into(),
            service: "AmazonMSK".into(),
            usage_type: "USE1-Kafka.Storage.GP2".into(),
            operation: operation.map(Text::from),
            resource_id: None,
            tags: "{}".into(),
            usage_quantity: Some(dec!(0.0000000001)),
            usage_unit: "GB-Mo".into(),
            amount: dec!(-12345678.1234567891),
            amortized_amount: amortized,
            currency: "USD".into(),
            source: "cur".into(),
        }
    }

    #[test]
    fn rows_read_back_exactly_as_written() {
        let rows = vec![line(1, Some("CreateVolume"), Some(dec!(1.5))), line(30, None, None)];
        assert_eq!(CostLine::from_frame(&CostLine::to_frame(&rows).unwrap()).unwrap(), rows);
        let points = vec![MetricPoint {
            namespace: "AWS/Kafka".into(),
            metric: "BytesInPerSec".into(),
            dimensions: "Cluster Name=demo".into(),
            timestamp: DateTime::from_timestamp_millis(1_764_460_800_123).unwrap(),
            stat: "Average".into(),
            value: 1234.5,
            unit: "Bytes/Second".into(),
        }];
        assert_eq!(MetricPoint::from_frame(&MetricPoint::to_frame(&points).unwrap()).unwrap(), points);
    }

    #[test]
    fn a_null_where_the_contract_has_a_value_is_an_error_naming_column_and_row_never_a_default() {
        let mut frame = CostLine::to_frame(&[line(1, None, None), line(2, None, None)]).unwrap();
        let amounts = Column::new("amount".into(), [Some("1.0"), None])
            .cast(&DataType::Decimal(DECIMAL_PRECISION, DECIMAL_SCALE as usize))
            .unwrap();
        frame.with_column(amounts).unwrap();
        let err = CostLine::from_frame(&frame).unwrap_err();
        assert_eq!(err.column, "amount");
        assert!(matches!(err.reason, ValueError::Null(1)), "{err}");

        let frame = CostLine::to_frame(&[line(1, None, None)]).unwrap().drop("currency").unwrap();
        assert_eq!(CostLine::from_frame(&frame).unwrap_err().column, "currency");
    }
}
