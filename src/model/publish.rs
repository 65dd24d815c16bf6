//! What the model hands the report model: one `From` conversion per type `model.json` carries.
//!
//! Each conversion destructures the model's type without `..`, so a field added to or renamed in the model does
//! not compile here until someone decides what the report shows of it; and a change on the report model's side
//! moves its pinned schema (`report_model/schema_pin.rs`), which asks for a version decision. The model's types
//! stay free to change shape for the model's own sake.

use crate::report_model as out;

use super::{actions, assumptions, choice, cost, readiness, sizing, trend, zones};
use crate::prices;

fn all<T, U: From<T>>(v: Vec<T>) -> Vec<U> {
    v.into_iter().map(U::from).collect()
}

/// Each as the words `model.json` carries.
fn all_text<T: std::fmt::Display>(v: Vec<T>) -> Vec<String> {
    v.iter().map(T::to_string).collect()
}

impl From<cost::CostComponent> for out::CostComponent {
    fn from(c: cost::CostComponent) -> Self {
        let cost::CostComponent { name, unit, quantity, unit_price_usd, price_key, price_multiplier, monthly_usd } = c;
        out::CostComponent {
            name,
            unit,
            quantity,
            unit_price_usd,
            price_key: price_key.to_string(),
            price_multiplier,
            monthly_usd,
        }
    }
}

impl From<cost::CostBreakdown> for out::CostBreakdown {
    fn from(b: cost::CostBreakdown) -> Self {
        let cost::CostBreakdown { components, monthly_usd, missing } = b;
        out::CostBreakdown { components: all(components), monthly_usd, missing: all_text(missing) }
    }
}

impl From<choice::Choice> for out::Choice {
    fn from(c: choice::Choice) -> Self {
        let choice::Choice { cheapest, saving_usd, flip, rate_flip } = c;
        out::Choice {
            cheapest,
            saving_usd,
            flip: flip.map(|choice::Flip { to, retention_factor, retention_ms }| out::Flip {
                to,
                retention_factor,
                retention_ms,
            }),
            rate_flip: rate_flip.map(|choice::RateFlip { to, rate_factor }| out::RateFlip { to, rate_factor }),
        }
    }
}

impl From<prices::Price> for out::Price {
    fn from(p: prices::Price) -> Self {
        let prices::Price { key, region, unit, usd, source, as_of, basis } = p;
        out::Price { key: key.to_string(), region, unit, usd, source, as_of, basis }
    }
}

impl From<readiness::Scorecard> for out::Scorecard {
    fn from(s: readiness::Scorecard) -> Self {
        let readiness::Scorecard { verdict, checks } = s;
        let checks = checks
            .into_iter()
            .map(|readiness::Check { dimension, verdict, reason }| out::Check { dimension, verdict, reason })
            .collect();
        out::Scorecard { verdict, checks }
    }
}

impl From<readiness::Rules> for out::ReadinessRules {
    fn from(r: readiness::Rules) -> Self {
        let readiness::Rules {
            cross_az_share_watch,
            min_saving_usd,
            migration_saving_share,
            replay_margin,
            retention_excess_factor,
            min_retention_hours,
            headroom_excess_share,
            platform_owner,
            lag_skew_factor,
            lag_growth_share,
        } = r;
        out::ReadinessRules {
            cross_az_share_watch,
            min_saving_usd,
            migration_saving_share,
            replay_margin,
            retention_excess_factor,
            min_retention_hours,
            headroom_excess_share,
            platform_owner,
            lag_skew_factor,
            lag_growth_share,
        }
    }
}

impl From<actions::Action> for out::Action {
    fn from(a: actions::Action) -> Self {
        let actions::Action {
            kind,
            owner,
            cluster,
            topic,
            summary,
            evidence,
            monthly_saving_usd,
            right_size_saving_usd,
            architecture_saving_usd,
            approver,
            disk_freed_gib,
            disk_freed,
            follow_up,
            disk_added_gib,
            monthly_cost_usd,
            due_by,
        } = a;
        out::Action {
            kind,
            owner,
            cluster,
            topic,
            summary,
            evidence,
            monthly_saving_usd,
            right_size_saving_usd,
            architecture_saving_usd,
            boundary: actions::boundary(kind).0,
            rollback: actions::boundary(kind).1.to_string(),
            approver,
            disk_freed_gib,
            disk_freed: disk_freed.into_iter().map(|(broker, gib)| out::BrokerDisk { broker, gib }).collect(),
            follow_up,
            disk_added_gib,
            monthly_cost_usd,
            due_by,
        }
    }
}

