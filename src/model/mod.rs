//! Model: turns the join stage's tables into the versioned [`ReportModel`]. Pure: no I/O, decimal money.
//!
//! Reads `topic_facts`, `owner_facts`, `cluster_facts`, `group_lag`, `cluster_costs` and `daily_costs`; prices each
//! topic under each placement scenario (`cost`), rolls topics up per owner and per cluster in decimal, and sets the
//! billed cost beside the modelled one. polars types stop here.

pub mod allocate;
pub use bill::{IDLE, UNALLOCATED};
pub mod actions;
pub mod assumptions;
mod bill;
pub mod choice;
pub mod cost;
mod frames;
mod publish;
pub mod readiness;
pub mod sizing;
mod topic;
pub mod trend;
mod whatif;
pub mod zones;

pub(crate) use topic::Topic;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::collect::SourceReport;
use crate::error::{Problem, Problems};
use crate::normalize::Tables;
use crate::prices::PriceBook;
use crate::report_model::{
    BilledLine, ClusterSummary, CostDay, DailyCost, GroupLag, MODEL_VERSION, OwnerSummary, ReportModel, ScenarioInfo,
    TagCost, Totals,
};
use crate::settings::{ModelSettings, Platform};
use assumptions::Assumptions;
use choice::{Choice, Line, Scenario};
use cost::{ClusterInputs, CostBreakdown, GroupInputs, TopicInputs};
use frames::FrameReader;
use zones::{ClientZones, PartitionRow, Placement, WeightBasis, ZoneShare};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("table `{table}` has no usable column `{column}`: {reason}")]
    Column { table: &'static str, column: String, reason: String },
    #[error("the join stage produced no table `{0}`")]
    MissingTable(&'static str),
    #[error("{0}")]
    Invalid(#[from] Problems),
}

fn reader<'a>(tables: &'a Tables, table: &'static str) -> Result<FrameReader<'a>, ModelError> {
    tables.get(table).map(|frame| FrameReader { table, frame }).ok_or(ModelError::MissingTable(table))
}

/// What a run says of itself: the scenario it collected and each source's completeness.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub scenario_name: &'a str,
    pub description: &'a str,
    pub captured_at: Option<chrono::DateTime<chrono::Utc>>,
    pub sources: &'a [SourceReport],
}

impl Run<'_> {
    /// True when every source completed.
    fn is_complete(&self) -> bool {
        self.sources.iter().all(|s| s.status == crate::collect::SourceStatus::Complete)
    }
}

