//! `index.html`: one self-contained page (inline CSS, JS and SVG; no network requests) drawn from the report model.
//!
//! The template lives in `reports/templates/` and is compiled into the binary. Every user-provided string goes
//! through minijinja's HTML auto-escaping; only our own SVG, CSS and JS are marked safe.

use minijinja::{Environment, context};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::charts::{self, Series};
use super::packs;
use crate::format;
use crate::report_model::Choice;
use crate::report_model::CostBreakdown;
use crate::report_model::Price;
use crate::report_model::UNOWNED;
use crate::report_model::{ReportModel, TopicReport};
use crate::report_model::{Scorecard, Verdict};

/// A template under `reports/templates/`, compiled into the binary, by the name the others include it with.
macro_rules! template {
    ($name:literal) => {
        ($name, include_str!(concat!("../../reports/templates/", $name)))
    };
}
macro_rules! section {
    ($id:literal) => {
        (concat!("sections/", $id, ".html"), include_str!(concat!("../../reports/templates/sections/", $id, ".html")))
    };
}

/// Every template: the page, its macros, and one partial per section in page order (`index.html` includes them).
const TEMPLATES: &[(&str, &str)] = &[
    template!("index.html"),
    template!("macros.html"),
    section!("totals"),
    section!("actions"),
    section!("handoff"),
    section!("history"),
    section!("owners"),
    section!("reconciliation"),
    section!("tag-costs"),
    section!("topics"),
    section!("unowned"),
    section!("what-if"),
    section!("clusters"),
    section!("capacity"),
    section!("lag"),
    section!("completeness"),
    section!("assumptions"),
];
const CSS: &str = include_str!("../../reports/templates/report.css");
const JS: &str = include_str!("../../reports/templates/sort.js");

/// How many topics the "top topics" section shows.
const TOP_TOPICS: usize = 15;

/// index.html: the template, given one view per section (each built by its own function below).
pub fn render(model: &ReportModel) -> Result<String, minijinja::Error> {
    let env = environment()?;

    let mut by_cost: Vec<&TopicReport> = model.topics.iter().collect();
    by_cost.sort_by(|a, b| b.current_cost().monthly_usd.cmp(&a.current_cost().monthly_usd).then(a.topic.cmp(&b.topic)));
    let top: Vec<&TopicReport> = by_cost.iter().take(TOP_TOPICS).copied().collect();
    let unowned: Vec<&TopicReport> = by_cost.iter().filter(|t| t.owner == UNOWNED).copied().collect();
    let unattributed: Decimal = model
        .daily_costs
        .iter()
        .filter(|d| !model.clusters.iter().any(|c| c.cluster == d.cluster))
        .map(|d| d.amount_usd)
        .sum();

    env.get_template("index.html")?.render(context! {
        version => model.version,
        scenario => &model.scenario,
        complete => model.totals.complete,
        css => CSS,
        js => JS,
        charts => chart_views(model, &top, &unowned),
        totals => totals_view(&model.totals),
        owners => model.owners.iter().map(owner_view).collect::<Vec<_>>(),
        top_topics => top.iter().map(|t| topic_row(t)).collect::<Vec<_>>(),
        top_details => top.iter().map(|t| topic_detail_view(model, t)).collect::<Vec<_>>(),
        unowned_topics => unowned.iter().map(|t| topic_row(t)).collect::<Vec<_>>(),
        clusters => model.clusters.iter().map(cluster_view).collect::<Vec<_>>(),
        capacity => capacity_view(model),
        unattributed => if unattributed.is_zero() { None } else { Some(format::usd(unattributed)) },
        groups_total => model.consumer_groups.len(),
        groups => lagging(model).into_iter().map(group_view).collect::<Vec<_>>(),
        sources => &model.sources,
        findings => &model.findings,
        acl_coverage => &model.acl_coverage,
        cost_days => cost_day_views(model),
        reconciliation => model.reconciliation.iter().map(|r| context! {
            cluster => &r.cluster, cost_class => &r.cost_class, owner => &r.owner, basis => &r.basis,
            billed => format::usd(r.billed_usd), billed_raw => f(r.billed_usd),
        }).collect::<Vec<_>>(),
        tag_costs => model.tag_costs.iter().map(tag_cost_view).collect::<Vec<_>>(),
        chargeback => chargeback_view(model),
        assumptions => assumption_rows(model),
        price_book_version => &model.price_book_version,
        actions => model.actions.iter().map(action_view).collect::<Vec<_>>(),
        history => model.history.as_ref().map(history_view),
        packs => pack_views(model),
        what_ifs => model.what_ifs.iter().map(what_if_view).collect::<Vec<_>>(),
    })
}

/// The templates, strict: a misspelt or missing variable fails the render, never prints blank (a report change is a
/// reviewed diff of the golden `index.html`).
fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("ticks", ticks);
    for (name, text) in TEMPLATES {
        env.add_template(name, text)?;
    }
    Ok(env)
}

/// The daily bill, cost per owner under each placement, and the top and unowned topics' costs.
fn chart_views(model: &ReportModel, top: &[&TopicReport], unowned: &[&TopicReport]) -> minijinja::Value {
    let per_owner = |field: fn(&crate::report_model::OwnerSummary) -> Option<Decimal>| {
        model.owners.iter().map(|o| field(o).map(f).unwrap_or(f64::NAN)).collect()
    };
    context! {
        daily => daily_chart(model),
        owners => charts::horizontal_bars(
            "Modelled monthly cost per owner",
            "USD per month",
            &model.owners.iter().map(|o| o.owner.clone()).collect::<Vec<_>>(),
            &[
                Series { name: "broker-local", values: per_owner(|o| o.broker_local_monthly_usd) },
                Series { name: "tiered storage", values: per_owner(|o| o.tiered_storage_monthly_usd) },
                Series { name: "shared storage", values: per_owner(|o| o.shared_storage_monthly_usd) },
                Series { name: "MSK Express", values: per_owner(|o| o.express_monthly_usd) },
            ],
        ),
        topics => topic_chart("Top topics: modelled monthly cost", top),
        unowned => topic_chart("Unowned topics: modelled monthly cost", unowned),
    }
}

