//! The CSV tables of a report: one row per owner, per topic, and per cost component. Money keeps full precision.

use crate::model::cost::CostBreakdown;
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
            "broker_local_monthly_usd",
            "shared_storage_monthly_usd",
            "monthly_difference_usd",
            "incomplete_topics",
        ],
        m.owners.iter().map(|o| {
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
                o.broker_local_monthly_usd.normalize().to_string(),
                o.shared_storage_monthly_usd.normalize().to_string(),
                (o.broker_local_monthly_usd - o.shared_storage_monthly_usd).normalize().to_string(),
                o.incomplete_topics.to_string(),
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
            "broker_local_monthly_usd",
            "shared_storage_monthly_usd",
            "cheapest",
            "missing",
        ],
        m.topics.iter().map(|t| {
            let missing = t.missing();
            vec![
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
                t.broker_local.monthly_usd.normalize().to_string(),
                t.shared_storage.monthly_usd.normalize().to_string(),
                t.cheapest.clone(),
                missing.join("; "),
            ]
        }),
    )
}

pub fn cost_components_csv(m: &ReportModel) -> Vec<u8> {
    let rows = m.topics.iter().flat_map(|t| {
        let scenarios: [(&str, &CostBreakdown); 2] =
            [("broker_local", &t.broker_local), ("shared_storage", &t.shared_storage)];
        scenarios.into_iter().flat_map(move |(scenario, cost)| {
            cost.components.iter().map(move |c| {
                vec![
                    t.cluster.clone(),
                    t.topic.clone(),
                    t.owner.clone(),
                    scenario.to_string(),
                    c.name.clone(),
                    c.quantity.normalize().to_string(),
                    c.unit.clone(),
                    c.unit_price_usd.normalize().to_string(),
                    c.price_key.clone(),
                    c.price_source.clone(),
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
            "price_source",
            "monthly_usd",
        ],
        rows,
    )
}