/// Builds the report model from the joined tables, the model's settings and what the run says of itself.
pub fn build(tables: &Tables, config: &ModelSettings, run: &Run<'_>) -> Result<ReportModel, ModelError> {
    let clusters = cluster_inputs(tables, config)?;
    let billed = bill::billed_lines(tables)?;
    let billed_of =
        |name: &str| -> Vec<BilledLine> { billed.iter().filter(|(c, _)| c == name).map(|(_, l)| l.clone()).collect() };
    // Each cluster's prices: its region's list prices, the bill's effective prices, the config's overrides.
    let books: BTreeMap<String, PriceBook> = clusters
        .iter()
        .map(|(name, (cfg, _, _))| {
            let effective = bill::effective_prices(cfg, &billed_of(name));
            (name.clone(), config.prices.settle(&cfg.region, &effective, &config.price_overrides))
        })
        .collect();
    let mut priced = priced_topics(tables, config, &clusters, &books)?;
    let what_ifs = whatif::evaluate(&config.what_ifs, &priced, config, &books)?;
    let owner_choices = owner_choices(&priced);

    // Scorecards and next actions: what the next team needs to act.
    let rules = &config.readiness;
    let catalog_owners = &config.owners;
    let platform = if catalog_owners.iter().any(|o| o.owner == rules.platform_owner) {
        rules.platform_owner.clone()
    } else {
        "the platform team".to_string()
    };
    let partial: Vec<String> = run
        .sources
        .iter()
        .filter(|s| s.status != crate::collect::SourceStatus::Complete)
        .map(|s| s.name.clone())
        .collect();
    let mut actions = Vec::new();
    for p in priced.iter_mut() {
        let escalation = catalog_owners.iter().find(|o| o.owner == p.topic.owner).map(|o| o.escalation.as_str());
        let billed_cluster = billed.iter().any(|(c, _)| c == &p.topic.cluster);
        let ctx = readiness::Context { escalation, partial_sources: &partial, billed: billed_cluster };
        p.topic.readiness = Some(readiness::score(&p.topic, &p.inputs, &ctx, rules));
        if let Some(book) = books.get(&p.topic.cluster) {
            actions.extend(actions::for_topic(p, &config.assumptions, book, rules, &platform));
        }
    }
    let mut consumer_groups = group_lags(tables)?;
    annotate_groups(&mut consumer_groups, &priced, &config.assumptions);
    let topics: Vec<Topic> = priced.into_iter().map(|p| p.topic).collect();
    let owners = owner_summaries(tables, &topics, &owner_choices)?;
    let daily_costs = daily_costs(tables)?;
    let rate_points = cluster_rate_points(tables)?;

    let cluster_summaries: Vec<ClusterSummary> = clusters
        .iter()
        .map(|(name, (cfg, inputs, facts))| {
            let mut broker_local = CostBreakdown::default();
            let mut tiered_storage = CostBreakdown::default();
            let mut shared_storage = CostBreakdown::default();
            let mut today = CostBreakdown::default();
            for t in topics.iter().filter(|t| &t.cluster == name) {
                broker_local.absorb(&t.broker_local);
                tiered_storage.absorb(t.tiered_or_local());
                shared_storage.absorb(&t.shared_storage);
                today.absorb(t.current_cost());
            }
            let lines = billed_of(name);
            let residuals = bill::residuals(&lines, &today, config.assumptions.month_hours);
            let sizing = cluster_sizing(name, cfg, inputs, &topics, &lines, &rate_points, books.get(name), config);
            ClusterSummary {
                cluster: name.clone(),
                platform: cfg.platform.key().into(),
                region: cfg.region.clone(),
                broker_instance_type: cfg.broker_instance_type.clone(),
                brokers: inputs.brokers,
                zones: inputs.zones,
                topics: facts.0,
                retained_bytes: facts.1,
                bytes_in_per_sec: inputs.cluster_bytes_in_per_sec,
                broker_local: broker_local.into(),
                tiered_storage: tiered_storage.into(),
                shared_storage: shared_storage.into(),
                prices: books.get(name).map(|b| b.prices.iter().cloned().map(Into::into).collect()).unwrap_or_default(),
                billed_usd: (!lines.is_empty()).then(|| lines.iter().map(|l| l.amount_usd).sum()),
                residuals,
                billed: lines,
                sizing: sizing.into(),
            }
        })
        .collect();

    for c in &cluster_summaries {
        let msk = c.platform == Platform::Msk.key();
        actions.extend(actions::shrink_volumes(&c.cluster, msk, &c.residuals, rules, &platform));
    }
    actions::sort(&mut actions);
    let owners = owners
        .into_iter()
        .map(|mut o| {
            let cards: Vec<(&str, &readiness::Scorecard)> = topics
                .iter()
                .filter(|t| t.owner == o.owner)
                .filter_map(|t| t.readiness.as_ref().map(|r| (t.topic.as_str(), r)))
                .collect();
            o.readiness = (!cards.is_empty()).then(|| readiness::roll_up(&cards).into());
            let mine = actions.iter().filter(|a| a.owner == o.owner);
            o.actions = mine.clone().count() as i64;
            o.action_saving_usd = mine.map(|a| a.monthly_saving_usd).max().unwrap_or_default();
            o
        })
        .collect::<Vec<_>>();

    let reconciliation = bill::reconcile(&bill::billed_per_class(&billed), &topics);
    let billed_days = {
        let mut days: Vec<&str> = daily_costs.iter().map(|d| d.date.as_str()).collect();
        days.dedup();
        days.len() as i64
    };
    let sum = |f: fn(&OwnerSummary) -> Decimal| owners.iter().map(f).sum();
    let totals = Totals {
        topics: topics.len() as i64,
        owners: owners.len() as i64,
        retained_bytes: topics.iter().filter_map(|t| t.retained_bytes).sum(),
        broker_local_monthly_usd: sum(|o| o.broker_local_monthly_usd),
        tiered_storage_monthly_usd: sum(|o| o.tiered_storage_monthly_usd),
        shared_storage_monthly_usd: sum(|o| o.shared_storage_monthly_usd),
        current_monthly_usd: sum(|o| o.current_monthly_usd),
        billed_usd: (!billed.is_empty()).then(|| billed.iter().map(|(_, l)| l.amount_usd).sum()),
        billed_days,
        incomplete_topics: topics.iter().filter(|t| !t.current_cost().missing.is_empty()).count() as i64,
        complete: run.is_complete(),
    };

    Ok(ReportModel {
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
        readiness_rules: rules.clone().into(),
        actions: actions.into_iter().map(Into::into).collect(),
        history: None,
        findings: Vec::new(),
    })
}

