//! The AWS sources as written in the config, and their checks: `billing-export`, `athena`, `cost-explorer`,
//! `cloudwatch`.
//! Each check reports every problem it finds (key, where in the file, what was expected) and gives the collector's
//! settings; the config only dispatches on `kind`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::athena::AthenaSettings;
use super::billing_export::{BillingExportSettings, ExportLocation};
use super::cloudwatch::{CloudWatchSettings, MetricSpec, default_metrics};
use super::cost_explorer::CostExplorerSettings;
use super::exports::ExportFormat;
use super::{AssumeRole, AwsSettings};
use crate::collect::SourceContext;
use crate::problem::SettingProblem;

/// The keys every AWS source takes: where and as whom it connects. Credentials come from the SDK's default chain
/// (or `profile`), never from the config; `role_arn` is then assumed with them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AwsKeys<'a> {
    pub region: &'a Option<String>,
    pub endpoint_url: &'a Option<Spanned<String>>,
    pub profile: &'a Option<String>,
    pub role_arn: &'a Option<Spanned<String>>,
    pub external_id: &'a Option<String>,
    pub role_session_name: &'a Option<String>,
}

macro_rules! aws_keys {
    ($file:expr) => {
        AwsKeys {
            region: &$file.region,
            endpoint_url: &$file.endpoint_url,
            profile: &$file.profile,
            role_arn: &$file.role_arn,
            external_id: &$file.external_id,
            role_session_name: &$file.role_session_name,
        }
    };
}

pub(crate) fn aws_settings(keys: AwsKeys<'_>, problems: &mut Vec<SettingProblem>) -> Option<AwsSettings> {
    if let Some(url) = keys.endpoint_url
        && !(url.get_ref().starts_with("http://") || url.get_ref().starts_with("https://"))
    {
        let message = format!("expected an http:// or https:// URL, found `{}`", url.get_ref());
        problems.push(SettingProblem::new("endpoint_url", url.span(), message));
        return None;
    }
    let role = match keys.role_arn {
        Some(arn) if !is_role_arn(arn.get_ref()) => {
            let message =
                format!("expected an IAM role ARN like arn:aws:iam::123456789012:role/name, found `{}`", arn.get_ref());
            problems.push(SettingProblem::new("role_arn", arn.span(), message));
            return None;
        }
        Some(arn) => Some(AssumeRole {
            arn: arn.get_ref().clone(),
            external_id: keys.external_id.clone(),
            session_name: keys.role_session_name.clone().unwrap_or_else(|| "kafka-finops".into()),
        }),
        None => None,
    };
    Some(AwsSettings {
        region: keys.region.clone(),
        endpoint_url: keys.endpoint_url.as_ref().map(|u| u.get_ref().clone()),
        profile: keys.profile.clone(),
        role,
    })
}

/// `arn:<partition>:iam::<12-digit account>:role/<path and name>`.
fn is_role_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if !partition.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty()))
}

/// The settings, or every problem found.
fn settled<T>(settings: Option<T>, problems: Vec<SettingProblem>) -> Result<T, Vec<SettingProblem>> {
    match settings {
        Some(s) if problems.is_empty() => Ok(s),
        _ => Err(problems),
    }
}

/// A whole number of days in `range`, `default` when not set.
fn days_in(
    key: &str,
    value: &Option<Spanned<i64>>,
    default: u32,
    range: std::ops::RangeInclusive<i64>,
    note: &str,
    problems: &mut Vec<SettingProblem>,
) -> Option<u32> {
    match value {
        None => Some(default),
        Some(v) if range.contains(v.get_ref()) => Some(*v.get_ref() as u32),
        Some(v) => {
            let message = format!("expected {} to {} days{note}, found {}", range.start(), range.end(), v.get_ref());
            problems.push(SettingProblem::new(key, v.span(), message));
            None
        }
    }
}

