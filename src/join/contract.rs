//! The join contract: every query's output declared once, with the same `table!` macro as the inputs, and checked
//! after the query runs: the columns, in order, of the declared kind, and no null where the declaration has none.
//! A query that drifts from its declaration fails the run naming the query and the column, before the model reads
//! it. The SQL files' `-- output:` headers name the same columns (a test checks it).

use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::schema::{ColumnSpec, ColumnValue, Table, table};

/// The queries, declared once and in the order they run: each one's output struct (named as its table, the file
/// `queries/<name>.sql` without its extension) and its columns. The SQL file is compiled in from its name, so adding
/// a query is this declaration and its file; the join runs [`QUERIES`] and checks each result against its columns.
macro_rules! queries {
    ($($(#[$meta:meta])* $row:ident = $name:literal { $($columns:tt)* })*) => {
        $(table! { $(#[$meta])* $row = $name { $($columns)* } })*

        /// Every query in run order: name, SQL text and declared output.
        pub const QUERIES: &[Query] = &[$(Query {
            name: $name,
            sql: include_str!(concat!("../../queries/", $name, ".sql")),
            columns: <$row as Table>::columns,
        }),*];
    };
}

/// One query of the join: its name (the table its result is registered as), its SQL and its declared output.
pub struct Query {
    pub name: &'static str,
    pub sql: &'static str,
    pub columns: fn() -> Vec<ColumnSpec>,
}

queries! {
    OffsetRate = "offset_rates" {
        cluster: String, topic: String, group_key: String, records_per_sec: Option<f64>, bytes_per_sec: Option<f64>,
        seconds: Option<f64>, basis: String,
    }
    TopicFacts = "topic_facts" {
        cluster: String, topic: String, owner: String, owner_rule: String, is_internal: bool, partitions: i64,
        replication_factor: i64, retention_ms: Option<i64>, retention_bytes: Option<i64>,
        cleanup_policy: Option<String>, min_insync_replicas: Option<i64>, segment_bytes: Option<i64>,
        segment_ms: Option<i64>,
        remote_storage_enable: Option<bool>, local_retention_ms: Option<i64>,
        retained_bytes: Option<i64>, partitions_size_unknown: i64, messages_retained: Option<i64>,
        follower_replicas: i64, followers_in_other_zone: i64, bytes_in_per_sec: Option<f64>,
        bytes_out_per_sec: Option<f64>, messages_in_per_sec: Option<f64>, offset_bytes_in_per_sec: Option<f64>,
        write_rate_basis: String, consumer_groups: i64, total_lag: i64, max_group_lag: i64,
    }
    GroupLagRow = "group_lag" {
        cluster: String, group_id: String, owner: String, state: String, topic: String, topic_owner: String,
        partitions: i64, total_lag: Option<i64>, max_partition_lag: Option<i64>, read_copies: Option<f64>,
        read_basis: String,
    }
    GroupPartitionLag = "group_partition_lag" {
        cluster: String, group_id: String, state: String, topic: String, partition: i64, leader: Option<i64>,
        committed: Option<i64>, log_end: Option<i64>, committed_before: Option<i64>, log_end_before: Option<i64>,
        before_run: Option<String>,
    }
    AclBindingRow = "acl_bindings" {
        cluster: String, resource_type: String, resource_name: String, pattern_type: String, principal: String,
        principal_owner: String, principal_owner_rule: String, host: String, operation: String, permission: String,
    }
    AclScope = "acl_scope" {
        cluster: String, visible: bool, reason: Option<String>,
    }
    OwnerFacts = "owner_facts" {
        owner: String, team: String, cost_center: String, escalation: String, channel: Option<String>,
        topics: i64, partitions: i64, retained_bytes: i64, bytes_in_per_sec: Option<f64>,
        consumer_groups: i64, max_group_lag: i64,
    }
    ClusterFacts = "cluster_facts" {
        cluster: String, brokers: i64, zones: i64, topics: i64, retained_bytes: i64, bytes_in_per_sec: Option<f64>,
    }
    CostLineClassified = "cost_lines_classified" {
        billing_day: NaiveDate, cluster: String, cost_class: String, service: String, usage_type: String,
        usage_unit: String, usage_quantity: Option<Decimal>, amount: Decimal, currency: String, source: String,
    }
    ClusterCost = "cluster_costs" {
        cluster: String, cost_class: String, service: String, usage_type: String, usage_unit: String,
        usage_quantity: Option<Decimal>, amount: Decimal, charged_quantity: Option<Decimal>, charged_amount: Decimal,
        days: i64,
        first_day: NaiveDate, last_day: NaiveDate,
    }
    DailyCostRow = "daily_costs" {
        cluster: String, billing_day: NaiveDate, cost_class: String, amount: Decimal,
    }
    OwnerTagCost = "owner_tag_costs" {
        owner: String, owner_rule: String, tag_key: String, tag_value: String, source: String,
        first_day: NaiveDate, last_day: NaiveDate, days: i64, amount: Decimal,
    }
    BrokerZone = "broker_zones" {
        cluster: String, rack: Option<String>, brokers: i64,
    }
    BrokerDisk = "broker_disks" {
        cluster: String, broker_id: i64, rack: Option<String>, log_dir: Option<String>, total_bytes: Option<i64>,
        usable_bytes: Option<i64>, error: Option<String>,
    }
    BrokerMetric = "broker_metrics" {
        cluster: String, broker_id: i64, bytes_in_per_sec: Option<f64>, bytes_out_per_sec: Option<f64>,
        disk_used_percent: Option<f64>,
    }
    PartitionPlacementRow = "partition_placement" {
        cluster: String, topic: String, partition: i64, broker_id: Option<i64>, rack: Option<String>,
        is_leader: bool, size_bytes: Option<i64>, messages_retained: Option<i64>,
    }
    GroupZone = "group_zones" {
        cluster: String, group_id: String, rack: Option<String>, members: i64,
    }
    TopicRead = "topic_reads" {
        cluster: String, topic: String, at: chrono::DateTime<chrono::Utc>, bytes_in_per_sec: Option<f64>,
        bytes_out_per_sec: f64,
    }
    TopicWritePoints = "topic_write_points" {
        cluster: String, topic: String, points: i64, sum_x: f64, sum_y: f64, sum_xy: f64, sum_xx: f64,
    }
    ClusterWriteRate = "cluster_write_rates" {
        cluster: String, bytes_in_per_sec: Option<f64>,
    }
    SourceDay = "source_days" {
        source: String, billing_day: NaiveDate, lines: i64, amount: Decimal,
    }
}

/// The declared columns of a query, by its name; `None` for a name that is not a query.
pub fn columns(query: &str) -> Option<Vec<ColumnSpec>> {
    QUERIES.iter().find(|q| q.name == query).map(|q| (q.columns)())
}

/// The kind of a polars column, as the contract names kinds.
fn kind_of(dtype: &DataType) -> &'static str {
    match dtype {
        d if d.is_integer() => "i64",
        d if d.is_float() => "f64",
        DataType::String => "str",
        DataType::Boolean => "bool",
        DataType::Decimal(..) => "decimal",
        DataType::Date => "date",
        DataType::Datetime(..) => "datetime",
        DataType::Null => "null",
        _ => "other",
    }
}

/// The kind a declared dtype names (`i64?` → `i64`, `decimal(38,10)` → `decimal`, …).
fn declared_kind(dtype: &str) -> &str {
    let base = dtype.trim_end_matches('?');
    if base.starts_with("decimal") {
        "decimal"
    } else if base.starts_with("datetime") {
        "datetime"
    } else {
        base
    }
}

/// How a query's result differs from its declaration.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("no declared output")]
    Undeclared,
    #[error("columns are `{found}`; the contract declares `{want}`")]
    Columns { found: String, want: String },
    #[error("`{column}` is {dtype} ({kind}); the contract declares {want}")]
    Kind { column: String, dtype: String, kind: &'static str, want: String },
    #[error("`{column}` has {nulls} null(s); the contract declares it never null")]
    Null { column: String, nulls: usize },
    #[error(transparent)]
    Polars(#[from] PolarsError),
}

/// Checks a query's result against its declaration: the same columns in the same order, each of the declared
/// kind (an all-null column of a nullable one passes), and no null in a column declared without one.
pub fn check(query: &str, frame: &DataFrame) -> Result<(), ContractError> {
    let declared = columns(query).ok_or(ContractError::Undeclared)?;
    let found: Vec<&str> = frame.get_column_names().into_iter().map(|n| n.as_str()).collect();
    let want: Vec<&str> = declared.iter().map(|c| c.name).collect();
    if found != want {
        return Err(ContractError::Columns { found: found.join(", "), want: want.join(", ") });
    }
    for spec in &declared {
        let column = frame.column(spec.name)?;
        let (kind, want) = (kind_of(column.dtype()), declared_kind(spec.dtype));
        let nullable = spec.dtype.ends_with('?');
        if kind != want && !(kind == "null" && nullable) {
            return Err(ContractError::Kind {
                column: spec.name.into(),
                dtype: column.dtype().to_string(),
                kind,
                want: want.into(),
            });
        }
        if !nullable && column.null_count() > 0 {
            return Err(ContractError::Null { column: spec.name.into(), nulls: column.null_count() });
        }
    }
    Ok(())
}
