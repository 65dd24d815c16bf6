//! The `athena` source: the billing rollup pushed to Amazon Athena, for bills too large for one machine. It asks
//! the table's columns (`information_schema.columns`), then runs one rollup statement generated from the local
//! readers' rules (`athena_sql.rs`), and reads each answer from the CSV file Athena writes to the output location
//! (one GetObject, as AWS's own drivers do, rather than paging GetQueryResults).
//!
//! Each query's id, the bytes it scanned and what the scan cost at Athena's list price go into the source report:
//! running the tool has a price of its own, and a reviewer should see it. A failed or cancelled query fails the
//! source, naming the query id and Athena's reason; one that outlives `timeout_seconds` is stopped and fails it too.

use std::io::{Seek, SeekFrom, Write};
use std::time::{Duration, Instant};

use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, QueryExecutionStatus, ResultConfiguration};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::athena_sql::{self, TableColumns};
use super::exports::ExportFormat;
use super::{AwsCallError, AwsSettings, get_object, runtime, s3_client, sdk_config};
use crate::collect::{CollectError, Collected, Source, SourceKindSpec};
use crate::completeness::{DayWindow, QueryRun, ServiceCost, SourceReport, SourceStatus};
use crate::schema::{CostLine, Table};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AthenaSettings {
    pub aws: AwsSettings,
    /// The Glue database and table of the export (the CUR's Athena integration, a Data Exports table).
    pub database: String,
    pub table: String,
    /// `AwsDataCatalog` unless set.
    pub catalog: Option<String>,
    pub workgroup: String,
    /// `s3://bucket/prefix/` where Athena writes answers (a workgroup that enforces its own wins).
    pub output_location: String,
    /// `None` tells the format from the table's columns.
    pub format: Option<ExportFormat>,
    /// `YYYY-MM` periods; partitions outside them are never scanned.
    pub billing_periods: Vec<String>,
    pub owner_tag_keys: Vec<String>,
    /// How long one query may run before it is stopped.
    pub timeout: Duration,
}

pub struct AthenaSource {
    pub name: String,
    pub settings: AthenaSettings,
}

impl SourceKindSpec for AthenaSource {
    const KIND: &'static str = "athena";
    type File = super::settings::AthenaFile;
    type Settings = AthenaSettings;
    fn check(
        file: super::settings::AthenaFile,
        ctx: &crate::collect::SourceContext<'_>,
        here: std::ops::Range<usize>,
    ) -> Result<AthenaSettings, Vec<crate::problem::SettingProblem>> {
        file.check(ctx, here)
    }
    fn collector(name: &str, settings: &AthenaSettings) -> Box<dyn Source> {
        Box::new(AthenaSource { name: name.to_string(), settings: settings.clone() })
    }
}

/// Athena's SQL query price: USD per TB scanned, a scan billed in whole megabytes with a 10 MB minimum per query
/// (aws.amazon.com/athena/pricing, "SQL queries", read 2026-12). Regions the page lists at another price are not
/// guessed: their scans are shown with no cost.
pub const SCAN_PRICE_USD_PER_TB: (&[&str], Decimal) =
    (&["us-east-1", "us-east-2", "us-west-2", "eu-west-1"], Decimal::from_parts(5, 0, 0, false, 0));
const SCAN_PRICE_SOURCE: &str = "aws.amazon.com/athena/pricing: $5.00 per TB scanned, rounded up to the megabyte, \
                                 10 MB minimum per query";
const MB: u64 = 1 << 20;
const TB: u64 = 1 << 40;

/// What a scan of `bytes` costs in `region`, or `None` where the price is not known here.
pub fn scan_cost(region: &str, bytes: u64) -> Option<ServiceCost> {
    let (regions, price) = SCAN_PRICE_USD_PER_TB;
    if !regions.contains(&region) {
        return None;
    }
    let billed_mb = bytes.div_ceil(MB).max(10);
    let quantity = Decimal::from(billed_mb) * Decimal::from(MB) / Decimal::from(TB);
    Some(ServiceCost {
        quantity,
        unit: "TB scanned".into(),
        unit_price: price,
        amount: (quantity * price).round_dp(6),
        price_source: SCAN_PRICE_SOURCE.into(),
    })
}