fn totals_view(t: &crate::report_model::Totals) -> minijinja::Value {
    context! {
        current => format::known_usd(t.current_monthly_usd),
        broker_local => format::known_usd(t.broker_local_monthly_usd),
        right_sized => format::known_usd(t.right_sized_monthly_usd),
        tiered_storage => format::known_usd(t.tiered_storage_monthly_usd),
        shared_storage => format::known_usd(t.shared_storage_monthly_usd),
        express => format::known_usd(t.express_monthly_usd),
        unknown => t.unknown.iter().map(|u| context! {
            total => match u.total.as_str() {
                "current" => "Today, modelled",
                "broker_local" => "Broker-local",
                "tiered_storage" => "Tiered storage",
                "shared_storage" => "Shared storage",
                "express" => "MSK Express",
                other => other,
            },
            known => format::usd(u.known_usd), topics => u.topics.len(),
            names => u.topics.iter().take(10).map(String::as_str).collect::<Vec<_>>().join(", "),
            more => u.topics.len().saturating_sub(10), missing => &u.missing,
        }).collect::<Vec<_>>(),
        billed => t.billed_usd.map(format::usd).unwrap_or_else(|| "no billing data".into()),
        billed_days => t.billed_days,
        retained => format::bytes(t.retained_bytes),
        topics => t.topics,
        owners => t.owners,
        incomplete_topics => t.incomplete_topics,
        achievable => context! {
            total => format::usd(t.achievable.monthly_saving_usd),
            right_size => format::usd(t.achievable.right_size_usd),
            architecture => format::usd(t.achievable.architecture_usd),
            operations => format::usd(t.achievable.operations_usd),
            cluster => format::usd(t.achievable.cluster_usd),
            actions => t.achievable.actions,
        },
    }
}

fn owner_view(o: &crate::report_model::OwnerSummary) -> minijinja::Value {
    context! {
        owner => &o.owner, team => &o.team, cost_center => &o.cost_center, escalation => &o.escalation,
        channel => &o.channel, topics => o.topics, retained_bytes => o.retained_bytes,
        retained => format::bytes(o.retained_bytes), rate => format::rate(o.bytes_in_per_sec),
        rate_raw => o.bytes_in_per_sec, consumer_groups => o.consumer_groups,
        current => format::known_usd(o.current_monthly_usd), current_raw => o.current_monthly_usd.map(f),
        right_sized => format::known_usd(o.right_sized_monthly_usd), right_sized_raw => o.right_sized_monthly_usd.map(f),
        tiered => format::known_usd(o.tiered_storage_monthly_usd), tiered_raw => o.tiered_storage_monthly_usd.map(f),
        shared => format::known_usd(o.shared_storage_monthly_usd), shared_raw => o.shared_storage_monthly_usd.map(f),
        express => format::known_usd(o.express_monthly_usd), express_raw => o.express_monthly_usd.map(f),
        choice => choice_view(o.choice.as_ref(), None),
        choice_topics => o.choice_topics,
    }
}

/// A top topic's four placements, line by line, and the choice between them.
fn topic_detail_view(model: &ReportModel, t: &TopicReport) -> minijinja::Value {
    let prices = prices_of(model, &t.cluster);
    context! {
        topic => &t.topic, owner => &t.owner, cluster => &t.cluster, placement => t.current.label(),
        local => cost_view(&t.broker_local, prices),
        tiered => t.tiered_storage.as_ref().map(|c| cost_view(c, prices)),
        tiered_note => &t.tiered_not_applicable, shared => cost_view(&t.shared_storage, prices),
        express => cost_view(&t.express, prices),
        choice => choice_view(t.choice.as_ref(), t.retention_ms),
    }
}

/// A cluster: its four placements, its sizing, the prices it was priced with, and its bill against the model.
fn cluster_view(c: &crate::report_model::ClusterSummary) -> minijinja::Value {
    context! {
        cluster => &c.cluster, platform => &c.platform, region => &c.region, brokers => c.brokers,
        broker_instance_type => &c.broker_instance_type, zones => c.zones, topics => c.topics,
        retained => format::bytes(c.retained_bytes),
        broker_local => cost_view(&c.broker_local, &c.prices), tiered_storage => cost_view(&c.tiered_storage, &c.prices),
        shared_storage => cost_view(&c.shared_storage, &c.prices),
        express => cost_view(&c.express, &c.prices),
        sizing => sizing_view(&c.sizing),
        prices => c.prices.iter().map(|p| context! {
            key => &p.key, unit => &p.unit, usd => format::unit_price(p.usd), source => &p.source,
            as_of => &p.as_of, basis => p.basis.key(),
        }).collect::<Vec<_>>(),
        billed_total => c.billed_usd.map(format::usd).unwrap_or_default(),
        residuals => c.residuals.iter().map(|r| context! {
            cost_class => &r.cost_class, days => r.billed_days,
            billed => format::usd(r.billed_monthly_usd),
            modelled => r.modelled_monthly_usd.map(format::usd).unwrap_or_else(|| "not modelled".into()),
            residual => r.residual_usd.map(format::usd).unwrap_or_default(),
            share => match (r.residual_usd, r.modelled_monthly_usd) {
                (Some(res), Some(m)) if !m.is_zero() => format!("{:+.0} %", (res / m * Decimal::from(100)).round()),
                _ => String::new(),
            },
        }).collect::<Vec<_>>(),
        billed => c.billed.iter().map(|b| context! {
            cost_class => &b.cost_class, usage_type => &b.usage_type, quantity => b.usage_quantity.map(format::quantity).unwrap_or_else(|| "unknown".into()),
            unit => &b.usage_unit, unit_price => b.unit_price_usd.map(format::unit_price).unwrap_or_default(),
            amount => format::usd(b.amount_usd), amount_raw => f(b.amount_usd), days => b.days,
            credits => (!b.credits_usd.is_zero()).then(|| format::usd(b.credits_usd)),
            first_day => &b.first_day, last_day => &b.last_day,
        }).collect::<Vec<_>>(),
    }
}

