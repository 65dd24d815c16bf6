//! Data completeness: how much of what each source should deliver it delivered (a [`SourceReport`] per source). Plain
//! records that the collectors fill, the model reads and the report shows; a leaf that names no stage.

use serde::{Deserialize, Serialize};

/// How much of what a source should deliver it delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    Complete,
    Partial,
    Failed,
}

/// One source's completeness, shown in every report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceReport {
    pub name: String,
    pub kind: String,
    pub status: SourceStatus,
    /// What went wrong, for `partial` and `failed`.
    #[serde(default)]
    pub detail: Option<String>,
    /// The normalized tables this source fills.
    #[serde(default)]
    pub tables: Vec<String>,
    /// Requests made to the outside world (0 for recorded data).
    #[serde(default)]
    pub requests: u64,
    /// Cost sources: the days the source was asked to cover (first and last, inclusive), so a day without cost
    /// lines shows as missing rather than as $0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<DayWindow>,
    /// Cost sources: the value this source writes in `cost_lines.source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_source: Option<String>,
    /// Object sources: the bytes fetched against the bytes of the objects read (a Parquet export is read in
    /// place: its footer and the columns the rollup reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
    /// Query sources (Athena): each query run, the bytes it scanned and what the scan cost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<QueryRun>,
}

/// One query a source ran on a paid engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryRun {
    pub id: String,
    pub bytes_scanned: u64,
    /// What the scan cost at the engine's list price; `None` where that price is not known (never $0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<ServiceCost>,
}

/// A cost of running the tool itself, priced as every cost line is: quantity, unit, unit price and its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCost {
    pub quantity: rust_decimal::Decimal,
    pub unit: String,
    pub unit_price: rust_decimal::Decimal,
    pub amount: rust_decimal::Decimal,
    pub price_source: String,
}

/// Bytes fetched from object storage, against the size of the objects they were read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub fetched_bytes: u64,
    pub object_bytes: u64,
}

/// A range of calendar days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayWindow {
    pub first: chrono::NaiveDate,
    pub last: chrono::NaiveDate,
}

impl SourceReport {
    pub fn is_complete(&self) -> bool {
        self.status == SourceStatus::Complete
    }

    /// A complete report with no request made yet.
    pub fn new(name: &str, kind: &str, tables: &[&str]) -> SourceReport {
        SourceReport {
            name: name.to_string(),
            kind: kind.to_string(),
            status: SourceStatus::Complete,
            detail: None,
            tables: tables.iter().map(|t| t.to_string()).collect(),
            requests: 0,
            window: None,
            line_source: None,
            transfer: None,
            queries: Vec::new(),
        }
    }
}