impl Source for AthenaSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn collect(&self, into: &mut Collected) -> Result<(), CollectError> {
        let mut report = SourceReport::new(&self.name, Self::KIND, &[CostLine::NAME]);
        let Some(window) = window(&self.settings.billing_periods, chrono::Utc::now().date_naive()) else {
            report.status = SourceStatus::Failed;
            report.detail = Some("every billing period starts after yesterday: no day to read yet".into());
            into.sources.push(report);
            return Ok(());
        };
        report.window = Some(window);
        let rt = runtime().map_err(CollectError::runtime)?;
        match rt.block_on(self.roll_up(window, &mut report)) {
            Ok((lines, summary)) => {
                let scanned: u64 = report.queries.iter().map(|q| q.bytes_scanned).sum();
                report.detail = Some(format!(
                    "{} line items in {} cost lines; {} queries scanned {}",
                    summary.lines,
                    summary.cost_lines,
                    report.queries.len(),
                    crate::format::bytes(i64::try_from(scanned).unwrap_or(i64::MAX))
                ));
                report.line_source =
                    Some(lines.first().map_or(source_name(self.settings.format), |l| l.source.to_string()));
                into.cost_allocations.extend(super::billing_export::allocations(&lines, &self.settings.owner_tag_keys));
                into.cost_lines.extend(lines);
            }
            Err(e) => {
                report.status = SourceStatus::Failed;
                report.detail = Some(e.to_string());
            }
        }
        into.sources.push(report);
        Ok(())
    }
}

fn source_name(format: Option<ExportFormat>) -> String {
    format.map_or("cur", ExportFormat::name).to_string()
}

/// Why the source failed.
#[derive(Debug, thiserror::Error)]
pub enum AthenaError {
    #[error(transparent)]
    Call(#[from] AwsCallError),
    #[error("Athena query {id} {state}: {reason}")]
    Query { id: String, state: String, reason: String },
    #[error("Athena query {id} did not finish within {seconds} s (`timeout_seconds`); it was stopped")]
    Timeout { id: String, seconds: u64 },
    #[error("Athena query {id}: its answer is not where Athena said (`{location}`); expected s3://bucket/key")]
    Location { id: String, location: String },
    #[error("Athena query {id}: reading its answer: {causes}")]
    Answer { id: String, causes: String },
    #[error(
        "table `{database}.{table}` has no columns in information_schema: it does not exist, or these credentials cannot see it"
    )]
    NoTable { database: String, table: String },
    #[error(transparent)]
    Export(#[from] super::exports::ExportError),
}

impl AthenaSource {
    async fn roll_up(
        &self,
        window: DayWindow,
        report: &mut SourceReport,
    ) -> Result<(Vec<CostLine>, super::exports::ExportSummary), AthenaError> {
        let s = &self.settings;
        let config = sdk_config(&s.aws).await?;
        let region = config.region().map(|r| r.to_string()).unwrap_or_default();
        let clients = Clients { athena: aws_sdk_athena::Client::new(&config), s3: s3_client(&config, &s.aws) };
        let columns_csv = self.query(&clients, athena_sql::columns_sql(&s.database, &s.table), &region, report).await?;
        let columns = TableColumns::from_csv(columns_csv)
            .map_err(|e| AthenaError::Answer { id: last_id(report), causes: e.to_string() })?;
        if columns.is_empty() {
            return Err(AthenaError::NoTable { database: s.database.clone(), table: s.table.clone() });
        }
        let days = (window.first, window.last);
        let rollup = athena_sql::rollup_sql(&s.database, &s.table, &columns, s.format, &s.owner_tag_keys, days)?;
        tracing::debug!(source = %self.name, sql = %rollup.sql, "Athena rollup");
        let answer = self.query(&clients, rollup.sql, &region, report).await?;
        let name = format!("Athena query {}", last_id(report));
        let (lines, summary) = athena_sql::read_result(answer, &s.owner_tag_keys, rollup.format.name(), &name)?;
        Ok((lines, summary))
    }

