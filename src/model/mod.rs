//! Model: turns the join stage's tables into the versioned [`ReportModel`]. Pure: no I/O, decimal money.
//!
//! Reads `topic_facts`, `owner_facts`, `cluster_facts`, `group_lag`, `cluster_costs` and `daily_costs`; prices each
//! topic under each placement scenario (`cost`), rolls topics up per owner and per cluster in decimal, and sets the
//! billed cost beside the modelled one. polars types stop here.

pub mod allocate;
pub use bill::{IDLE, UNALLOCATED};
pub mod access;
pub mod actions;
pub mod assumptions;
mod bill;
pub mod capacity;
pub mod choice;
pub mod cost;
mod gaps;
pub mod lag;
pub mod ledger;
mod publish;
pub mod readiness;
pub(crate) mod reads;
pub mod sizing;
mod topic;
pub mod trend;
mod whatif;
pub mod zones;

pub(crate) use topic::Topic;

use std::collections::BTreeMap;

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::completeness::SourceReport;
use crate::join::contract::{
    BrokerZone, ClusterFacts, ClusterWriteRate, DailyCostRow, GroupLagRow, GroupZone, OwnerFacts, OwnerTagCost,
    PartitionPlacementRow, SourceDay, TopicFacts,
};
use crate::normalize::Tables;
use crate::prices::{PriceBook, PriceKey};
use crate::problem::{Finding, Problem, Problems};
use crate::report_model::{
    BilledLine, ClusterSummary, CostDay, DailyCost, GroupLag, MODEL_VERSION, OwnerSummary, ReportModel, ScenarioInfo,
    TagCost, Totals,
};
use crate::schema::Table;
use crate::settings::{ModelSettings, Platform};
use assumptions::Assumptions;
use choice::{Choice, Line, Scenario};
use cost::{ClusterInputs, CostBreakdown, GroupInputs, TopicInputs};
use zones::{ClientZones, PartitionRow, Placement, WeightBasis, ZoneShare};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("the join stage produced no table `{0}`")]
    MissingTable(&'static str),
    #[error("table `{table}`: {cause}")]
    Rows { table: &'static str, cause: crate::schema::ReadError },
    #[error(transparent)]
    Invalid(#[from] Problems),
}

/// A joined table's rows as its contract struct (`join::contract`): read by column name, failing on a null
/// where the contract has a value, never defaulting.
pub(crate) fn rows<T: Table>(tables: &Tables) -> Result<Vec<T>, ModelError> {
    let frame = tables.get(T::NAME).ok_or(ModelError::MissingTable(T::NAME))?;
    T::from_frame(frame).map_err(|cause| ModelError::Rows { table: T::NAME, cause })
}

/// What a run says of itself: the scenario it collected, each source's completeness and the input warnings found
/// before the join (the input rules' and the config's).
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub scenario_name: &'a str,
    pub description: &'a str,
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    pub sources: &'a [SourceReport],
    pub findings: &'a [Finding],
    /// Earlier runs to compare with (`run`); none for `validate`.
    pub history: Option<History<'a>>,
}

/// Earlier runs' summaries, read by the caller before the model is built, and how to compare with them.
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    /// The newest earlier run's gap ledger (`gaps.json`), or why it could not be read.
    pub ledger: Result<Option<&'a crate::report_model::GapLedger>, &'a str>,
    pub earlier: &'a [(String, trend::RunSummary)],
    /// Runs that could not be compared, named.
    pub skipped: &'a [String],
    pub rules: &'a crate::settings::HistoryRules,
}

impl Run<'_> {
    /// True when every source completed and no input warning was found.
    fn is_complete(&self) -> bool {
        self.sources.iter().all(SourceReport::is_complete) && self.findings.is_empty()
    }
}

/// Builds the report model from the joined tables, the model's settings and what the run says of itself.
pub fn build(tables: &Tables, config: &ModelSettings, run: &Run<'_>) -> Result<ReportModel, ModelError> {
    // Inputs: the clusters, the bill and each cluster's prices.
    let billed = bill::billed_lines(tables)?;
    let clusters = cluster_inputs(tables, config, &billed)?;
    let books = price_books(&clusters, &billed, config);
    // Priced topics, and the what-ifs and owner choices over them.
    let priced = priced_topics(tables, config, &clusters, &books)?;
    let what_ifs = whatif::evaluate(&config.what_ifs, &priced, config, &books)?;
    let owner_choices = owner_choices(&priced);
    // Each cluster sized for its own load: the like-for-like base (broker-local right-sized) of every saving.
    let disks = broker_bytes(tables)?;
    let sizings = size_clusters(tables, &disks, &clusters, &priced, &billed, &books, config)?;
    let priced: Vec<Priced> = priced.into_iter().map(|p| right_sized(p, &sizings)).collect();
    // Readiness and the topics' actions, then the consumer groups read against the priced topics.
    let platform = platform_owner(config);
    let (priced, mut actions) = score_topics(priced, &billed, &books, config, run, &platform);
    actions.extend(gp3_moves(&priced, &books, config, &platform));
    let (capacity, expand) = capacity(tables, &clusters, &priced, &sizings, &books, (run, config, &platform))?;
    actions.extend(expand);
    let consumer_groups = group_lags(tables, &priced, (&capacity, config, &platform))?;
    let topics: Vec<Topic> = priced.into_iter().map(|p| p.topic).collect();
    let acls = access_of(tables, &topics)?;
    // Clusters, with the actions their bills call for.
    let cluster_summaries =
        cluster_summaries(&clusters, &topics, (&billed, &books, &disks), sizings, (config, &platform), &mut actions);
    actions::sort(&mut actions);
    // The gaps this run finds, carried on from the earlier ledger; each topic's closure read from it.
    let gap_ledger = gap_ledger(&topics, &acls.issues, &actions, run, config, &platform);
    let topics: Vec<Topic> =
        topics.into_iter().map(|t| with_boundary(with_closure(t, &gap_ledger), &actions, config)).collect();
    // Owners, each whole: costs, choice, readiness and actions.
    let owned = (&capacity, config.capacity.runway_watch_days, &gap_ledger, config.owners.as_slice());
    let owners = owner_summaries(tables, &topics, &owner_choices, &actions, owned)?;
    let daily_costs = daily_costs(tables)?;
    let reconciliation = bill::reconcile(&bill::billed_per_class(&billed), &topics);
    let (findings, totals) =
        findings_and_totals(&topics, owners.len() as i64, (&billed, &daily_costs, &actions), run, config);

    // Publish, once.
    let mut model = ReportModel {
        version: MODEL_VERSION,
        scenario: ScenarioInfo {
            name: run.scenario_name.to_string(),
            description: run.description.to_string(),
            captured_at: run.captured_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        },
        totals,
        clusters: cluster_summaries,
        owners,
        topics: topics.into_iter().map(Into::into).collect(),
        consumer_groups,
        daily_costs,
        cost_days: cost_days(tables, run.sources)?,
        tag_costs: tag_costs(tables)?,
        reconciliation,
        sources: run.sources.iter().cloned().map(Into::into).collect(),
        assumptions: config.assumptions.clone().into(),
        price_book_version: config.prices.version.clone(),
        what_ifs,
        readiness_rules: config.readiness.clone().into(),
        actions: actions.into_iter().map(Into::into).collect(),
        capacity,
        acl_coverage: acls.coverage,
        access: acls.access,
        access_issues: acls.issues,
        gap_ledger,
        history: None,
        findings: findings.into_iter().map(Into::into).collect(),
    };
    // The comparison with earlier runs reads the model it compares, as `summary.json` will.
    model.history = run.history.map(|h| trend::compare(&model, h.earlier, h.skipped.to_vec(), h.rules).into());
    Ok(model)
}