fn sizing_view(s: &crate::report_model::Sizing) -> minijinja::Value {
    let usd = |v: Option<Decimal>| v.map(format::usd).unwrap_or_else(|| "missing a price".into());
    let disk_billed = s
        .disk_gib_billed
        .map(|g| format!("{} GB", format::quantity(g.round_dp(0))))
        .unwrap_or_else(|| "no billed storage line".into());
    context! {
        needed => s.brokers_needed, bottleneck => s.bottleneck.label(), percentile => s.percentile.normalize(),
        points => s.points, rate => format::rate(s.bytes_in_per_sec.to_f64()),
        write_io => format::quantity(s.write_io_mibps.round_dp(1)), per_broker => s.per_broker_write_mibps.normalize(),
        replicas => s.replicas, limit => s.partitions_per_broker,
        compute_needed => usd(s.compute_needed_monthly_usd), compute_today => usd(s.compute_today_monthly_usd),
        disk => s.disk_gib_needed.map(|g| format!("{} GiB", format::quantity(g.round_dp(0))))
            .unwrap_or_else(|| "unknown (a partition's size was not collected)".into()),
        disk_usd => usd(s.disk_needed_monthly_usd),
        disk_billed => disk_billed,
        fullest => s.fullest_broker.zip(s.fullest_broker_gib)
            .map(|(b, g)| format!("broker {b} holds the most, {} GiB", format::quantity(g.round_dp(1)))),
    }
}

/// The capacity section: a chart of each broker's disk, the clusters' balance and one row per broker.
fn capacity_view(model: &ReportModel) -> minijinja::Value {
    let c = &model.capacity;
    let gib = |v: Option<i64>| v.map(|b| b as f64 / 1_073_741_824.0);
    let shown = |bytes: Option<i64>, share: Option<Decimal>| match (bytes, share) {
        (Some(b), Some(s)) => format!("{} ({})", format::bytes(b), format::percent(s)),
        (Some(b), None) => format::bytes(b),
        _ => "unknown".to_string(),
    };
    let labels: Vec<String> = c.brokers.iter().map(|b| format!("{} / {}", b.cluster, b.broker)).collect();
    let threshold = c.disk_threshold.to_f64().unwrap_or(0.8);
    let series = |f: &dyn Fn(&crate::report_model::BrokerCapacity) -> Option<f64>| {
        c.brokers.iter().map(|b| f(b).unwrap_or(f64::NAN)).collect::<Vec<f64>>()
    };
    let chart = (!c.brokers.is_empty()).then(|| {
        let marks =
            charts::Series { name: "threshold", values: series(&|b| gib(b.disk_total_bytes).map(|t| t * threshold)) };
        charts::marked_horizontal_bars(
            "Broker disk",
            "GiB",
            &labels,
            &[
                charts::Series { name: "used", values: series(&|b| gib(b.disk_used_bytes)) },
                charts::Series { name: "steady state", values: series(&|b| gib(b.disk_steady_state_bytes)) },
                charts::Series { name: "disk", values: series(&|b| gib(b.disk_total_bytes)) },
            ],
            Some(&marks),
        )
    });
    context! {
        threshold => format::percent(c.disk_threshold),
        self_managed => model.clusters.iter().any(|k| k.platform == "self-managed"),
        chart => chart,
        clusters => c.clusters.iter().map(|k| {
            let tightest = c.brokers.iter().find(|b| b.cluster == k.cluster && Some(b.broker) == k.tightest_broker);
            context! {
                cluster => &k.cluster,
                leader_skew => k.leader_skew.map(|s| s.normalize().to_string()).unwrap_or_else(|| "unknown".into()),
                bytes_skew => k.bytes_skew.map(|s| s.normalize().to_string()).unwrap_or_else(|| "unknown".into()),
                threshold => k.skew_threshold.normalize().to_string(),
                tightest => k.tightest_broker,
                tightest_owners => tightest.map(|b| owners_text(&b.owners)),
            }
        }).collect::<Vec<_>>(),
        brokers => c.brokers.iter().map(|b| context! {
            cluster => &b.cluster, broker => b.broker, rack => b.rack.clone().unwrap_or_default(),
            used => shown(b.disk_used_bytes, b.disk_used_share), used_raw => b.disk_used_bytes,
            steady => shown(b.disk_steady_state_bytes, b.disk_steady_state_share), steady_raw => b.disk_steady_state_bytes,
            total => b.disk_total_bytes.map(format::bytes).unwrap_or_else(|| "unknown".into()),
            days => b.days_to_threshold.map(|d| d.normalize().to_string()).unwrap_or_else(|| "–".into()),
            days_raw => b.days_to_threshold.map(f),
            basis => if b.disk_total_bytes.is_none() { b.disk_basis.clone() } else { b.runway_basis.clone() },
            replicas => match b.partitions_limit { Some(l) => format!("{} / {l}", b.replicas), None => b.replicas.to_string() },
            rates => format!("{} / {}", format::rate(b.bytes_in_per_sec), format::rate(b.bytes_out_per_sec)),
            measured => (b.metric_bytes_in_per_sec.is_some() || b.metric_bytes_out_per_sec.is_some()).then(|| {
                format!("{} / {}", format::rate(b.metric_bytes_in_per_sec), format::rate(b.metric_bytes_out_per_sec))
            }),
            binding => b.binding_limit.zip(b.binding_share)
                .map(|(l, s)| format!("{} ({} of its bound)", l.label(), format::percent(s)))
                .unwrap_or_else(|| "unknown".into()),
            owners => owners_text(&b.owners),
        }).collect::<Vec<_>>(),
    }
}

