//! The run configuration (TOML): clusters, sources, catalog, price overrides, model assumptions, output dir.
//!
//! Parsing is strict (unknown keys are errors) and validation is pure: [`load`] reports every problem at once, each
//! with file, line and what was expected. Nothing here calls Kafka or AWS.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use crate::collect::aws::AwsSettings;
use crate::collect::aws::billing_export::{BillingExportSettings, ExportLocation};
use crate::collect::aws::cloudwatch::{CloudWatchSettings, MetricSpec, default_metrics};
use crate::collect::aws::cost_explorer::CostExplorerSettings;
use crate::collect::aws::exports::ExportFormat;
use crate::collect::kafka::settings::{self, ConnectionSettings, PasswordFrom};
use crate::error::{Problem, Problems};
use crate::files::{InputFiles, line_of, toml_problem};
use crate::prices::{PriceBook, PriceOverride};
use crate::settings::{
    Assumptions, ClientRule, ClientZones, ClusterConfig, HistoryRules, ModelSettings, OwnerContact, Platform, Rules,
    WalKind, WhatIf, ZoneShare,
};

/// The config file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// Where run directories are created; relative to the working directory. Default `out`.
    output_dir: Option<String>,
    /// Ownership catalog file, relative to the config file.
    catalog: Spanned<String>,
    #[serde(default)]
    clusters: Vec<ClusterFile>,
    #[serde(default)]
    sources: Vec<SourceFile>,
    /// Price overrides for every region: price key → USD per unit.
    #[serde(default)]
    prices: BTreeMap<String, Spanned<Decimal>>,
    /// Price overrides for one region: region → price key → USD per unit.
    #[serde(default)]
    prices_by_region: BTreeMap<String, BTreeMap<String, Spanned<Decimal>>>,
    #[serde(default)]
    model: ModelFile,
    /// What-if scenarios: changes to selected topics, priced beside today's cost.
    #[serde(default)]
    what_if: Vec<WhatIfFile>,
    /// Thresholds of the readiness scorecard and the next-action rules.
    #[serde(default)]
    readiness: ReadinessFile,
    /// How many earlier runs to compare with, and when a cost change is an anomaly.
    #[serde(default)]
    history: HistoryFile,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryFile {
    runs: Option<Spanned<i64>>,
    anomaly_share: Option<Spanned<Decimal>>,
    anomaly_min_usd: Option<Spanned<Decimal>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadinessFile {
    cross_az_share_watch: Option<Spanned<Decimal>>,
    min_saving_usd: Option<Spanned<Decimal>>,
    migration_saving_share: Option<Spanned<Decimal>>,
    replay_margin: Option<Spanned<Decimal>>,
    retention_excess_factor: Option<Spanned<Decimal>>,
    min_retention_hours: Option<Spanned<Decimal>>,
    headroom_excess_share: Option<Spanned<Decimal>>,
    platform_owner: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhatIfFile {
    name: Spanned<String>,
    #[serde(default)]
    owners: Vec<Spanned<String>>,
    #[serde(default)]
    topics: Vec<Spanned<String>>,
    retention_hours: Option<Spanned<Decimal>>,
    replication_factor: Option<Spanned<i64>>,
    fetch_from_follower: Option<bool>,
    tiered_storage: Option<bool>,
    local_retention_hours: Option<Spanned<Decimal>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFile {
    owner: Option<Spanned<String>>,
    group: Option<Spanned<String>>,
    zones: Option<Spanned<ZonesFile>>,
    /// With named `zones`: each zone's share of the clients' traffic, in the same order (any positive numbers).
    weights: Option<Spanned<Vec<Decimal>>>,
    fetch_from_follower: Option<bool>,
}

/// `zones = 2` (how many, not which) or `zones = ["use1-az1", "use1-az2"]` (the brokers' `broker.rack` values).
#[derive(Debug, Clone)]
enum ZonesFile {
    Count(i64),
    Named(Vec<String>),
}

impl<'de> Deserialize<'de> for ZonesFile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ZonesFile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    r#"a zone count (`zones = 2`) or a list of zone names (`zones = ["use1-az1", "use1-az2"]`)"#,
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ZonesFile, E> {
                Ok(ZonesFile::Count(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<ZonesFile, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(ZonesFile::Named(names))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterFile {
    name: Spanned<String>,
    platform: Spanned<String>,
    region: Spanned<String>,
    broker_instance_type: Spanned<String>,
    #[serde(default)]
    billing_resource_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    name: Spanned<String>,
    kind: Spanned<String>,
    /// scenario: the folder holding scenario.toml.
    path: Option<Spanned<String>>,
    /// kafka: the [[clusters]] name the data belongs to.
    cluster: Option<Spanned<String>>,
    /// kafka: librdkafka-named connection properties.
    properties: Option<Spanned<BTreeMap<String, String>>>,
    /// kafka: the environment variable or file holding the SASL password.
    password_env: Option<String>,
    password_file: Option<String>,
    /// kafka: how long to wait for any one connection or answer (default 30 s).
    timeout_seconds: Option<Spanned<i64>>,
    /// AWS sources: region, endpoint override (emulator, VPC endpoint) and named profile. Credentials come from
    /// the SDK's default chain, never from this file.
    region: Option<String>,
    endpoint_url: Option<Spanned<String>>,
    profile: Option<String>,
    /// billing-export: the S3 bucket and key prefix (or `path`, a local file or folder), an optional manifest key.
    bucket: Option<Spanned<String>>,
    prefix: Option<String>,
    manifest: Option<String>,
    /// billing-export: `auto` (default), `cur`, `cur2` or `focus`.
    format: Option<Spanned<String>>,
    /// billing-export: `YYYY-MM` periods to read; default every period found.
    billing_periods: Option<Spanned<Vec<String>>>,
    /// cost-explorer: window length, restatement window, fixed end date (`YYYY-MM-DD`, exclusive), cache folder.
    days: Option<Spanned<i64>>,
    restatement_days: Option<Spanned<i64>>,
    end_date: Option<Spanned<String>>,
    cache_dir: Option<String>,
    /// cloudwatch: the MSK cluster name (default: the cluster's name on `msk` clusters), EC2 broker instances,
    /// tiered/shared storage buckets, the metric period, a fixed window end (RFC 3339), and an explicit metric list
    /// replacing the defaults.
    msk_cluster_name: Option<String>,
    instance_ids: Option<Vec<String>>,
    buckets: Option<Vec<String>>,
    period_seconds: Option<Spanned<i64>>,
    end_time: Option<Spanned<String>>,
    metrics: Option<Vec<MetricFile>>,
    /// AWS billing sources: tag keys whose values name owners.
    #[serde(default)]
    owner_tag_keys: Vec<String>,
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

impl SourceFile {
    /// The optional keys set in this table, by name, to refuse those another kind of source uses.
    fn set_keys(&self) -> Vec<&'static str> {
        let pairs = [
            ("path", self.path.is_some()),
            ("cluster", self.cluster.is_some()),
            ("properties", self.properties.is_some()),
            ("password_env", self.password_env.is_some()),
            ("password_file", self.password_file.is_some()),
            ("timeout_seconds", self.timeout_seconds.is_some()),
            ("region", self.region.is_some()),
            ("endpoint_url", self.endpoint_url.is_some()),
            ("profile", self.profile.is_some()),
            ("bucket", self.bucket.is_some()),
            ("prefix", self.prefix.is_some()),
            ("manifest", self.manifest.is_some()),
            ("format", self.format.is_some()),
            ("billing_periods", self.billing_periods.is_some()),
            ("owner_tag_keys", !self.owner_tag_keys.is_empty()),
            ("days", self.days.is_some()),
            ("restatement_days", self.restatement_days.is_some()),
            ("end_date", self.end_date.is_some()),
            ("cache_dir", self.cache_dir.is_some()),
            ("msk_cluster_name", self.msk_cluster_name.is_some()),
            ("instance_ids", self.instance_ids.is_some()),
            ("buckets", self.buckets.is_some()),
            ("period_seconds", self.period_seconds.is_some()),
            ("end_time", self.end_time.is_some()),
            ("metrics", self.metrics.is_some()),
        ];
        pairs.into_iter().filter(|(_, set)| *set).map(|(k, _)| k).collect()
    }
}

/// The optional keys each source kind takes (besides `name` and `kind`).
const SOURCE_KEYS: &[(&str, &[&str])] = &[
    ("scenario", &["path"]),
    ("kafka", &["cluster", "properties", "password_env", "password_file", "timeout_seconds"]),
    (
        "billing-export",
        &[
            "path",
            "bucket",
            "prefix",
            "manifest",
            "format",
            "billing_periods",
            "owner_tag_keys",
            "region",
            "endpoint_url",
            "profile",
        ],
    ),
    (
        "cost-explorer",
        &["days", "restatement_days", "end_date", "cache_dir", "owner_tag_keys", "region", "endpoint_url", "profile"],
    ),
    (
        "cloudwatch",
        &[
            "cluster",
            "msk_cluster_name",
            "instance_ids",
            "buckets",
            "days",
            "period_seconds",
            "end_time",
            "metrics",
            "region",
            "endpoint_url",
            "profile",
        ],
    ),
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    month_hours: Option<Spanned<Decimal>>,
    wal: Option<Spanned<String>>,
    wal_upload_interval_ms: Option<Spanned<Decimal>>,
    ebs_io_kib: Option<Spanned<Decimal>>,
    target_disk_utilization: Option<Spanned<Decimal>>,
    client_zones: Option<Spanned<i64>>,
    shared_instance_type: Option<Spanned<String>>,
    shared_instance_network_mibps: Option<Spanned<Decimal>>,
    shared_min_brokers: Option<Spanned<i64>>,
    shared_compaction_factor: Option<Spanned<Decimal>>,
    sizing_percentile: Option<Spanned<Decimal>>,
    broker_write_mibps: Option<Spanned<Decimal>>,
    broker_network_mibps: Option<Spanned<Decimal>>,
    s3_upload_object_mib: Option<Spanned<Decimal>>,
    shared_s3_puts_per_gib: Option<Spanned<Decimal>>,
    shared_s3_gets_per_gib: Option<Spanned<Decimal>>,
    s3_read_object_mib: Option<Spanned<Decimal>>,
    shared_cold_read_fraction: Option<Spanned<Decimal>>,
    wal_gib_per_broker: Option<Spanned<Decimal>>,
    wal_zone_copies: Option<Spanned<Decimal>>,
    zone_aware_clients: Option<bool>,
    fetch_from_follower: Option<bool>,
    tiered_local_retention_hours: Option<Spanned<Decimal>>,
    #[serde(default)]
    clients: Vec<ClientFile>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// A recorded scenario folder (`fixtures/demo` or the output of `collect --record`).
    Scenario { files: InputFiles },
    /// A live Kafka cluster, read over the admin protocol.
    Kafka { cluster: String, settings: ConnectionSettings, timeout: std::time::Duration },
    /// CUR / CUR 2.0 / FOCUS billing exports, in S3 or on local disk.
    BillingExport(BillingExportSettings),
    /// AWS Cost Explorer, daily by service and usage type, closed days cached.
    CostExplorer(CostExplorerSettings),
    /// CloudWatch metrics of a cluster (MSK, EC2 brokers, storage buckets).
    CloudWatch(CloudWatchSettings),
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub kind: SourceKind,
}

/// A validated configuration, ready to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// How the config file is named in messages.
    pub path: String,
    pub output_dir: String,
    pub catalog: crate::catalog::Catalog,
    pub sources: Vec<SourceConfig>,
    /// What the join (its clusters) and the model take.
    pub model: ModelSettings,
    /// How earlier runs are compared (`history`).
    pub history: HistoryRules,
}

const SOURCE_KINDS: &[&str] = &["scenario", "kafka", "billing-export", "cost-explorer", "cloudwatch"];
const DEFAULT_KAFKA_TIMEOUT_SECONDS: i64 = 30;

/// Reads and validates a config file and the catalog it names, reporting every problem found.
pub fn load(files: &InputFiles, config_name: &str) -> Result<Config, Problems> {
    let display = files.display(config_name);
    let text = files.read(config_name).map_err(|e| Problems(vec![Problem::new(&display, None, None, e.reason)]))?;
    let raw: ConfigFile = toml::from_str(&text).map_err(|e| Problems(vec![toml_problem(&display, &text, &e)]))?;

    let mut problems = Vec::new();
    let at = |span: std::ops::Range<usize>| Some(line_of(&text, span.start));

    let mut clusters = Vec::new();
    for (i, c) in raw.clusters.iter().enumerate() {
        let platform = Platform::from_key(c.platform.get_ref());
        if platform.is_none() {
            problems.push(Problem::new(
                &display,
                at(c.platform.span()),
                Some(&format!("clusters[{i}].platform")),
                format!("unknown platform `{}`; expected `msk` or `self-managed`", c.platform.get_ref()),
            ));
        }
        if raw.clusters[..i].iter().any(|o| o.name.get_ref() == c.name.get_ref()) {
            problems.push(Problem::new(
                &display,
                at(c.name.span()),
                Some(&format!("clusters[{i}].name")),
                format!("cluster `{}` is declared twice; names must be unique", c.name.get_ref()),
            ));
        }
        if let Some(platform) = platform {
            clusters.push(ClusterConfig {
                name: c.name.get_ref().clone(),
                platform,
                region: c.region.get_ref().clone(),
                broker_instance_type: c.broker_instance_type.get_ref().clone(),
                billing_resource_ids: c.billing_resource_ids.clone(),
            });
        }
    }
    if raw.clusters.is_empty() {
        problems.push(Problem::new(&display, None, Some("clusters"), "no cluster declared; add a [[clusters]] table"));
    }

    let mut sources = Vec::new();
    for (i, s) in raw.sources.iter().enumerate() {
        let field = format!("sources[{i}]");
        if let Some((kind, keys)) = SOURCE_KEYS.iter().find(|(k, _)| k == s.kind.get_ref()) {
            for key in s.set_keys().into_iter().filter(|k| !keys.contains(k)) {
                problems.push(Problem::new(
                    &display,
                    at(s.kind.span()),
                    Some(&format!("{field}.{key}")),
                    format!("`{key}` does not apply to a `{kind}` source; it takes: {}", keys.join(", ")),
                ));
            }
        }
        match s.kind.get_ref().as_str() {
            "scenario" => match &s.path {
                Some(path) => sources.push(SourceConfig {
                    name: s.name.get_ref().clone(),
                    kind: SourceKind::Scenario { files: files.subdir(path.get_ref()) },
                }),
                None => problems.push(Problem::new(
                    &display,
                    at(s.kind.span()),
                    Some(&format!("{field}.path")),
                    "a `scenario` source needs `path`, the folder holding scenario.toml",
                )),
            },
            "kafka" => {
                let mut push = |key: &str, line: Option<usize>, message: String| {
                    problems.push(Problem::new(&display, line, Some(&format!("{field}.{key}")), message))
                };
                let cluster = match &s.cluster {
                    Some(c) if raw.clusters.iter().any(|k| k.name.get_ref() == c.get_ref()) => {
                        Some(c.get_ref().clone())
                    }
                    Some(c) => {
                        push("cluster", at(c.span()), format!("no [[clusters]] table is named `{}`", c.get_ref()));
                        None
                    }
                    None => {
                        push(
                            "cluster",
                            at(s.kind.span()),
                            "a `kafka` source needs `cluster`, a [[clusters]] name".into(),
                        );
                        None
                    }
                };
                let password = match (&s.password_env, &s.password_file) {
                    (Some(_), Some(_)) => {
                        push(
                            "password_env",
                            at(s.kind.span()),
                            "set `password_env` or `password_file`, not both".into(),
                        );
                        None
                    }
                    (Some(var), None) => Some(PasswordFrom::Env(var.clone())),
                    (None, Some(file)) => Some(PasswordFrom::File(files.join(file))),
                    (None, None) => None,
                };
                let secret = match password.as_ref().map(settings::resolve_password) {
                    Some(Ok(secret)) => Some(secret),
                    Some(Err(e)) => {
                        push("password_env", at(s.kind.span()), e.to_string());
                        None
                    }
                    None => None,
                };
                let empty = Spanned::new(0..0, BTreeMap::new());
                let properties = s.properties.as_ref().unwrap_or(&empty);
                let props_line = if s.properties.is_some() { at(properties.span()) } else { at(s.kind.span()) };
                let connection = match settings::from_properties(properties.get_ref(), secret) {
                    Ok(c) => Some(c),
                    Err(list) => {
                        // A named but unreadable password was reported above; do not report it twice.
                        let named = password.is_some();
                        for (key, message) in list.into_iter().filter(|(k, _)| !(named && k == "password_env")) {
                            let key = if key.starts_with("password") { key } else { format!("properties.\"{key}\"") };
                            push(&key, props_line, message);
                        }
                        None
                    }
                };
                let timeout = match &s.timeout_seconds {
                    Some(t) if !(1..=600).contains(t.get_ref()) => {
                        push(
                            "timeout_seconds",
                            at(t.span()),
                            format!("expected 1 to 600 seconds, found {}", t.get_ref()),
                        );
                        None
                    }
                    Some(t) => Some(*t.get_ref()),
                    None => Some(DEFAULT_KAFKA_TIMEOUT_SECONDS),
                };
                if let (Some(cluster), Some(settings), Some(timeout)) = (cluster, connection, timeout) {
                    sources.push(SourceConfig {
                        name: s.name.get_ref().clone(),
                        kind: SourceKind::Kafka {
                            cluster,
                            settings,
                            timeout: std::time::Duration::from_secs(timeout as u64),
                        },
                    });
                }
            }
            "billing-export" => {
                let mut push = |key: &str, line: Option<usize>, message: String| {
                    problems.push(Problem::new(&display, line, Some(&format!("{field}.{key}")), message))
                };
                let location = match (&s.bucket, &s.path) {
                    (Some(bucket), None) => Some(ExportLocation::S3 {
                        bucket: bucket.get_ref().clone(),
                        prefix: s.prefix.clone().unwrap_or_default(),
                        manifest: s.manifest.clone(),
                    }),
                    (None, Some(path)) => {
                        if s.prefix.is_some() || s.manifest.is_some() {
                            push(
                                "path",
                                at(path.span()),
                                "`prefix` and `manifest` go with `bucket`, not `path`".into(),
                            );
                        }
                        Some(ExportLocation::Local { path: PathBuf::from(files.join(path.get_ref())) })
                    }
                    (Some(bucket), Some(_)) => {
                        push("bucket", at(bucket.span()), "set `bucket` (S3) or `path` (local), not both".into());
                        None
                    }
                    (None, None) => {
                        push(
                            "bucket",
                            at(s.kind.span()),
                            "a `billing-export` source needs `bucket` (S3) or `path` (a local file or folder)".into(),
                        );
                        None
                    }
                };
                let format = match &s.format {
                    None => Some(None),
                    Some(f) => match ExportFormat::parse(f.get_ref()) {
                        Ok(found) => Some(found),
                        Err(e) => {
                            push("format", at(f.span()), e.to_string());
                            None
                        }
                    },
                };
                let periods = s.billing_periods.as_ref().map(|p| p.get_ref().clone()).unwrap_or_default();
                if let Some(p) = &s.billing_periods {
                    for bad in p.get_ref().iter().filter(|v| !is_billing_period(v)) {
                        push(
                            "billing_periods",
                            at(p.span()),
                            format!("`{bad}` is not a billing period; expected YYYY-MM"),
                        );
                    }
                }
                let aws = aws_settings(s, &mut push, at);
                if let (Some(location), Some(format), Some(aws)) = (location, format, aws) {
                    sources.push(SourceConfig {
                        name: s.name.get_ref().clone(),
                        kind: SourceKind::BillingExport(BillingExportSettings {
                            location,
                            aws,
                            format,
                            billing_periods: periods,
                            owner_tag_keys: s.owner_tag_keys.clone(),
                        }),
                    });
                }
            }
            "cost-explorer" => {
                let mut push = |key: &str, line: Option<usize>, message: String| {
                    problems.push(Problem::new(&display, line, Some(&format!("{field}.{key}")), message))
                };
                let mut days_in = |key: &str,
                                   value: &Option<Spanned<i64>>,
                                   default: i64,
                                   range: std::ops::RangeInclusive<i64>| {
                    match value {
                        None => Some(default as u32),
                        Some(v) if range.contains(v.get_ref()) => Some(*v.get_ref() as u32),
                        Some(v) => {
                            push(
                                key,
                                at(v.span()),
                                format!("expected {} to {} days, found {}", range.start(), range.end(), v.get_ref()),
                            );
                            None
                        }
                    }
                };
                let days = days_in("days", &s.days, 30, 1..=365);
                let restatement = days_in("restatement_days", &s.restatement_days, 3, 0..=30);
                let end_date = match &s.end_date {
                    None => Some(None),
                    Some(d) => match chrono::NaiveDate::parse_from_str(d.get_ref(), "%Y-%m-%d") {
                        Ok(date) => Some(Some(date)),
                        Err(_) => {
                            push(
                                "end_date",
                                at(d.span()),
                                format!("expected a date YYYY-MM-DD, found `{}`", d.get_ref()),
                            );
                            None
                        }
                    },
                };
                let cache_dir = match &s.cache_dir {
                    Some(dir) => PathBuf::from(files.join(dir)),
                    None => default_cache_dir(),
                }
                .join("cost-explorer");
                let aws = aws_settings(s, &mut push, at);
                if let (Some(days), Some(restatement_days), Some(end_date), Some(aws)) =
                    (days, restatement, end_date, aws)
                {
                    sources.push(SourceConfig {
                        name: s.name.get_ref().clone(),
                        kind: SourceKind::CostExplorer(CostExplorerSettings {
                            aws,
                            days,
                            restatement_days,
                            end_date,
                            cache_dir,
                            owner_tag_keys: s.owner_tag_keys.clone(),
                        }),
                    });
                }
            }
            "cloudwatch" => {
                let mut push = |key: &str, line: Option<usize>, message: String| {
                    problems.push(Problem::new(&display, line, Some(&format!("{field}.{key}")), message))
                };
                let cluster = match &s.cluster {
                    Some(c) => match raw.clusters.iter().find(|k| k.name.get_ref() == c.get_ref()) {
                        Some(k) => Some(k),
                        None => {
                            push("cluster", at(c.span()), format!("no [[clusters]] table is named `{}`", c.get_ref()));
                            None
                        }
                    },
                    None => {
                        push(
                            "cluster",
                            at(s.kind.span()),
                            "a `cloudwatch` source needs `cluster`, a [[clusters]] name".into(),
                        );
                        None
                    }
                };
                let days = match &s.days {
                    None => Some(14),
                    Some(d) if (1..=455).contains(d.get_ref()) => Some(*d.get_ref() as u32),
                    Some(d) => {
                        push(
                            "days",
                            at(d.span()),
                            format!("expected 1 to 455 days (CloudWatch keeps 15 months), found {}", d.get_ref()),
                        );
                        None
                    }
                };
                let period = match &s.period_seconds {
                    None => Some(3600),
                    Some(p) if *p.get_ref() >= 60 && p.get_ref() % 60 == 0 && *p.get_ref() <= 86_400 => {
                        Some(*p.get_ref() as i32)
                    }
                    Some(p) => {
                        push(
                            "period_seconds",
                            at(p.span()),
                            format!("expected a multiple of 60 from 60 to 86400, found {}", p.get_ref()),
                        );
                        None
                    }
                };
                let end_time = match &s.end_time {
                    None => Some(None),
                    Some(t) => match chrono::DateTime::parse_from_rfc3339(t.get_ref()) {
                        Ok(v) => Some(Some(v.with_timezone(&chrono::Utc))),
                        Err(_) => {
                            push(
                                "end_time",
                                at(t.span()),
                                format!("expected an RFC 3339 time like 2026-11-01T00:00:00Z, found `{}`", t.get_ref()),
                            );
                            None
                        }
                    },
                };
                let aws = aws_settings(s, &mut push, at);
                if let (Some(cluster), Some(days), Some(period_seconds), Some(end_time), Some(mut aws)) =
                    (cluster, days, period, end_time, aws)
                {
                    aws.region.get_or_insert_with(|| cluster.region.get_ref().clone());
                    let metrics = match &s.metrics {
                        Some(list) => list
                            .iter()
                            .map(|m| MetricSpec {
                                namespace: m.namespace.clone(),
                                metric: m.metric.clone(),
                                stat: m.stat.clone().unwrap_or_else(|| "Average".into()),
                                filter: m.dimensions.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                            })
                            .collect(),
                        None => {
                            let msk = s.msk_cluster_name.clone().or_else(|| {
                                (cluster.platform.get_ref() == "msk").then(|| cluster.name.get_ref().clone())
                            });
                            default_metrics(
                                msk.as_deref(),
                                s.instance_ids.as_deref().unwrap_or_default(),
                                s.buckets.as_deref().unwrap_or_default(),
                            )
                        }
                    };
                    sources.push(SourceConfig {
                        name: s.name.get_ref().clone(),
                        kind: SourceKind::CloudWatch(CloudWatchSettings {
                            aws,
                            cluster: cluster.name.get_ref().clone(),
                            metrics,
                            days,
                            period_seconds,
                            end_time,
                        }),
                    });
                }
            }
            other => problems.push(Problem::new(
                &display,
                at(s.kind.span()),
                Some(&format!("{field}.kind")),
                format!("unknown source kind `{other}`; expected one of: {}", SOURCE_KINDS.join(", ")),
            )),
        }
    }
    if raw.sources.is_empty() {
        problems.push(Problem::new(&display, None, Some("sources"), "no source declared; add a [[sources]] table"));
    }

    let prices = PriceBook::defaults();
    let mut price_overrides = Vec::new();
    let everywhere = raw.prices.iter().map(|(k, v)| (None, k, v, format!("prices.{k}")));
    let regional = raw.prices_by_region.iter().flat_map(|(region, table)| {
        table.iter().map(move |(k, v)| (Some(region.clone()), k, v, format!("prices_by_region.{region}.{k}")))
    });
    for (region, key, value, field) in everywhere.chain(regional) {
        match prices.check_override(key, *value.get_ref()) {
            Ok(()) => price_overrides.push(PriceOverride {
                region,
                key: key.clone(),
                usd: *value.get_ref(),
                origin: display.clone(),
            }),
            Err(message) => problems.push(Problem::new(&display, at(value.span()), Some(&field), message.to_string())),
        }
    }

    let assumptions = match model_assumptions(&raw.model) {
        Ok(a) => a,
        Err(list) => {
            for (field, span, message) in list {
                problems.push(Problem::new(&display, at(span), Some(&format!("model.{field}")), message));
            }
            Assumptions::default()
        }
    };

    let what_if = what_ifs(&raw.what_if, &display, &at, &mut problems);
    let readiness = readiness_rules(&raw.readiness, &display, &at, &mut problems);
    let history = history_rules(&raw.history, &display, &at, &mut problems);

    let catalog = match crate::catalog::load(files, raw.catalog.get_ref()) {
        Ok(c) => Some(c),
        Err(Problems(mut list)) => {
            if list.len() == 1 && list[0].line.is_none() && list[0].field.is_none() {
                list[0] = Problem::new(
                    &display,
                    at(raw.catalog.span()),
                    Some("catalog"),
                    format!("catalog file: {}", list[0].message),
                );
            }
            problems.extend(list);
            None
        }
    };

    if let Some(catalog) = &catalog {
        let known: Vec<String> = catalog.owners().into_iter().map(|o| o.owner).collect();
        let mut unknown_owner = |field: String, owner: &Spanned<String>| {
            if !known.contains(owner.get_ref()) {
                problems.push(Problem::new(
                    &display,
                    at(owner.span()),
                    Some(&field),
                    format!("unknown owner `{}`; the catalog declares: {}", owner.get_ref(), known.join(", ")),
                ));
            }
        };
        for (i, w) in raw.what_if.iter().enumerate() {
            for o in &w.owners {
                unknown_owner(format!("what_if[{i}].owners"), o);
            }
        }
        for (i, c) in raw.model.clients.iter().enumerate() {
            if let Some(o) = &c.owner {
                unknown_owner(format!("model.clients[{i}].owner"), o);
            }
        }
        if let Some(o) = &raw.readiness.platform_owner {
            unknown_owner("readiness.platform_owner".into(), o);
        }
    }

    match catalog {
        Some(catalog) if problems.is_empty() => {
            let owners = catalog
                .owners()
                .iter()
                .map(|o| OwnerContact { owner: o.owner.clone(), escalation: o.escalation.clone() })
                .collect();
            let model = ModelSettings {
                config_path: display.clone(),
                clusters,
                prices,
                price_overrides,
                assumptions,
                what_ifs: what_if,
                readiness,
                owners,
            };
            let output_dir = raw.output_dir.unwrap_or_else(|| "out".into());
            Ok(Config { path: display, output_dir, catalog, sources, model, history })
        }
        _ => Err(Problems(problems)),
    }
}

/// Validates the what-if tables: a name, a selection, at least one change, values in range. Owners are checked
/// against the catalog by the caller; topic names against the data by the model.
fn what_ifs(
    raw: &[WhatIfFile],
    display: &str,
    at: &impl Fn(std::ops::Range<usize>) -> Option<usize>,
    problems: &mut Vec<Problem>,
) -> Vec<WhatIf> {
    let mut out = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        let field = |f: &str| format!("what_if[{i}].{f}");
        let mut push = |f: &str, line: Option<usize>, message: String| {
            problems.push(Problem::new(display, line, Some(&field(f)), message))
        };
        let name = w.name.get_ref().trim();
        if name.is_empty() || out.iter().any(|o: &WhatIf| o.name == name) {
            push("name", at(w.name.span()), format!("expected a unique, non-empty name, found `{name}`"));
        }
        if w.owners.is_empty() && w.topics.is_empty() {
            push("owners", at(w.name.span()), "select topics with `owners = [...]` or `topics = [...]`".into());
        }
        let changes = [
            w.retention_hours.is_some(),
            w.replication_factor.is_some(),
            w.fetch_from_follower.is_some(),
            w.tiered_storage.is_some(),
            w.local_retention_hours.is_some(),
        ];
        if !changes.contains(&true) {
            push(
                "name",
                at(w.name.span()),
                "changes nothing; set retention_hours, replication_factor, fetch_from_follower, tiered_storage or \
                 local_retention_hours"
                    .into(),
            );
        }
        for (f, v) in [("retention_hours", &w.retention_hours), ("local_retention_hours", &w.local_retention_hours)] {
            if let Some(v) = v
                && *v.get_ref() <= Decimal::ZERO
            {
                push(f, at(v.span()), format!("expected a number of hours above 0, found {}", v.get_ref()));
            }
        }
        if let Some(rf) = &w.replication_factor
            && !(1..=6).contains(rf.get_ref())
        {
            push("replication_factor", at(rf.span()), format!("expected 1 to 6, found {}", rf.get_ref()));
        }
        out.push(WhatIf {
            name: name.to_string(),
            owners: w.owners.iter().map(|o| o.get_ref().clone()).collect(),
            topics: w.topics.iter().map(|t| t.get_ref().clone()).collect(),
            retention_hours: w.retention_hours.as_ref().map(|v| *v.get_ref()),
            replication_factor: w.replication_factor.as_ref().map(|v| *v.get_ref()),
            fetch_from_follower: w.fetch_from_follower,
            tiered_storage: w.tiered_storage,
            local_retention_hours: w.local_retention_hours.as_ref().map(|v| *v.get_ref()),
        });
    }
    out
}

/// The `[history]` settings over their defaults.
fn history_rules(
    raw: &HistoryFile,
    display: &str,
    at: &impl Fn(std::ops::Range<usize>) -> Option<usize>,
    problems: &mut Vec<Problem>,
) -> HistoryRules {
    let mut h = HistoryRules::default();
    let mut bad = |field: &str, line: Option<usize>, message: String| {
        problems.push(Problem::new(display, line, Some(&format!("history.{field}")), message))
    };
    if let Some(n) = &raw.runs {
        match usize::try_from(*n.get_ref()) {
            Ok(n @ 1..=1000) => h.runs = n,
            _ => bad("runs", at(n.span()), format!("expected 1 to 1000 earlier runs, found {}", n.get_ref())),
        }
    }
    if let Some(v) = &raw.anomaly_share {
        match above_zero(*v.get_ref(), None) {
            Ok(x) => h.anomaly_share = x,
            Err(message) => bad("anomaly_share", at(v.span()), message.to_string()),
        }
    }
    if let Some(v) = &raw.anomaly_min_usd {
        if *v.get_ref() < Decimal::ZERO {
            bad("anomaly_min_usd", at(v.span()), format!("expected 0 or more USD, found {}", v.get_ref()));
        } else {
            h.anomaly_min_usd = *v.get_ref();
        }
    }
    h
}

/// The `[readiness]` thresholds over their defaults; each must be a number above 0 (shares at most 1).
fn readiness_rules(
    raw: &ReadinessFile,
    display: &str,
    at: &impl Fn(std::ops::Range<usize>) -> Option<usize>,
    problems: &mut Vec<Problem>,
) -> Rules {
    let mut r = Rules::default();
    let one = Some(Decimal::ONE);
    type Field<'a> = (&'a str, &'a Option<Spanned<Decimal>>, Option<Decimal>, &'a mut Decimal);
    let fields: [Field<'_>; 7] = [
        ("cross_az_share_watch", &raw.cross_az_share_watch, one, &mut r.cross_az_share_watch),
        ("min_saving_usd", &raw.min_saving_usd, None, &mut r.min_saving_usd),
        ("migration_saving_share", &raw.migration_saving_share, one, &mut r.migration_saving_share),
        ("replay_margin", &raw.replay_margin, None, &mut r.replay_margin),
        ("retention_excess_factor", &raw.retention_excess_factor, None, &mut r.retention_excess_factor),
        ("min_retention_hours", &raw.min_retention_hours, None, &mut r.min_retention_hours),
        ("headroom_excess_share", &raw.headroom_excess_share, one, &mut r.headroom_excess_share),
    ];
    for (field, value, max, slot) in fields {
        let Some(v) = value else { continue };
        match above_zero(*v.get_ref(), max) {
            Ok(x) => *slot = x,
            Err(message) => problems.push(Problem::new(
                display,
                at(v.span()),
                Some(&format!("readiness.{field}")),
                message.to_string(),
            )),
        }
    }
    if let Some(p) = &raw.platform_owner {
        r.platform_owner = p.get_ref().clone();
    }
    r
}

type FieldProblem = (&'static str, std::ops::Range<usize>, String);

/// A number above 0 (and at most `max`), or what was expected instead.
fn above_zero(x: Decimal, max: Option<Decimal>) -> Result<Decimal, OutOfRange> {
    if x > Decimal::ZERO && max.is_none_or(|m| x <= m) {
        return Ok(x);
    }
    Err(OutOfRange { found: x, max })
}

/// A number outside `(0, max]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a number above 0{}, found {found}", .max.map(|m| format!(" and at most {m}")).unwrap_or_default())]
struct OutOfRange {
    found: Decimal,
    max: Option<Decimal>,
}

fn model_assumptions(m: &ModelFile) -> Result<Assumptions, Vec<FieldProblem>> {
    let mut a = Assumptions::default();
    let mut problems = Vec::new();
    let mut positive =
        |field: &'static str, value: &Option<Spanned<Decimal>>, max: Option<Decimal>, slot: &mut Decimal| {
            if let Some(v) = value {
                match above_zero(*v.get_ref(), max) {
                    Ok(x) => *slot = x,
                    Err(message) => problems.push((field, v.span(), message.to_string())),
                }
            }
        };
    positive("target_disk_utilization", &m.target_disk_utilization, Some(Decimal::ONE), &mut a.target_disk_utilization);
    positive("s3_upload_object_mib", &m.s3_upload_object_mib, None, &mut a.s3_upload_object_mib);
    positive("s3_read_object_mib", &m.s3_read_object_mib, None, &mut a.s3_read_object_mib);
    positive("shared_s3_puts_per_gib", &m.shared_s3_puts_per_gib, None, &mut a.shared_s3_puts_per_gib);
    positive("shared_s3_gets_per_gib", &m.shared_s3_gets_per_gib, None, &mut a.shared_s3_gets_per_gib);
    positive(
        "shared_cold_read_fraction",
        &m.shared_cold_read_fraction,
        Some(Decimal::ONE),
        &mut a.shared_cold_read_fraction,
    );
    positive("wal_gib_per_broker", &m.wal_gib_per_broker, None, &mut a.wal_gib_per_broker);
    positive("wal_zone_copies", &m.wal_zone_copies, Some(Decimal::from(6)), &mut a.wal_zone_copies);
    positive("month_hours", &m.month_hours, Some(Decimal::from(744)), &mut a.month_hours);
    positive("wal_upload_interval_ms", &m.wal_upload_interval_ms, None, &mut a.wal_upload_interval_ms);
    positive("ebs_io_kib", &m.ebs_io_kib, None, &mut a.ebs_io_kib);
    positive(
        "tiered_local_retention_hours",
        &m.tiered_local_retention_hours,
        None,
        &mut a.tiered_local_retention_hours,
    );
    positive("sizing_percentile", &m.sizing_percentile, Some(Decimal::ONE_HUNDRED), &mut a.sizing_percentile);
    positive("broker_write_mibps", &m.broker_write_mibps, None, &mut a.broker_write_mibps);
    let mut network = Decimal::ZERO;
    positive("broker_network_mibps", &m.broker_network_mibps, None, &mut network);
    a.broker_network_mibps = (network > Decimal::ZERO).then_some(network);
    positive(
        "shared_instance_network_mibps",
        &m.shared_instance_network_mibps,
        None,
        &mut a.shared_instance_network_mibps,
    );
    if let Some(f) = &m.shared_compaction_factor {
        match *f.get_ref() {
            x if x >= Decimal::ZERO && x <= Decimal::from(10) => a.shared_compaction_factor = x,
            x => problems.push((
                "shared_compaction_factor",
                f.span(),
                format!("expected bytes compacted per byte written, from 0 to 10, found {x}"),
            )),
        }
    }
    if let Some(n) = &m.shared_min_brokers {
        match u32::try_from(*n.get_ref()) {
            Ok(x) if (1..=10_000).contains(&x) => a.shared_min_brokers = Some(x),
            _ => problems.push((
                "shared_min_brokers",
                n.span(),
                format!("expected a broker count from 1 to 10000, found {}", n.get_ref()),
            )),
        }
    }
    if let Some(t) = &m.shared_instance_type {
        let ty = t.get_ref().trim();
        if ty.is_empty() || ty.contains(char::is_whitespace) || !ty.contains('.') {
            problems.push((
                "shared_instance_type",
                t.span(),
                format!("expected an EC2 instance type such as `m7g.4xlarge`, found `{}`", t.get_ref()),
            ));
        } else {
            a.shared_instance_type = ty.to_string();
        }
    }
    if let Some(z) = &m.client_zones {
        if *z.get_ref() < 1 || *z.get_ref() > 6 {
            problems.push((
                "client_zones",
                z.span(),
                format!("expected a zone count from 1 to 6, found {}", z.get_ref()),
            ));
        } else {
            a.client_zones = Some(*z.get_ref() as u32);
        }
    }
    if let Some(z) = m.zone_aware_clients {
        a.zone_aware_clients = z;
    }
    if let Some(f) = m.fetch_from_follower {
        a.fetch_from_follower = f;
    }
    if let Some(w) = &m.wal {
        match w.get_ref().as_str() {
            "ebs" => a.wal = WalKind::Ebs,
            "regional-disk" => a.wal = WalKind::RegionalDisk,
            "s3" => a.wal = WalKind::S3,
            "s3-express" => a.wal = WalKind::S3Express,
            other => problems.push((
                "wal",
                w.span(),
                format!("expected one of `ebs`, `regional-disk`, `s3`, `s3-express`, found `{other}`"),
            )),
        }
    }
    for c in &m.clients {
        let zones = client_zones(c, &mut problems);
        a.clients.push(ClientRule {
            owner: c.owner.as_ref().map(|o| o.get_ref().clone()),
            group: c.group.as_ref().map(|g| g.get_ref().clone()),
            zones,
            fetch_from_follower: c.fetch_from_follower,
        });
    }
    if problems.is_empty() { Ok(a) } else { Err(problems) }
}

/// A `[[model.clients]]` rule's zones: a count from 1 to 6, or distinct named zones with optional positive weights
/// (evenly without), turned into shares that sum to 1.
fn client_zones(c: &ClientFile, problems: &mut Vec<FieldProblem>) -> Option<ClientZones> {
    let weights = c.weights.as_ref();
    match c.zones.as_ref().map(|z| (z.get_ref(), z.span())) {
        None => {
            if let Some(w) = weights {
                problems.push(("clients.weights", w.span(), "`weights` needs named `zones` to weigh".into()));
            }
            None
        }
        Some((ZonesFile::Count(n), span)) => {
            if let Some(w) = weights {
                problems.push((
                    "clients.weights",
                    w.span(),
                    "`weights` needs named `zones` (a list of racks), not a count".into(),
                ));
            }
            if (1..=6).contains(n) {
                Some(ClientZones::Spread(*n as u32))
            } else {
                problems.push(("clients.zones", span, format!("expected a zone count from 1 to 6, found {n}")));
                None
            }
        }
        Some((ZonesFile::Named(names), span)) => {
            let mut seen = std::collections::BTreeSet::new();
            for z in names {
                if z.trim().is_empty() || !seen.insert(z.as_str()) {
                    problems.push((
                        "clients.zones",
                        span.clone(),
                        format!("expected distinct, non-empty zone names (broker racks), found `{z}` in {names:?}"),
                    ));
                    return None;
                }
            }
            if names.is_empty() {
                problems.push(("clients.zones", span, "expected at least one zone".into()));
                return None;
            }
            let weights: Vec<Decimal> = match weights {
                None => vec![Decimal::ONE; names.len()],
                Some(w) if w.get_ref().len() != names.len() => {
                    problems.push((
                        "clients.weights",
                        w.span(),
                        format!("expected {} weights, one per zone, found {}", names.len(), w.get_ref().len()),
                    ));
                    return None;
                }
                Some(w) if w.get_ref().iter().any(|x| *x <= Decimal::ZERO) => {
                    problems.push((
                        "clients.weights",
                        w.span(),
                        format!("expected positive weights, found {:?}", w.get_ref()),
                    ));
                    return None;
                }
                Some(w) => w.get_ref().clone(),
            };
            let total: Decimal = weights.iter().sum();
            Some(ClientZones::Named(
                names.iter().zip(weights).map(|(z, w)| ZoneShare { zone: z.clone(), share: w / total }).collect(),
            ))
        }
    }
}

/// `$XDG_CACHE_HOME/kafka-finops`, else `~/.cache/kafka-finops`, else `.kafka-finops-cache`.
fn default_cache_dir() -> PathBuf {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("XDG_CACHE_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".cache")))
        .map(|d| d.join("kafka-finops"))
        .unwrap_or_else(|| PathBuf::from(".kafka-finops-cache"))
}

/// `YYYY-MM` with a month from 01 to 12.
fn is_billing_period(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && text[..4].bytes().all(|c| c.is_ascii_digit())
        && text[5..].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
}

/// The AWS connection keys shared by every AWS source.
fn aws_settings(
    s: &SourceFile,
    push: &mut impl FnMut(&str, Option<usize>, String),
    at: impl Fn(std::ops::Range<usize>) -> Option<usize>,
) -> Option<AwsSettings> {
    if let Some(url) = &s.endpoint_url
        && !(url.get_ref().starts_with("http://") || url.get_ref().starts_with("https://"))
    {
        push("endpoint_url", at(url.span()), format!("expected an http:// or https:// URL, found `{}`", url.get_ref()));
        return None;
    }
    Some(AwsSettings {
        region: s.region.clone(),
        endpoint_url: s.endpoint_url.as_ref().map(|u| u.get_ref().clone()),
        profile: s.profile.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::Platform;

    #[test]
    fn platform_keys_are_serdes_names_and_read_back() {
        for p in [Platform::Msk, Platform::SelfManaged] {
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.key()));
            assert_eq!(Platform::from_key(p.key()), Some(p));
        }
        assert_eq!(Platform::from_key("MSK"), None);
    }
}