    /// Runs one statement to its end and returns its answer file's bytes; the query is recorded in the report.
    async fn query(
        &self,
        clients: &Clients,
        sql: String,
        region: &str,
        report: &mut SourceReport,
    ) -> Result<std::io::BufReader<std::fs::File>, AthenaError> {
        let s = &self.settings;
        let mut context = QueryExecutionContext::builder().database(&s.database);
        if let Some(catalog) = &s.catalog {
            context = context.catalog(catalog);
        }
        let client = &clients.athena;
        count(report);
        let started = client
            .start_query_execution()
            .query_string(sql)
            .work_group(&s.workgroup)
            .query_execution_context(context.build())
            .result_configuration(ResultConfiguration::builder().output_location(&s.output_location).build())
            .send()
            .await
            .map_err(|e| AwsCallError::new("athena:StartQueryExecution", "starting an Athena query", &e))?;
        let id = started.query_execution_id().unwrap_or_default().to_string();
        let execution = self.wait(client, &id, report).await?;
        let bytes = execution.statistics().and_then(|st| st.data_scanned_in_bytes()).unwrap_or(0).max(0) as u64;
        report.queries.push(QueryRun { id: id.clone(), bytes_scanned: bytes, cost: scan_cost(region, bytes) });
        let location = execution
            .result_configuration()
            .and_then(|r| r.output_location())
            .map(|l| answer_location(l, &id))
            .unwrap_or_else(|| answer_location(&s.output_location, &id));
        let Some((bucket, key)) = location.strip_prefix("s3://").and_then(|rest| rest.split_once('/')) else {
            return Err(AthenaError::Location { id, location });
        };
        let mut object = get_object(&clients.s3, (bucket, key), None, &mut report.requests).await?;
        // Streamed to an unnamed temporary file: an organisation's answer is one row per cost line, and only the
        // lines read from it should be held in memory.
        let failed = |causes: String| AthenaError::Answer { id: id.clone(), causes };
        let mut file = tempfile::tempfile().map_err(|e| failed(e.to_string()))?;
        let mut fetched = 0u64;
        while let Some(chunk) = object.body.try_next().await.map_err(|e| failed(e.to_string()))? {
            file.write_all(&chunk).map_err(|e| failed(e.to_string()))?;
            fetched += chunk.len() as u64;
            crate::collect::progress_bytes(fetched);
        }
        file.seek(SeekFrom::Start(0)).map_err(|e| failed(e.to_string()))?;
        Ok(std::io::BufReader::new(file))
    }