/// A `billing-export` source: CUR, CUR 2.0 or FOCUS files in S3 (`bucket`, `prefix`, `manifest`) or on disk (`path`).
#[derive(Debug, Deserialize)]
pub struct BillingExportFile {
    path: Option<Spanned<String>>,
    bucket: Option<Spanned<String>>,
    prefix: Option<String>,
    manifest: Option<String>,
    /// `auto` (default), `cur`, `cur2` or `focus`.
    format: Option<Spanned<String>>,
    /// `YYYY-MM` periods to read; default every period found.
    billing_periods: Option<Spanned<Vec<String>>>,
    /// Where each S3 object's rollup is kept, relative to the config file; default the user's cache folder.
    cache_dir: Option<String>,
    /// Tag keys whose values name owners.
    #[serde(default)]
    owner_tag_keys: Vec<String>,
    region: Option<String>,
    endpoint_url: Option<Spanned<String>>,
    profile: Option<String>,
    /// A role to assume (cross-account), with the trust policy's external id and the session's name.
    role_arn: Option<Spanned<String>>,
    external_id: Option<String>,
    role_session_name: Option<String>,
}

impl BillingExportFile {
    pub fn check(
        self,
        ctx: &SourceContext<'_>,
        here: Range<usize>,
    ) -> Result<BillingExportSettings, Vec<SettingProblem>> {
        let mut problems = Vec::new();
        let location = match (&self.bucket, &self.path) {
            (Some(bucket), None) => Some(ExportLocation::S3 {
                bucket: bucket.get_ref().clone(),
                prefix: self.prefix.clone().unwrap_or_default(),
                manifest: self.manifest.clone(),
            }),
            (None, Some(path)) => {
                if self.prefix.is_some() || self.manifest.is_some() {
                    let message = "`prefix` and `manifest` go with `bucket`, not `path`";
                    problems.push(SettingProblem::new("path", path.span(), message));
                }
                Some(ExportLocation::Local { path: PathBuf::from(ctx.files.join(path.get_ref())) })
            }
            (Some(bucket), Some(_)) => {
                let message = "set `bucket` (S3) or `path` (local), not both";
                problems.push(SettingProblem::new("bucket", bucket.span(), message));
                None
            }
            (None, None) => {
                let message = "a `billing-export` source needs `bucket` (S3) or `path` (a local file or folder)";
                problems.push(SettingProblem::new("bucket", here, message));
                None
            }
        };
        let format = export_format(&self.format, &mut problems);
        check_periods(&self.billing_periods, &mut problems);
        let aws = aws_settings(aws_keys!(self), &mut problems);
        let settings = match (location, format, aws) {
            (Some(location), Some(format), Some(aws)) => Some(BillingExportSettings {
                location,
                aws,
                format,
                billing_periods: self.billing_periods.map(Spanned::into_inner).unwrap_or_default(),
                owner_tag_keys: self.owner_tag_keys,
                cache_dir: match &self.cache_dir {
                    Some(dir) => PathBuf::from(ctx.files.join(dir)),
                    None => default_cache_dir(),
                }
                .join("billing-export"),
            }),
            _ => None,
        };
        settled(settings, problems)
    }
}

/// An `athena` source: the rollup run by Athena over the export's Glue table. The keys follow OpenCost's Athena
/// integration (`athenaRegion`, `athenaDatabase`, `athenaTable`, `athenaWorkgroup`, `athenaBucketName`,
/// `athenaCatalog`), so users of both configure the same things.
#[derive(Debug, Deserialize)]
pub struct AthenaFile {
    database: Option<Spanned<String>>,
    table: Option<Spanned<String>>,
    /// Default `primary`.
    workgroup: Option<String>,
    /// `s3://bucket/prefix/` for Athena's answers.
    output_location: Option<Spanned<String>>,
    /// Default: the workgroup's (`AwsDataCatalog`).
    catalog: Option<String>,
    /// `auto` (default), `cur`, `cur2` or `focus`.
    format: Option<Spanned<String>>,
    /// `YYYY-MM` periods to read; default the previous and the current month.
    billing_periods: Option<Spanned<Vec<String>>>,
    /// How long one query may run before it is stopped (default 600).
    timeout_seconds: Option<Spanned<i64>>,
    /// Tag keys whose values name owners.
    #[serde(default)]
    owner_tag_keys: Vec<String>,
    region: Option<String>,
    endpoint_url: Option<Spanned<String>>,
    profile: Option<String>,
    /// A role to assume (cross-account), with the trust policy's external id and the session's name.
    role_arn: Option<Spanned<String>>,
    external_id: Option<String>,
    role_session_name: Option<String>,
}

