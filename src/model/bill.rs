//! What the bill says, set against the model: billed lines per cluster, effective unit prices (cost ÷ usage),
//! the bill allocated to owners exact to the cent, and the residual between bill and model per cost class.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::allocate;
use super::cost::CostBreakdown;
use super::prices::EffectivePrice;
use super::{ModelError, reader};
use crate::config::{ClusterConfig, Platform};
use crate::normalize::Tables;
use crate::report_model::{BilledLine, ClassResidual, Reconciled, TopicReport};

/// Owner rows of the reconciliation that are not owners.
pub const IDLE: &str = "(idle headroom)";
pub const UNALLOCATED: &str = "(unallocated)";

pub(crate) fn billed_lines(tables: &Tables) -> Result<Vec<(String, BilledLine)>, ModelError> {
    let r = reader(tables, "cluster_costs")?;
    let (cluster, class, service) = (r.str("cluster")?, r.str("cost_class")?, r.str("service")?);
    let (usage_type, unit) = (r.str("usage_type")?, r.str("usage_unit")?);
    let (quantity, amount, days) = (r.decimal("usage_quantity")?, r.decimal("amount")?, r.i64("days")?);
    let (charged_quantity, charged) = (r.decimal("charged_quantity")?, r.decimal("charged_amount")?);
    let (first, last) = (r.str("first_day")?, r.str("last_day")?);
    Ok((0..r.len())
        .map(|i| {
            // The unit price of what was charged: credits and refunds are shown and allocated, never priced in.
            let unit_price = (charged_quantity[i] > Decimal::ZERO)
                .then(|| (charged[i] / charged_quantity[i]).round_dp(10).normalize());
            let line = BilledLine {
                cost_class: class[i].clone(),
                service: service[i].clone(),
                usage_type: usage_type[i].clone(),
                usage_unit: unit[i].clone(),
                usage_quantity: quantity[i].normalize(),
                amount_usd: amount[i].normalize(),
                charged_quantity: charged_quantity[i].normalize(),
                credits_usd: (amount[i] - charged[i]).normalize(),
                unit_price_usd: unit_price,
                days: days[i],
                first_day: first[i].clone(),
                last_day: last[i].clone(),
            };
            (cluster[i].clone(), line)
        })
        .collect())
}

/// Effective unit prices from a cluster's billed lines: per price key the model uses, charged amount ÷ charged
/// quantity over the lines that carry it, credits and refunds left out. Lines with no quantity or no amount give none.
pub(crate) fn effective_prices(cluster: &ClusterConfig, lines: &[BilledLine]) -> Vec<EffectivePrice> {
    let instance = cluster.broker_instance_type.trim_start_matches("kafka.");
    let is_instance = |usage_type: &str| {
        usage_type.ends_with(&format!(".{instance}")) || usage_type.ends_with(&format!(":{instance}"))
    };
    let key_of = |l: &BilledLine| -> Option<String> {
        match l.cost_class.as_str() {
            "msk_storage" => Some("msk.storage".into()),
            "ebs_storage" if l.usage_type.contains("gp3") => Some("ebs.gp3.storage".into()),
            "ebs_storage" if l.usage_type.contains("gp2") => Some("ebs.gp2.storage".into()),
            "ebs_iops" if l.usage_type.contains("gp3") => Some("ebs.gp3.iops".into()),
            "ebs_throughput" if l.usage_type.contains("gp3") => Some("ebs.gp3.throughput".into()),
            "msk_tiered_storage" => Some("msk.tiered.storage".into()),
            "msk_tiered_retrieval" => Some("msk.tiered.retrieval".into()),
            "s3_storage" if l.usage_type.ends_with("TimedStorage-ByteHrs") => Some("s3.standard.storage".into()),
            "s3_requests" if l.usage_type.ends_with("Requests-Tier1") => Some("s3.standard.put".into()),
            "s3_requests" if l.usage_type.ends_with("Requests-Tier2") => Some("s3.standard.get".into()),
            "inter_az_transfer" => Some("transfer.inter_az".into()),
            "msk_broker_hours" if cluster.platform == Platform::Msk && is_instance(&l.usage_type) => {
                Some(format!("msk.broker.{}", cluster.broker_instance_type))
            }
            "ec2_instance_hours" if cluster.platform == Platform::SelfManaged && is_instance(&l.usage_type) => {
                Some(format!("ec2.instance.{}", cluster.broker_instance_type))
            }
            _ => None,
        }
    };
    let mut per_key: BTreeMap<String, Vec<&BilledLine>> = BTreeMap::new();
    for l in lines {
        if let Some(key) = key_of(l) {
            per_key.entry(key).or_default().push(l);
        }
    }
    per_key
        .into_iter()
        .filter_map(|(key, lines)| {
            // What was charged, before credits and refunds: they lower the bill, never a unit price.
            let amount: Decimal = lines.iter().map(|l| l.amount_usd - l.credits_usd).sum();
            let quantity: Decimal = lines.iter().map(|l| l.charged_quantity).sum();
            if amount <= Decimal::ZERO || quantity <= Decimal::ZERO {
                return None;
            }
            let first = lines.iter().map(|l| l.first_day.as_str()).min().unwrap_or_default();
            let last = lines.iter().map(|l| l.last_day.as_str()).max().unwrap_or_default();
            let usage: Vec<&str> = lines.iter().map(|l| l.usage_type.as_str()).collect();
            // gp3 throughput may be billed per GiB/s-month; the book prices it per MiB/s-month.
            let per_gib_per_second = lines[0].usage_unit.to_ascii_lowercase().contains("gibps");
            let scale = if per_gib_per_second { Decimal::from(1024) } else { Decimal::ONE };
            Some(EffectivePrice {
                usd: (amount / quantity / scale).round_dp(8).normalize(),
                source: format!(
                    "the bill: ${} for {} {} of {} ({} to {})",
                    amount.round_dp(2),
                    quantity.round_dp(4).normalize(),
                    lines[0].usage_unit,
                    usage.join(", "),
                    first,
                    last
                ),
                as_of: last.to_string(),
                key,
            })
        })
        .collect()
}