/// Each cluster's summary, and the volume actions its bill calls for (added to `actions`).
fn cluster_summaries(
    clusters: &BTreeMap<String, ClusterEntry<'_>>,
    topics: &[Topic],
    (billed, books, disks): (&bill::Bill, &BTreeMap<String, PriceBook>, &BTreeMap<String, BrokerBytes>),
    mut sizings: BTreeMap<String, sizing::Sizing>,
    (config, platform): (&ModelSettings, &str),
    actions: &mut Vec<actions::Action>,
) -> Vec<ClusterSummary> {
    let summaries: Vec<ClusterSummary> = clusters
        .iter()
        .map(|(name, entry)| {
            let sized = sizings.remove(name).expect("every cluster is sized");
            cluster_summary(name, entry, topics, billed, books, sized, config)
        })
        .collect();
    for c in &summaries {
        let volumes = volumes(c, &clusters[&c.cluster], disks, books, config);
        actions::volume_actions(&volumes, actions, &config.readiness, platform);
    }
    summaries
}

/// The gap ledger after this run: what it finds, carried on from the newest earlier run's (`ledger::carry`). A
/// ledger that could not be read is named in its note and the ledger starts again here.
fn gap_ledger(
    topics: &[Topic],
    issues: &[crate::report_model::AccessIssue],
    actions: &[actions::Action],
    run: &Run<'_>,
    config: &ModelSettings,
    platform: &str,
) -> crate::report_model::GapLedger {
    let found = ledger::found(topics, &config.owners, run.findings, issues, actions, platform);
    let (earlier, note) = match run.history.map(|h| h.ledger) {
        Some(Ok(l)) => (l, None),
        Some(Err(why)) => (None, Some(format!("{why}; the ledger starts again with this run"))),
        None => (None, None),
    };
    let captured_at = run.captured_at.map(|t| t.to_rfc3339()).unwrap_or_default();
    ledger::carry(earlier, found, &captured_at, &config.closure, note)
}

/// The topic with its safe action boundary scored from the actions on it.
fn with_boundary(mut t: Topic, actions: &[actions::Action], config: &ModelSettings) -> Topic {
    if let Some(card) = t.readiness.as_mut() {
        let mine: Vec<&actions::Action> = actions
            .iter()
            .filter(|a| a.owner == t.owner && a.cluster == t.cluster && a.topic.as_deref() == Some(t.topic.as_str()))
            .collect();
        let check = readiness::safe_action(&mine, &config.owners);
        card.verdict = card.verdict.max(check.verdict);
        card.checks.push(check);
    }
    t
}

/// The topic with its post-incident closure scored from the ledger.
fn with_closure(mut t: Topic, ledger: &crate::report_model::GapLedger) -> Topic {
    if let Some(card) = t.readiness.as_mut() {
        let check = ledger::topic_check(&t.cluster, &t.topic, ledger);
        card.verdict = card.verdict.max(check.verdict);
        card.checks.push(check);
    }
    t
}

/// Who may read and write each topic by its cluster's ACLs (`access::evaluate`).
fn access_of(tables: &Tables, topics: &[Topic]) -> Result<access::Evaluated, ModelError> {
    let bindings = rows::<crate::join::contract::AclBindingRow>(tables)?;
    Ok(access::evaluate(&bindings, &rows::<crate::join::contract::AclScope>(tables)?, topics))
}

/// What could not be priced (the run's own findings, beside the input's), and the totals, complete only when
/// nothing is missing.
fn findings_and_totals(
    topics: &[Topic],
    owners: i64,
    (billed, daily_costs, actions): (&bill::Bill, &[DailyCost], &[actions::Action]),
    run: &Run<'_>,
    config: &ModelSettings,
) -> (Vec<crate::problem::Finding>, Totals) {
    let mut findings: Vec<crate::problem::Finding> = run.findings.to_vec();
    let unpriced = gaps::findings(topics, config);
    let complete = run.is_complete() && unpriced.is_empty();
    findings.extend(unpriced);
    let mut totals = totals(topics, owners, billed, daily_costs, complete);
    totals.achievable = actions::achievable(actions);
    (findings, totals)
}

/// Each cluster's prices: its region's list prices, the bill's effective prices, the config's overrides.
fn price_books(
    clusters: &BTreeMap<String, ClusterEntry<'_>>,
    billed: &bill::Bill,
    config: &ModelSettings,
) -> BTreeMap<String, PriceBook> {
    clusters
        .iter()
        .map(|(name, entry)| {
            let effective = bill::effective_prices(entry.config, billed.of(name));
            (name.clone(), config.prices.settle(&entry.config.region, &effective, &config.price_overrides))
        })
        .collect()
}

/// Each topic's write-rate points for its trend, days from the capture (negative before it): the window's metric
/// points, and apart from them the rates earlier runs measured (history) with this run's own at day 0.
struct WritePoints {
    /// The window's metric points, summed per topic (`topic_write_points`, x in days since 2024-01-01), and the
    /// capture's x.
    metric: BTreeMap<(String, String), capacity::Sums>,
    capture_x: f64,
    runs: BTreeMap<String, Vec<(f64, f64)>>,
}

/// Days since 2024-01-01, the x of `topic_write_points`.
fn days_since_2024(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 86_400_000.0 - 19_723.0
}

fn write_points(tables: &Tables, run: &Run<'_>) -> Result<WritePoints, ModelError> {
    let rows = rows::<crate::join::contract::TopicWritePoints>(tables)?;
    let at = run.captured_at.unwrap_or_default();
    let days = |t: chrono::DateTime<chrono::Utc>| (t - at).num_milliseconds() as f64 / 86_400_000.0;
    let metric = rows
        .into_iter()
        .map(|r| {
            let sums =
                capacity::Sums { n: r.points.max(0) as usize, x: r.sum_x, y: r.sum_y, xy: r.sum_xy, xx: r.sum_xx };
            ((r.cluster, r.topic), sums)
        })
        .collect();
    let mut runs: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for (_, summary) in run.history.as_ref().map(|h| h.earlier).unwrap_or_default() {
        let Ok(then) = chrono::DateTime::parse_from_rfc3339(&summary.captured_at) else { continue };
        let then = days(then.to_utc());
        for (key, rate) in summary.topic_rates.iter().filter(|_| then < 0.0) {
            runs.entry(key.clone()).or_default().push((then, *rate));
        }
    }
    Ok(WritePoints { metric, capture_x: days_since_2024(at), runs })
}