impl AthenaFile {
    pub fn check(self, _ctx: &SourceContext<'_>, here: Range<usize>) -> Result<AthenaSettings, Vec<SettingProblem>> {
        let mut problems = Vec::new();
        let mut required = |key: &str, value: &Option<Spanned<String>>, what: &str| match value {
            Some(v) if !v.get_ref().trim().is_empty() => Some(v.get_ref().clone()),
            Some(v) => {
                problems.push(SettingProblem::new(key, v.span(), format!("expected {what}, found an empty value")));
                None
            }
            None => {
                let message = format!("an `athena` source needs `{key}` ({what})");
                problems.push(SettingProblem::new(key, here.clone(), message));
                None
            }
        };
        let database = required("database", &self.database, "the Glue database of the export's table");
        let table = required("table", &self.table, "the export's Glue table");
        let output_location =
            required("output_location", &self.output_location, "an s3://bucket/prefix/ for Athena's answers");
        if let (Some(loc), Some(spanned)) = (&output_location, &self.output_location)
            && !loc.starts_with("s3://")
        {
            let message = format!("expected an s3://bucket/prefix/ URL, found `{loc}`");
            problems.push(SettingProblem::new("output_location", spanned.span(), message));
        }
        let format = export_format(&self.format, &mut problems);
        check_periods(&self.billing_periods, &mut problems);
        let timeout = match &self.timeout_seconds {
            None => Some(600),
            Some(t) if (1..=86_400).contains(t.get_ref()) => Some(*t.get_ref() as u64),
            Some(t) => {
                let message = format!("expected 1 to 86400 seconds, found {}", t.get_ref());
                problems.push(SettingProblem::new("timeout_seconds", t.span(), message));
                None
            }
        };
        let aws = aws_settings(aws_keys!(self), &mut problems);
        let settings = match (database, table, output_location, format, timeout, aws) {
            (Some(database), Some(table), Some(output_location), Some(format), Some(timeout), Some(aws)) => {
                Some(AthenaSettings {
                    aws,
                    database,
                    table,
                    catalog: self.catalog,
                    workgroup: self.workgroup.unwrap_or_else(|| "primary".into()),
                    output_location,
                    format,
                    billing_periods: self.billing_periods.map(Spanned::into_inner).unwrap_or_default(),
                    owner_tag_keys: self.owner_tag_keys,
                    timeout: std::time::Duration::from_secs(timeout),
                })
            }
            _ => None,
        };
        settled(settings, problems)
    }
}

/// A `cost-explorer` source: the bill by day, service and usage type, closed days cached.
#[derive(Debug, Deserialize)]
pub struct CostExplorerFile {
    /// Window length (default 30).
    days: Option<Spanned<i64>>,
    /// Days before the end that may still change, asked again each run (default 3).
    restatement_days: Option<Spanned<i64>>,
    /// A fixed end date (`YYYY-MM-DD`, exclusive); default today.
    end_date: Option<Spanned<String>>,
    /// Where closed days are cached, relative to the config file; default the user's cache folder.
    cache_dir: Option<String>,
    /// Tag keys whose values name owners.
    #[serde(default)]
    owner_tag_keys: Vec<String>,
    region: Option<String>,
    endpoint_url: Option<Spanned<String>>,
    profile: Option<String>,
    /// A role to assume (cross-account), with the trust policy's external id and the session's name.
    role_arn: Option<Spanned<String>>,
    external_id: Option<String>,
    role_session_name: Option<String>,
}

