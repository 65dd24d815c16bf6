//! Model: turns the join stage's tables into the versioned [`ReportModel`]. Pure: no I/O, decimal money.
//!
//! Reads `topic_facts`, `owner_facts`, `cluster_facts`, `group_lag`, `cluster_costs` and `daily_costs`; prices each
//! topic under each placement scenario (`cost`), rolls topics up per owner and per cluster in decimal, and sets the
//! billed cost beside the modelled one. polars types stop here.

pub mod allocate;
pub mod assumptions;
pub mod cost;
mod frames;
pub mod prices;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::collect::Collected;
use crate::config::{Config, Platform};
use crate::error::{Problem, Problems};
use crate::normalize::Tables;
use crate::report_model::*;
use cost::{ClusterInputs, CostBreakdown, TopicInputs};
use frames::FrameReader;

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

/// Builds the report model from joined tables, the config and what the sources said about themselves.
pub fn build(tables: &Tables, config: &Config, collected: &Collected) -> Result<ReportModel, ModelError> {
    let clusters = cluster_inputs(tables, config)?;
    let topics = topic_reports(tables, config, &clusters)?;
    let owners = owner_summaries(tables, &topics)?;
    let billed = billed_lines(tables)?;
    let daily_costs = daily_costs(tables)?;

    let cluster_summaries: Vec<ClusterSummary> = clusters
        .iter()
        .map(|(name, (cfg, inputs, facts))| {
            let mut broker_local = CostBreakdown::default();
            let mut shared_storage = CostBreakdown::default();
            for t in topics.iter().filter(|t| &t.cluster == name) {
                broker_local.absorb(&t.broker_local);
                shared_storage.absorb(&t.shared_storage);
            }
            let lines: Vec<BilledLine> = billed.iter().filter(|(c, _)| c == name).map(|(_, l)| l.clone()).collect();
            let residuals = residuals(&lines, &broker_local, config.assumptions.month_hours);
            ClusterSummary {
                cluster: name.clone(),
                platform: platform_name(cfg.platform).into(),
                region: cfg.region.clone(),
                broker_instance_type: cfg.broker_instance_type.clone(),
                brokers: inputs.brokers,
                zones: inputs.zones,
                topics: facts.0,
                retained_bytes: facts.1,
                bytes_in_per_sec: inputs.cluster_bytes_in_per_sec,
                broker_local,
                shared_storage,
                billed_usd: (!lines.is_empty()).then(|| lines.iter().map(|l| l.amount_usd).sum()),
                residuals,
                billed: lines,
            }
        })
        .collect();

    let reconciliation = reconcile(&billed_per_class(&billed), &topics);
    let billed_days = {
        let mut days: Vec<&str> = daily_costs.iter().map(|d| d.date.as_str()).collect();
        days.dedup();
        days.len() as i64
    };
    let totals = Totals {
        topics: topics.len() as i64,
        owners: owners.len() as i64,
        retained_bytes: topics.iter().filter_map(|t| t.retained_bytes).sum(),
        broker_local_monthly_usd: owners.iter().map(|o| o.broker_local_monthly_usd).sum(),
        shared_storage_monthly_usd: owners.iter().map(|o| o.shared_storage_monthly_usd).sum(),
        billed_usd: (!billed.is_empty()).then(|| billed.iter().map(|(_, l)| l.amount_usd).sum()),
        billed_days,
        incomplete_topics: topics.iter().filter(|t| !t.broker_local.missing.is_empty()).count() as i64,
        complete: collected.is_complete(),
    };

    Ok(ReportModel {
        version: MODEL_VERSION,
        scenario: ScenarioInfo {
            name: collected.scenario_name.clone(),
            description: collected.description.clone(),
            captured_at: collected.captured_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        },
        totals,
        clusters: cluster_summaries,
        owners,
        topics,
        consumer_groups: group_lags(tables)?,
        daily_costs,
        cost_days: cost_days(collected),
        tag_costs: tag_costs(tables)?,
        reconciliation,
        sources: collected.sources.clone(),
        assumptions: config.assumptions.clone(),
        prices: config.prices.clone(),
    })
}