/// Each group's lag in time, and where its clients are and how much of its reading crosses a zone.
fn annotate_groups(groups: &mut [GroupLag], priced: &[Priced], a: &Assumptions) {
    let by_topic: BTreeMap<(&str, &str), &Priced> =
        priced.iter().map(|p| ((p.topic.cluster.as_str(), p.topic.topic.as_str()), p)).collect();
    for g in groups.iter_mut() {
        let inputs = by_topic.get(&(g.cluster.as_str(), g.topic.as_str()));
        g.lag_ms = match (inputs, g.total_lag) {
            (Some(p), Some(lag)) => cost::lag_ms(&p.inputs, lag).map(cost::whole),
            _ => None,
        };
        if let Some(p) = inputs
            && let Some(gi) = p.inputs.groups.iter().find(|x| x.group_id == g.group_id)
        {
            let from_followers = gi.fetch_from_follower.unwrap_or(a.fetch_from_follower);
            g.zones_source = Some(gi.clients.source);
            g.client_zones = Some(gi.clients.describe(&p.cluster.zone_names()));
            g.crossing_share =
                cost::kafka_crossing(&p.inputs, &p.cluster, &gi.clients, from_followers).map(|x| x.round_dp(6));
        }
    }
}

/// The cluster sized for its own load (`sizing`), priced with its own prices, with the storage its bill shows.
#[allow(clippy::too_many_arguments)]
fn cluster_sizing(
    name: &str,
    cfg: &crate::settings::ClusterConfig,
    inputs: &ClusterInputs,
    topics: &[Topic],
    lines: &[BilledLine],
    rate_points: &BTreeMap<String, Vec<f64>>,
    book: Option<&PriceBook>,
    config: &ModelSettings,
) -> sizing::Sizing {
    let loads: Vec<sizing::TopicLoad> = topics
        .iter()
        .filter(|t| t.cluster == name)
        .map(|t| sizing::TopicLoad {
            partitions: t.partitions,
            replication_factor: t.replication_factor,
            bytes_in_per_sec: t.bytes_in_per_sec,
            retained_bytes: t.retained_bytes,
            groups: t.consumer_groups,
        })
        .collect();
    let points = rate_points.get(name).map(Vec::as_slice).unwrap_or(&[]);
    let price_of = |key: &str| book.and_then(|b| b.get(key)).map(|p| p.usd);
    let a = &config.assumptions;
    let sized = sizing::size(&loads, points, &cfg.broker_instance_type, inputs.brokers, inputs.zones, a).priced(
        price_of(&inputs.broker_price_key),
        price_of(cost::storage_price_key(cfg.platform)),
        a.month_hours,
    );
    let month_days = a.month_hours / Decimal::from(24);
    let storage: Vec<&BilledLine> =
        lines.iter().filter(|l| l.cost_class == "msk_storage" || l.cost_class == "ebs_storage").collect();
    sizing::Sizing {
        disk_gib_billed: storage.iter().map(|l| l.days).max().filter(|d| *d > 0).map(|days| {
            let quantity: Decimal = storage.iter().map(|l| l.charged_quantity).sum();
            (quantity / Decimal::from(days) * month_days).round_dp(3)
        }),
        ..sized
    }
}

