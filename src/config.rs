//! The run configuration (TOML): clusters, sources, catalog, price overrides, model assumptions, output dir.
//!
//! Parsing is strict (unknown keys are errors) and validation is pure: [`load`] reports every problem at once, each
//! with file, line and what was expected. Nothing here calls Kafka or AWS.

use std::collections::BTreeMap;
use std::ops::Range;

use rust_decimal::Decimal;
use rust_decimal::dec;
use serde::Deserialize;
use toml::Spanned;

use toml::de::DeValue;

use crate::collect::{DeclaredCluster, ReadSourceTable, SOURCE_KINDS, SourceContext, SourceKind, SourceKindSpec};
use crate::files::{InputFiles, line_of, toml_problem};
use crate::prices::{OverrideError, PriceBook, PriceKey, PriceOverride};
use crate::problem::{Problem, Problems, SettingProblem};
use crate::settings::{
    Assumptions, ClientRule, ClientZones, ClusterConfig, HistoryRules, KeyRange, ModelSettings, ModelValue,
    OwnerContact, Platform, Rules, WalKind, WhatIf, ZoneShare,
};

/// The config file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// Where run directories are created, relative to the config file. Without it, `out` in the working directory.
    output_dir: Option<String>,
    /// Ownership catalog file, relative to the config file.
    catalog: Spanned<String>,
    #[serde(default)]
    clusters: Vec<ClusterFile>,
    #[serde(default)]
    sources: Vec<SourceHead>,
    /// Price overrides for every region: price key → USD per unit; and `refresh = true`. Read as TOML values, so
    /// a wrong value is named with its key and line.
    #[serde(default)]
    prices: BTreeMap<String, Spanned<toml::Value>>,
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
    /// When a broker's disk is too full, and how soon is soon.
    #[serde(default)]
    capacity: CapacityFile,
    /// When an open gap is blocked, and when an action not taken becomes one.
    #[serde(default)]
    closure: ClosureFile,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosureFile {
    watch_runs: Option<Spanned<i64>>,
    action_runs: Option<Spanned<i64>>,
}

/// The `[prices]` key that fetches the clusters' regions from the AWS Price List Query API at run time.
const REFRESH: &str = "refresh";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CapacityFile {
    disk_threshold: Option<Spanned<Decimal>>,
    runway_watch_days: Option<Spanned<i64>>,
    trend_min_points: Option<Spanned<i64>>,
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
    lag_skew_factor: Option<Spanned<Decimal>>,
    lag_growth_share: Option<Spanned<Decimal>>,
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
    ebs_volume_type: Option<Spanned<String>>,
}

/// The part of a `[[sources]]` table every kind has; the rest is read by the kind's own file struct, beside its
/// collector (`collect::*::settings`).
#[derive(Debug, Clone, Deserialize)]
struct SourceHead {
    name: Spanned<String>,
    kind: Spanned<String>,
}