/// A topic's write-rate trend: a least-squares line through the window's metric points when there are `min` of
/// them, else through earlier runs' rates and today's; else why there is none.
fn fit_trend(t: &Topic, points: &WritePoints, min: usize) -> Result<capacity::Fitted, capacity::NoTrend> {
    let rate = t.bytes_in_per_sec.unwrap_or(0.0);
    let metric = points.metric.get(&(t.cluster.clone(), t.topic.clone()));
    let from_metric = metric.and_then(|s| {
        let trend = capacity::Trend::from_sums(s, points.capture_x, rate, min)?;
        Some(capacity::Fitted { trend, points: s.n, from: "daily metric points" })
    });
    let mut runs = points.runs.get(&format!("{}/{}", t.cluster, t.topic)).cloned().unwrap_or_default();
    runs.extend(t.bytes_in_per_sec.map(|r| (0.0, r)));
    let from_runs = || {
        let trend = capacity::Trend::fit(&runs, rate, min)?;
        Some(capacity::Fitted { trend, points: runs.len(), from: "runs' rates" })
    };
    from_metric.or_else(from_runs).ok_or_else(|| capacity::NoTrend {
        topic: t.topic.clone(),
        points: metric.map_or(0, |s| s.n).max(runs.len()),
        min,
    })
}

/// Each broker against its limits (`capacity`): its disk from the log dirs, else the bill's provisioned storage. The
/// brokers due to cross the threshold soon get an "expand broker storage" action.
fn capacity(
    tables: &Tables,
    clusters: &BTreeMap<String, ClusterEntry<'_>>,
    priced: &[Priced],
    sizings: &BTreeMap<String, sizing::Sizing>,
    books: &BTreeMap<String, PriceBook>,
    (run, config, platform): (&Run<'_>, &ModelSettings, &str),
) -> Result<(crate::report_model::Capacity, Vec<actions::Action>), ModelError> {
    let mut expansions = Vec::new();
    let disks_of = rows::<crate::join::contract::BrokerDisk>(tables)?;
    let metrics_of = rows::<crate::join::contract::BrokerMetric>(tables)?;
    let mut out = crate::report_model::Capacity {
        disk_threshold: config.capacity.disk_threshold,
        runway_watch_days: config.capacity.runway_watch_days,
        ..Default::default()
    };
    let points = write_points(tables, run)?;
    let min = config.capacity.trend_min_points.max(0) as usize;
    for (name, entry) in clusters {
        let topics: Vec<capacity::TopicOnBrokers<'_>> = priced
            .iter()
            .filter(|p| &p.topic.cluster == name)
            .map(|p| capacity::TopicOnBrokers {
                topic: &p.topic.topic,
                owner: &p.topic.owner,
                internal: p.topic.is_internal,
                inputs: &p.inputs,
                trend: fit_trend(&p.topic, &points, min),
            })
            .collect();
        let rows: Vec<&crate::join::contract::BrokerDisk> = disks_of.iter().filter(|d| &d.cluster == name).collect();
        let mut ids: Vec<(i64, Option<String>)> = rows.iter().map(|d| (d.broker_id, d.rack.clone())).collect();
        ids.dedup();
        let count = Decimal::from(ids.len().max(1) as i64);
        let disks = capacity::ClusterDisks {
            cluster: name,
            instance_type: &entry.config.broker_instance_type,
            brokers: ids,
            log_dirs: rows,
            metrics: metrics_of.iter().filter(|m| &m.cluster == name).collect(),
            billed_gib_per_broker: sizings.get(name).and_then(|s| s.disk_gib_billed).map(|g| g / count),
            write_mibps: config.assumptions.broker_write_mibps,
            network_mibps: config
                .assumptions
                .broker_network_mibps
                .or_else(|| sizing::network_baseline_mibps(&entry.config.broker_instance_type)),
            target: config.assumptions.target_throughput_utilization,
        };
        let loads = capacity::loads(&topics, &config.assumptions);
        let found = capacity::analyse(&disks, &loads, &config.capacity);
        let moves = capacity::moves(&disks, &loads, &topics, &found.brokers, &config.capacity);
        let grow = actions::Growth {
            cluster: name,
            msk: entry.config.platform == Platform::Msk,
            brokers: disks.brokers.len() as i64,
            price: books.get(name).and_then(|b| storage_price(b, entry)),
            captured_at: run.captured_at,
        };
        expansions.extend(actions::move_partitions(&grow, &moves, platform));
        expansions.extend(actions::expand_storage(&grow, &found.expansions, platform));
        out.brokers.extend(found.brokers);
        out.clusters.push(found.cluster);
    }
    Ok((out, expansions))
}

/// Per self-managed cluster on gp2 volumes, the change to gp3 (`actions::gp3_volumes`).
fn gp3_moves(
    priced: &[Priced],
    books: &BTreeMap<String, PriceBook>,
    config: &ModelSettings,
    platform: &str,
) -> Vec<actions::Action> {
    let mut per_cluster: BTreeMap<&str, Vec<&Priced>> = BTreeMap::new();
    for p in priced {
        per_cluster.entry(p.topic.cluster.as_str()).or_default().push(p);
    }
    per_cluster
        .into_iter()
        .filter_map(|(cluster, topics)| {
            actions::gp3_volumes(cluster, &topics, books.get(cluster)?, &config.assumptions, platform)
        })
        .collect()
}

/// Who approves cluster-level changes: the configured platform owner when the catalog has it.
fn platform_owner(config: &ModelSettings) -> String {
    let rules = &config.readiness;
    if config.owners.iter().any(|o| o.owner == rules.platform_owner) {
        rules.platform_owner.clone()
    } else {
        "the platform team".to_string()
    }
}

/// Each topic scored (its readiness set as it is passed on), and the next actions its figures call for: what the
/// next team needs to act.
fn score_topics(
    priced: Vec<Priced>,
    billed: &bill::Bill,
    books: &BTreeMap<String, PriceBook>,
    config: &ModelSettings,
    run: &Run<'_>,
    platform: &str,
) -> (Vec<Priced>, Vec<actions::Action>) {
    let partial: Vec<String> = run.sources.iter().filter(|s| !s.is_complete()).map(|s| s.name.clone()).collect();
    let (scored, actions): (Vec<Priced>, Vec<Vec<actions::Action>>) = priced
        .into_par_iter()
        .map(|p| {
            let escalation = config.owners.iter().find(|o| o.owner == p.topic.owner).map(|o| o.escalation.as_str());
            let billed_cluster = !billed.of(&p.topic.cluster).is_empty();
            let ctx = readiness::Context { escalation, partial_sources: &partial, billed: billed_cluster };
            let readiness = readiness::score(&p.topic, &p.inputs, &ctx, &config.readiness);
            let p = Priced { topic: Topic { readiness: Some(readiness), ..p.topic }, ..p };
            let actions = match books.get(&p.topic.cluster) {
                Some(book) => actions::for_topic(&p, &config.assumptions, book, &config.readiness, platform),
                None => Vec::new(),
            };
            (p, actions)
        })
        .unzip();
    (scored, actions.into_iter().flatten().collect())
}

/// One cluster: its topics' costs under each placement summed, its prices, its bill against today's placement,
/// and its sizing.
fn cluster_summary(
    name: &str,
    entry: &ClusterEntry<'_>,
    topics: &[Topic],
    billed: &bill::Bill,
    books: &BTreeMap<String, PriceBook>,
    sizing: sizing::Sizing,
    config: &ModelSettings,
) -> ClusterSummary {
    let mut broker_local = CostBreakdown::default();
    let mut tiered_storage = CostBreakdown::default();
    let mut shared_storage = CostBreakdown::default();
    let mut express = CostBreakdown::default();
    let mut today = CostBreakdown::default();
    for t in topics.iter().filter(|t| t.cluster == name) {
        broker_local.absorb(&t.broker_local);
        tiered_storage.absorb(t.tiered_or_local());
        shared_storage.absorb(&t.shared_storage);
        express.absorb(&t.express);
        today.absorb(t.current_cost());
    }
    let (cfg, inputs) = (entry.config, &entry.inputs);
    let lines = billed.of(name).to_vec();
    let residuals = bill::residuals(&lines, &today, config.assumptions.month_hours);
    ClusterSummary {
        cluster: name.to_string(),
        platform: cfg.platform.key().into(),
        region: cfg.region.clone(),
        broker_instance_type: cfg.broker_instance_type.clone(),
        brokers: inputs.brokers,
        zones: inputs.zones,
        topics: entry.topics,
        retained_bytes: entry.retained_bytes,
        bytes_in_per_sec: inputs.cluster_bytes_in_per_sec,
        broker_local: broker_local.into(),
        tiered_storage: tiered_storage.into(),
        shared_storage: shared_storage.into(),
        express: express.into(),
        prices: books.get(name).map(|b| b.prices.iter().cloned().map(Into::into).collect()).unwrap_or_default(),
        billed_usd: (!lines.is_empty()).then(|| lines.iter().map(|l| l.amount_usd).sum()),
        residuals,
        billed: lines,
        sizing: sizing.into(),
    }
}

fn totals(topics: &[Topic], owners: i64, billed: &bill::Bill, daily_costs: &[DailyCost], complete: bool) -> Totals {
    let billed_days = {
        let mut days: Vec<&str> = daily_costs.iter().map(|d| d.date.as_str()).collect();
        days.dedup();
        days.len() as i64
    };
    let [current, local, tiered, shared, express] = gaps::TOTALS.map(|total| gaps::known_sum(topics, &total));
    Totals {
        right_sized_monthly_usd: topics.iter().map(|t| t.right_sized_monthly_usd).sum(),
        topics: topics.len() as i64,
        owners,
        retained_bytes: topics.iter().filter_map(|t| t.retained_bytes).sum(),
        broker_local_monthly_usd: local,
        tiered_storage_monthly_usd: tiered,
        shared_storage_monthly_usd: shared,
        express_monthly_usd: express,
        current_monthly_usd: current,
        unknown: gaps::unknown_totals(topics),
        billed_usd: (!billed.is_empty()).then(|| billed.lines().map(|l| l.amount_usd).sum()),
        billed_days,
        achievable: Default::default(),
        incomplete_topics: topics.iter().filter(|t| gaps::is_incomplete(t)).count() as i64,
        complete,
    }
}

/// Each cluster sized for its own load, from its topics and write-rate points.
fn size_clusters(
    tables: &Tables,
    disks: &BTreeMap<String, BrokerBytes>,
    clusters: &BTreeMap<String, ClusterEntry<'_>>,
    priced: &[Priced],
    billed: &bill::Bill,
    books: &BTreeMap<String, PriceBook>,
    config: &ModelSettings,
) -> Result<BTreeMap<String, sizing::Sizing>, ModelError> {
    let rate_points = cluster_rate_points(tables)?;
    Ok(clusters
        .iter()
        .map(|(name, entry)| {
            let sized = cluster_sizing(name, entry, priced, billed.of(name), &rate_points, books.get(name), config);
            let held = disks.get(name).map(Vec::as_slice).unwrap_or_default();
            let uniform = entry.config.platform == Platform::Msk;
            let need =
                sizing::disk_need(held, entry.inputs.brokers, uniform, config.assumptions.target_disk_utilization);
            (name.clone(), sized.with_disk(need).priced_disk(books.get(name).and_then(|b| storage_price(b, entry))))
        })
        .collect())
}

/// The cluster's broker storage price, per GiB-month (its bill's where it has one).
fn storage_price(book: &PriceBook, entry: &ClusterEntry<'_>) -> Option<Decimal> {
    book.get(&entry.inputs.storage_key().into()).map(|p| p.usd)
}

/// A cluster's broker volumes: what they hold and cost, and what the bill shows of them.
fn volumes<'a>(
    c: &'a ClusterSummary,
    entry: &ClusterEntry<'_>,
    disks: &'a BTreeMap<String, BrokerBytes>,
    books: &BTreeMap<String, PriceBook>,
    config: &ModelSettings,
) -> actions::Volumes<'a> {
    actions::Volumes {
        cluster: &c.cluster,
        msk: entry.config.platform == Platform::Msk,
        brokers: entry.inputs.brokers,
        held: disks.get(&c.cluster).map(Vec::as_slice).unwrap_or_default(),
        billed_gib: c.sizing.disk_gib_billed,
        price: books.get(&c.cluster).and_then(|b| storage_price(b, entry)),
        target_utilization: config.assumptions.target_disk_utilization,
    }
}

