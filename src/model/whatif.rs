//! What-if scenarios: the config's `[[what_if]]` changes (retention, replication factor, fetch-from-follower,
//! tiered storage) applied to the selected topics' formula inputs, priced again with the same formulas and prices,
//! and set against today's cost per topic and per owner.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use super::choice::Scenario;
use super::cost::{self, CostBreakdown, TopicInputs};
use super::{ModelError, Priced};
use crate::prices::PriceBook;
use crate::problem::{Problem, Problems};
use crate::report_model::{WhatIfOwner, WhatIfResult, WhatIfTopic};
use crate::settings::{ModelSettings, WhatIf};

const MS_PER_HOUR: i64 = 3_600_000;

/// Prices every what-if; a topic name that matches no topic in the data is an error naming the what-if.
pub(crate) fn evaluate(
    what_ifs: &[WhatIf],
    priced: &[Priced],
    config: &ModelSettings,
    books: &BTreeMap<String, PriceBook>,
) -> Result<Vec<WhatIfResult>, ModelError> {
    let mut problems = Vec::new();
    for (i, w) in what_ifs.iter().enumerate() {
        for name in &w.topics {
            let probe = WhatIf { owners: Vec::new(), topics: vec![name.clone()], ..w.clone() };
            if !priced.iter().any(|p| probe.selects(&p.topic.topic, &p.topic.owner)) {
                problems.push(Problem::new(
                    &config.config_path,
                    None,
                    Some(&format!("what_if[{i}].topics")),
                    format!(
                        "what-if `{}` names topic `{name}`, which is in no cluster's data ({} topics collected)",
                        w.name,
                        priced.len()
                    ),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems).into());
    }
    Ok(what_ifs.iter().map(|w| evaluate_one(w, priced, config, books)).collect())
}

fn evaluate_one(
    w: &WhatIf,
    priced: &[Priced],
    config: &ModelSettings,
    books: &BTreeMap<String, PriceBook>,
) -> WhatIfResult {
    let topics: Vec<WhatIfTopic> = priced
        .iter()
        .filter(|p| w.selects(&p.topic.topic, &p.topic.owner))
        .filter_map(|p| Some(what_if_topic(w, p, books.get(&p.topic.cluster)?, config)))
        .collect();
    let mut owners: BTreeMap<&str, WhatIfOwner> = BTreeMap::new();
    for t in &topics {
        let o = owners.entry(&t.owner).or_insert_with(|| WhatIfOwner {
            owner: t.owner.clone(),
            topics: 0,
            before_usd: Decimal::ZERO,
            after_usd: Decimal::ZERO,
            delta_usd: Decimal::ZERO,
        });
        o.topics += 1;
        o.before_usd += t.before_usd;
        o.after_usd += t.after_usd;
        o.delta_usd += t.delta_usd;
    }
    let before_usd = topics.iter().map(|t| t.before_usd).sum();
    let after_usd = topics.iter().map(|t| t.after_usd).sum();
    WhatIfResult {
        refused: topics.iter().filter(|t| t.refused.is_some()).count() as i64,
        what_if: w.clone().into(),
        owners: owners.into_values().collect(),
        before_usd,
        after_usd,
        delta_usd: after_usd - before_usd,
        topics,
    }
}

/// One selected topic under the what-if: refused as Kafka would refuse it, or priced after the change.
fn what_if_topic(w: &WhatIf, p: &Priced, prices: &PriceBook, config: &ModelSettings) -> WhatIfTopic {
    let before = p.topic.current_cost();
    let mut notes = Vec::new();
    let mut placement = p.topic.current;
    let (after, missing, refused) = match refusal(w, &p.inputs, p.cluster.brokers) {
        Some(why) => (before.monthly_usd, Vec::new(), Some(why)),
        None => {
            let inputs = changed_inputs(w, &p.inputs, &p.cluster.zone_names(), &mut notes);
            placement = match w.tiered_storage {
                Some(true) => Scenario::TieredStorage,
                Some(false) => Scenario::BrokerLocal,
                None => p.topic.current,
            };
            let a = &config.assumptions;
            let after: CostBreakdown = match placement {
                Scenario::TieredStorage => match cost::tiered_storage(&inputs, &p.cluster, a, prices) {
                    Ok(cost) => cost,
                    Err(reason) => {
                        notes.push(format!("{reason}; kept on broker-local disk"));
                        placement = Scenario::BrokerLocal;
                        cost::broker_local(&inputs, &p.cluster, a, prices)
                    }
                },
                _ => cost::broker_local(&inputs, &p.cluster, a, prices),
            };
            (after.monthly_usd, after.missing.iter().map(ToString::to_string).collect(), None)
        }
    };
    WhatIfTopic {
        cluster: p.topic.cluster.clone(),
        topic: p.topic.topic.clone(),
        owner: p.topic.owner.clone(),
        placement_before: p.topic.current,
        placement_after: placement,
        before_usd: before.monthly_usd,
        after_usd: after,
        delta_usd: after - before.monthly_usd,
        notes,
        missing,
        refused,
    }
}

/// Why Kafka would not run the topic as the what-if has it, if it would not: a replication factor above the
/// cluster's brokers (topic creation and reassignment fail with `INVALID_REPLICATION_FACTOR`), or below the topic's
/// `min.insync.replicas` (every acks=all write then fails with `NOT_ENOUGH_REPLICAS`). Such a topic is not priced:
/// its cost stays today's, and the reason is shown.
fn refusal(w: &WhatIf, today: &TopicInputs, brokers: i64) -> Option<String> {
    let rf = w.replication_factor?;
    if rf > brokers {
        return Some(format!(
            "Kafka refuses a replication factor of {rf} on a cluster of {brokers} brokers (INVALID_REPLICATION_FACTOR)"
        ));
    }
    match today.min_insync_replicas {
        Some(min) if rf < min => Some(format!(
            "replication factor {rf} is below the topic's min.insync.replicas of {min}: every acks=all write would \
             fail with NOT_ENOUGH_REPLICAS"
        )),
        _ => None,
    }
}

/// The topic's inputs with the what-if's changes; what could not be applied is noted. A changed replication
/// factor keeps each leader and places the followers in the next zones after it (`zones`: the brokers' zones).
fn changed_inputs(w: &WhatIf, today: &TopicInputs, zones: &[String], notes: &mut Vec<String>) -> TopicInputs {
    let mut t = today.clone();
    if let Some(hours) = w.retention_hours {
        let new_ms = hours * Decimal::from(MS_PER_HOUR);
        match (
            !today.deletes,
            today.retention_ms.filter(|r| *r > 0),
            today.bytes_in_per_sec.and_then(Decimal::from_f64),
        ) {
            (true, ..) => notes.push(
                "cleanup.policy is compact only: Kafka deletes nothing by retention.ms, so the change moves no byte"
                    .into(),
            ),
            (_, Some(old), _) => t = t.with_retention_factor(new_ms / Decimal::from(old)),
            (_, None, Some(rate)) if today.tiered_today.is_none() => {
                // Unlimited (or unknown) retention today: size the new one as its window's worth of writes.
                let bytes = rate * new_ms / Decimal::ONE_THOUSAND;
                let factor = match today.retained_bytes {
                    Some(b) if b > 0 => bytes / Decimal::from(b),
                    _ => Decimal::ONE,
                };
                t = TopicInputs {
                    retained_bytes: Some(cost::whole(bytes)),
                    retention_ms: Some(cost::whole(new_ms)),
                    messages_retained: today.messages_retained.map(|m| cost::whole(Decimal::from(m) * factor)),
                    ..t
                };
            }
            _ => notes.push(
                "retention is unlimited or unknown today and there is no write rate to size a new one: retention \
                 left unchanged"
                    .into(),
            ),
        }
    }
    if let Some(rf) = w.replication_factor
        && rf != today.replication_factor
    {
        t.replication_factor = rf;
        t.placement = today.placement.with_replication_factor(rf, zones);
    }
    if let Some(fff) = w.fetch_from_follower {
        for g in &mut t.groups {
            g.fetch_from_follower = Some(fff);
        }
    }
    if let Some(hours) = w.local_retention_hours {
        t.tiered_window_ms = Some(cost::whole(hours * Decimal::from(MS_PER_HOUR)));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn what_if(rf: i64) -> WhatIf {
        WhatIf {
            name: "rf".into(),
            owners: vec![],
            topics: vec!["t".into()],
            retention_hours: None,
            replication_factor: Some(rf),
            fetch_from_follower: None,
            tiered_storage: None,
            local_retention_hours: None,
        }
    }

    #[test]
    /// Kafka's `CreateTopics`/`AlterPartitionReassignments` fail with INVALID_REPLICATION_FACTOR when the factor is
    /// larger than the available brokers; acks=all produce fails with NOT_ENOUGH_REPLICAS below
    /// `min.insync.replicas` (Kafka broker and topic configs, `min.insync.replicas`).
    fn kafka_refuses_more_replicas_than_brokers_and_fewer_than_min_insync() {
        let topic = |min| TopicInputs { min_insync_replicas: min, ..crate::model::cost::tests::topic() };
        // RF 5 on 3 brokers.
        let r = refusal(&what_if(5), &topic(Some(2)), 3).unwrap();
        assert!(r.contains("replication factor of 5 on a cluster of 3 brokers"), "{r}");
        // RF 3 on 3 brokers, min ISR 2: allowed.
        assert_eq!(refusal(&what_if(3), &topic(Some(2)), 3), None);
        // RF 1 below min ISR 2.
        let r = refusal(&what_if(1), &topic(Some(2)), 3).unwrap();
        assert!(r.contains("below the topic's min.insync.replicas of 2"), "{r}");
        // RF 2 = min ISR 2: allowed (no broker may fail for acks=all writes, but Kafka takes them).
        assert_eq!(refusal(&what_if(2), &topic(Some(2)), 3), None);
        // min ISR unknown: only the broker bound applies.
        assert_eq!(refusal(&what_if(1), &topic(None), 3), None);
    }
}