impl CostExplorerFile {
    pub fn check(
        self,
        ctx: &SourceContext<'_>,
        _here: Range<usize>,
    ) -> Result<CostExplorerSettings, Vec<SettingProblem>> {
        let mut problems = Vec::new();
        let days = days_in("days", &self.days, 30, 1..=365, "", &mut problems);
        let restatement = days_in("restatement_days", &self.restatement_days, 3, 0..=30, "", &mut problems);
        let end_date = match &self.end_date {
            None => Some(None),
            Some(d) => match chrono::NaiveDate::parse_from_str(d.get_ref(), "%Y-%m-%d") {
                Ok(date) => Some(Some(date)),
                Err(_) => {
                    let message = format!("expected a date YYYY-MM-DD, found `{}`", d.get_ref());
                    problems.push(SettingProblem::new("end_date", d.span(), message));
                    None
                }
            },
        };
        let cache_dir = match &self.cache_dir {
            Some(dir) => PathBuf::from(ctx.files.join(dir)),
            None => default_cache_dir(),
        }
        .join("cost-explorer");
        let aws = aws_settings(aws_keys!(self), &mut problems);
        let settings = match (days, restatement, end_date, aws) {
            (Some(days), Some(restatement_days), Some(end_date), Some(aws)) => Some(CostExplorerSettings {
                aws,
                days,
                restatement_days,
                end_date,
                cache_dir,
                owner_tag_keys: self.owner_tag_keys,
            }),
            _ => None,
        };
        settled(settings, problems)
    }
}

/// A `cloudwatch` source: the metrics of one cluster's brokers and storage.
#[derive(Debug, Deserialize)]
pub struct CloudWatchFile {
    /// The `[[clusters]]` name the metrics belong to.
    cluster: Option<Spanned<String>>,
    /// The MSK cluster's name (default: the cluster's name on `msk` clusters).
    msk_cluster_name: Option<String>,
    /// EC2 broker instances.
    instance_ids: Option<Vec<String>>,
    /// Tiered or shared storage buckets.
    buckets: Option<Vec<String>>,
    /// Window length (default 14, at most 455: CloudWatch keeps 15 months).
    days: Option<Spanned<i64>>,
    /// Metric period, a multiple of 60 up to a day (default 3600).
    period_seconds: Option<Spanned<i64>>,
    /// A fixed window end (RFC 3339); default now.
    end_time: Option<Spanned<String>>,
    /// An explicit metric list replacing the defaults.
    metrics: Option<Vec<MetricFile>>,
    region: Option<String>,
    endpoint_url: Option<Spanned<String>>,
    profile: Option<String>,
    /// A role to assume (cross-account), with the trust policy's external id and the session's name.
    role_arn: Option<Spanned<String>>,
    external_id: Option<String>,
    role_session_name: Option<String>,
}

/// One `[[sources.metrics]]` entry of a cloudwatch source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricFile {
    namespace: String,
    metric: String,
    /// Default `Average`.
    stat: Option<String>,
    /// Dimensions every series must have; the others are discovered.
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
}

