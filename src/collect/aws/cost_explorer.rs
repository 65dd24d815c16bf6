//! The `cost-explorer` source: daily `GetCostAndUsage` grouped by SERVICE and USAGE_TYPE, with UnblendedCost,
//! AmortizedCost and UsageQuantity, every page followed.
//!
//! Each request costs $0.01, so closed days are cached on disk (one Parquet file per source) and only what is
//! missing or still open is asked: the days of the window absent from the cache, and the last `restatement_days`
//! (AWS revises recent days for a while). The window is `days` days ending the day before `end_date` (default:
//! today, UTC). A day Cost Explorer returns with no group stays without cost lines (shown as missing, not $0).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aws_sdk_costexplorer::types::{DateInterval, Granularity, GroupDefinition, GroupDefinitionType};
use chrono::{Days, NaiveDate, Utc};
use polars::prelude::*;
use rust_decimal::Decimal;

use super::{AwsCallError, AwsSettings, runtime, sdk_config};
use crate::collect::{CollectError, Collected, Source, SourceKindSpec};
use crate::completeness::{DayWindow, SourceReport, SourceStatus};
use crate::schema::{CostAllocation, CostLine, Table};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostExplorerSettings {
    pub aws: AwsSettings,
    pub days: u32,
    pub restatement_days: u32,
    /// The first day not asked (exclusive end of the window); `None` = today (UTC).
    pub end_date: Option<NaiveDate>,
    pub cache_dir: PathBuf,
    /// Tag keys asked in separate groupings (SERVICE × TAG); their values become owner candidates.
    pub owner_tag_keys: Vec<String>,
}

pub struct CostExplorerSource {
    pub name: String,
    pub settings: CostExplorerSettings,
}

/// One group of one day, as cached and as turned into a cost line.
#[derive(Debug, Clone, PartialEq)]
struct DayGroup {
    day: NaiveDate,
    /// `` for the SERVICE × USAGE_TYPE grouping; `tag:<key>` for SERVICE × a tag key, whose value is then kept in
    /// `usage_type` (empty when the cost has no such tag).
    grouping: String,
    service: String,
    usage_type: String,
    unblended: Decimal,
    amortized: Decimal,
    /// None when the answer has no UsageQuantity (answers to requests that did not ask for it, as recorded ones).
    quantity: Option<Decimal>,
    quantity_unit: String,
    currency: String,
    estimated: bool,
}

const METRICS: [&str; 3] = ["UnblendedCost", "AmortizedCost", "UsageQuantity"];

impl SourceKindSpec for CostExplorerSource {
    const KIND: &'static str = "cost-explorer";
    type File = super::settings::CostExplorerFile;
    type Settings = CostExplorerSettings;
    fn check(
        file: super::settings::CostExplorerFile,
        ctx: &crate::collect::SourceContext<'_>,
        here: std::ops::Range<usize>,
    ) -> Result<CostExplorerSettings, Vec<crate::problem::SettingProblem>> {
        file.check(ctx, here)
    }
    fn collector(name: &str, settings: &CostExplorerSettings) -> Box<dyn Source> {
        Box::new(CostExplorerSource { name: name.to_string(), settings: settings.clone() })
    }
}

impl Source for CostExplorerSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn collect(&self, into: &mut Collected) -> Result<(), CollectError> {
        let s = &self.settings;
        let end = s.end_date.unwrap_or_else(|| Utc::now().date_naive());
        let start = end - Days::new(u64::from(s.days));
        // Days before `closed_before` will not change any more: they are cached and never asked again.
        let closed_before = end - Days::new(u64::from(s.restatement_days));
        let cache_file = s.cache_dir.join(format!("{}.parquet", sanitize(&self.name)));
        let mut report = SourceReport::new(&self.name, Self::KIND, &[CostLine::NAME]);