impl From<sizing::Sizing> for out::Sizing {
    fn from(s: sizing::Sizing) -> Self {
        let sizing::Sizing {
            percentile,
            points,
            bytes_in_per_sec,
            write_io_mibps,
            per_broker_write_mibps,
            brokers_for_writes,
            network_mibps,
            per_broker_network_mibps,
            brokers_for_network,
            replicas,
            partitions_per_broker,
            brokers_for_partitions,
            brokers_needed,
            bottleneck,
            brokers_today,
            disk_gib_needed,
            fullest_broker,
            fullest_broker_gib,
            disk_gib_billed,
            compute_needed_monthly_usd,
            compute_today_monthly_usd,
            disk_needed_monthly_usd,
        } = s;
        out::Sizing {
            percentile,
            points,
            bytes_in_per_sec,
            write_io_mibps,
            per_broker_write_mibps,
            brokers_for_writes,
            network_mibps,
            per_broker_network_mibps,
            brokers_for_network,
            replicas,
            partitions_per_broker,
            brokers_for_partitions,
            brokers_needed,
            bottleneck,
            brokers_today,
            disk_gib_needed,
            fullest_broker,
            fullest_broker_gib,
            disk_gib_billed,
            compute_needed_monthly_usd,
            compute_today_monthly_usd,
            disk_needed_monthly_usd,
        }
    }
}

impl From<trend::HistoryRules> for out::HistoryRules {
    fn from(r: trend::HistoryRules) -> Self {
        let trend::HistoryRules { runs, anomaly_share, anomaly_min_usd } = r;
        out::HistoryRules { runs, anomaly_share, anomaly_min_usd }
    }
}

impl From<trend::HistoryReport> for out::HistoryReport {
    fn from(h: trend::HistoryReport) -> Self {
        let trend::HistoryReport {
            rules,
            previous_run,
            total_delta_usd,
            owners,
            topics,
            new_topics,
            deleted_topics,
            growth,
            runs,
            skipped,
        } = h;
        let owners = owners
            .into_iter()
            .map(|trend::OwnerDelta { owner, previous_usd, current_usd, delta_usd, delta_share, anomaly }| {
                out::OwnerDelta { owner, previous_usd, current_usd, delta_usd, delta_share, anomaly }
            })
            .collect();
        let topics = topics
            .into_iter()
            .map(|trend::TopicDelta { topic, owner, previous_usd, current_usd, delta_usd }| out::TopicDelta {
                topic,
                owner,
                previous_usd,
                current_usd,
                delta_usd,
            })
            .collect();
        let growth = growth
            .into_iter()
            .map(|(k, trend::Growth { bytes, bytes_per_day })| (k, out::Growth { bytes, bytes_per_day }))
            .collect();
        let runs = runs
            .into_iter()
            .map(|trend::RunPoint { run_id, captured_at, current_monthly_usd, owners }| out::RunPoint {
                run_id,
                captured_at,
                current_monthly_usd,
                owners,
            })
            .collect();
        out::HistoryReport {
            rules: rules.into(),
            previous_run,
            total_delta_usd,
            owners,
            topics,
            new_topics,
            deleted_topics,
            growth,
            runs,
            skipped,
        }
    }
}