/// The owners holding most of a broker's bytes, with their shares.
fn owners_text(owners: &[crate::report_model::OwnerBytes]) -> String {
    owners
        .iter()
        .take(3)
        .map(|o| match o.growth_share {
            Some(g) => format!("{} {} (of its growth {})", o.owner, format::percent(o.share), format::percent(g)),
            None => format!("{} {}", o.owner, format::percent(o.share)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn group_view(g: &crate::report_model::GroupLag) -> minijinja::Value {
    context! {
        group_id => &g.group_id, owner => &g.owner, state => &g.state, topic => &g.topic,
        topic_owner => &g.topic_owner, partitions => g.partitions,
        total => g.total_lag.map(format::count).unwrap_or_else(|| "unknown".into()), total_raw => g.total_lag,
        max => g.max_partition_lag.map(format::count).unwrap_or_else(|| "unknown".into()), max_raw => g.max_partition_lag,
        lag_time => g.lag_ms.map(format::duration_ms).unwrap_or_else(|| "–".into()), lag_time_raw => g.lag_ms,
        reads => g.reads.map(|r| format!("{} ×", r.round_dp(2).normalize())).unwrap_or_else(|| "–".into()),
        reads_raw => g.reads.map(f), reads_basis => g.read_basis.map(|b| b.label()),
        class => lag_class_view(&g.lag_class),
    }
}

/// An owner's gaps in the ledger that count (open ones, and those this run closed), as the pack lists them.
fn gap_views(ledger: &crate::report_model::GapLedger, owner: &str) -> Vec<minijinja::Value> {
    ledger
        .gaps
        .iter()
        .filter(|g| g.owner == owner && g.verdict.is_some())
        .filter(|g| g.closed_in.is_none_or(|c| c == ledger.run))
        .map(|g| {
            let status = match (&g.closed_in, g.reopened) {
                (Some(_), _) => "closed this run".to_string(),
                (None, 0) => g.verdict.map(|v| v.key()).unwrap_or_default().to_string(),
                (None, n) => format!("{} (reopened {n}×)", g.verdict.map(|v| v.key()).unwrap_or_default()),
            };
            let about = match (&g.cluster, &g.topic) {
                (Some(c), Some(t)) => format!("{c}/{t}"),
                (Some(c), None) => c.clone(),
                _ => owner.to_string(),
            };
            context! {
                kind => g.kind.label(), about => about, status => status,
                verdict => g.verdict.map(|v| v.key()).unwrap_or_default(),
                first_seen => format!("run {} ({})", g.first_seen, g.first_seen_at), runs_open => g.runs_open, detail => &g.detail,
            }
        })
        .collect()
}

/// A group's lag class: Burrow's status, the symptom, who responds first and why (the reason as a title).
fn lag_class_view(c: &crate::report_model::LagClass) -> minijinja::Value {
    use crate::report_model::LagStatus;
    let tone = match c.status {
        LagStatus::Ok => "ready",
        LagStatus::Warn | LagStatus::NeedsSecondRun | LagStatus::Unknown => "watch",
        LagStatus::Stop | LagStatus::Stall | LagStatus::Rewind => "blocked",
    };
    context! {
        status => c.status.label(), tone => tone, symptom => c.symptom.label(),
        responder => c.first_responder.as_deref().unwrap_or("–"), reason => &c.reason,
    }
}

fn tag_cost_view(t: &crate::report_model::TagCost) -> minijinja::Value {
    context! {
        owner => &t.owner, rule => &t.owner_rule, source => &t.source, days => t.days,
        tag => if t.tag_value.is_empty() { format!("no `{}` tag", t.tag_key) } else { format!("{}={}", t.tag_key, t.tag_value) },
        window => format!("{} to {}", t.first_day, t.last_day),
        amount => format::usd(t.amount_usd), amount_raw => f(t.amount_usd),
    }
}

/// Each assumption as (name, value), in the report model's field order.
fn assumption_rows(model: &ReportModel) -> Vec<(String, String)> {
    serde_json::to_value(&model.assumptions)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .map(|m| m.into_iter().map(|(k, v)| (k, human(&v))).collect::<Vec<_>>())
        .unwrap_or_default()
}

/// A setting's value as a reader writes it: text without quotes, lists joined, a table as `key value` pairs, and
/// an unset value as "not set (the default applies)", never `null` or raw JSON.
fn human(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "not set (the default applies)".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".into(),
        Value::Array(items) => items.iter().map(human).collect::<Vec<_>>().join("; "),
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k} {}", human(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn what_if_view(w: &crate::report_model::WhatIfResult) -> minijinja::Value {
    context! {
        name => &w.what_if.name,
        changes => what_if_changes(&w.what_if),
        selection => what_if_selection(&w.what_if),
        before => format::usd(w.before_usd), after => format::usd(w.after_usd), delta => format::signed_usd(w.delta_usd),
        owners => w.owners.iter().map(|o| context! {
            owner => &o.owner, topics => o.topics, before => format::usd(o.before_usd), after => format::usd(o.after_usd),
            delta => format::signed_usd(o.delta_usd), delta_raw => f(o.delta_usd),
        }).collect::<Vec<_>>(),
        topics => w.topics.iter().map(|t| context! {
            cluster => &t.cluster, topic => &t.topic, owner => &t.owner,
            placement => if t.placement_before == t.placement_after { t.placement_after.label().to_string() } else { format!("{} → {}", t.placement_before.label(), t.placement_after.label()) },
            before => format::usd(t.before_usd), after => format::usd(t.after_usd),
            delta => format::signed_usd(t.delta_usd), delta_raw => f(t.delta_usd),
            notes => t.notes.iter().chain(t.missing.iter()).cloned().collect::<Vec<_>>().join("; "),
            refused => &t.refused,
        }).collect::<Vec<_>>(),
        refused => w.refused,
    }
}

/// Per cost source: how many days of its window have cost lines, which are missing (as ranges) and the total.
fn cost_day_views(model: &ReportModel) -> Vec<minijinja::Value> {
    let mut names: Vec<&str> = model.cost_days.iter().map(|d| d.source.as_str()).collect();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let days: Vec<&crate::report_model::CostDay> =
                model.cost_days.iter().filter(|d| d.source == name).collect();
            let missing: Vec<&str> = days.iter().filter(|d| d.amount_usd.is_none()).map(|d| d.day.as_str()).collect();
            let total: Decimal = days.iter().filter_map(|d| d.amount_usd).sum();
            context! {
                source => name,
                first => days.first().map(|d| d.day.as_str()).unwrap_or(""),
                last => days.last().map(|d| d.day.as_str()).unwrap_or(""),
                days => days.len(),
                with_data => days.len() - missing.len(),
                missing => day_ranges(&missing),
                total => format::usd(total),
            }
        })
        .collect()
}

/// `2026-10-01..2026-10-03, 2026-10-07` from sorted ISO days.
fn day_ranges(days: &[&str]) -> String {
    let parse = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(chrono::NaiveDate, chrono::NaiveDate)> = None;
    for day in days.iter().filter_map(|d| parse(d)) {
        run = match run {
            Some((a, b)) if b.succ_opt() == Some(day) => Some((a, day)),
            Some((a, b)) => {
                out.push(if a == b { a.to_string() } else { format!("{a}..{b}") });
                Some((day, day))
            }
            None => Some((day, day)),
        };
    }
    if let Some((a, b)) = run {
        out.push(if a == b { a.to_string() } else { format!("{a}..{b}") });
    }
    out.join(", ")
}

fn f(d: Decimal) -> f64 {
    d.round_dp(2).to_f64().unwrap_or(0.0)
}

/// A cost as a chart value: NaN (no bar, no point) when it is unknown.
fn known_f(cost: &CostBreakdown) -> f64 {
    cost.known_usd().map(f).unwrap_or(f64::NAN)
}

#[derive(Serialize)]
struct ComponentView {
    name: String,
    quantity: String,
    unit: String,
    unit_price: String,
    price_source: String,
    monthly: String,
}

fn growth_of<'a>(model: &'a ReportModel, t: &TopicReport) -> Option<&'a crate::report_model::Growth> {
    model.history.as_ref()?.growth.get(&format!("{}/{}", t.cluster, t.topic))
}