/// Billed amount per (cluster, cost class), in a stable order.
fn billed_per_class(billed: &[(String, BilledLine)]) -> BTreeMap<(String, String), Decimal> {
    let mut out: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for (cluster, line) in billed {
        *out.entry((cluster.clone(), line.cost_class.clone())).or_default() += line.amount_usd;
    }
    out
}

/// Which modelled broker-local components carry a billed cost class's usage shares (see `Reconciled`).
fn basis_of(cost_class: &str) -> Option<(&'static [&'static str], Option<&'static str>)> {
    match cost_class {
        "msk_storage" | "ebs_storage" => Some((&["retained_storage"], Some("disk_headroom"))),
        "msk_broker_hours" | "ec2_instance_hours" => Some((&["broker_compute"], None)),
        "inter_az_transfer" => Some((&["inter_az_replication", "inter_az_produce", "inter_az_consume"], None)),
        _ => None,
    }
}

/// The bill allocated to owners by the model's usage shares, exact to the cent per (cluster, cost class).
fn reconcile(billed: &BTreeMap<(String, String), Decimal>, topics: &[TopicReport]) -> Vec<Reconciled> {
    let mut out = Vec::new();
    for ((cluster, class), amount) in billed {
        let row = |owner: &str, billed_usd: Decimal, basis: String| Reconciled {
            cluster: cluster.clone(),
            cost_class: class.clone(),
            owner: owner.to_string(),
            billed_usd,
            basis,
        };
        let Some((components, idle)) = basis_of(class) else {
            out.push(row(UNALLOCATED, amount.round_dp(2), "the model has no usage share for this cost class".into()));
            continue;
        };
        let mut weights: BTreeMap<String, Decimal> = BTreeMap::new();
        for t in topics.iter().filter(|t| &t.cluster == cluster) {
            for c in t.broker_local.components.iter() {
                if components.contains(&c.name.as_str()) {
                    *weights.entry(t.owner.clone()).or_default() += c.monthly_usd;
                }
                if idle == Some(c.name.as_str()) {
                    *weights.entry(IDLE.to_string()).or_default() += c.monthly_usd;
                }
            }
        }
        let basis =
            format!("modelled {}", components.iter().chain(idle.iter()).copied().collect::<Vec<_>>().join(" + "));
        let weights: Vec<(String, Decimal)> = weights.into_iter().collect();
        match allocate::split(*amount, &weights) {
            Some(parts) => out.extend(parts.into_iter().map(|p| row(&p.key, p.amount, basis.clone()))),
            None => {
                out.push(row(UNALLOCATED, amount.round_dp(2), "no modelled usage in this cluster to share by".into()))
            }
        }
    }
    out
}

/// Per billed cost class of a cluster: the bill as a monthly rate beside the modelled broker-local cost.
fn residuals(lines: &[BilledLine], modelled: &CostBreakdown, month_hours: Decimal) -> Vec<ClassResidual> {
    let mut classes: BTreeMap<&str, (Decimal, i64)> = BTreeMap::new();
    for l in lines {
        let slot = classes.entry(l.cost_class.as_str()).or_default();
        slot.0 += l.amount_usd;
        slot.1 = slot.1.max(l.days);
    }
    let month_days = month_hours / Decimal::from(24);
    classes
        .into_iter()
        .map(|(class, (amount, days))| {
            let billed_monthly =
                if days > 0 { (amount / Decimal::from(days) * month_days).round_dp(2) } else { amount };
            let modelled = basis_of(class).map(|(names, idle)| {
                modelled
                    .components
                    .iter()
                    .filter(|c| names.contains(&c.name.as_str()) || idle == Some(c.name.as_str()))
                    .map(|c| c.monthly_usd)
                    .sum::<Decimal>()
                    .round_dp(2)
            });
            ClassResidual {
                cost_class: class.to_string(),
                billed_monthly_usd: billed_monthly,
                billed_days: days,
                modelled_monthly_usd: modelled,
                residual_usd: modelled.map(|m| billed_monthly - m),
            }
        })
        .collect()
}