impl From<assumptions::Assumptions> for out::Assumptions {
    fn from(a: assumptions::Assumptions) -> Self {
        let assumptions::Assumptions {
            month_hours,
            target_disk_utilization,
            client_zones,
            zone_aware_clients,
            fetch_from_follower,
            s3_upload_object_mib,
            shared_s3_puts_per_gib,
            shared_s3_gets_per_gib,
            s3_read_object_mib,
            shared_cold_read_fraction,
            wal,
            wal_gib_per_broker,
            wal_upload_interval_ms,
            wal_zone_copies,
            shared_instance_type,
            shared_instance_network_mibps,
            shared_min_brokers,
            shared_compaction_factor,
            sizing_percentile,
            broker_write_mibps,
            broker_network_mibps,
            target_throughput_utilization,
            shared_target_network_utilization,
            ebs_io_kib,
            tiered_local_retention_hours,
            clients,
        } = a;
        let wal = match wal {
            assumptions::WalKind::Ebs => out::WalKind::Ebs,
            assumptions::WalKind::RegionalDisk => out::WalKind::RegionalDisk,
            assumptions::WalKind::S3 => out::WalKind::S3,
            assumptions::WalKind::S3Express => out::WalKind::S3Express,
        };
        let clients = clients
            .into_iter()
            .map(|assumptions::ClientRule { owner, group, zones, fetch_from_follower }| out::ClientRule {
                owner,
                group,
                zones: zones.map(zones_of),
                fetch_from_follower,
            })
            .collect();
        out::Assumptions {
            month_hours,
            target_disk_utilization,
            client_zones,
            zone_aware_clients,
            fetch_from_follower,
            s3_upload_object_mib,
            shared_s3_puts_per_gib,
            shared_s3_gets_per_gib,
            s3_read_object_mib,
            shared_cold_read_fraction,
            wal,
            wal_gib_per_broker,
            wal_upload_interval_ms,
            wal_zone_copies,
            shared_instance_type,
            shared_instance_network_mibps,
            shared_min_brokers,
            shared_compaction_factor,
            sizing_percentile,
            broker_write_mibps,
            broker_network_mibps,
            target_throughput_utilization,
            shared_target_network_utilization,
            ebs_io_kib,
            tiered_local_retention_hours,
            clients,
        }
    }
}

fn zones_of(z: zones::ClientZones) -> out::ClientZones {
    match z {
        zones::ClientZones::Spread(n) => out::ClientZones::Spread(n),
        zones::ClientZones::Named(shares) => out::ClientZones::Named(
            shares.into_iter().map(|zones::ZoneShare { zone, share }| out::ZoneShare { zone, share }).collect(),
        ),
    }
}

// The settings and sources the report echoes come from the stages before the model; the model is the one stage
// that sees both them and the report model, so their conversions live here too.

impl From<crate::settings::WhatIf> for out::WhatIf {
    fn from(w: crate::settings::WhatIf) -> Self {
        let crate::settings::WhatIf {
            name,
            owners,
            topics,
            retention_hours,
            replication_factor,
            fetch_from_follower,
            tiered_storage,
            local_retention_hours,
        } = w;
        out::WhatIf {
            name,
            owners,
            topics,
            retention_hours,
            replication_factor,
            fetch_from_follower,
            tiered_storage,
            local_retention_hours,
        }
    }
}

impl From<crate::completeness::SourceReport> for out::SourceReport {
    fn from(s: crate::completeness::SourceReport) -> Self {
        use crate::completeness::SourceStatus;
        let crate::completeness::SourceReport {
            name,
            kind,
            status,
            detail,
            tables,
            requests,
            window,
            line_source,
            transfer,
            queries,
        } = s;
        let transfer = transfer.map(|t| out::Transfer { fetched_bytes: t.fetched_bytes, object_bytes: t.object_bytes });
        let status = match status {
            SourceStatus::Complete => out::SourceStatus::Complete,
            SourceStatus::Partial => out::SourceStatus::Partial,
            SourceStatus::Failed => out::SourceStatus::Failed,
        };
        let window = window.map(|crate::completeness::DayWindow { first, last }| out::DayWindow { first, last });
        let queries = queries
            .into_iter()
            .map(|crate::completeness::QueryRun { id, bytes_scanned, cost }| out::QueryRun {
                id,
                bytes_scanned,
                cost: cost.map(|c| out::ServiceCost {
                    quantity: c.quantity,
                    unit: c.unit,
                    unit_price: c.unit_price,
                    amount: c.amount,
                    price_source: c.price_source,
                }),
            })
            .collect();
        out::SourceReport { name, kind, status, detail, tables, requests, window, line_source, transfer, queries }
    }
}

impl From<crate::problem::Finding> for out::Finding {
    fn from(f: crate::problem::Finding) -> Self {
        let crate::problem::Finding { rule, table, line, column, message } = f;
        out::Finding { rule, table, line, column, message }
    }
}