/// `+1.2 GB (+40 MB/day)` since the previous run; `–` without one.
fn growth_text(model: &ReportModel, t: &TopicReport) -> String {
    match growth_of(model, t) {
        Some(g) => match g.bytes_per_day {
            Some(d) => format!("{} ({}/day)", format::signed_bytes(g.bytes), format::signed_bytes(d)),
            None => format::signed_bytes(g.bytes),
        },
        None => "–".into(),
    }
}

/// How many consumer groups the lag section lists (the furthest behind); every group is in the owners' packs.
const LAG_ROWS: usize = 200;

/// The groups furthest behind, in time where known, else in messages.
fn lagging(model: &ReportModel) -> Vec<&crate::report_model::GroupLag> {
    let mut groups: Vec<&crate::report_model::GroupLag> = model.consumer_groups.iter().collect();
    groups
        .sort_by(|a, b| b.lag_ms.cmp(&a.lag_ms).then(b.total_lag.cmp(&a.total_lag)).then(a.group_id.cmp(&b.group_id)));
    groups.truncate(LAG_ROWS);
    groups
}

fn prices_of<'a>(model: &'a ReportModel, cluster: &str) -> &'a [Price] {
    model.clusters.iter().find(|c| c.cluster == cluster).map(|c| c.prices.as_slice()).unwrap_or_default()
}

/// A breakdown's components, each with its price's source from the cluster's prices.
fn cost_view(cost: &CostBreakdown, prices: &[Price]) -> minijinja::Value {
    let components: Vec<ComponentView> = cost
        .components
        .iter()
        .map(|c| ComponentView {
            name: c.name.to_string(),
            quantity: format::quantity(c.quantity),
            unit: c.unit.clone(),
            unit_price: format::unit_price(c.unit_price_usd),
            price_source: super::price_source(prices, c),
            monthly: format::usd(c.monthly_usd),
        })
        .collect();
    context! { components => components, total => format::known_usd(cost.known_usd()), known => format::usd(cost.monthly_usd), missing => &cost.missing }
}

fn topic_row(t: &TopicReport) -> minijinja::Value {
    let missing = t.missing();
    context! {
        topic => &t.topic, owner => &t.owner, partitions => t.partitions, replication_factor => t.replication_factor,
        retention_ms => t.retention_ms, retention => format::opt_retention_ms(t.retention_ms),
        cleanup_policy => t.cleanup_policy.as_deref().unwrap_or("unknown"),
        retained => format::opt_bytes(t.retained_bytes), retained_raw => t.retained_bytes,
        rate => format::rate(t.bytes_in_per_sec), rate_raw => t.bytes_in_per_sec,
        // The basis where it is not the metric (the usual case needs no note on 10,000 rows).
        rate_basis => (t.write_rate_basis != "metric").then(|| format!("write rate: {}", t.write_rate_basis)),
        // The offsets' rate beside the metric's, where both exist.
        offset_rate => t.offset_bytes_in_per_sec.filter(|_| t.write_rate_basis == "metric").map(|r| format::rate(Some(r))),
        current => format::known_usd(t.current_cost().known_usd()), current_raw => t.current_cost().known_usd().map(f),
        placement => t.current.label(),
        local => format::known_usd(t.broker_local.known_usd()), local_raw => t.broker_local.known_usd().map(f),
        tiered => t.tiered_storage.as_ref().map(|c| format::known_usd(c.known_usd())).unwrap_or_else(|| "n/a".into()),
        tiered_raw => t.tiered_storage.as_ref().and_then(|c| c.known_usd().map(f)),
        tiered_note => t.tiered_not_applicable.as_deref().unwrap_or(""),
        shared => format::known_usd(t.shared_storage.known_usd()), shared_raw => t.shared_storage.known_usd().map(f),
        express => format::known_usd(t.express.known_usd()), express_raw => t.express.known_usd().map(f),
        choice => choice_view(t.choice.as_ref(), t.retention_ms),
        missing => missing.join("; "),
    }
}