/// Owner rows of the reconciliation that are not owners.
pub const IDLE: &str = "(idle headroom)";
pub const UNALLOCATED: &str = "(unallocated)";

fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::Msk => "msk",
        Platform::SelfManaged => "self-managed",
    }
}

type ClusterEntry<'a> = (&'a crate::config::ClusterConfig, ClusterInputs, (i64, i64));

/// Per cluster in the data: its config, the formula inputs, and (topics, retained bytes).
fn cluster_inputs<'a>(tables: &Tables, config: &'a Config) -> Result<BTreeMap<String, ClusterEntry<'a>>, ModelError> {
    let r = reader(tables, "cluster_facts")?;
    let (names, brokers, zones) = (r.str("cluster")?, r.i64("brokers")?, r.i64("zones")?);
    let (topics, bytes, rate) = (r.i64("topics")?, r.i64("retained_bytes")?, r.opt_f64("bytes_in_per_sec")?);
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for i in 0..r.len() {
        let Some(cfg) = config.clusters.iter().find(|c| c.name == names[i]) else {
            problems.push(Problem::new(
                &config.path,
                None,
                Some("clusters"),
                format!("the data has a cluster `{}` that no [[clusters]] table declares", names[i]),
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
            broker_price_key,
            cluster_bytes_in_per_sec: rate[i].unwrap_or(0.0),
        };
        out.insert(names[i].clone(), (cfg, inputs, (topics[i], bytes[i])));
    }
    if problems.is_empty() { Ok(out) } else { Err(Problems(problems).into()) }
}

fn topic_reports(
    tables: &Tables,
    config: &Config,
    clusters: &BTreeMap<String, ClusterEntry<'_>>,
) -> Result<Vec<TopicReport>, ModelError> {
    let r = reader(tables, "topic_facts")?;
    let (cluster, topic, owner, rule) = (r.str("cluster")?, r.str("topic")?, r.str("owner")?, r.str("owner_rule")?);
    let (internal, partitions, rf) = (r.bool("is_internal")?, r.i64("partitions")?, r.i64("replication_factor")?);
    let (retention_ms, retention_bytes) = (r.opt_i64("retention_ms")?, r.opt_i64("retention_bytes")?);
    let (cleanup, remote) = (r.opt_str("cleanup_policy")?, r.opt_bool("remote_storage_enable")?);
    let (retained, unknown) = (r.opt_i64("retained_bytes")?, r.i64("partitions_size_unknown")?);
    let (followers, cross) = (r.i64("follower_replicas")?, r.i64("followers_in_other_zone")?);
    let (rate, groups, max_lag) = (r.opt_f64("bytes_in_per_sec")?, r.i64("consumer_groups")?, r.i64("max_group_lag")?);

    let mut out = Vec::with_capacity(r.len());
    for i in 0..r.len() {
        let Some((_, cluster_inputs, _)) = clusters.get(&cluster[i]) else {
            return Err(Problems(vec![Problem::new(
                &config.path,
                None,
                Some("clusters"),
                format!("topic `{}` is in cluster `{}`, which has no brokers in the data", topic[i], cluster[i]),
            )])
            .into());
        };
        let cross_zone_follower_share = if followers[i] > 0 {
            (Decimal::from(cross[i]) / Decimal::from(followers[i])).round_dp(6)
        } else {
            Decimal::ZERO
        };
        let inputs = TopicInputs {
            replication_factor: rf[i],
            retained_bytes: retained[i],
            partitions_size_unknown: unknown[i],
            bytes_in_per_sec: rate[i],
            consumer_groups: groups[i],
            cross_zone_follower_share,
        };
        let broker_local = cost::broker_local(&inputs, cluster_inputs, &config.assumptions, &config.prices);
        let shared_storage = cost::shared_storage(&inputs, cluster_inputs, &config.assumptions, &config.prices);
        let cheapest =
            if shared_storage.monthly_usd < broker_local.monthly_usd { "shared_storage" } else { "broker_local" };
        out.push(TopicReport {
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
            retained_bytes: retained[i],
            partitions_size_unknown: unknown[i],
            bytes_in_per_sec: rate[i].map(round_rate),
            consumer_groups: groups[i],
            max_group_lag: max_lag[i],
            cross_zone_follower_share,
            broker_local,
            shared_storage,
            cheapest: cheapest.into(),
        });
    }
    Ok(out)
}

/// Rates are averages of floats; three decimals keep model.json stable and readable.
fn round_rate(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn owner_summaries(tables: &Tables, topics: &[TopicReport]) -> Result<Vec<OwnerSummary>, ModelError> {
    let r = reader(tables, "owner_facts")?;
    let (owner, team, cc, esc, channel) =
        (r.str("owner")?, r.str("team")?, r.str("cost_center")?, r.str("escalation")?, r.opt_str("channel")?);
    let (n_topics, partitions, bytes) = (r.i64("topics")?, r.i64("partitions")?, r.i64("retained_bytes")?);
    let (rate, groups, lag) = (r.opt_f64("bytes_in_per_sec")?, r.i64("consumer_groups")?, r.i64("max_group_lag")?);
    let incomplete = r.i64("incomplete_topics")?;
    Ok((0..r.len())
        .map(|i| {
            let mine = topics.iter().filter(|t| t.owner == owner[i]);
            let (local, shared) = mine.fold((Decimal::ZERO, Decimal::ZERO), |(l, s), t| {
                (l + t.broker_local.monthly_usd, s + t.shared_storage.monthly_usd)
            });
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
                broker_local_monthly_usd: local,
                shared_storage_monthly_usd: shared,
                incomplete_topics: incomplete[i],
            }
        })
        .collect())
}

fn billed_lines(tables: &Tables) -> Result<Vec<(String, BilledLine)>, ModelError> {
    let r = reader(tables, "cluster_costs")?;
    let (cluster, class, service) = (r.str("cluster")?, r.str("cost_class")?, r.str("service")?);
    let (usage_type, unit) = (r.str("usage_type")?, r.str("usage_unit")?);
    let (quantity, amount, days) = (r.decimal("usage_quantity")?, r.decimal("amount")?, r.i64("days")?);
    let (first, last) = (r.str("first_day")?, r.str("last_day")?);
    Ok((0..r.len())
        .map(|i| {
            let unit_price = (!quantity[i].is_zero()).then(|| (amount[i] / quantity[i]).round_dp(10).normalize());
            let line = BilledLine {
                cost_class: class[i].clone(),
                service: service[i].clone(),
                usage_type: usage_type[i].clone(),
                usage_unit: unit[i].clone(),
                usage_quantity: quantity[i].normalize(),
                amount_usd: amount[i].normalize(),
                unit_price_usd: unit_price,
                days: days[i],
                first_day: first[i].clone(),
                last_day: last[i].clone(),
            };
            (cluster[i].clone(), line)
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
        })
        .collect())
}

/// Every day of every cost source's window with the lines and amount it delivered (see `CostDay`).
fn cost_days(collected: &Collected) -> Vec<CostDay> {
    let mut out = Vec::new();
    for source in &collected.sources {
        let (Some(window), Some(tag)) = (source.window, source.line_source.as_deref()) else { continue };
        let mut per_day: BTreeMap<chrono::NaiveDate, (i64, Decimal)> = BTreeMap::new();
        for line in collected.cost_lines.iter().filter(|l| l.source == tag) {
            let slot = per_day.entry(line.date).or_default();
            slot.0 += 1;
            slot.1 += line.amount;
        }
        for day in window.first.iter_days().take_while(|d| *d <= window.last) {
            let found = per_day.get(&day);
            out.push(CostDay {
                source: source.name.clone(),
                day: day.to_string(),
                lines: found.map(|f| f.0).unwrap_or(0),
                amount_usd: found.map(|f| f.1),
            });
        }
    }
    out
}