type ClusterEntry<'a> = (&'a crate::settings::ClusterConfig, ClusterInputs, (i64, i64));

/// Per cluster in the data: its config, the formula inputs, and (topics, retained bytes).
fn cluster_inputs<'a>(
    tables: &Tables,
    config: &'a ModelSettings,
) -> Result<BTreeMap<String, ClusterEntry<'a>>, ModelError> {
    let r = reader(tables, "cluster_facts")?;
    let (names, brokers, zones) = (r.str("cluster")?, r.i64("brokers")?, r.i64("zones")?);
    let (topics, bytes, rate) = (r.i64("topics")?, r.i64("retained_bytes")?, r.opt_f64("bytes_in_per_sec")?);
    let mut broker_zones: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    let z = reader(tables, "broker_zones")?;
    let (z_cluster, z_rack, z_brokers) = (z.str("cluster")?, z.opt_str("rack")?, z.i64("brokers")?);
    for i in 0..z.len() {
        if let Some(rack) = &z_rack[i] {
            broker_zones.entry(z_cluster[i].clone()).or_default().push((rack.clone(), z_brokers[i]));
        }
    }
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for i in 0..r.len() {
        let Some(cfg) = config.clusters.iter().find(|c| c.name == names[i]) else {
            problems.push(Problem::new(
                &config.config_path,
                None,
                Some("clusters"),
                format!(
                    "the data has a cluster `{}` that no [[clusters]] table declares (declared: {})",
                    names[i],
                    config.clusters.iter().map(|c| format!("`{}`", c.name)).collect::<Vec<_>>().join(", ")
                ),
            ));
            continue;
        };
        let broker_price_key = match cfg.platform {
            Platform::Msk => format!("msk.broker.{}", cfg.broker_instance_type),
            Platform::SelfManaged => format!("ec2.instance.{}", cfg.broker_instance_type),
        };
        let inputs = ClusterInputs {
            platform: cfg.platform,
            brokers: brokers[i],
            zones: zones[i],
            broker_zones: broker_zones.remove(&names[i]).unwrap_or_default(),
            broker_price_key,
            cluster_bytes_in_per_sec: rate[i].unwrap_or(0.0),
            disk_write_bytes_per_sec: 0.0,
            read_bytes_per_sec: 0.0,
        };
        out.insert(names[i].clone(), (cfg, inputs, (topics[i], bytes[i])));
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
}

/// Consumer groups per (cluster, topic), with the `[[model.clients]]` rule that applies to each.
fn topic_groups(
    tables: &Tables,
    config: &ModelSettings,
) -> Result<BTreeMap<(String, String), Vec<GroupInputs>>, ModelError> {
    let r = reader(tables, "group_lag")?;
    let (cluster, group, owner, topic, lag) =
        (r.str("cluster")?, r.str("group_id")?, r.str("owner")?, r.str("topic")?, r.opt_i64("total_lag")?);
    let measured = measured_zones(tables)?;
    let mut out: BTreeMap<(String, String), Vec<GroupInputs>> = BTreeMap::new();
    for i in 0..r.len() {
        let rule = config.assumptions.group_rule(&group[i], &owner[i]);
        let measured = measured.get(&(cluster[i].clone(), group[i].clone())).cloned();
        out.entry((cluster[i].clone(), topic[i].clone())).or_default().push(GroupInputs {
            group_id: group[i].clone(),
            lag: lag[i],
            clients: config.assumptions.clients(rule, measured),
            fetch_from_follower: rule.and_then(|r| r.fetch_from_follower),
        });
    }
    Ok(out)
}