        report.window = Some(DayWindow { first: start, last: end - Days::new(1) });
        report.line_source = Some("cost-explorer".into());
        let cached = match read_cache(&cache_file) {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(file = %cache_file.display(), error = %e, "Cost Explorer cache unreadable; asking again");
                Vec::new()
            }
        };
        let cached_days: BTreeSet<NaiveDate> = cached.iter().map(|g| g.day).collect();
        let cached_days_marker = read_days_marker(&cache_file);
        let known: BTreeSet<NaiveDate> = cached_days.union(&cached_days_marker).copied().collect();
        let first_missing =
            start.iter_days().take_while(|d| *d < end).find(|d| *d >= closed_before || !known.contains(d));

        let mut fresh = Vec::new();
        let mut answered_days = BTreeSet::new();
        if let Some(ask_from) = first_missing {
            let rt = runtime().map_err(CollectError::runtime)?;
            match rt.block_on(ask_all(&s.aws, &s.owner_tag_keys, ask_from, end, &mut report.requests)) {
                Ok((groups, days)) => {
                    fresh = groups;
                    answered_days = days;
                }
                Err(e) => {
                    report.status = SourceStatus::Failed;
                    report.detail = Some(e.to_string());
                }
            }
        }
        let asked_from = first_missing.unwrap_or(end);
        let failed = report.status == SourceStatus::Failed;
        // Cached days before what was asked, then the fresh answer (or, when asking failed, only the cache).
        let mut rows: Vec<DayGroup> =
            cached.into_iter().filter(|g| g.day >= start && (g.day < asked_from || failed)).collect();
        rows.extend(fresh);
        rows.sort_by(|a, b| {
            (a.day, &a.grouping, &a.service, &a.usage_type).cmp(&(b.day, &b.grouping, &b.service, &b.usage_type))
        });

        if !failed {
            let closed: Vec<DayGroup> = rows.iter().filter(|g| g.day < closed_before).cloned().collect();
            let closed_days: BTreeSet<NaiveDate> = known
                .iter()
                .chain(answered_days.iter())
                .copied()
                .filter(|d| *d < closed_before && *d >= start)
                .collect();
            if let Err(e) = write_cache(&cache_file, &closed, &closed_days) {
                tracing::warn!(file = %cache_file.display(), error = %e, "could not write the Cost Explorer cache");
            }
        }

        let asked = first_missing.map(|_| asked_from);
        report.detail = Some(describe(&rows, (start, end), asked, report.requests, report.detail.take()));
        tracing::info!(source = %self.name, requests = report.requests, lines = rows.len(), "Cost Explorer read");
        push_rows(rows, into);
        into.sources.push(report);
        Ok(())
    }
}

/// The source's detail: days with cost data in the window, requests, from which day Cost Explorer was asked (None:
/// all cached), and why asking failed when it did.
fn describe(
    rows: &[DayGroup],
    (start, end): (NaiveDate, NaiveDate),
    asked_from: Option<NaiveDate>,
    requests: u64,
    failure: Option<String>,
) -> String {
    let days_with_data: BTreeSet<NaiveDate> = rows.iter().filter(|g| g.grouping.is_empty()).map(|g| g.day).collect();
    let window: Vec<NaiveDate> = start.iter_days().take_while(|d| *d < end).collect();
    let empty = window.iter().filter(|d| !days_with_data.contains(d)).count();
    let mut notes = vec![format!(
        "{} to {}: {} of {} days with cost data; {} request(s), days from {} asked",
        start,
        end - Days::new(1),
        window.len() - empty,
        window.len(),
        requests,
        asked_from.map_or_else(|| "none (all cached)".to_string(), |d| d.to_string()),
    )];
    if let Some(failure) = failure {
        notes.insert(0, failure);
        if !rows.is_empty() {
            notes.push("cost lines come from the cache only".into());
        }
    }
    notes.join("; ")
}