/// Each broker and the bytes it holds (None = unknown).
type BrokerBytes = Vec<(i64, Option<i64>)>;

/// The bytes each broker holds, per cluster: the sizes of the partitions it has a replica of (None when one is
/// unknown).
fn broker_bytes(tables: &Tables) -> Result<BTreeMap<String, BrokerBytes>, ModelError> {
    let mut held: BTreeMap<String, BTreeMap<i64, Option<i64>>> = BTreeMap::new();
    for r in rows::<PartitionPlacementRow>(tables)? {
        let Some(broker) = r.broker_id else { continue };
        let slot = held.entry(r.cluster).or_default().entry(broker).or_insert(Some(0));
        *slot = slot.zip(r.size_bytes).map(|(a, b)| a + b);
    }
    Ok(held.into_iter().map(|(c, b)| (c, b.into_iter().collect())).collect())
}

/// A topic's broker-local cost on its cluster sized for its own load: the broker hours × brokers needed ÷ brokers
/// today, the rest as modelled (storage is already at the target utilisation). Unknown when broker-local is.
fn right_sized(p: Priced, sizings: &BTreeMap<String, sizing::Sizing>) -> Priced {
    let local = &p.topic.broker_local;
    let sized = sizings.get(&p.topic.cluster).filter(|s| s.brokers_today > 0).and_then(|s| {
        let factor = Decimal::from(s.brokers_needed) / Decimal::from(s.brokers_today);
        let compute: Decimal =
            local.components.iter().filter(|c| c.name == cost::Component::BrokerCompute).map(|c| c.monthly_usd).sum();
        local.missing.is_empty().then(|| (local.monthly_usd - compute * (Decimal::ONE - factor)).round_dp(6))
    });
    Priced { topic: Topic { right_sized_monthly_usd: sized, ..p.topic }, ..p }
}