/// Prices a topic under the three scenarios, with each complete one's cost at today's retention, at twice it, and
/// at twice today's write rate.
pub(crate) fn price(
    t: &TopicInputs,
    c: &ClusterInputs,
    a: &Assumptions,
    prices: &PriceBook,
) -> (CostBreakdown, Result<CostBreakdown, cost::NotTierable>, CostBreakdown, Vec<Line>) {
    let local = cost::broker_local(t, c, a, prices);
    let tiered = cost::tiered_storage(t, c, a, prices);
    let shared = cost::shared_storage(t, c, a, prices);
    let doubled = t.with_retention_factor(Decimal::TWO);
    let (faster, busier) = (t.with_rate_factor(Decimal::TWO), c.with_topic_rate_factor(t, Decimal::TWO));
    let complete = |b: &CostBreakdown| b.missing.is_empty();
    let mut lines = Vec::new();
    if complete(&local) {
        lines.push(Line {
            scenario: Scenario::BrokerLocal,
            at_1: local.monthly_usd,
            at_2: cost::broker_local(&doubled, c, a, prices).monthly_usd,
            rate_2: cost::broker_local(&faster, &busier, a, prices).monthly_usd,
        });
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
        lines.push(Line {
            scenario: Scenario::SharedStorage,
            at_1: shared.monthly_usd,
            at_2: cost::shared_storage(&doubled, c, a, prices).monthly_usd,
            rate_2: cost::shared_storage(&faster, &busier, a, prices).monthly_usd,
        });
    }
    (local, tiered, shared, lines)
}