/// The main grouping's days as cost lines, the tag groupings' as cost allocations.
fn push_rows(rows: Vec<DayGroup>, into: &mut Collected) {
    let (by_tag, rows): (Vec<DayGroup>, Vec<DayGroup>) = rows.into_iter().partition(|g| !g.grouping.is_empty());
    into.cost_allocations.extend(by_tag.into_iter().map(|g| CostAllocation {
        date: g.day,
        tag_key: g.grouping.trim_start_matches("tag:").to_string(),
        tag_value: g.usage_type,
        service: g.service,
        amount: g.unblended,
        currency: g.currency,
        source: "cost-explorer".into(),
    }));
    into.cost_lines.extend(rows.into_iter().map(|g| CostLine {
        date: g.day,
        account_id: Default::default(),
        service: g.service.into(),
        usage_type: g.usage_type.into(),
        operation: None,
        resource_id: None,
        tags: "{}".into(),
        usage_quantity: g.quantity,
        usage_unit: g.quantity_unit.into(),
        amount: g.unblended,
        amortized_amount: Some(g.amortized),
        currency: g.currency.into(),
        source: "cost-explorer".into(),
    }));
}

/// Asks Cost Explorer for [from, end) grouped by SERVICE × USAGE_TYPE, then by SERVICE × each tag key.
async fn ask_all(
    aws: &AwsSettings,
    tag_keys: &[String],
    from: NaiveDate,
    end: NaiveDate,
    requests: &mut u64,
) -> Result<(Vec<DayGroup>, BTreeSet<NaiveDate>), AskError> {
    let mut settings = aws.clone();
    // Cost Explorer has one endpoint, in us-east-1.
    settings.region.get_or_insert_with(|| "us-east-1".into());
    let config = sdk_config(&settings).await?;
    let client = aws_sdk_costexplorer::Client::new(&config);
    let dimension = |key: &str| GroupDefinition::builder().r#type(GroupDefinitionType::Dimension).key(key).build();
    let (mut groups, days) =
        ask(&client, [dimension("SERVICE"), dimension("USAGE_TYPE")], "", from, end, requests).await?;
    for key in tag_keys {
        let tag = GroupDefinition::builder().r#type(GroupDefinitionType::Tag).key(key).build();
        let (by_tag, _) = ask(&client, [dimension("SERVICE"), tag], &format!("tag:{key}"), from, end, requests).await?;
        groups.extend(by_tag);
    }
    Ok((groups, days))
}

/// One grouping of [from, end), following every page. Returns the groups and the days answered.
async fn ask(
    client: &aws_sdk_costexplorer::Client,
    group_by: [GroupDefinition; 2],
    grouping: &str,
    from: NaiveDate,
    end: NaiveDate,
    requests: &mut u64,
) -> Result<(Vec<DayGroup>, BTreeSet<NaiveDate>), AskError> {
    let period =
        DateInterval::builder().start(from.to_string()).end(end.to_string()).build().map_err(AskError::Request)?;
    let mut groups = Vec::new();
    let mut days = BTreeSet::new();
    let mut token: Option<String> = None;
    // Bounded: a misbehaving service cannot keep us paging for ever.
    for _ in 0..10_000 {
        *requests += 1;
        crate::collect::progress_requests(*requests);
        let mut request = client
            .get_cost_and_usage()
            .time_period(period.clone())
            .granularity(Granularity::Daily)
            .set_group_by(Some(group_by.to_vec()))
            .set_next_page_token(token.clone());
        for m in METRICS {
            request = request.metrics(m);
        }
        let what = if grouping.is_empty() { String::new() } else { format!(" by {grouping}") };
        let what = format!("GetCostAndUsage {from} to {end}{what}");
        let page = request.send().await.map_err(|e| AwsCallError::new("ce:GetCostAndUsage", what.clone(), &e))?;
        for result in page.results_by_time() {
            let (day, of_day) = day_groups(result, grouping, &what)?;
            days.insert(day);
            groups.extend(of_day);
        }
        match page.next_page_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok((groups, days)),
        }
    }
    Err(AskError::TooManyPages { from, end })
}