/// A message's `backticked` words as code, the rest as text: escaped first, so nothing in it becomes markup.
fn ticks(text: &str) -> minijinja::Value {
    let escaped = minijinja::HtmlEscape(text).to_string();
    let parts: Vec<&str> = escaped.split('`').collect();
    let mut out = String::with_capacity(escaped.len());
    for (i, part) in parts.iter().enumerate() {
        match i % 2 {
            0 => out.push_str(part),
            // Between a pair of backticks; a lone backtick at the end stays as it was.
            _ if i + 1 < parts.len() => out.push_str(&format!("<code>{part}</code>")),
            _ => out.push_str(&format!("`{part}")),
        }
    }
    minijinja::Value::from_safe_string(out)
}

/// Chargeback: owner × cost class of the bill allocated to owners, with the team and cost centre and a total.
fn chargeback_view(model: &ReportModel) -> minijinja::Value {
    let mut classes: Vec<&str> = model.reconciliation.iter().map(|r| r.cost_class.as_str()).collect();
    classes.sort();
    classes.dedup();
    let mut owners: Vec<&str> = model.reconciliation.iter().map(|r| r.owner.as_str()).collect();
    owners.sort();
    owners.dedup();
    let rows: Vec<minijinja::Value> = owners
        .iter()
        .map(|name| {
            let mine = || model.reconciliation.iter().filter(move |r| r.owner == *name);
            let o = model.owners.iter().find(|o| o.owner == *name);
            let total: Decimal = mine().map(|r| r.billed_usd).sum();
            context! {
                owner => name, team => o.map(|o| o.team.as_str()).unwrap_or(""),
                cost_center => o.map(|o| o.cost_center.as_str()).unwrap_or(""),
                cells => classes.iter().map(|c| {
                    let usd: Decimal = mine().filter(|r| r.cost_class == *c).map(|r| r.billed_usd).sum();
                    context! { usd => format::usd(usd), raw => f(usd) }
                }).collect::<Vec<_>>(),
                total => format::usd(total), total_raw => f(total),
            }
        })
        .collect();
    context! { classes => classes, rows => rows }
}

/// The comparison with earlier runs, and the trend chart of the biggest owners.
fn history_view(h: &crate::report_model::HistoryReport) -> minijinja::Value {
    let labels: Vec<String> = h.runs.iter().map(|r| r.run_id.get(..13).unwrap_or(&r.run_id).to_string()).collect();
    let mut owners: Vec<(&String, &Option<Decimal>)> =
        h.runs.last().map(|r| r.owners.iter().collect()).unwrap_or_default();
    owners.sort_by(|a, b| b.1.cmp(a.1));
    let series: Vec<Series<'_>> = std::iter::once(Series {
        name: "all owners",
        values: h.runs.iter().map(|r| r.current_monthly_usd.map(f).unwrap_or(f64::NAN)).collect(),
    })
    .chain(owners.iter().take(5).map(|(name, _)| Series {
        name: name.as_str(),
        values: h.runs.iter().map(|r| r.owners.get(*name).copied().flatten().map(f).unwrap_or(f64::NAN)).collect(),
    }))
    .collect();
    let share = |s: Option<Decimal>| s.map(format::percent).unwrap_or_else(|| "new".into());
    context! {
        previous => &h.previous_run,
        total_delta => h.total_delta_usd.map(format::signed_usd),
        runs => h.runs.len(),
        chart => (h.runs.len() > 1).then(|| charts::lines("Modelled monthly cost across runs", "USD per month", &labels, &series)),
        owners => h.owners.iter().map(|o| context! {
            owner => &o.owner, anomaly => o.anomaly,
            previous => o.previous_usd.map(format::usd).unwrap_or_else(|| "–".into()),
            current => o.current_usd.map(format::usd).unwrap_or_else(|| "gone".into()),
            delta => format::signed_usd(o.delta_usd), delta_raw => f(o.delta_usd), share => share(o.delta_share),
        }).collect::<Vec<_>>(),
        topics => h.topics.iter().map(|t| context! {
            topic => &t.topic, owner => &t.owner,
            previous => t.previous_usd.map(format::usd).unwrap_or_else(|| "new".into()),
            current => t.current_usd.map(format::usd).unwrap_or_else(|| "deleted".into()),
            delta => format::signed_usd(t.delta_usd), delta_raw => f(t.delta_usd),
        }).collect::<Vec<_>>(),
        new_topics => &h.new_topics, deleted_topics => &h.deleted_topics, skipped => &h.skipped,
        anomaly_share => format::percent(h.rules.anomaly_share), anomaly_min => format::usd(h.rules.anomaly_min_usd),
    }
}

fn action_view(a: &crate::report_model::Action) -> minijinja::Value {
    context! {
        owner => &a.owner, cluster => &a.cluster, topic => a.topic.as_deref().unwrap_or("(cluster)"),
        kind => a.kind.label(), summary => &a.summary, evidence => &a.evidence, approver => &a.approver,
        boundary => a.boundary.label(), rollback => &a.rollback,
        saving => format::usd(a.monthly_saving_usd), saving_raw => f(a.monthly_saving_usd),
    }
}