fn priced_topics(
    tables: &Tables,
    config: &ModelSettings,
    clusters: &BTreeMap<String, ClusterEntry<'_>>,
    books: &BTreeMap<String, PriceBook>,
) -> Result<Vec<Priced>, ModelError> {
    let r = reader(tables, "topic_facts")?;
    let (cluster, topic, owner, rule) = (r.str("cluster")?, r.str("topic")?, r.str("owner")?, r.str("owner_rule")?);
    let (internal, partitions, rf) = (r.bool("is_internal")?, r.i64("partitions")?, r.i64("replication_factor")?);
    let (retention_ms, retention_bytes) = (r.opt_i64("retention_ms")?, r.opt_i64("retention_bytes")?);
    let (cleanup, remote) = (r.opt_str("cleanup_policy")?, r.opt_bool("remote_storage_enable")?);
    let local_retention = r.opt_i64("local_retention_ms")?;
    let (retained, unknown) = (r.opt_i64("retained_bytes")?, r.i64("partitions_size_unknown")?);
    let messages = r.opt_i64("messages_retained")?;
    let (followers, cross) = (r.i64("follower_replicas")?, r.i64("followers_in_other_zone")?);
    let (rate, groups, max_lag) = (r.opt_f64("bytes_in_per_sec")?, r.i64("consumer_groups")?, r.i64("max_group_lag")?);
    let mut readers = topic_groups(tables, config)?;
    let mut placements = placements(tables)?;
    // What each cluster's disks take in: Σ write rate × RF (the share of provisioned throughput and IOPS).
    // And what its consumers read: Σ write rate × groups (shared storage's broker sizing).
    let mut disk_writes: BTreeMap<&str, f64> = BTreeMap::new();
    let mut reads: BTreeMap<&str, f64> = BTreeMap::new();
    for i in 0..r.len() {
        *disk_writes.entry(cluster[i].as_str()).or_default() += rate[i].unwrap_or(0.0) * rf[i].max(1) as f64;
        *reads.entry(cluster[i].as_str()).or_default() += rate[i].unwrap_or(0.0) * groups[i] as f64;
    }

    let mut out = Vec::with_capacity(r.len());
    for i in 0..r.len() {
        let (Some((_, cluster_entry, _)), Some(prices)) = (clusters.get(&cluster[i]), books.get(&cluster[i])) else {
            return Err(Problems(vec![Problem::new(
                &config.config_path,
                None,
                Some("clusters"),
                format!("topic `{}` is in cluster `{}`, which has no brokers in the data", topic[i], cluster[i]),
            )])
            .into());
        };
        let cluster_inputs = &ClusterInputs {
            disk_write_bytes_per_sec: disk_writes.get(cluster[i].as_str()).copied().unwrap_or(0.0),
            read_bytes_per_sec: reads.get(cluster[i].as_str()).copied().unwrap_or(0.0),
            ..cluster_entry.clone()
        };
        let cross_zone_follower_share = if followers[i] > 0 {
            (Decimal::from(cross[i]) / Decimal::from(followers[i])).round_dp(6)
        } else {
            Decimal::ZERO
        };
        let tiered_today = (remote[i] == Some(true)).then(|| local_retention[i].unwrap_or(-2));
        let inputs = TopicInputs {
            replication_factor: rf[i],
            retained_bytes: retained[i],
            partitions_size_unknown: unknown[i],
            bytes_in_per_sec: rate[i],
            retention_ms: retention_ms[i],
            compacted: cleanup[i].as_deref().is_some_and(|p| p.contains("compact")),
            tiered_today,
            tiered_window_ms: None,
            messages_retained: messages[i],
            producers: config.assumptions.clients(config.assumptions.producer_rule(&owner[i]), None),
            groups: readers.remove(&(cluster[i].clone(), topic[i].clone())).unwrap_or_default(),
            placement: placements
                .remove(&(cluster[i].clone(), topic[i].clone()))
                .unwrap_or(Placement { partitions: vec![], basis: WeightBasis::Even }),
        };
        let produce_crossing_share =
            cost::kafka_crossing(&inputs, cluster_inputs, &inputs.producers, false).map(|x| x.round_dp(6));
        let current = if tiered_today.is_some() { Scenario::TieredStorage } else { Scenario::BrokerLocal };
        let (broker_local, tiered, shared_storage, lines) = price(&inputs, cluster_inputs, &config.assumptions, prices);
        let choice = choice::choose_for_topic(current, &lines, inputs.retention_ms);
        let window = cost::local_window_ms(&inputs, &config.assumptions);
        let topic_row = Topic {
            cluster: cluster[i].clone(),
            topic: topic[i].clone(),
            owner: owner[i].clone(),
            owner_rule: rule[i].clone(),
            is_internal: internal[i],
            partitions: partitions[i],
            replication_factor: rf[i],
            retention_ms: retention_ms[i],
            retention_bytes: retention_bytes[i],
            cleanup_policy: cleanup[i].clone(),
            remote_storage_enable: remote[i],
            local_retention_ms: local_retention[i],
            retained_bytes: retained[i],
            partitions_size_unknown: unknown[i],
            bytes_in_per_sec: rate[i].map(round_rate),
            consumer_groups: groups[i],
            max_group_lag: max_lag[i],
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
            choice,
            readiness: None,
        };
        out.push(Priced { topic: topic_row, inputs, cluster: cluster_inputs.clone(), lines });
    }
    Ok(out)
}

