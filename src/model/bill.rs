//! What the bill says, set against the model: billed lines per cluster, effective unit prices (cost ÷ usage),
//! the bill allocated to owners exact to the cent, and the residual between bill and model per cost class.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::Topic;
use super::allocate;
use super::cost::{Component, CostBreakdown};
use super::{ModelError, rows};
use crate::join::contract::ClusterCost;
use crate::normalize::Tables;
use crate::prices::{EffectivePrice, FixedPrice, PriceKey};
use crate::report_model::{BilledLine, ClassResidual, Reconciled};
use crate::settings::{ClusterConfig, Platform};

/// The bill's cost classes, as `queries/cost_lines_classified.sql` names them (a test keeps the two in step).
/// `model.json` keeps them as text; the model matches on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum CostClass {
    InterAzTransfer,
    MskTieredStorage,
    MskTieredRetrieval,
    MskStorage,
    MskBrokerHours,
    Ec2InstanceHours,
    EbsStorage,
    EbsIops,
    EbsThroughput,
    S3Storage,
    S3Requests,
    Other,
}

impl CostClass {
    /// The class a billed line's text names; `None` for a name the SQL does not give (the test rules it out).
    pub fn of(name: &str) -> Option<CostClass> {
        name.parse().ok()
    }

    /// Broker storage: MSK's, or the EBS volumes of self-managed brokers.
    pub fn is_broker_storage(self) -> bool {
        matches!(self, CostClass::MskStorage | CostClass::EbsStorage)
    }
}

/// Owner rows of the reconciliation that are not owners.
pub const IDLE: &str = "(idle headroom)";
pub const UNALLOCATED: &str = "(unallocated)";

/// The bill's lines per cluster they are attributed to (the join's `cluster_costs`), each cluster's in the join's
/// order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bill {
    by_cluster: BTreeMap<String, Vec<BilledLine>>,
}