/// The cluster sized for its own load (`sizing`), priced with its own prices, with the storage its bill shows.
fn cluster_sizing(
    name: &str,
    entry: &ClusterEntry<'_>,
    priced: &[Priced],
    lines: &[BilledLine],
    rate_points: &BTreeMap<String, Vec<f64>>,
    book: Option<&PriceBook>,
    config: &ModelSettings,
) -> sizing::Sizing {
    let (cfg, inputs) = (entry.config, &entry.inputs);
    let loads: Vec<sizing::TopicLoad> = priced
        .iter()
        .filter(|p| p.topic.cluster == name)
        .map(|p| sizing::TopicLoad {
            partitions: p.topic.partitions,
            replication_factor: p.topic.replication_factor,
            bytes_in_per_sec: p.topic.bytes_in_per_sec,
            retained_bytes: p.topic.retained_bytes,
            reads: rust_decimal::prelude::ToPrimitive::to_f64(&p.inputs.reads()).unwrap_or(0.0),
        })
        .collect();
    let points = rate_points.get(name).map(Vec::as_slice).unwrap_or(&[]);
    let price_of = |key: &PriceKey| book.and_then(|b| b.get(key)).map(|p| p.usd);
    let a = &config.assumptions;
    let sized = sizing::size(&loads, points, &cfg.broker_instance_type, inputs.brokers, inputs.zones, a).priced(
        price_of(&inputs.broker_price_key),
        price_of(&inputs.storage_key().into()),
        a.month_hours,
    );
    let month_days = a.month_hours / Decimal::from(24);
    let storage: Vec<&BilledLine> = lines
        .iter()
        .filter(|l| bill::CostClass::of(&l.cost_class).is_some_and(bill::CostClass::is_broker_storage))
        .collect();
    sizing::Sizing {
        // Unknown when a storage line's quantity is: never a sum over part of the volumes.
        disk_gib_billed: storage.iter().map(|l| l.days).max().filter(|d| *d > 0).and_then(|days| {
            let quantity: Decimal = storage.iter().map(|l| l.charged_quantity).sum::<Option<Decimal>>()?;
            Some((quantity / Decimal::from(days) * month_days).round_dp(3))
        }),
        ..sized
    }
}

/// A cluster in the data: its config, the formulas' inputs, and its topics and bytes retained.
struct ClusterEntry<'a> {
    config: &'a crate::settings::ClusterConfig,
    inputs: ClusterInputs,
    topics: i64,
    retained_bytes: i64,
}

/// Per cluster in the data: its config, the formula inputs, and its topics and bytes retained.
fn cluster_inputs<'a>(
    tables: &Tables,
    config: &'a ModelSettings,
    billed: &bill::Bill,
) -> Result<BTreeMap<String, ClusterEntry<'a>>, ModelError> {
    let mut broker_zones: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for z in rows::<BrokerZone>(tables)? {
        if let Some(rack) = z.rack {
            broker_zones.entry(z.cluster).or_default().push((rack, z.brokers));
        }
    }
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for facts in rows::<ClusterFacts>(tables)? {
        let Some(cfg) = config.clusters.iter().find(|c| c.name == facts.cluster) else {
            problems.push(Problem::new(
                &config.config_path,
                None,
                Some("clusters"),
                format!(
                    "the data has a cluster `{}` that no [[clusters]] table declares (declared: {})",
                    facts.cluster,
                    config.clusters.iter().map(|c| format!("`{}`", c.name)).collect::<Vec<_>>().join(", ")
                ),
            ));
            continue;
        };
        let broker_price_key = PriceKey::broker(cfg.platform, &cfg.broker_instance_type);
        let inputs = ClusterInputs {
            platform: cfg.platform,
            volume: bill::volume_type(billed.of(&facts.cluster)).or(cfg.ebs_volume_type),
            brokers: facts.brokers,
            zones: facts.zones,
            broker_zones: broker_zones.remove(&facts.cluster).unwrap_or_default(),
            broker_price_key,
            cluster_bytes_in_per_sec: facts.bytes_in_per_sec.unwrap_or(0.0),
            disk_write_bytes_per_sec: 0.0,
            read_bytes_per_sec: 0.0,
            partitions: 0,
        };
        let entry = ClusterEntry { config: cfg, inputs, topics: facts.topics, retained_bytes: facts.retained_bytes };
        out.insert(facts.cluster, entry);
    }
    if problems.is_empty() { Ok(out) } else { Err(Problems(problems).into()) }
}

/// A topic's formula inputs and the cluster's, kept beside its report for what-ifs and owner roll-ups.
pub(crate) struct Priced {
    pub topic: Topic,
    pub inputs: TopicInputs,
    pub cluster: ClusterInputs,
    /// Complete scenarios' costs at today's retention and twice it (see `choice`).
    pub lines: Vec<Line>,
    /// What its read-rate points say (None without any).
    pub reads: Option<reads::Reads>,
}

/// Consumer groups per (cluster, topic), with the `[[model.clients]]` rule that applies to each.
fn topic_groups(
    tables: &Tables,
    config: &ModelSettings,
) -> Result<BTreeMap<(String, String), Vec<GroupInputs>>, ModelError> {
    let measured = measured_zones(tables)?;
    let mut out: BTreeMap<(String, String), Vec<GroupInputs>> = BTreeMap::new();
    for g in rows::<GroupLagRow>(tables)? {
        let rule = config.assumptions.group_rule(&g.group_id, &g.owner);
        let measured = measured.get(&(g.cluster.clone(), g.group_id.clone())).cloned();
        let active = !matches!(g.state.as_str(), "Empty" | "Dead");
        out.entry((g.cluster, g.topic)).or_default().push(GroupInputs {
            active,
            reads: Decimal::ZERO,
            read_basis: cost::ReadBasis::NotReading,
            committed_reads: g
                .read_copies
                .and_then(<Decimal as rust_decimal::prelude::FromPrimitive>::from_f64)
                .map(|c| c.round_dp(6)),
            group_id: g.group_id,
            lag: g.total_lag,
            clients: config.assumptions.clients(rule, measured),
            fetch_from_follower: rule.and_then(|r| r.fetch_from_follower),
        });
    }
    Ok(out)
}

/// A topic priced under every placement, with each complete one's cost at today's retention, at twice it, and at
/// twice today's write rate.
pub(crate) struct Placed {
    pub broker_local: CostBreakdown,
    pub tiered: Result<CostBreakdown, cost::NotTierable>,
    pub shared_storage: CostBreakdown,
    pub express: CostBreakdown,
    pub lines: Vec<Line>,
}