/// One day of an answer: its groups, each with every metric asked for. One missing or unreadable is a broken
/// answer, named with the day and the group's keys, never an amount of 0.
fn day_groups(
    result: &aws_sdk_costexplorer::types::ResultByTime,
    grouping: &str,
    what: &str,
) -> Result<(NaiveDate, Vec<DayGroup>), AskError> {
    let start = result.time_period().map(|p| p.start());
    let Some(day) = start.and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()) else {
        let found = start.map_or("no TimePeriod".into(), |s| format!("TimePeriod.Start `{s}`"));
        return Err(AskError::Malformed { what: what.into(), at: "a result".into(), problem: found });
    };
    let mut groups = Vec::new();
    for g in result.groups() {
        let keys = g.keys();
        let metric = |name: &str| g.metrics().and_then(|m| m.get(name));
        let malformed = |problem: String| AskError::Malformed {
            what: what.into(),
            at: format!("{day}, {}", keys.join(" / ")),
            problem,
        };
        let amount = |name: &str| match metric(name).and_then(|v| v.amount()) {
            Some(text) => {
                parse_amount(text).ok_or_else(|| malformed(format!("{name} `{text}` is not a decimal amount")))
            }
            None => Err(malformed(format!("no {name} amount"))),
        };
        let (unblended, amortized) = (amount("UnblendedCost")?, amount("AmortizedCost")?);
        let currency = metric("UnblendedCost")
            .and_then(|v| v.unit())
            .ok_or_else(|| malformed("no UnblendedCost unit (the currency)".into()))?;
        // Answers recorded from requests that did not ask for UsageQuantity have none: its quantity is unknown.
        let quantity = match metric("UsageQuantity") {
            Some(_) => Some(amount("UsageQuantity")?),
            None => None,
        };
        let second = keys.get(1).cloned().unwrap_or_default();
        // Tag groups come back as `key$value` (`key$` when untagged).
        let second = match grouping.strip_prefix("tag:") {
            Some(key) => second.strip_prefix(&format!("{key}$")).map(str::to_string).unwrap_or(second),
            None => second,
        };
        groups.push(DayGroup {
            day,
            grouping: grouping.to_string(),
            service: keys.first().cloned().unwrap_or_default(),
            usage_type: second,
            unblended,
            amortized,
            quantity,
            quantity_unit: metric("UsageQuantity").and_then(|v| v.unit()).unwrap_or("").to_string(),
            currency: currency.to_string(),
            estimated: result.estimated(),
        });
    }
    Ok((day, groups))
}

/// Why Cost Explorer gave no answer for the window.
#[derive(Debug, thiserror::Error)]
enum AskError {
    #[error(transparent)]
    Call(#[from] AwsCallError),
    #[error("building the request: {0}")]
    Request(aws_sdk_costexplorer::error::BuildError),
    #[error("GetCostAndUsage {from} to {end}: more than 10,000 pages; stopped")]
    TooManyPages { from: NaiveDate, end: NaiveDate },
    /// The answer lacks something every answer has: `at` names the result or the group (day, keys).
    #[error("{what}: {at}: {problem}")]
    Malformed { what: String, at: String, problem: String },
}

/// Cost Explorer's amounts are decimal strings (`"0.0000000216"`); scientific notation is read too.
fn parse_amount(text: &str) -> Option<Decimal> {
    text.parse::<Decimal>().ok().or_else(|| Decimal::from_scientific(text).ok())
}

/// Why the day cache cannot be read or written (it is then asked again, or not kept).
#[derive(Debug, thiserror::Error)]
enum CacheError {
    #[error("{path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error(transparent)]
    Frame(#[from] PolarsError),
    #[error("bad {column} `{value}` in the cache")]
    Value { column: &'static str, value: String },
    #[error(transparent)]
    Persist(#[from] tempfile::PersistError),
}

impl CacheError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
        move |source| CacheError::Io { path: path.display().to_string(), cause: source }
    }
}

fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// The days known to be closed, including closed days Cost Explorer answered with no group (kept beside the
/// Parquet file, which only holds groups).
fn read_days_marker(cache_file: &Path) -> BTreeSet<NaiveDate> {
    std::fs::read_to_string(cache_file.with_extension("days"))
        .map(|t| t.lines().filter_map(|l| NaiveDate::parse_from_str(l.trim(), "%Y-%m-%d").ok()).collect())
        .unwrap_or_default()
}

fn read_cache(path: &Path) -> Result<Vec<DayGroup>, CacheError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let file = std::fs::File::open(path).map_err(CacheError::io(path))?;
    let df = ParquetReader::new(file).finish()?;
    let text = |name: &str| -> Result<Vec<String>, CacheError> {
        Ok(df.column(name)?.str()?.iter().map(|v| v.unwrap_or("").to_string()).collect())
    };
    // Caches written before tag groupings existed have no `grouping` column: all their rows are the main grouping.
    let grouping = if df.get_column_names().iter().any(|n| n.as_str() == "grouping") {
        text("grouping")?
    } else {
        vec![String::new(); df.height()]
    };
    let (day, service, usage, unblended, amortized, quantity, unit, currency) = (
        text("day")?,
        text("service")?,
        text("usage_type")?,
        text("unblended")?,
        text("amortized")?,
        text("quantity")?,
        text("quantity_unit")?,
        text("currency")?,
    );
    let estimated: Vec<bool> = df.column("estimated")?.bool()?.iter().map(|v| v.unwrap_or(false)).collect();
    let dec = |column: &'static str, s: &str| {
        s.parse::<Decimal>().map_err(|_| CacheError::Value { column, value: s.to_string() })
    };
    (0..df.height())
        .map(|i| {
            Ok(DayGroup {
                day: NaiveDate::parse_from_str(&day[i], "%Y-%m-%d")
                    .map_err(|_| CacheError::Value { column: "day", value: day[i].clone() })?,
                grouping: grouping[i].clone(),
                service: service[i].clone(),
                usage_type: usage[i].clone(),
                unblended: dec("unblended", &unblended[i])?,
                amortized: dec("amortized", &amortized[i])?,
                quantity: if quantity[i].is_empty() { None } else { Some(dec("quantity", &quantity[i])?) },
                quantity_unit: unit[i].clone(),
                currency: currency[i].clone(),
                estimated: estimated[i],
            })
        })
        .collect()
}