/// Where each consumer group's members run, from their `client.rack`: each member an equal share of the group's
/// reads (the assignment spreads partitions evenly over members). Only a group whose every member reports a rack is
/// measured; a group with a member that reports none is left to config or the default.
fn measured_zones(tables: &Tables) -> Result<BTreeMap<(String, String), ClientZones>, ModelError> {
    let r = reader(tables, "group_zones")?;
    let (cluster, group, rack, members) =
        (r.str("cluster")?, r.str("group_id")?, r.opt_str("rack")?, r.i64("members")?);
    type Racks = Vec<(Option<String>, i64)>;
    let mut per_group: BTreeMap<(String, String), Racks> = BTreeMap::new();
    for i in 0..r.len() {
        per_group.entry((cluster[i].clone(), group[i].clone())).or_default().push((rack[i].clone(), members[i]));
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
    let r = reader(tables, "cluster_write_rates")?;
    let (cluster, rate) = (r.str("cluster")?, r.opt_f64("bytes_in_per_sec")?);
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for i in 0..r.len() {
        if let Some(v) = rate[i] {
            out.entry(cluster[i].clone()).or_default().push(v);
        }
    }
    Ok(out)
}

/// Each topic's partitions: leader and follower zones, and the weights of their traffic shares.
fn placements(tables: &Tables) -> Result<BTreeMap<(String, String), Placement>, ModelError> {
    let r = reader(tables, "partition_placement")?;
    let (cluster, topic, partition) = (r.str("cluster")?, r.str("topic")?, r.i64("partition")?);
    let (broker, rack, leader) = (r.opt_i64("broker_id")?, r.opt_str("rack")?, r.bool("is_leader")?);
    let (size, messages) = (r.opt_i64("size_bytes")?, r.opt_i64("messages_retained")?);
    let mut rows: BTreeMap<(String, String), BTreeMap<i64, PartitionRow>> = BTreeMap::new();
    for i in 0..r.len() {
        let row =
            rows.entry((cluster[i].clone(), topic[i].clone())).or_default().entry(partition[i]).or_insert(
                PartitionRow { leader: None, followers: vec![], size_bytes: size[i], messages: messages[i] },
            );
        if broker[i].is_none() {
            continue;
        }
        if leader[i] {
            row.leader = rack[i].clone();
        } else {
            row.followers.push(rack[i].clone());
        }
    }
    Ok(rows.into_iter().map(|(k, parts)| (k, Placement::weigh(parts.into_values().collect()))).collect())
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

fn owner_summaries(
    tables: &Tables,
    topics: &[Topic],
    choices: &BTreeMap<String, (Option<Choice>, i64)>,
) -> Result<Vec<OwnerSummary>, ModelError> {
    let r = reader(tables, "owner_facts")?;
    let (owner, team, cc, esc, channel) =
        (r.str("owner")?, r.str("team")?, r.str("cost_center")?, r.str("escalation")?, r.opt_str("channel")?);
    let (n_topics, partitions, bytes) = (r.i64("topics")?, r.i64("partitions")?, r.i64("retained_bytes")?);
    let (rate, groups, lag) = (r.opt_f64("bytes_in_per_sec")?, r.i64("consumer_groups")?, r.i64("max_group_lag")?);
    let incomplete = r.i64("incomplete_topics")?;
    Ok((0..r.len())
        .map(|i| {
            let mine: Vec<&Topic> = topics.iter().filter(|t| t.owner == owner[i]).collect();
            let sum = |f: fn(&Topic) -> Decimal| mine.iter().map(|t| f(t)).sum::<Decimal>();
            let (choice, choice_topics) = choices.get(&owner[i]).cloned().unwrap_or((None, 0));
            OwnerSummary {
                owner: owner[i].clone(),
                team: team[i].clone(),
                cost_center: cc[i].clone(),
                escalation: esc[i].clone(),
                channel: channel[i].clone(),
                topics: n_topics[i],
                partitions: partitions[i],
                retained_bytes: bytes[i],
                bytes_in_per_sec: round_rate(rate[i].unwrap_or(0.0)),
                consumer_groups: groups[i],
                max_group_lag: lag[i],
                broker_local_monthly_usd: sum(|t| t.broker_local.monthly_usd),
                tiered_storage_monthly_usd: sum(|t| t.tiered_or_local().monthly_usd),
                shared_storage_monthly_usd: sum(|t| t.shared_storage.monthly_usd),
                current_monthly_usd: sum(|t| t.current_cost().monthly_usd),
                incomplete_topics: incomplete[i],
                choice: choice.map(Into::into),
                choice_topics,
                readiness: None,
                actions: 0,
                action_saving_usd: Decimal::ZERO,
            }
        })
        .collect())
}

fn tag_costs(tables: &Tables) -> Result<Vec<TagCost>, ModelError> {
    let r = reader(tables, "owner_tag_costs")?;
    let (owner, rule, key, value, source) =
        (r.str("owner")?, r.str("owner_rule")?, r.str("tag_key")?, r.str("tag_value")?, r.str("source")?);
    let (first, last, days, amount) = (r.str("first_day")?, r.str("last_day")?, r.i64("days")?, r.decimal("amount")?);
    Ok((0..r.len())
        .map(|i| TagCost {
            owner: owner[i].clone(),
            owner_rule: rule[i].clone(),
            tag_key: key[i].clone(),
            tag_value: value[i].clone(),
            source: source[i].clone(),
            first_day: first[i].clone(),
            last_day: last[i].clone(),
            days: days[i],
            amount_usd: amount[i].normalize(),
        })
        .collect())
}

fn daily_costs(tables: &Tables) -> Result<Vec<DailyCost>, ModelError> {
    let r = reader(tables, "daily_costs")?;
    let (date, cluster, class, amount) =
        (r.str("billing_day")?, r.str("cluster")?, r.str("cost_class")?, r.decimal("amount")?);
    Ok((0..r.len())
        .map(|i| DailyCost {
            date: date[i].clone(),
            cluster: cluster[i].clone(),
            cost_class: class[i].clone(),
            amount_usd: amount[i].normalize(),
        })
        .collect())
}

fn group_lags(tables: &Tables) -> Result<Vec<GroupLag>, ModelError> {
    let r = reader(tables, "group_lag")?;
    let (cluster, group, owner, state) = (r.str("cluster")?, r.str("group_id")?, r.str("owner")?, r.str("state")?);
    let (topic, topic_owner, partitions) = (r.str("topic")?, r.str("topic_owner")?, r.i64("partitions")?);
    let (total, max) = (r.opt_i64("total_lag")?, r.opt_i64("max_partition_lag")?);
    Ok((0..r.len())
        .map(|i| GroupLag {
            cluster: cluster[i].clone(),
            group_id: group[i].clone(),
            owner: owner[i].clone(),
            state: state[i].clone(),
            topic: topic[i].clone(),
            topic_owner: topic_owner[i].clone(),
            partitions: partitions[i],
            total_lag: total[i],
            max_partition_lag: max[i],
            lag_ms: None,
            zones_source: None,
            client_zones: None,
            crossing_share: None,
        })
        .collect())
}

/// Every day of every cost source's window with the lines and amount it delivered (see `CostDay`).
fn cost_days(tables: &Tables, sources: &[SourceReport]) -> Result<Vec<CostDay>, ModelError> {
    let r = reader(tables, "source_days")?;
    let (tag, day, lines, amount) = (r.str("source")?, r.str("billing_day")?, r.i64("lines")?, r.decimal("amount")?);
    let delivered: BTreeMap<(&str, &str), (i64, Decimal)> =
        (0..r.len()).map(|i| ((tag[i].as_str(), day[i].as_str()), (lines[i], amount[i]))).collect();
    let mut out = Vec::new();
    for source in sources {
        let (Some(window), Some(tag)) = (source.window, source.line_source.as_deref()) else { continue };
        for day in window.first.iter_days().take_while(|d| *d <= window.last) {
            let day = day.to_string();
            let found = delivered.get(&(tag, day.as_str()));
            out.push(CostDay {
                source: source.name.clone(),
                day: day.clone(),
                lines: found.map(|f| f.0).unwrap_or(0),
                amount_usd: found.map(|f| f.1),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