/// One cell per dimension, in the table's column order; a dimension the card lacks (an owner whose bytes no broker
/// holds has no capacity check) is an empty cell, so the columns stay in line.
fn scorecard_view(card: Option<&Scorecard>) -> Vec<minijinja::Value> {
    card.map(|c| {
        <crate::report_model::Dimension as strum::IntoEnumIterator>::iter()
            .map(|d| match c.check(d) {
                Some(ch) => context! { dimension => d.label(), verdict => ch.verdict.key(), reason => &ch.reason },
                None => context! { dimension => d.label(), verdict => "none", reason => "not scored" },
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The owners' handoff packs, blocked first, then watch, then ready; by today's cost within each.
fn pack_views(model: &ReportModel) -> Vec<minijinja::Value> {
    let slugs = packs::slugs(model);
    let by_owner = packs::by_owner(model);
    let none = packs::ByOwner::default();
    let mut order: Vec<usize> = (0..model.owners.len()).collect();
    let verdict = |i: usize| model.owners[i].readiness.as_ref().map(|r| r.verdict).unwrap_or(Verdict::Ready);
    order.sort_by(|&a, &b| {
        verdict(b)
            .cmp(&verdict(a))
            .then(model.owners[b].current_monthly_usd.cmp(&model.owners[a].current_monthly_usd))
            .then(model.owners[a].owner.cmp(&model.owners[b].owner))
    });
    order
        .into_iter()
        .map(|i| {
            let o = &model.owners[i];
            let mine = by_owner.get(o.owner.as_str()).unwrap_or(&none);
            let mut topics: Vec<&TopicReport> = mine.topics.clone();
            let topic_verdict = |t: &TopicReport| t.readiness.as_ref().map(|r| r.verdict).unwrap_or(Verdict::Ready);
            topics.sort_by(|a, b| {
                topic_verdict(b)
                    .cmp(&topic_verdict(a))
                    .then(b.current_cost().monthly_usd.cmp(&a.current_cost().monthly_usd))
            });
            let groups = &mine.groups;
            let billed: Decimal = mine.billed.iter().map(|r| r.billed_usd).sum();
            context! {
                owner => &o.owner, slug => &slugs[i], team => &o.team, cost_center => &o.cost_center,
                escalation => &o.escalation, channel => &o.channel,
                verdict => verdict(i).key(),
                today => format::known_usd(o.current_monthly_usd),
                billed => if billed.is_zero() { None } else { Some(format::usd(billed)) },
                scorecard => scorecard_view(o.readiness.as_ref()),
                actions => mine.actions.iter().map(|a| action_view(a)).collect::<Vec<_>>(),
                topics => topics.iter().map(|t| {
                    let today = t.current_cost();
                    let cross = today.components.iter().filter(|c| c.name.is_inter_az());
                    let cross_gib: Decimal = cross.clone().map(|c| c.quantity).sum();
                    let cross_usd: Decimal = cross.map(|c| c.monthly_usd).sum();
                    let slowest = groups.iter().filter(|g| g.cluster == t.cluster && g.topic == t.topic).filter_map(|g| g.lag_ms).max();
                    context! {
                        topic => &t.topic, cluster => &t.cluster,
                        verdict => topic_verdict(t).key(),
                        reasons => t.readiness.as_ref().map(|r| r.checks.iter().filter(|c| c.verdict != Verdict::Ready).map(|c| format!("{}: {}", c.dimension.label(), c.reason)).collect::<Vec<_>>().join(" · ")).unwrap_or_default(),
                        retained => format::opt_bytes(t.retained_bytes), retained_raw => t.retained_bytes,
                        retention => format::opt_retention_ms(t.retention_ms), retention_raw => t.retention_ms,
                        cleanup => t.cleanup_policy.as_deref().unwrap_or("unknown"),
                        rf => t.replication_factor, spread => format::percent(t.cross_zone_follower_share),
                        rate => format::rate(t.bytes_in_per_sec), rate_raw => t.bytes_in_per_sec,
                        groups => t.consumer_groups,
                        slowest => slowest.map(format::duration_ms).unwrap_or_else(|| "–".into()), slowest_raw => slowest,
                        growth => growth_text(model, t), growth_raw => growth_of(model, t).map(|g| g.bytes),
                        today => format::known_usd(today.known_usd()), today_raw => today.known_usd().map(f),
                        cross => format!("{} GiB · {}", format::quantity(cross_gib.round_dp(1)), format::usd(cross_usd)), cross_raw => f(cross_usd),
                        missing => t.missing().join("; "),
                    }
                }).collect::<Vec<_>>(),
                groups => groups.iter().map(|g| context! {
                    group_id => &g.group_id, owner => &g.owner, topic => &g.topic, state => &g.state,
                    lag => g.total_lag.map(format::count).unwrap_or_else(|| "unknown".into()), lag_raw => g.total_lag,
                    lag_time => g.lag_ms.map(format::duration_ms).unwrap_or_else(|| "–".into()), lag_time_raw => g.lag_ms,
                    zones => match (&g.client_zones, g.zones_source) {
                        (Some(z), Some(s)) => format!("{z} ({})", s.label()),
                        _ => "–".into(),
                    },
                    crossing => g.crossing_share.map(format::percent).unwrap_or_else(|| "unknown".into()),
                    crossing_raw => g.crossing_share.map(f),
                    class => lag_class_view(&g.lag_class),
                }).collect::<Vec<_>>(),
                gaps => gap_views(&model.gap_ledger, &o.owner),
                access_issues => mine.access_issues.iter().map(|i| context! {
                    kind => i.kind.label(), topic => &i.topic, topic_owner => &i.topic_owner,
                    principal => &i.principal, principal_owner => &i.principal_owner, reason => &i.reason,
                }).collect::<Vec<_>>(),
            }
        })
        .collect()
}

/// Cheapest placement, saving and flip point, as text; "unknown" when today's cost is incomplete.
fn choice_view(choice: Option<&Choice>, retention_ms: Option<i64>) -> minijinja::Value {
    let Some(c) = choice else {
        return context! {
            cheapest => "unknown (incomplete inputs)", saving => "", saving_raw => 0.0, flip => "", rate_flip => "",
        };
    };
    let flip = match &c.flip {
        Some(flip) => match flip.retention_ms.filter(|_| retention_ms.is_some_and(|r| r > 0)) {
            Some(ms) => format!("{} at {}", flip.to.label(), format::opt_retention_ms(Some(ms))),
            None => format!("{} at {}× retention", flip.to.label(), flip.retention_factor.normalize()),
        },
        None => "never".into(),
    };
    let rate_flip = match &c.rate_flip {
        Some(r) => format!("{} at about {}× today's write rate", r.to.label(), r.rate_factor.normalize()),
        None => "never".into(),
    };
    context! {
        cheapest => c.cheapest.label(), saving => format::usd(c.saving_usd), saving_raw => f(c.saving_usd), flip => flip,
        rate_flip => rate_flip,
    }
}

fn what_if_changes(w: &crate::report_model::WhatIf) -> String {
    let mut out = Vec::new();
    if let Some(h) = w.retention_hours {
        out.push(format!("retention {} h", h.normalize()));
    }
    if let Some(rf) = w.replication_factor {
        out.push(format!("replication factor {rf}"));
    }
    if let Some(b) = w.fetch_from_follower {
        out.push(format!("fetch-from-follower {}", if b { "on" } else { "off" }));
    }
    if let Some(b) = w.tiered_storage {
        out.push(format!("tiered storage {}", if b { "on" } else { "off" }));
    }
    if let Some(h) = w.local_retention_hours {
        out.push(format!("local retention {} h", h.normalize()));
    }
    out.join(", ")
}

fn what_if_selection(w: &crate::report_model::WhatIf) -> String {
    let mut out = Vec::new();
    if !w.owners.is_empty() {
        out.push(format!("owners {}", w.owners.join(", ")));
    }
    if !w.topics.is_empty() {
        out.push(format!("topics {}", w.topics.join(", ")));
    }
    out.join("; ")
}

fn topic_chart(title: &str, topics: &[&TopicReport]) -> String {
    charts::horizontal_bars(
        title,
        "USD per month",
        &topics.iter().map(|t| t.topic.clone()).collect::<Vec<_>>(),
        &[
            Series { name: "broker-local", values: topics.iter().map(|t| known_f(&t.broker_local)).collect() },
            Series { name: "tiered storage", values: topics.iter().map(|t| known_f(t.tiered_or_local())).collect() },
            Series { name: "shared storage", values: topics.iter().map(|t| known_f(&t.shared_storage)).collect() },
            Series { name: "MSK Express", values: topics.iter().map(|t| known_f(&t.express)).collect() },
        ],
    )
}

fn daily_chart(model: &ReportModel) -> String {
    let mut days: Vec<String> = model.daily_costs.iter().map(|d| d.date.clone()).collect();
    days.dedup();
    let mut classes: Vec<&str> = model.daily_costs.iter().map(|d| d.cost_class.as_str()).collect();
    classes.sort();
    classes.dedup();
    let series: Vec<Series<'_>> = classes
        .iter()
        .map(|class| Series {
            name: class,
            values: days
                .iter()
                .map(|day| {
                    let sum: Decimal = model
                        .daily_costs
                        .iter()
                        .filter(|d| &d.date == day && d.cost_class == *class)
                        .map(|d| d.amount_usd)
                        .sum();
                    f(sum)
                })
                .collect(),
        })
        .collect();
    let labels: Vec<String> = days.iter().map(|d| d.get(5..).unwrap_or(d).to_string()).collect();
    charts::stacked_columns("Billed cost per day", "USD per day", &labels, &series)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ticked_words_become_code_after_escaping_and_a_lone_tick_stays() {
        let out = super::ticks("group `a<b>` is `slow` and `alone").to_string();
        assert_eq!(out, "group <code>a&lt;b&gt;</code> is <code>slow</code> and `alone");
    }

    use super::{TEMPLATES, day_ranges, environment};

    #[test]
    fn missing_days_are_shown_as_ranges() {
        assert_eq!(
            day_ranges(&["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-07"]),
            "2026-10-01..2026-10-03, 2026-10-07"
        );
        assert_eq!(day_ranges(&[]), "");
    }

    #[test]
    fn every_section_partial_is_registered_and_a_misspelt_variable_fails_the_render() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/templates/sections");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| format!("sections/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        on_disk.sort();
        let mut registered: Vec<String> =
            TEMPLATES.iter().map(|(name, _)| name.to_string()).filter(|n| n.starts_with("sections/")).collect();
        registered.sort();
        assert_eq!(
            on_disk, registered,
            "a partial under reports/templates/sections is not in TEMPLATES, or the reverse"
        );
        let index = TEMPLATES[0].1;
        for name in &registered {
            assert!(index.contains(&format!("{{% include \"{name}\" %}}")), "index.html does not include {name}");
        }

        let mut env = environment().unwrap();
        env.add_template("misspelt", "{{ totals.curent }}").unwrap();
        let totals = minijinja::context! { totals => minijinja::context! { current => "$1.00" } };
        assert!(env.get_template("misspelt").unwrap().render(&totals).is_err(), "a misspelt field rendered");
        env.add_template("spelt", "{{ totals.current }}").unwrap();
        assert_eq!(env.get_template("spelt").unwrap().render(&totals).unwrap(), "$1.00");
    }
}