/// The `[model]` table as the file spells it and its check: one field per key of `settings::model_keys!` (each
/// checked against the range stated there), plus `[[model.clients]]`.
macro_rules! model_file {
    ($($(#[doc = $doc:literal])* $key:ident: $ty:ty = $default:expr, $range:expr;)*) => {
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ModelFile {
            $($key: Option<Spanned<<$ty as ModelValue>::Raw>>,)*
            #[serde(default)]
            clients: Vec<ClientFile>,
        }

        /// The keys set in `m`, each checked against its range; unset ones keep their defaults.
        fn checked_keys(m: &ModelFile, a: &mut Assumptions, problems: &mut Vec<FieldProblem>) {
            $(if let Some(v) = &m.$key {
                match <$ty as ModelValue>::checked(v.get_ref(), $range) {
                    Ok(x) => a.$key = x,
                    Err(e) => problems.push((stringify!($key), v.span(), e.0)),
                }
            })*
        }
    };
}
crate::settings::model_keys!(model_file);

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
    /// `[prices] refresh = true`: the run layers its regions' refreshed list prices over the bundled book.
    pub refresh_prices: bool,
    /// What the run's price refresh could not do (a region left on the bundled book), for the run's findings.
    pub price_findings: Vec<crate::problem::Finding>,
}

/// Reads and validates a config file and the catalog it names, reporting every problem found.
pub fn load(files: &InputFiles, config_name: &str) -> Result<Config, Problems> {
    let display = files.display(config_name);
    let text = files.read(config_name).map_err(|e| Problems(vec![Problem::new(&display, None, None, e.reason)]))?;
    let raw: ConfigFile = toml::from_str(&text).map_err(|e| Problems(vec![toml_problem(&display, &text, &e)]))?;

    let mut problems = Vec::new();
    let at = |span: Range<usize>| Some(line_of(&text, span.start));
    let clusters = clusters(&raw.clusters, &display, &at, &mut problems);
    let declared: Vec<DeclaredCluster> = raw
        .clusters
        .iter()
        .map(|c| DeclaredCluster {
            name: c.name.get_ref().clone(),
            region: c.region.get_ref().clone(),
            msk: c.platform.get_ref() == Platform::Msk.key(),
        })
        .collect();
    let sources = sources(&text, &raw.sources, &SourceContext { files, clusters: &declared }, &display, &mut problems);
    if raw.sources.is_empty() {
        problems.push(Problem::new(&display, None, Some("sources"), "no source declared; add a [[sources]] table"));
    }
    let (prices, price_overrides, refresh_prices) = prices(&raw, &display, &at, &mut problems);
    let assumptions = model_assumptions(&raw.model).unwrap_or_else(|list| {
        for (field, span, message) in list {
            problems.push(Problem::new(&display, at(span), Some(&format!("model.{field}")), message));
        }
        Assumptions::default()
    });
    let what_ifs = what_ifs(&raw.what_if, &display, &at, &mut problems);
    let readiness = readiness_rules(&raw.readiness, &display, &at, &mut problems);
    let history = history_rules(&raw.history, &display, &at, &mut problems);
    let capacity = capacity_rules(&raw.capacity, &display, &at, &mut problems);
    let closure = closure_rules(&raw.closure, &display, &at, &mut problems);
    let catalog = catalog(files, &raw, &display, &at, &mut problems);

    match catalog {
        Some(catalog) if problems.is_empty() => {
            let owners = catalog
                .owners()
                .iter()
                .map(|o| OwnerContact {
                    owner: o.owner.clone(),
                    escalation: o.escalation.clone(),
                    channel: o.channel.clone(),
                })
                .collect();
            let config_path = display.clone();
            let model = ModelSettings {
                config_path,
                clusters,
                prices,
                price_overrides,
                assumptions,
                what_ifs,
                readiness,
                capacity,
                closure,
                owners,
            };
            // Relative to the config file, as every path it names; without the key, `out` where the command runs.
            let output_dir = raw.output_dir.map(|d| files.join(&d)).unwrap_or_else(|| "out".into());
            Ok(Config {
                path: display,
                output_dir,
                catalog,
                sources,
                model,
                history,
                refresh_prices,
                price_findings: Vec::new(),
            })
        }
        _ => Err(Problems(problems)),
    }
}

/// The `[[clusters]]` tables: a known platform, unique names, at least one.
fn clusters(
    raw: &[ClusterFile],
    display: &str,
    at: &impl Fn(Range<usize>) -> Option<usize>,
    problems: &mut Vec<Problem>,
) -> Vec<ClusterConfig> {
    let mut clusters = Vec::new();
    for (i, c) in raw.iter().enumerate() {
        let platform = Platform::from_key(c.platform.get_ref());
        if platform.is_none() {
            problems.push(Problem::new(
                display,
                at(c.platform.span()),
                Some(&format!("clusters[{i}].platform")),
                format!("unknown platform `{}`; expected `msk` or `self-managed`", c.platform.get_ref()),
            ));
        }
        if raw[..i].iter().any(|o| o.name.get_ref() == c.name.get_ref()) {
            problems.push(Problem::new(
                display,
                at(c.name.span()),
                Some(&format!("clusters[{i}].name")),
                format!("cluster `{}` is declared twice; names must be unique", c.name.get_ref()),
            ));
        }
        let volume = c.ebs_volume_type.as_ref().and_then(|v| {
            let field = format!("clusters[{i}].ebs_volume_type");
            let parsed = v.get_ref().parse::<crate::settings::VolumeType>().ok();
            let why = match (parsed, platform) {
                (None, _) => format!("unknown EBS volume type `{}`; expected `gp2` or `gp3`", v.get_ref()),
                (Some(_), Some(Platform::Msk)) => {
                    "MSK provisions and bills its own broker storage; `ebs_volume_type` is for self-managed clusters"
                        .to_string()
                }
                (Some(t), _) => return Some(t),
            };
            problems.push(Problem::new(display, at(v.span()), Some(&field), why));
            None
        });
        if let Some(platform) = platform {
            clusters.push(ClusterConfig {
                name: c.name.get_ref().clone(),
                platform,
                region: c.region.get_ref().clone(),
                broker_instance_type: c.broker_instance_type.get_ref().clone(),
                billing_resource_ids: c.billing_resource_ids.clone(),
                ebs_volume_type: volume,
            });
        }
    }
    if raw.is_empty() {
        problems.push(Problem::new(display, None, Some("clusters"), "no cluster declared; add a [[clusters]] table"));
    }
    clusters
}

/// The default price book, the config's overrides checked against it (`[prices]`, `[prices_by_region.*]`), and
/// whether the run refreshes its regions' prices (`[prices] refresh = true`).
fn prices(
    raw: &ConfigFile,
    display: &str,
    at: &impl Fn(Range<usize>) -> Option<usize>,
    problems: &mut Vec<Problem>,
) -> (PriceBook, Vec<PriceOverride>, bool) {
    let prices = PriceBook::defaults();
    let mut overrides = Vec::new();
    let mut refresh = false;
    let everywhere = raw.prices.iter().map(|(k, v)| {
        let value = match v.get_ref() {
            toml::Value::Boolean(on) => Ok(Err(*on)),
            other => <Decimal as Deserialize>::deserialize(other.clone()).map(Ok).map_err(|e| e.to_string()),
        };
        (None, k, value, v.span(), format!("prices.{k}"))
    });
    let regional = raw.prices_by_region.iter().flat_map(|(region, table)| {
        table.iter().map(move |(k, v)| {
            (Some(region.clone()), k, Ok(Ok(*v.get_ref())), v.span(), format!("prices_by_region.{region}.{k}"))
        })
    });
    // Each value: a price (Ok(Ok(usd))), a switch (Ok(Err(on))), or not a number (Err(why)).
    for (region, key, value, span, field) in everywhere.chain(regional) {
        let usd = match (key.as_str(), value) {
            (REFRESH, Ok(Err(on))) => {
                refresh = on;
                continue;
            }
            (REFRESH, _) => {
                let message = "expected `refresh = true` or `false` in [prices] (fetch the clusters' regions' prices \
                               from the AWS Price List Query API at run time)";
                problems.push(Problem::new(display, at(span), Some(&field), message));
                continue;
            }
            (_, Ok(Err(_))) => {
                let message = "expected a price (USD per unit), found true/false";
                problems.push(Problem::new(display, at(span), Some(&field), message));
                continue;
            }
            (_, Err(why)) => {
                let message = format!("expected a price (USD per unit): {why}");
                problems.push(Problem::new(display, at(span), Some(&field), message));
                continue;
            }
            (_, Ok(Ok(usd))) => usd,
        };
        let checked = key.parse::<PriceKey>().map_err(OverrideError::from).and_then(|key| {
            crate::prices::check_override(usd)?;
            Ok(key)
        });
        match checked {
            Ok(key) => overrides.push(PriceOverride { region, key, usd, origin: display.to_string() }),
            Err(message) => problems.push(Problem::new(display, at(span), Some(&field), message.to_string())),
        }
    }
    (prices, overrides, refresh)
}

/// The ownership catalog the config names, and every owner the config names checked against it.
fn catalog(
    files: &InputFiles,
    raw: &ConfigFile,
    display: &str,
    at: &impl Fn(Range<usize>) -> Option<usize>,
    problems: &mut Vec<Problem>,
) -> Option<crate::catalog::Catalog> {
    let catalog = match crate::catalog::load(files, raw.catalog.get_ref()) {
        Ok(c) => c,
        Err(Problems(mut list)) => {
            if list.len() == 1 && list[0].line.is_none() && list[0].field.is_none() {
                let message = format!("catalog file: {}", list[0].message);
                list[0] = Problem::new(display, at(raw.catalog.span()), Some("catalog"), message);
            }
            problems.extend(list);
            return None;
        }
    };
    let known: Vec<String> = catalog.owners().into_iter().map(|o| o.owner).collect();
    let mut unknown_owner = |field: String, owner: &Spanned<String>| {
        if !known.contains(owner.get_ref()) {
            problems.push(Problem::new(
                display,
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
    Some(catalog)
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

/// The `[closure]` thresholds over their defaults: each a number of runs, 1 to 1000.
fn closure_rules(
    raw: &ClosureFile,
    display: &str,
    at: &impl Fn(std::ops::Range<usize>) -> Option<usize>,
    problems: &mut Vec<Problem>,
) -> crate::settings::ClosureRules {
    let mut c = crate::settings::ClosureRules::default();
    for (field, value, slot) in
        [("watch_runs", &raw.watch_runs, &mut c.watch_runs), ("action_runs", &raw.action_runs, &mut c.action_runs)]
    {
        let Some(v) = value else { continue };
        match *v.get_ref() {
            n @ 1..=1000 => *slot = n,
            n => problems.push(Problem::new(
                display,
                at(v.span()),
                Some(&format!("closure.{field}")),
                format!("expected 1 to 1000 runs, found {n}"),
            )),
        }
    }
    c
}

/// The `[capacity]` thresholds over their defaults.
fn capacity_rules(
    raw: &CapacityFile,
    display: &str,
    at: &impl Fn(std::ops::Range<usize>) -> Option<usize>,
    problems: &mut Vec<Problem>,
) -> crate::settings::CapacityRules {
    let mut c = crate::settings::CapacityRules::default();
    if let Some(v) = &raw.disk_threshold {
        match above_zero(*v.get_ref(), Some(Decimal::ONE)) {
            Ok(x) => c.disk_threshold = x,
            Err(message) => problems.push(Problem::new(
                display,
                at(v.span()),
                Some("capacity.disk_threshold"),
                format!("{message} (a share of the disk)"),
            )),
        }
    }
    if let Some(v) = &raw.runway_watch_days {
        match *v.get_ref() {
            d @ 1..=3650 => c.runway_watch_days = d,
            d => problems.push(Problem::new(
                display,
                at(v.span()),
                Some("capacity.runway_watch_days"),
                format!("expected 1 to 3650 days, found {d}"),
            )),
        }
    }
    if let Some(v) = &raw.trend_min_points {
        match *v.get_ref() {
            n @ 3..=1000 => c.trend_min_points = n,
            n => problems.push(Problem::new(
                display,
                at(v.span()),
                Some("capacity.trend_min_points"),
                format!("expected 3 to 1000 points (a line needs at least 3 to say anything), found {n}"),
            )),
        }
    }
    c
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
    let fields: [Field<'_>; 9] = [
        ("cross_az_share_watch", &raw.cross_az_share_watch, one, &mut r.cross_az_share_watch),
        ("min_saving_usd", &raw.min_saving_usd, None, &mut r.min_saving_usd),
        ("migration_saving_share", &raw.migration_saving_share, one, &mut r.migration_saving_share),
        ("replay_margin", &raw.replay_margin, None, &mut r.replay_margin),
        ("retention_excess_factor", &raw.retention_excess_factor, None, &mut r.retention_excess_factor),
        ("min_retention_hours", &raw.min_retention_hours, None, &mut r.min_retention_hours),
        ("headroom_excess_share", &raw.headroom_excess_share, one, &mut r.headroom_excess_share),
        ("lag_skew_factor", &raw.lag_skew_factor, None, &mut r.lag_skew_factor),
        ("lag_growth_share", &raw.lag_growth_share, one, &mut r.lag_growth_share),
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

/// A number above 0 (and at most `max`), or what was expected instead: the range `[model]` keys state.
fn above_zero(x: Decimal, max: Option<Decimal>) -> Result<Decimal, crate::settings::KeyProblem> {
    <Decimal as ModelValue>::checked(&x, KeyRange::AboveZero(max))
}

/// `[model]`: every key checked against its range; unset ones keep their defaults.
fn model_assumptions(m: &ModelFile) -> Result<Assumptions, Vec<FieldProblem>> {
    let mut a = Assumptions::default();
    let mut problems = Vec::new();
    checked_keys(m, &mut a, &mut problems);
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

/// The AWS connection keys shared by every AWS source.
/// Each `[[sources]]` table, read by its kind's own file struct and checked beside its collector. A key another
/// kind takes is named with the keys this kind takes (read off the struct, so no list is kept by hand).
fn sources(
    text: &str,
    heads: &[SourceHead],
    context: &SourceContext<'_>,
    display: &str,
    problems: &mut Vec<Problem>,
) -> Vec<SourceConfig> {
    let document = toml::de::DeTable::parse(text).map(Spanned::into_inner).unwrap_or_default();
    let tables: &[Spanned<DeValue<'_>>] = match document.iter().find(|(k, _)| k.get_ref().as_ref() == "sources") {
        Some((_, v)) => match v.get_ref() {
            DeValue::Array(items) => items,
            _ => &[],
        },
        None => &[],
    };
    let mut out = Vec::new();
    for (i, (head, table)) in heads.iter().zip(tables).enumerate() {
        let here = head.kind.span();
        let reader = TableReader { table, context, here: here.clone() };
        let (kind, mut found) = SourceKind::read(head.kind.get_ref(), reader).unwrap_or_else(|| {
            let other = head.kind.get_ref();
            let message = format!("unknown source kind `{other}`; expected one of: {}", SOURCE_KINDS.join(", "));
            (None, vec![SettingProblem::new("kind", here.clone(), message)])
        });
        match kind {
            // The same source twice reads every row twice: said once, at the second one, not as repeated rows.
            Some(kind) if found.is_empty() => match out.iter().find(|s: &&SourceConfig| s.kind == kind) {
                Some(first) => found.push(SettingProblem::new(
                    "",
                    head.name.span(),
                    format!(
                        "source `{}` reads the same as source `{}` (the same {} settings); each source is read \
                         once, so remove one",
                        head.name.get_ref(),
                        first.name,
                        kind.name()
                    ),
                )),
                None => out.push(SourceConfig { name: head.name.get_ref().clone(), kind }),
            },
            _ => {}
        }
        for p in found.drain(..) {
            let line = Some(line_of(text, p.span.start));
            let field = if p.key.is_empty() { format!("sources[{i}]") } else { format!("sources[{i}].{}", p.key) };
            problems.push(Problem::new(display, line, Some(&field), p.message));
        }
    }
    out
}

/// One `[[sources]]` table, with what its kind's check needs.
struct TableReader<'a, 'de> {
    table: &'a Spanned<DeValue<'de>>,
    context: &'a SourceContext<'a>,
    here: Range<usize>,
}

impl ReadSourceTable for TableReader<'_, '_> {
    type Out = (Option<SourceKind>, Vec<SettingProblem>);
    fn read<S: SourceKindSpec>(self, wrap: fn(S::Settings) -> SourceKind) -> Self::Out {
        let Self { table, context, here } = self;
        checked(table, S::KIND, |f: S::File| S::check(f, context, here).map(wrap))
    }
}

/// One source table read as its kind's file struct `F` and checked by `check`, with every problem found: keys
/// `F` does not take (each named with what it takes, read off the struct, so no list is kept by hand), a value of
/// the wrong type, and what the kind's check finds.
fn checked<'de, F: Deserialize<'de>>(
    table: &Spanned<DeValue<'de>>,
    kind: &str,
    check: impl FnOnce(F) -> Result<SourceKind, Vec<SettingProblem>>,
) -> (Option<SourceKind>, Vec<SettingProblem>) {
    let takes = serde_aux::serde_introspection::serde_introspect::<F>();
    let mut problems = Vec::new();
    if let DeValue::Table(keys) = table.get_ref() {
        for (spanned, _) in keys.iter() {
            let key: &str = spanned.get_ref().as_ref();
            if key != "name" && key != "kind" && !takes.contains(&key) {
                let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                let message =
                    format!("`{key}` does not apply to {article} `{kind}` source; it takes: {}", takes.join(", "));
                problems.push(SettingProblem::new(key, spanned.span(), message));
            }
        }
    }
    match F::deserialize(toml::de::ValueDeserializer::from(table.clone())) {
        Ok(file) => match check(file) {
            Ok(kind) => (Some(kind), problems),
            Err(found) => {
                problems.extend(found);
                (None, problems)
            }
        },
        Err(e) => {
            let span = e.span().unwrap_or_else(|| table.span());
            problems.push(SettingProblem::new(String::new(), span, e.message().trim().to_string()));
            (None, problems)
        }
    }
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