/// Prices a topic under the four placements (broker-local, tiered storage, shared storage, MSK Express).
pub(crate) fn price(t: &TopicInputs, c: &ClusterInputs, a: &Assumptions, prices: &PriceBook) -> Placed {
    type Formula = fn(&TopicInputs, &ClusterInputs, &Assumptions, &PriceBook) -> CostBreakdown;
    let local = cost::broker_local(t, c, a, prices);
    let tiered = cost::tiered_storage(t, c, a, prices);
    let shared = cost::shared_storage(t, c, a, prices);
    let express = cost::express(t, c, a, prices);
    let doubled = t.with_retention_factor(Decimal::TWO);
    let (faster, busier) = (t.with_rate_factor(Decimal::TWO), c.with_topic_rate_factor(t, Decimal::TWO));
    let complete = |b: &CostBreakdown| b.missing.is_empty();
    let line = |scenario: Scenario, now: &CostBreakdown, formula: Formula| Line {
        scenario,
        at_1: now.monthly_usd,
        at_2: formula(&doubled, c, a, prices).monthly_usd,
        rate_2: formula(&faster, &busier, a, prices).monthly_usd,
    };
    let mut lines = Vec::new();
    if complete(&local) {
        lines.push(line(Scenario::BrokerLocal, &local, cost::broker_local));
    }
    if let Ok(tiered) = &tiered
        && complete(tiered)
    {
        let again = |t: &TopicInputs, c: &ClusterInputs| {
            cost::tiered_storage(t, c, a, prices).map(|b| b.monthly_usd).unwrap_or(tiered.monthly_usd)
        };
        lines.push(Line {
            scenario: Scenario::TieredStorage,
            at_1: tiered.monthly_usd,
            at_2: again(&doubled, c),
            rate_2: again(&faster, &busier),
        });
    }
    if complete(&shared) {
        lines.push(line(Scenario::SharedStorage, &shared, cost::shared_storage));
    }
    if complete(&express) {
        lines.push(line(Scenario::Express, &express, cost::express));
    }
    Placed { broker_local: local, tiered, shared_storage: shared, express, lines }
}

fn priced_topics(
    tables: &Tables,
    config: &ModelSettings,
    clusters: &BTreeMap<String, ClusterEntry<'_>>,
    books: &BTreeMap<String, PriceBook>,
) -> Result<Vec<Priced>, ModelError> {
    let facts = rows::<TopicFacts>(tables)?;
    let mut readers = topic_groups(tables, config)?;
    let mut placements = placements(tables)?;
    let read_points = rows::<crate::join::contract::TopicRead>(tables)?;
    let mut topic_reads: BTreeMap<(&str, &str), Vec<&crate::join::contract::TopicRead>> = BTreeMap::new();
    for r in &read_points {
        topic_reads.entry((r.cluster.as_str(), r.topic.as_str())).or_default().push(r);
    }
    // Each group's reads, from its members and the topic's measured bytes out.
    for f in &facts {
        let groups = readers.entry((f.cluster.clone(), f.topic.clone())).or_default();
        let clients = config.assumptions.clients(config.assumptions.producer_rule(&f.owner), None);
        reads::assign(groups, f.bytes_in_per_sec, f.bytes_out_per_sec, &clients);
    }
    // What each cluster's disks take in: Σ write rate × RF (the share of provisioned throughput and IOPS).
    // And what its consumers read: Σ write rate × the copies read (shared storage's broker sizing).
    let mut disk_writes: BTreeMap<&str, f64> = BTreeMap::new();
    let mut reads: BTreeMap<&str, f64> = BTreeMap::new();
    // And its partitions (Express brokers are sized for them too).
    let mut partitions: BTreeMap<&str, i64> = BTreeMap::new();
    for f in &facts {
        *partitions.entry(f.cluster.as_str()).or_default() += f.partitions;
        let rate = f.bytes_in_per_sec.unwrap_or(0.0);
        *disk_writes.entry(f.cluster.as_str()).or_default() += rate * f.replication_factor.max(1) as f64;
        let copies: Decimal = readers[&(f.cluster.clone(), f.topic.clone())].iter().map(|g| g.reads).sum();
        *reads.entry(f.cluster.as_str()).or_default() +=
            rate * rust_decimal::prelude::ToPrimitive::to_f64(&copies).unwrap_or(0.0);
    }
    // Each topic's inputs gathered in turn, then the topics priced on every core (each is independent).
    let mut work = Vec::with_capacity(facts.len());
    for f in &facts {
        let (Some(entry), Some(prices)) = (clusters.get(&f.cluster), books.get(&f.cluster)) else {
            return Err(Problems(vec![Problem::new(
                &config.config_path,
                None,
                Some("clusters"),
                format!("topic `{}` is in cluster `{}`, which has no brokers in the data", f.topic, f.cluster),
            )])
            .into());
        };
        let cluster = ClusterInputs {
            disk_write_bytes_per_sec: disk_writes.get(f.cluster.as_str()).copied().unwrap_or(0.0),
            read_bytes_per_sec: reads.get(f.cluster.as_str()).copied().unwrap_or(0.0),
            partitions: partitions.get(f.cluster.as_str()).copied().unwrap_or(0),
            ..entry.inputs.clone()
        };
        let key = (f.cluster.clone(), f.topic.clone());
        let groups = readers.remove(&key).unwrap_or_default();
        let placement = placements.remove(&key).unwrap_or(Placement { partitions: vec![], basis: WeightBasis::Even });
        let read = topic_reads.remove(&(f.cluster.as_str(), f.topic.as_str()));
        work.push((f, cluster, groups, placement, prices, read));
    }
    Ok(work
        .into_par_iter()
        .map(|(f, cluster, groups, placement, prices, read)| {
            let priced = price_topic(f, cluster, groups, placement, prices, &config.assumptions);
            Priced { reads: read.map(|points| reads::Reads::of(&points)), ..priced }
        })
        .collect())
}