    /// Polls the query until it ends, backing off to 2 s; stops it at the deadline.
    async fn wait(
        &self,
        client: &aws_sdk_athena::Client,
        id: &str,
        report: &mut SourceReport,
    ) -> Result<aws_sdk_athena::types::QueryExecution, AthenaError> {
        let deadline = Instant::now() + self.settings.timeout;
        let mut pause = Duration::from_millis(200);
        loop {
            count(report);
            let answer = client
                .get_query_execution()
                .query_execution_id(id)
                .send()
                .await
                .map_err(|e| AwsCallError::new("athena:GetQueryExecution", format!("Athena query {id}"), &e))?;
            let Some(execution) = answer.query_execution().cloned() else {
                return Err(AthenaError::Query {
                    id: id.to_string(),
                    state: "unknown".into(),
                    reason: "GetQueryExecution answered without the query".into(),
                });
            };
            let status = execution.status().cloned().unwrap_or_else(|| QueryExecutionStatus::builder().build());
            match status.state() {
                Some(QueryExecutionState::Succeeded) => return Ok(execution),
                Some(state @ (QueryExecutionState::Failed | QueryExecutionState::Cancelled)) => {
                    let athena = status.athena_error().and_then(|e| e.error_message());
                    let reason = [status.state_change_reason(), athena].into_iter().flatten().collect::<Vec<_>>();
                    return Err(AthenaError::Query {
                        id: id.to_string(),
                        state: state.as_str().to_lowercase(),
                        reason: if reason.is_empty() { "Athena gave no reason".into() } else { reason.join("; ") },
                    });
                }
                _ => {}
            }
            if Instant::now() >= deadline {
                count(report);
                let stopped = client.stop_query_execution().query_execution_id(id).send().await;
                if let Err(e) = stopped {
                    tracing::warn!(query = id, error = %AwsCallError::new("athena:StopQueryExecution", "stopping it", &e), "a timed-out query could not be stopped");
                }
                return Err(AthenaError::Timeout { id: id.to_string(), seconds: self.settings.timeout.as_secs() });
            }
            tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }
}

struct Clients {
    athena: aws_sdk_athena::Client,
    s3: aws_sdk_s3::Client,
}

fn count(report: &mut SourceReport) {
    report.requests += 1;
    crate::collect::progress_requests(report.requests);
}

fn last_id(report: &SourceReport) -> String {
    report.queries.last().map(|q| q.id.clone()).unwrap_or_default()
}

/// Athena names the answer file itself (`…/<id>.csv`); given only a folder, the file is `<folder>/<id>.csv`.
fn answer_location(location: &str, id: &str) -> String {
    if location.ends_with(".csv") {
        location.to_string()
    } else {
        format!("{}/{id}.csv", location.trim_end_matches('/'))
    }
}

/// The days of the configured periods (default: the previous and the current month), up to yesterday (UTC);
/// `None` when every period starts after yesterday.
fn window(periods: &[String], today: NaiveDate) -> Option<DayWindow> {
    let this_month = today.with_day(1)?;
    let months = match super::billing_export::first_and_last_month(periods) {
        Some(months) => months,
        None => (this_month.checked_sub_months(chrono::Months::new(1))?, this_month),
    };
    super::billing_export::days_of_months(months, today)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-derived: 3 MB scanned is billed as the 10 MB minimum: 10 × 2^20 / 2^40 TB = 0.0000095367431640625 TB,
    /// × $5.00 = $0.0000476837158203125, shown to the millionth: $0.000048.
    #[test]
    fn a_small_scan_is_billed_at_the_ten_megabyte_minimum() {
        let cost = scan_cost("us-east-1", 3 * MB).unwrap();
        assert_eq!(cost.quantity, Decimal::from_str_exact("0.0000095367431640625").unwrap());
        assert_eq!(cost.amount, Decimal::from_str_exact("0.000048").unwrap());
        assert!(scan_cost("sa-east-1", 3 * MB).is_none(), "a region whose price is not known here has no cost");
    }

    /// Hand-derived: 1.5 TB + 1 byte is billed as 1,572,865 MB = 1.5000009536743164 TB; × $5 = $7.500005.
    #[test]
    fn a_large_scan_is_billed_in_whole_megabytes() {
        let cost = scan_cost("eu-west-1", 3 * TB / 2 + 1).unwrap();
        assert_eq!(cost.amount, Decimal::from_str_exact("7.500005").unwrap());
    }

    #[test]
    fn the_default_window_is_the_previous_and_the_current_month_up_to_yesterday() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(window(&[], d(2026, 1, 15)), Some(DayWindow { first: d(2025, 12, 1), last: d(2026, 1, 14) }));
        let periods = ["2026-03".to_string()];
        assert_eq!(window(&periods, d(2026, 3, 1)), None, "March has no closed day on March 1st");
        assert_eq!(window(&periods, d(2026, 5, 1)), Some(DayWindow { first: d(2026, 3, 1), last: d(2026, 3, 31) }));
    }

    #[test]
    fn the_answer_file_is_named_by_the_query_id_when_athena_gives_a_folder() {
        assert_eq!(answer_location("s3://b/results/", "q1"), "s3://b/results/q1.csv");
        assert_eq!(answer_location("s3://b/results/q1.csv", "q1"), "s3://b/results/q1.csv");
    }
}