/// Billed amount per (cluster, cost class), in a stable order.
pub(crate) fn billed_per_class(billed: &[(String, BilledLine)]) -> BTreeMap<(String, String), Decimal> {
    let mut out: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for (cluster, line) in billed {
        *out.entry((cluster.clone(), line.cost_class.clone())).or_default() += line.amount_usd;
    }
    out
}

/// Which modelled components of today's placement carry a billed cost class's usage shares (see `Reconciled`),
/// and which one is idle capacity.
fn basis_of(cost_class: &str) -> Option<(&'static [&'static str], Option<&'static str>)> {
    match cost_class {
        "msk_storage" | "ebs_storage" => Some((&["retained_storage"], Some("disk_headroom"))),
        "msk_broker_hours" | "ec2_instance_hours" => Some((&["broker_compute"], None)),
        "ebs_iops" => Some((&["ebs_iops"], None)),
        "ebs_throughput" => Some((&["ebs_throughput"], None)),
        "inter_az_transfer" => Some((&["inter_az_replication", "inter_az_produce", "inter_az_consume"], None)),
        "msk_tiered_storage" | "s3_storage" => Some((&["remote_storage"], None)),
        "msk_tiered_retrieval" => Some((&["remote_reads"], None)),
        "s3_requests" => Some((&["remote_put", "remote_reads"], None)),
        _ => None,
    }
}

/// The bill allocated to owners by the usage shares of each topic's placement today, exact to the cent per
/// (cluster, cost class).
pub(crate) fn reconcile(billed: &BTreeMap<(String, String), Decimal>, topics: &[TopicReport]) -> Vec<Reconciled> {
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
            for c in t.current_cost().components.iter() {
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

/// Per billed cost class of a cluster: the bill as a monthly rate beside the modelled cost of today's placement
/// (`None` when the model has no component for the class, or none could be priced).
pub(crate) fn residuals(lines: &[BilledLine], modelled: &CostBreakdown, month_hours: Decimal) -> Vec<ClassResidual> {
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
            let modelled = basis_of(class).and_then(|(names, idle)| {
                let parts: Vec<Decimal> = modelled
                    .components
                    .iter()
                    .filter(|c| names.contains(&c.name.as_str()) || idle == Some(c.name.as_str()))
                    .map(|c| c.monthly_usd)
                    .collect();
                (!parts.is_empty()).then(|| parts.into_iter().sum::<Decimal>().round_dp(2))
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