/// Writes the closed days atomically (temporary file + rename), so a crash never leaves half a cache.
fn write_cache(path: &Path, rows: &[DayGroup], closed_days: &BTreeSet<NaiveDate>) -> Result<(), CacheError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(CacheError::io(dir))?;
    let col_of = |name: &str, f: &dyn Fn(&DayGroup) -> String| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<String>>())
    };
    let mut df = DataFrame::new_infer_height(vec![
        col_of("day", &|g| g.day.to_string()),
        col_of("grouping", &|g| g.grouping.clone()),
        col_of("service", &|g| g.service.clone()),
        col_of("usage_type", &|g| g.usage_type.clone()),
        col_of("unblended", &|g| g.unblended.to_string()),
        col_of("amortized", &|g| g.amortized.to_string()),
        col_of("quantity", &|g| g.quantity.map(|q| q.to_string()).unwrap_or_default()),
        col_of("quantity_unit", &|g| g.quantity_unit.clone()),
        col_of("currency", &|g| g.currency.clone()),
        Column::new("estimated".into(), rows.iter().map(|g| g.estimated).collect::<Vec<bool>>()),
    ])?;
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(CacheError::io(dir))?;
    ParquetWriter::new(tmp.as_file()).finish(&mut df)?;
    tmp.persist(path)?;
    let days: String = closed_days.iter().map(|d| format!("{d}\n")).collect();
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(CacheError::io(dir))?;
    std::fs::write(tmp.path(), days).map_err(CacheError::io(tmp.path()))?;
    tmp.persist(path.with_extension("days"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_round_trips_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ce.parquet");
        let day = NaiveDate::from_ymd_opt(2025, 4, 13).unwrap();
        let rows = vec![DayGroup {
            day,
            grouping: String::new(),
            service: "Amazon Managed Streaming for Apache Kafka".into(),
            usage_type: "USE1-Kafka.Storage.GP2".into(),
            unblended: "1.9999999992".parse().unwrap(),
            amortized: "1.9999999992".parse().unwrap(),
            quantity: None,
            quantity_unit: "GB-Mo".into(),
            currency: "USD".into(),
            estimated: false,
        }];
        let days: BTreeSet<NaiveDate> = [day, day + Days::new(1)].into();
        write_cache(&file, &rows, &days).unwrap();
        assert_eq!(read_cache(&file).unwrap(), rows);
        assert_eq!(read_days_marker(&file), days);
    }
}