/// One topic priced under each placement, with the choice between them and what the report shows of it.
fn price_topic(
    f: &TopicFacts,
    cluster: ClusterInputs,
    groups: Vec<GroupInputs>,
    placement: Placement,
    prices: &PriceBook,
    a: &Assumptions,
) -> Priced {
    let cross_zone_follower_share = if f.follower_replicas > 0 {
        (Decimal::from(f.followers_in_other_zone) / Decimal::from(f.follower_replicas)).round_dp(6)
    } else {
        Decimal::ZERO
    };
    let tiered_today = (f.remote_storage_enable == Some(true)).then(|| f.local_retention_ms.unwrap_or(-2));
    let inputs = TopicInputs {
        replication_factor: f.replication_factor,
        retained_bytes: f.retained_bytes,
        partitions_size_unknown: f.partitions_size_unknown,
        bytes_in_per_sec: f.bytes_in_per_sec,
        messages_in_per_sec: f.messages_in_per_sec,
        internal: f.is_internal,
        retention_ms: f.retention_ms,
        retention_bytes: f.retention_bytes,
        bound_unknown: false,
        compacted: f.cleanup_policy.as_deref().is_some_and(|p| p.contains("compact")),
        deletes: f.cleanup_policy.as_deref().is_none_or(|p| p.contains("delete")),
        min_insync_replicas: f.min_insync_replicas,
        segment_bytes: f.segment_bytes,
        segment_ms: f.segment_ms,
        tiered_today,
        tiered_window_ms: None,
        messages_retained: f.messages_retained,
        producers: a.clients(a.producer_rule(&f.owner), None),
        groups,
        placement,
    };
    let produce_crossing_share =
        cost::kafka_crossing(&inputs, &cluster, &inputs.producers, false).map(|x| x.round_dp(6));
    let current = if tiered_today.is_some() { Scenario::TieredStorage } else { Scenario::BrokerLocal };
    let Placed { broker_local, tiered, shared_storage, express, lines } = price(&inputs, &cluster, a, prices);
    let choice = choice::choose_for_topic(current, &lines, inputs.retention_ms);
    let window = cost::local_window_ms(&inputs, a);
    let topic = Topic {
        cluster: f.cluster.clone(),
        topic: f.topic.clone(),
        owner: f.owner.clone(),
        owner_rule: f.owner_rule.clone(),
        is_internal: f.is_internal,
        partitions: f.partitions,
        replication_factor: f.replication_factor,
        retention_ms: f.retention_ms,
        retention_bytes: f.retention_bytes,
        cleanup_policy: f.cleanup_policy.clone(),
        remote_storage_enable: f.remote_storage_enable,
        local_retention_ms: f.local_retention_ms,
        retained_bytes: f.retained_bytes,
        partitions_size_unknown: f.partitions_size_unknown,
        bytes_in_per_sec: f.bytes_in_per_sec.map(round_rate),
        write_rate_basis: f.write_rate_basis.clone(),
        offset_bytes_in_per_sec: f.offset_bytes_in_per_sec.map(round_rate),
        consumer_groups: f.consumer_groups,
        max_group_lag: f.max_group_lag,
        groups_reading_remote: cost::groups_behind(&inputs, window),
        cross_zone_follower_share,
        placement_basis: inputs.placement.basis,
        producer_zones_source: inputs.producers.source,
        produce_crossing_share,
        current,
        broker_local,
        tiered_not_applicable: tiered.as_ref().err().map(ToString::to_string),
        tiered_storage: tiered.ok(),
        shared_storage,
        express,
        choice,
        right_sized_monthly_usd: None,
        readiness: None,
    };
    Priced { topic, inputs, cluster, lines, reads: None }
}

/// Where each consumer group's members run, from their `client.rack`: each member an equal share of the group's
/// reads (the assignment spreads partitions evenly over members). Only a group whose every member reports a rack is
/// measured; a group with a member that reports none is left to config or the default.
fn measured_zones(tables: &Tables) -> Result<BTreeMap<(String, String), ClientZones>, ModelError> {
    type Racks = Vec<(Option<String>, i64)>;
    let mut per_group: BTreeMap<(String, String), Racks> = BTreeMap::new();
    for g in rows::<GroupZone>(tables)? {
        per_group.entry((g.cluster, g.group_id)).or_default().push((g.rack, g.members));
    }
    Ok(per_group
        .into_iter()
        .filter(|(_, racks)| racks.iter().all(|(r, _)| r.is_some()))
        .filter_map(|(key, racks)| {
            let total: i64 = racks.iter().map(|(_, n)| n).sum();
            (total > 0).then(|| {
                let shares = racks
                    .into_iter()
                    .map(|(zone, n)| ZoneShare {
                        zone: zone.unwrap_or_default(),
                        share: Decimal::from(n) / Decimal::from(total),
                    })
                    .collect();
                (key, ClientZones::Named(shares))
            })
        })
        .collect())
}

/// Each cluster's write rate at each metric timestamp (every topic with a rate present).
fn cluster_rate_points(tables: &Tables) -> Result<BTreeMap<String, Vec<f64>>, ModelError> {
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in rows::<ClusterWriteRate>(tables)? {
        if let Some(v) = r.bytes_in_per_sec {
            out.entry(r.cluster).or_default().push(v);
        }
    }
    Ok(out)
}

/// Each topic's partitions: leader and follower zones, and the weights of their traffic shares.
fn placements(tables: &Tables) -> Result<BTreeMap<(String, String), Placement>, ModelError> {
    let mut topics: BTreeMap<(String, String), BTreeMap<i64, PartitionRow>> = BTreeMap::new();
    for r in rows::<PartitionPlacementRow>(tables)? {
        let (size_bytes, messages) = (r.size_bytes, r.messages_retained);
        let row = topics.entry((r.cluster, r.topic)).or_default().entry(r.partition).or_insert(PartitionRow {
            leader: None,
            followers: vec![],
            brokers: vec![],
            leader_broker: None,
            size_bytes,
            messages,
        });
        let Some(broker) = r.broker_id else { continue };
        row.brokers.push(broker);
        if r.is_leader {
            row.leader_broker = Some(broker);
            row.leader = r.rack;
        } else {
            row.followers.push(r.rack);
        }
    }
    Ok(topics.into_iter().map(|(k, parts)| (k, Placement::weigh(parts.into_values().collect()))).collect())
}