impl Bill {
    /// The lines attributed to `cluster` (none for a cluster without any).
    pub(crate) fn of(&self, cluster: &str) -> &[BilledLine] {
        self.by_cluster.get(cluster).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every line, with its cluster.
    pub(crate) fn by_cluster(&self) -> impl Iterator<Item = (&str, &BilledLine)> {
        self.by_cluster.iter().flat_map(|(c, lines)| lines.iter().map(move |l| (c.as_str(), l)))
    }

    pub(crate) fn lines(&self) -> impl Iterator<Item = &BilledLine> {
        self.by_cluster.values().flatten()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_cluster.is_empty()
    }
}

pub(crate) fn billed_lines(tables: &Tables) -> Result<Bill, ModelError> {
    let mut bill = Bill::default();
    for r in rows::<ClusterCost>(tables)? {
        let (cluster, line) = {
            // The unit price of what was charged: credits and refunds are shown and allocated, never priced in.
            // None too when the charged quantity is unknown: never a price over part of the usage.
            let unit_price = r
                .charged_quantity
                .filter(|q| *q > Decimal::ZERO)
                .map(|q| (r.charged_amount / q).round_dp(10).normalize());
            let line = BilledLine {
                cost_class: r.cost_class,
                service: r.service,
                usage_type: r.usage_type,
                usage_unit: r.usage_unit,
                usage_quantity: r.usage_quantity.map(|q| q.normalize()),
                amount_usd: r.amount.normalize(),
                charged_quantity: r.charged_quantity.map(|q| q.normalize()),
                credits_usd: (r.amount - r.charged_amount).normalize(),
                unit_price_usd: unit_price,
                days: r.days,
                first_day: r.first_day.to_string(),
                last_day: r.last_day.to_string(),
            };
            (r.cluster, line)
        };
        bill.by_cluster.entry(cluster).or_default().push(line);
    }
    Ok(bill)
}

/// The EBS volume type a cluster's bill shows the most storage of (by GB-months charged, else by amount): the
/// type its storage is priced as. None without an EBS storage line of gp2 or gp3.
pub(crate) fn volume_type(lines: &[BilledLine]) -> Option<crate::settings::VolumeType> {
    use crate::settings::VolumeType;
    let weigh = |kind: &str| -> Option<Decimal> {
        let of_kind: Vec<&BilledLine> = lines
            .iter()
            .filter(|l| CostClass::of(&l.cost_class) == Some(CostClass::EbsStorage) && l.usage_type.contains(kind))
            .collect();
        (!of_kind.is_empty())
            .then(|| of_kind.iter().map(|l| l.charged_quantity.unwrap_or(l.amount_usd)).sum::<Decimal>())
    };
    match (weigh("gp2"), weigh("gp3")) {
        (Some(gp2), Some(gp3)) if gp2 > gp3 => Some(VolumeType::Gp2),
        (Some(_), None) => Some(VolumeType::Gp2),
        (_, Some(_)) => Some(VolumeType::Gp3),
        (None, None) => None,
    }
}

/// Effective unit prices from a cluster's billed lines: per price key the model uses, charged amount ÷ charged
/// quantity over the lines that carry it, credits and refunds left out. Lines with no quantity or no amount give none,
/// and so does a key with a line whose charged quantity is unknown (a price over part of the usage would be too high).
pub(crate) fn effective_prices(cluster: &ClusterConfig, lines: &[BilledLine]) -> Vec<EffectivePrice> {
    let instance = cluster.broker_instance_type.trim_start_matches("kafka.");
    let is_instance = |usage_type: &str| {
        usage_type.ends_with(&format!(".{instance}")) || usage_type.ends_with(&format!(":{instance}"))
    };
    let key_of = |l: &BilledLine| -> Option<PriceKey> {
        let usage = l.usage_type.as_str();
        match CostClass::of(&l.cost_class)? {
            CostClass::MskStorage => Some(FixedPrice::MskStorage.into()),
            CostClass::EbsStorage if usage.contains("gp3") => Some(FixedPrice::Gp3Storage.into()),
            CostClass::EbsStorage if usage.contains("gp2") => Some(FixedPrice::Gp2Storage.into()),
            CostClass::EbsIops if usage.contains("gp3") => Some(FixedPrice::Gp3Iops.into()),
            CostClass::EbsThroughput if usage.contains("gp3") => Some(FixedPrice::Gp3Throughput.into()),
            CostClass::MskTieredStorage => Some(FixedPrice::MskTieredStorage.into()),
            CostClass::MskTieredRetrieval => Some(FixedPrice::MskTieredRetrieval.into()),
            CostClass::S3Storage if usage.ends_with("TimedStorage-ByteHrs") => Some(FixedPrice::S3Storage.into()),
            CostClass::S3Requests if usage.ends_with("Requests-Tier1") => Some(FixedPrice::S3Put.into()),
            CostClass::S3Requests if usage.ends_with("Requests-Tier2") => Some(FixedPrice::S3Get.into()),
            CostClass::InterAzTransfer => Some(FixedPrice::InterAzTransfer.into()),
            CostClass::MskBrokerHours if cluster.platform == Platform::Msk && is_instance(usage) => {
                Some(PriceKey::MskBroker(cluster.broker_instance_type.clone()))
            }
            CostClass::Ec2InstanceHours if cluster.platform == Platform::SelfManaged && is_instance(usage) => {
                Some(PriceKey::Ec2Instance(cluster.broker_instance_type.clone()))
            }
            _ => None,
        }
    };
    let mut per_key: BTreeMap<PriceKey, Vec<&BilledLine>> = BTreeMap::new();
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
            let quantity: Decimal = lines.iter().map(|l| l.charged_quantity).sum::<Option<Decimal>>()?;
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
pub(crate) fn billed_per_class(billed: &Bill) -> BTreeMap<(String, String), Decimal> {
    let mut out: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for (cluster, line) in billed.by_cluster() {
        *out.entry((cluster.to_string(), line.cost_class.clone())).or_default() += line.amount_usd;
    }
    out
}

/// The modelled components of today's placement that carry a billed cost class's usage shares (see `Reconciled`),
/// each with the share of its cost that lands on the cluster's own billed resources, and which component is idle
/// capacity.
struct Basis {
    components: &'static [(Component, Decimal)],
    idle: Option<Component>,
}

const ALL: Decimal = Decimal::ONE;
/// One of the two sides of a crossing.
const ONE_SIDE: Decimal = Decimal::from_parts(5, 0, 0, false, 1);

/// Inter-AZ transfer is billed per side, on the resource on that side (`…-Out` on the sender's line, `…-In` on the
/// receiver's; docs/cost-model.md, "Reconciliation with the bill"). Replication runs broker to broker: both sides
/// are the cluster's. A client crossing has one side on the cluster (the broker's) and one on the client's instance,
/// which the cluster's lines never show.
fn basis_of(cost_class: &str) -> Option<Basis> {
    let basis = |components, idle| Some(Basis { components, idle });
    match CostClass::of(cost_class)? {
        CostClass::MskStorage | CostClass::EbsStorage => {
            basis(&[(Component::RetainedStorage, ALL)], Some(Component::DiskHeadroom))
        }
        CostClass::MskBrokerHours | CostClass::Ec2InstanceHours => basis(&[(Component::BrokerCompute, ALL)], None),
        CostClass::EbsIops => basis(&[(Component::EbsIops, ALL)], None),
        CostClass::EbsThroughput => basis(&[(Component::EbsThroughput, ALL)], None),
        CostClass::InterAzTransfer => basis(
            &[
                (Component::InterAzReplication, ALL),
                (Component::InterAzProduce, ONE_SIDE),
                (Component::InterAzConsume, ONE_SIDE),
            ],
            None,
        ),
        CostClass::MskTieredStorage | CostClass::S3Storage => basis(&[(Component::RemoteStorage, ALL)], None),
        CostClass::MskTieredRetrieval => basis(&[(Component::RemoteReads, ALL)], None),
        CostClass::S3Requests => basis(&[(Component::RemotePut, ALL), (Component::RemoteReads, ALL)], None),
        CostClass::Other => None,
    }
}

impl Basis {
    /// The part of a component's monthly cost that this class's billed lines carry; `None` when it carries none.
    fn share_of(&self, component: Component) -> Option<Decimal> {
        if self.idle == Some(component) {
            return Some(ALL);
        }
        self.components.iter().find(|(name, _)| *name == component).map(|(_, share)| *share)
    }

    fn describe(&self) -> String {
        let parts = self.components.iter().map(|(name, share)| {
            if *share == ALL { name.to_string() } else { format!("{name} × {}", share.normalize()) }
        });
        format!("modelled {}", parts.chain(self.idle.map(|c| c.to_string())).collect::<Vec<_>>().join(" + "))
    }
}

/// The bill allocated to owners by the usage shares of each topic's placement today, exact to the cent per
/// (cluster, cost class).
pub(crate) fn reconcile(billed: &BTreeMap<(String, String), Decimal>, topics: &[Topic]) -> Vec<Reconciled> {
    let mut out = Vec::new();
    for ((cluster, class), amount) in billed {
        let row = |owner: &str, billed_usd: Decimal, basis: String| Reconciled {
            cluster: cluster.clone(),
            cost_class: class.clone(),
            owner: owner.to_string(),
            billed_usd,
            basis,
        };
        let Some(basis_of_class) = basis_of(class) else {
            out.push(row(UNALLOCATED, amount.round_dp(2), "the model has no usage share for this cost class".into()));
            continue;
        };
        let mut weights: BTreeMap<String, Decimal> = BTreeMap::new();
        for t in topics.iter().filter(|t| &t.cluster == cluster) {
            for c in t.current_cost().components.iter() {
                let Some(share) = basis_of_class.share_of(c.name) else { continue };
                let key = if basis_of_class.idle == Some(c.name) { IDLE } else { t.owner.as_str() };
                *weights.entry(key.to_string()).or_default() += c.monthly_usd * share;
            }
        }
        let basis = basis_of_class.describe();
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
            let modelled = basis_of(class).and_then(|basis| {
                let parts: Vec<Decimal> = modelled
                    .components
                    .iter()
                    .filter_map(|c| basis.share_of(c.name).map(|share| c.monthly_usd * share))
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

#[cfg(test)]
mod class_tests {
    use super::CostClass;
    use strum::IntoEnumIterator;

    /// Every class the SQL can give parses, and every class is one the SQL gives: the two cannot drift.
    #[test]
    fn the_cost_classes_are_the_sqls() {
        let sql = include_str!("../../queries/cost_lines_classified.sql");
        let body = &sql[sql.find("CASE").unwrap()..sql.find("END AS cost_class").unwrap()];
        let given: Vec<&str> = body
            .split(['\'']) // THEN 'x' ... ELSE 'other'
            .enumerate()
            .filter(|(i, part)| i % 2 == 1 && !part.contains('%'))
            .map(|(_, part)| part)
            .collect();
        assert!(given.len() >= 11, "{given:?}");
        for name in &given {
            assert!(CostClass::of(name).is_some(), "the SQL gives `{name}`, which CostClass does not name");
        }
        for class in CostClass::iter() {
            let name: &str = class.into();
            assert!(given.contains(&name), "CostClass::{class:?} (`{name}`) is not a class the SQL gives");
        }
    }
}