impl CloudWatchFile {
    pub fn check(self, ctx: &SourceContext<'_>, here: Range<usize>) -> Result<CloudWatchSettings, Vec<SettingProblem>> {
        let mut problems = Vec::new();
        let cluster = ctx.cluster(self.cluster.as_ref(), "cloudwatch", here).map_err(|p| problems.push(p)).ok();
        let note = " (CloudWatch keeps 15 months)";
        let days = days_in("days", &self.days, 14, 1..=455, note, &mut problems);
        let period = match &self.period_seconds {
            None => Some(3600),
            Some(p) if *p.get_ref() >= 60 && p.get_ref() % 60 == 0 && *p.get_ref() <= 86_400 => {
                Some(*p.get_ref() as i32)
            }
            Some(p) => {
                let message = format!("expected a multiple of 60 from 60 to 86400, found {}", p.get_ref());
                problems.push(SettingProblem::new("period_seconds", p.span(), message));
                None
            }
        };
        let end_time = match &self.end_time {
            None => Some(None),
            Some(t) => match chrono::DateTime::parse_from_rfc3339(t.get_ref()) {
                Ok(v) => Some(Some(v.with_timezone(&chrono::Utc))),
                Err(_) => {
                    let message =
                        format!("expected an RFC 3339 time like 2026-11-01T00:00:00Z, found `{}`", t.get_ref());
                    problems.push(SettingProblem::new("end_time", t.span(), message));
                    None
                }
            },
        };
        let aws = aws_settings(aws_keys!(self), &mut problems);
        let settings = match (cluster, days, period, end_time, aws) {
            (Some(cluster), Some(days), Some(period_seconds), Some(end_time), Some(mut aws)) => {
                aws.region.get_or_insert_with(|| cluster.region.clone());
                Some(CloudWatchSettings {
                    aws,
                    cluster: cluster.name.clone(),
                    metrics: self.metric_specs(cluster.msk.then_some(cluster.name.as_str())),
                    days,
                    period_seconds,
                    end_time,
                })
            }
            _ => None,
        };
        settled(settings, problems)
    }

    /// The metrics to read: the explicit list, else the defaults for the cluster's brokers and buckets.
    fn metric_specs(&self, msk_cluster: Option<&str>) -> Vec<MetricSpec> {
        match &self.metrics {
            Some(list) => list
                .iter()
                .map(|m| MetricSpec {
                    namespace: m.namespace.clone(),
                    metric: m.metric.clone(),
                    stat: m.stat.clone().unwrap_or_else(|| "Average".into()),
                    filter: m.dimensions.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                })
                .collect(),
            None => default_metrics(
                self.msk_cluster_name.as_deref().or(msk_cluster),
                self.instance_ids.as_deref().unwrap_or_default(),
                self.buckets.as_deref().unwrap_or_default(),
            ),
        }
    }
}

/// `$XDG_CACHE_HOME/kafka-finops`, else `~/.cache/kafka-finops`, else `.kafka-finops-cache`.
pub fn default_cache_dir() -> PathBuf {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("XDG_CACHE_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".cache")))
        .map(|d| d.join("kafka-finops"))
        .unwrap_or_else(|| PathBuf::from(".kafka-finops-cache"))
}

/// A `format` key: `Some(None)` for auto (unset), `None` when it names no format (the problem is recorded).
fn export_format(value: &Option<Spanned<String>>, problems: &mut Vec<SettingProblem>) -> Option<Option<ExportFormat>> {
    match value {
        None => Some(None),
        Some(f) => ExportFormat::parse(f.get_ref())
            .map_err(|e| problems.push(SettingProblem::new("format", f.span(), e.to_string())))
            .ok(),
    }
}

/// Every `billing_periods` value that is not `YYYY-MM`, as a problem.
fn check_periods(value: &Option<Spanned<Vec<String>>>, problems: &mut Vec<SettingProblem>) {
    if let Some(p) = value {
        for bad in p.get_ref().iter().filter(|v| !is_billing_period(v)) {
            let message = format!("`{bad}` is not a billing period; expected YYYY-MM");
            problems.push(SettingProblem::new("billing_periods", p.span(), message));
        }
    }
}

/// `YYYY-MM` with a month from 01 to 12.
fn is_billing_period(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && text[..4].bytes().all(|c| c.is_ascii_digit())
        && text[5..].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
}

#[cfg(test)]
mod tests {
    use super::is_role_arn;

    #[test]
    fn a_role_arn_names_a_partition_a_twelve_digit_account_and_a_role() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/kafka-finops"));
        assert!(is_role_arn("arn:aws-cn:iam::123456789012:role/path/to/reader"));
        for bad in [
            "arn:aws:iam::123456789012:user/someone",
            "arn:aws:iam::12345:role/x",
            "arn:aws:sts::123456789012:role/x",
            "arn:aws:iam::123456789012:role/",
            "kafka-finops",
        ] {
            assert!(!is_role_arn(bad), "{bad}");
        }
    }
}