/// Rates are averages of floats; three decimals keep model.json stable and readable.
fn round_rate(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Per owner: the choice over their complete topics, and how many topics that is.
fn owner_choices(priced: &[Priced]) -> BTreeMap<String, (Option<Choice>, i64)> {
    let mut per_owner: BTreeMap<&str, Vec<&Priced>> = BTreeMap::new();
    for p in priced.iter().filter(|p| p.topic.choice.is_some()) {
        per_owner.entry(&p.topic.owner).or_default().push(p);
    }
    per_owner
        .into_iter()
        .map(|(owner, topics)| {
            let today: Decimal = topics.iter().map(|p| p.topic.current_cost().monthly_usd).sum();
            let lines =
                choice::sum_lines(topics.iter().map(|p| (&p.lines[..], p.topic.tiered_not_applicable.is_none())));
            let chosen = choice::choose(Some(today), Scenario::BrokerLocal, &lines, None);
            (owner.to_string(), (chosen, topics.len() as i64))
        })
        .collect()
}

/// Each owner whole: the facts, the topics' costs under each placement, the choice over the complete ones, the
/// topics' scorecards rolled up and the actions in the owner's pack.
fn owner_summaries(
    tables: &Tables,
    topics: &[Topic],
    choices: &BTreeMap<String, (Option<Choice>, i64)>,
    actions: &[actions::Action],
    (capacity, watch_days, ledger, contacts): (
        &crate::report_model::Capacity,
        i64,
        &crate::report_model::GapLedger,
        &[crate::settings::OwnerContact],
    ),
) -> Result<Vec<OwnerSummary>, ModelError> {
    // Each owner's topics and actions, gathered once (not filtered again per owner).
    let mut topics_of: BTreeMap<&str, Vec<&Topic>> = BTreeMap::new();
    for t in topics {
        topics_of.entry(t.owner.as_str()).or_default().push(t);
    }
    let mut actions_of: BTreeMap<&str, Vec<&actions::Action>> = BTreeMap::new();
    for a in actions {
        actions_of.entry(a.owner.as_str()).or_default().push(a);
    }
    Ok(rows::<OwnerFacts>(tables)?
        .into_iter()
        .map(|o| {
            let mine: Vec<&Topic> = topics_of.remove(o.owner.as_str()).unwrap_or_default();
            let [current, local, tiered, shared, express] =
                gaps::TOTALS.map(|total| gaps::known_sum(mine.iter().copied(), &total));
            let (choice, choice_topics) = choices.get(&o.owner).cloned().unwrap_or((None, 0));
            let cards: Vec<(&str, &readiness::Scorecard)> =
                mine.iter().filter_map(|t| t.readiness.as_ref().map(|r| (t.topic.as_str(), r))).collect();
            let owned: Vec<&actions::Action> = actions_of.remove(o.owner.as_str()).unwrap_or_default();
            let readiness = (!cards.is_empty()).then(|| {
                let mut card = readiness::roll_up(&cards);
                // The owner's own dimension: the brokers its bytes sit on.
                if let Some(check) = readiness::capacity(&o.owner, &capacity.brokers, watch_days) {
                    card.verdict = card.verdict.max(check.verdict);
                    card.checks.push(check);
                }
                // Closure and the action boundary are the owner's own too: its gaps off any topic (an alert route)
                // and its cluster-level actions count.
                for own in [ledger::owner_check(&o.owner, ledger), readiness::safe_action(&owned, contacts)] {
                    card.checks.retain(|c| c.dimension != own.dimension);
                    card.checks.push(own);
                }
                card.checks.sort_by_key(|c| c.dimension);
                card.verdict =
                    card.checks.iter().map(|c| c.verdict).max().unwrap_or(crate::report_model::Verdict::Ready);
                card.into()
            });
            OwnerSummary {
                right_sized_monthly_usd: mine.iter().map(|t| t.right_sized_monthly_usd).sum(),
                owner: o.owner,
                team: o.team,
                cost_center: o.cost_center,
                escalation: o.escalation,
                channel: o.channel,
                topics: o.topics,
                partitions: o.partitions,
                retained_bytes: o.retained_bytes,
                bytes_in_per_sec: o.bytes_in_per_sec.map(round_rate),
                consumer_groups: o.consumer_groups,
                max_group_lag: o.max_group_lag,
                broker_local_monthly_usd: local,
                tiered_storage_monthly_usd: tiered,
                shared_storage_monthly_usd: shared,
                express_monthly_usd: express,
                current_monthly_usd: current,
                incomplete_topics: mine.iter().filter(|t| gaps::is_incomplete(t)).count() as i64,
                choice: choice.map(Into::into),
                choice_topics,
                readiness,
                actions: owned.len() as i64,
                action_saving_usd: owned.iter().map(|a| a.monthly_saving_usd).max().unwrap_or_default(),
            }
        })
        .collect())
}

fn tag_costs(tables: &Tables) -> Result<Vec<TagCost>, ModelError> {
    Ok(rows::<OwnerTagCost>(tables)?
        .into_iter()
        .map(|t| TagCost {
            owner: t.owner,
            owner_rule: t.owner_rule,
            tag_key: t.tag_key,
            tag_value: t.tag_value,
            source: t.source,
            first_day: t.first_day.to_string(),
            last_day: t.last_day.to_string(),
            days: t.days,
            amount_usd: t.amount.normalize(),
        })
        .collect())
}

fn daily_costs(tables: &Tables) -> Result<Vec<DailyCost>, ModelError> {
    Ok(rows::<DailyCostRow>(tables)?
        .into_iter()
        .map(|d| DailyCost {
            date: d.billing_day.to_string(),
            cluster: d.cluster,
            cost_class: d.cost_class,
            amount_usd: d.amount.normalize(),
        })
        .collect())
}

/// Each consumer group whole: its lag in messages and in time, where its clients are and how much of its reading
/// crosses a zone (read against its topic's priced inputs).
fn group_lags(
    tables: &Tables,
    priced: &[Priced],
    (capacity, config, platform): (&crate::report_model::Capacity, &ModelSettings, &str),
) -> Result<Vec<GroupLag>, ModelError> {
    let a = &config.assumptions;
    let by_topic: BTreeMap<(&str, &str), &Priced> =
        priced.iter().map(|p| ((p.topic.cluster.as_str(), p.topic.topic.as_str()), p)).collect();
    let mut partitions: BTreeMap<(String, String, String), Vec<crate::join::contract::GroupPartitionLag>> =
        BTreeMap::new();
    for r in rows::<crate::join::contract::GroupPartitionLag>(tables)? {
        partitions.entry((r.cluster.clone(), r.group_id.clone(), r.topic.clone())).or_default().push(r);
    }
    Ok(rows::<GroupLagRow>(tables)?
        .into_iter()
        .map(|g| {
            let mine = partitions.remove(&(g.cluster.clone(), g.group_id.clone(), g.topic.clone())).unwrap_or_default();
            let routing = lag::Routing {
                owner: &g.owner,
                platform,
                capacity,
                skew_factor: config.readiness.lag_skew_factor,
                growth_share: config.readiness.lag_growth_share,
            };
            let lag_class = lag::classify(&mine, &routing);
            let topic = by_topic.get(&(g.cluster.as_str(), g.topic.as_str())).copied();
            let lag_ms = match (topic, g.total_lag) {
                (Some(p), Some(lag)) => cost::lag_ms(&p.inputs, lag).map(cost::whole),
                _ => None,
            };
            let clients = topic.and_then(|p| Some((p, p.inputs.groups.iter().find(|x| x.group_id == g.group_id)?)));
            let crossing_share = clients.and_then(|(p, gi)| {
                let from_followers = gi.fetch_from_follower.unwrap_or(a.fetch_from_follower);
                cost::kafka_crossing(&p.inputs, &p.cluster, &gi.clients, from_followers).map(|x| x.round_dp(6))
            });
            GroupLag {
                reads: clients.map(|(_, gi)| gi.reads.normalize()),
                read_basis: clients.map(|(_, gi)| gi.read_basis),
                lag_ms,
                zones_source: clients.map(|(_, gi)| gi.clients.source),
                client_zones: clients.map(|(p, gi)| gi.clients.describe(&p.cluster.zone_names())),
                crossing_share,
                cluster: g.cluster,
                group_id: g.group_id,
                owner: g.owner,
                state: g.state,
                topic: g.topic,
                topic_owner: g.topic_owner,
                partitions: g.partitions,
                total_lag: g.total_lag,
                max_partition_lag: g.max_partition_lag,
                lag_class,
            }
        })
        .collect())
}

/// Every day of every cost source's window with the lines and amount it delivered (see `CostDay`).
fn cost_days(tables: &Tables, sources: &[SourceReport]) -> Result<Vec<CostDay>, ModelError> {
    let delivered: BTreeMap<(String, chrono::NaiveDate), (i64, Decimal)> =
        rows::<SourceDay>(tables)?.into_iter().map(|d| ((d.source, d.billing_day), (d.lines, d.amount))).collect();
    let mut out = Vec::new();
    for source in sources {
        let (Some(window), Some(tag)) = (source.window, source.line_source.as_deref()) else { continue };
        for day in window.first.iter_days().take_while(|d| *d <= window.last) {
            let found = delivered.get(&(tag.to_string(), day));
            out.push(CostDay {
                source: source.name.clone(),
                day: day.to_string(),
                lines: found.map(|f| f.0).unwrap_or(0),
                amount_usd: found.map(|f| f.1),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
