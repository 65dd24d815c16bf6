//! The CSV tables of a report: one row per owner, per topic, and per cost component. Money keeps full precision.

use crate::report_model::Choice;
use crate::report_model::CostBreakdown;
use crate::report_model::ReportModel;

fn to_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("writing to memory");
    for row in rows {
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("flushing to memory")
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// cheapest, saving_usd, flips_to, flip_retention_factor, flip_retention_ms, rate_flips_to, flip_rate_factor
/// (empty when unknown or never).
fn choice_cells(c: Option<&Choice>) -> [String; 7] {
    let flip = c.and_then(|c| c.flip.as_ref());
    let rate = c.and_then(|c| c.rate_flip.as_ref());
    [
        c.map(|c| c.cheapest.key().to_string()).unwrap_or_default(),
        opt(c.map(|c| c.saving_usd.normalize())),
        flip.map(|f| f.to.key().to_string()).unwrap_or_default(),
        opt(flip.map(|f| f.retention_factor.normalize())),
        opt(flip.and_then(|f| f.retention_ms)),
        rate.map(|f| f.to.key().to_string()).unwrap_or_default(),
        opt(rate.map(|f| f.rate_factor.normalize())),
    ]
}

const CHOICE_COLUMNS: [&str; 7] = [
    "cheapest",
    "saving_monthly_usd",
    "flips_to",
    "flip_retention_factor",
    "flip_retention_ms",
    "rate_flips_to",
    "flip_rate_factor",
];

pub fn owners_csv(m: &ReportModel) -> Vec<u8> {
    to_bytes(
        &[
            "owner",
            "team",
            "cost_center",
            "escalation",
            "channel",
            "topics",
            "partitions",
            "retained_bytes",
            "bytes_in_per_sec",
            "consumer_groups",
            "max_group_lag",
            "current_monthly_usd",
            "broker_local_monthly_usd",
            "tiered_storage_monthly_usd",
            "shared_storage_monthly_usd",
            "incomplete_topics",
            "choice_topics",
            CHOICE_COLUMNS[0],
            CHOICE_COLUMNS[1],
            CHOICE_COLUMNS[2],
            CHOICE_COLUMNS[3],
            CHOICE_COLUMNS[5],
            CHOICE_COLUMNS[6],
        ],
        m.owners.iter().map(|o| {
            let [cheapest, saving, to, factor, _, rate_to, rate_factor] = choice_cells(o.choice.as_ref());
            vec![
                o.owner.clone(),
                o.team.clone(),
                o.cost_center.clone(),
                o.escalation.clone(),
                opt(o.channel.clone()),
                o.topics.to_string(),
                o.partitions.to_string(),
                o.retained_bytes.to_string(),
                o.bytes_in_per_sec.to_string(),
                o.consumer_groups.to_string(),
                o.max_group_lag.to_string(),
                o.current_monthly_usd.normalize().to_string(),
                o.broker_local_monthly_usd.normalize().to_string(),
                o.tiered_storage_monthly_usd.normalize().to_string(),
                o.shared_storage_monthly_usd.normalize().to_string(),
                o.incomplete_topics.to_string(),
                o.choice_topics.to_string(),
                cheapest,
                saving,
                to,
                factor,
                rate_to,
                rate_factor,
            ]
        }),
    )
}

pub fn topics_csv(m: &ReportModel) -> Vec<u8> {
    to_bytes(
        &[
            "cluster",
            "topic",
            "owner",
            "owner_rule",
            "is_internal",
            "partitions",
            "replication_factor",
            "retention_ms",
            "retention_bytes",
            "cleanup_policy",
            "remote_storage_enable",
            "retained_bytes",
            "partitions_size_unknown",
            "bytes_in_per_sec",
            "consumer_groups",
            "max_group_lag",
            "cross_zone_follower_share",
            "groups_reading_remote",
            "placement",
            "current_monthly_usd",
            "broker_local_monthly_usd",
            "tiered_storage_monthly_usd",
            "shared_storage_monthly_usd",
            CHOICE_COLUMNS[0],
            CHOICE_COLUMNS[1],
            CHOICE_COLUMNS[2],
            CHOICE_COLUMNS[3],
            CHOICE_COLUMNS[4],
            CHOICE_COLUMNS[5],
            CHOICE_COLUMNS[6],
            "missing",
        ],
        m.topics.iter().map(|t| {
            let missing = t.missing();
            let mut row = vec![
                t.cluster.clone(),
                t.topic.clone(),
                t.owner.clone(),
                t.owner_rule.clone(),
                t.is_internal.to_string(),
                t.partitions.to_string(),
                t.replication_factor.to_string(),
                opt(t.retention_ms),
                opt(t.retention_bytes),
                opt(t.cleanup_policy.clone()),
                opt(t.remote_storage_enable),
                opt(t.retained_bytes),
                t.partitions_size_unknown.to_string(),
                opt(t.bytes_in_per_sec),
                t.consumer_groups.to_string(),
                t.max_group_lag.to_string(),
                t.cross_zone_follower_share.normalize().to_string(),
                t.groups_reading_remote.to_string(),
                t.current.key().to_string(),
                t.current_cost().monthly_usd.normalize().to_string(),
                t.broker_local.monthly_usd.normalize().to_string(),
                opt(t.tiered_storage.as_ref().map(|c| c.monthly_usd.normalize())),
                t.shared_storage.monthly_usd.normalize().to_string(),
            ];
            row.extend(choice_cells(t.choice.as_ref()));
            row.push(missing.join("; "));
            row
        }),
    )
}

pub fn cost_components_csv(m: &ReportModel) -> Vec<u8> {
    let prices: std::collections::BTreeMap<&str, &[crate::report_model::Price]> =
        m.clusters.iter().map(|c| (c.cluster.as_str(), c.prices.as_slice())).collect();
    let rows = m.topics.iter().flat_map(move |t| {
        let prices: &[crate::report_model::Price] = prices.get(t.cluster.as_str()).copied().unwrap_or_default();
        let scenarios: [(&str, Option<&CostBreakdown>); 3] = [
            ("broker_local", Some(&t.broker_local)),
            ("tiered_storage", t.tiered_storage.as_ref()),
            ("shared_storage", Some(&t.shared_storage)),
        ];
        scenarios.into_iter().filter_map(|(s, c)| c.map(|c| (s, c))).flat_map(move |(scenario, cost)| {
            cost.components.iter().map(move |c| {
                vec![
                    t.cluster.clone(),
                    t.topic.clone(),
                    t.owner.clone(),
                    scenario.to_string(),
                    c.name.to_string(),
                    c.quantity.normalize().to_string(),
                    c.unit.clone(),
                    c.unit_price_usd.normalize().to_string(),
                    c.price_key.clone(),
                    prices.iter().find(|p| p.key == c.price_key).map(|p| p.basis.key().to_string()).unwrap_or_default(),
                    c.price_multiplier.normalize().to_string(),
                    c.monthly_usd.normalize().to_string(),
                ]
            })
        })
    });
    to_bytes(
        &[
            "cluster",
            "topic",
            "owner",
            "scenario",
            "component",
            "quantity",
            "unit",
            "unit_price_usd",
            "price_key",
            "price_basis",
            "price_multiplier",
            "monthly_usd",
        ],
        rows,
    )
}

/// Every cluster's settled prices: the sources the components' `price_key` refer to.
pub fn prices_csv(m: &ReportModel) -> Vec<u8> {
    to_bytes(
        &["cluster", "key", "region", "unit", "usd", "basis", "source", "as_of"],
        m.clusters.iter().flat_map(|c| {
            c.prices.iter().map(move |p| {
                vec![
                    c.cluster.clone(),
                    p.key.clone(),
                    p.region.clone(),
                    p.unit.clone(),
                    p.usd.normalize().to_string(),
                    p.basis.key().to_string(),
                    p.source.clone(),
                    p.as_of.clone(),
                ]
            })
        }),
    )
}
