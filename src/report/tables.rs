//! The tables of a report: one row per owner, per topic, per cost component and per price, each written as CSV
//! and as Parquet from the same cells, so the two never differ. Money keeps full precision: in Parquet it is a
//! decimal of scale 18 (the model's figures carry at most 10 places), never a float.

use polars::prelude::*;

use crate::report_model::Choice;
use crate::report_model::ReportModel;
use crate::report_model::{Component, CostBreakdown};

/// What a column holds, for Parquet's types (CSV writes every cell as text; an empty cell is null in Parquet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Float,
    Decimal,
    Bool,
}
use Kind::*;

/// Precision and scale of every decimal column.
const DECIMAL: DataType = DataType::Decimal(38, 18);

/// One table: its columns with their kinds, and its rows as the CSV's cells. The cells are kept end to end in one
/// buffer (a table of 300,000 rows × 12 cells would otherwise hold 3.6 million strings at once).
pub struct Sheet {
    columns: Vec<(&'static str, Kind)>,
    text: String,
    /// Where each cell ends in `text`, row after row.
    ends: Vec<usize>,
}

impl Sheet {
    fn new(columns: &[(&'static str, Kind)], rows: impl Iterator<Item = Vec<String>>) -> Sheet {
        let (mut text, mut ends) = (String::new(), Vec::new());
        for row in rows {
            assert_eq!(row.len(), columns.len(), "a row of {} cells in a table of {}", row.len(), columns.len());
            for cell in row {
                text.push_str(&cell);
                ends.push(text.len());
            }
        }
        Sheet { columns: columns.to_vec(), text, ends }
    }

    fn height(&self) -> usize {
        self.ends.len() / self.columns.len().max(1)
    }

    /// Cell number `at`, counting row after row.
    fn cell(&self, at: usize) -> &str {
        let start = if at == 0 { 0 } else { self.ends[at - 1] };
        &self.text[start..self.ends[at]]
    }

    /// Every cell, row after row.
    fn cells(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len()).map(|at| self.cell(at))
    }

    /// The cells of one column, top to bottom.
    fn column(&self, column: usize) -> impl Iterator<Item = &str> {
        (column..self.ends.len()).step_by(self.columns.len().max(1)).map(|at| self.cell(at))
    }

    pub fn csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(self.columns.iter().map(|(name, _)| name)).expect("writing to memory");
        let mut cells = self.cells();
        for _ in 0..self.height() {
            w.write_record(cells.by_ref().take(self.columns.len())).expect("writing to memory");
        }
        w.into_inner().expect("flushing to memory")
    }

    /// The same cells as typed Parquet columns (an empty cell is null).
    pub fn parquet(&self) -> PolarsResult<Vec<u8>> {
        let columns = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (name, kind))| {
                let cells: Vec<Option<&str>> = self.column(i).map(|c| Some(c).filter(|c| !c.is_empty())).collect();
                let text = Column::new((*name).into(), cells);
                match kind {
                    Text => Ok(text),
                    Int => text.strict_cast(&DataType::Int64),
                    Float => text.strict_cast(&DataType::Float64),
                    Decimal => text.strict_cast(&DECIMAL),
                    // polars does not cast text to booleans; the cells are `true` / `false` as CSV writes them.
                    Bool => {
                        let flags: Vec<Option<bool>> = self.column(i).map(|c| c.parse::<bool>().ok()).collect();
                        Ok(Column::new((*name).into(), flags))
                    }
                }
            })
            .collect::<PolarsResult<Vec<Column>>>()?;
        let mut frame = DataFrame::new(self.height(), columns)?;
        let mut out = Vec::new();
        ParquetWriter::new(&mut out).with_statistics(StatisticsOptions::empty()).finish(&mut frame)?;
        Ok(out)
    }
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

pub fn owners(m: &ReportModel) -> Sheet {
    Sheet::new(
        &[
            ("owner", Text),
            ("team", Text),
            ("cost_center", Text),
            ("escalation", Text),
            ("channel", Text),
            ("topics", Int),
            ("partitions", Int),
            ("retained_bytes", Int),
            ("bytes_in_per_sec", Float),
            ("consumer_groups", Int),
            ("max_group_lag", Int),
            ("current_monthly_usd", Decimal),
            ("right_sized_monthly_usd", Decimal),
            ("broker_local_monthly_usd", Decimal),
            ("tiered_storage_monthly_usd", Decimal),
            ("shared_storage_monthly_usd", Decimal),
            ("express_monthly_usd", Decimal),
            ("incomplete_topics", Int),
            ("choice_topics", Int),
            (CHOICE_COLUMNS[0], Text),
            (CHOICE_COLUMNS[1], Decimal),
            (CHOICE_COLUMNS[2], Text),
            (CHOICE_COLUMNS[3], Decimal),
            (CHOICE_COLUMNS[5], Text),
            (CHOICE_COLUMNS[6], Decimal),
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
                opt(o.bytes_in_per_sec),
                o.consumer_groups.to_string(),
                o.max_group_lag.to_string(),
                opt(o.current_monthly_usd.map(|d| d.normalize())),
                opt(o.right_sized_monthly_usd.map(|d| d.normalize())),
                opt(o.broker_local_monthly_usd.map(|d| d.normalize())),
                opt(o.tiered_storage_monthly_usd.map(|d| d.normalize())),
                opt(o.shared_storage_monthly_usd.map(|d| d.normalize())),
                opt(o.express_monthly_usd.map(|d| d.normalize())),
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

pub fn topics(m: &ReportModel) -> Sheet {
    Sheet::new(
        &[
            ("cluster", Text),
            ("topic", Text),
            ("owner", Text),
            ("owner_rule", Text),
            ("is_internal", Bool),
            ("partitions", Int),
            ("replication_factor", Int),
            ("retention_ms", Int),
            ("retention_bytes", Int),
            ("cleanup_policy", Text),
            ("remote_storage_enable", Bool),
            ("retained_bytes", Int),
            ("partitions_size_unknown", Int),
            ("bytes_in_per_sec", Float),
            ("write_rate_basis", Text),
            ("offset_bytes_in_per_sec", Float),
            ("consumer_groups", Int),
            ("max_group_lag", Int),
            ("cross_zone_follower_share", Decimal),
            ("groups_reading_remote", Int),
            ("placement", Text),
            ("current_monthly_usd", Decimal),
            ("right_sized_monthly_usd", Decimal),
            ("broker_local_monthly_usd", Decimal),
            ("tiered_storage_monthly_usd", Decimal),
            ("shared_storage_monthly_usd", Decimal),
            ("express_monthly_usd", Decimal),
            (CHOICE_COLUMNS[0], Text),
            (CHOICE_COLUMNS[1], Decimal),
            (CHOICE_COLUMNS[2], Text),
            (CHOICE_COLUMNS[3], Decimal),
            (CHOICE_COLUMNS[4], Int),
            (CHOICE_COLUMNS[5], Text),
            (CHOICE_COLUMNS[6], Decimal),
            ("not_tierable", Text),
            ("missing", Text),
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
                t.write_rate_basis.clone(),
                opt(t.offset_bytes_in_per_sec),
                t.consumer_groups.to_string(),
                t.max_group_lag.to_string(),
                t.cross_zone_follower_share.normalize().to_string(),
                t.groups_reading_remote.to_string(),
                t.current.key().to_string(),
                opt(t.current_cost().known_usd().map(|d| d.normalize())),
                opt(t.right_sized_monthly_usd.map(|d| d.normalize())),
                opt(t.broker_local.known_usd().map(|d| d.normalize())),
                opt(t.tiered_or_local().known_usd().map(|d| d.normalize())),
                opt(t.shared_storage.known_usd().map(|d| d.normalize())),
                opt(t.express.known_usd().map(|d| d.normalize())),
            ];
            row.extend(choice_cells(t.choice.as_ref()));
            row.push(opt(t.tiered_not_applicable.clone()));
            row.push(missing.join("; "));
            row
        }),
    )
}

/// Every component of every topic's cost under each placement: `broker_local`, `tiered_storage` (broker-local where
/// the topic cannot be tiered, as the card: `note` says so), `shared_storage` and `express`; `today` marks the rows of the
/// topic's placement today, and `right_sized_monthly_usd` gives each broker-local row on the cluster sized for its
/// load (the broker hours scaled). Summed, each card's total comes back (docs/outputs.md), with no row repeated.
pub fn cost_components(m: &ReportModel) -> Sheet {
    let prices: std::collections::BTreeMap<&str, &[crate::report_model::Price]> =
        m.clusters.iter().map(|c| (c.cluster.as_str(), c.prices.as_slice())).collect();
    let rows = m.topics.iter().flat_map(move |t| {
        let prices: &[crate::report_model::Price] = prices.get(t.cluster.as_str()).copied().unwrap_or_default();
        // What right-sizing takes off broker-local, spread over its broker-hour lines by their share.
        let less =
            t.right_sized_monthly_usd.map(|sized| (t.broker_local.monthly_usd - sized, compute_of(&t.broker_local)));
        let not_tierable = if t.tiered_storage.is_none() { "not tierable: priced broker-local" } else { "" };
        let scenarios = [
            ("broker_local", &t.broker_local, t.current == crate::report_model::Scenario::BrokerLocal, ""),
            (
                "tiered_storage",
                t.tiered_or_local(),
                t.current == crate::report_model::Scenario::TieredStorage,
                not_tierable,
            ),
            ("shared_storage", &t.shared_storage, false, ""),
            ("express", &t.express, false, ""),
        ];
        scenarios.into_iter().flat_map(move |(scenario, cost, today, note)| {
            cost.components.iter().map(move |c| {
                let right_sized = match (scenario, less) {
                    ("broker_local", Some((less, compute)))
                        if c.name == Component::BrokerCompute && !compute.is_zero() =>
                    {
                        {
                            // One broker-hour line (the usual case) takes it all, exactly; several share it.
                            let share = if c.monthly_usd == compute { less } else { less * c.monthly_usd / compute };
                            (c.monthly_usd - share).normalize().to_string()
                        }
                    }
                    ("broker_local", Some(_)) => c.monthly_usd.normalize().to_string(),
                    _ => String::new(),
                };
                vec![
                    t.cluster.clone(),
                    t.topic.clone(),
                    t.owner.clone(),
                    scenario.to_string(),
                    today.to_string(),
                    c.name.to_string(),
                    c.quantity.normalize().to_string(),
                    c.unit.clone(),
                    c.unit_price_usd.normalize().to_string(),
                    c.price_key.clone(),
                    prices.iter().find(|p| p.key == c.price_key).map(|p| p.basis.key().to_string()).unwrap_or_default(),
                    c.price_multiplier.normalize().to_string(),
                    c.monthly_usd.normalize().to_string(),
                    right_sized,
                    note.to_string(),
                ]
            })
        })
    });
    Sheet::new(
        &[
            ("cluster", Text),
            ("topic", Text),
            ("owner", Text),
            ("scenario", Text),
            ("today", Bool),
            ("component", Text),
            ("quantity", Decimal),
            ("unit", Text),
            ("unit_price_usd", Decimal),
            ("price_key", Text),
            ("price_basis", Text),
            ("price_multiplier", Decimal),
            ("monthly_usd", Decimal),
            ("right_sized_monthly_usd", Decimal),
            ("note", Text),
        ],
        rows,
    )
}

fn compute_of(cost: &CostBreakdown) -> rust_decimal::Decimal {
    cost.components.iter().filter(|c| c.name == Component::BrokerCompute).map(|c| c.monthly_usd).sum()
}

/// Chargeback: the bill allocated to owners (`reconciliation`), summed per owner and cost class over clusters, with
/// the owner's team and cost centre, as FinOps teams charge back. The rows add up to the bill.
pub fn chargeback(m: &ReportModel) -> Sheet {
    let mut sums: std::collections::BTreeMap<(&str, &str), rust_decimal::Decimal> = std::collections::BTreeMap::new();
    for r in &m.reconciliation {
        *sums.entry((r.owner.as_str(), r.cost_class.as_str())).or_default() += r.billed_usd;
    }
    let owner = |name: &str| m.owners.iter().find(|o| o.owner == name);
    Sheet::new(
        &[("owner", Text), ("team", Text), ("cost_center", Text), ("cost_class", Text), ("billed_usd", Decimal)],
        sums.into_iter().map(move |((name, class), usd)| {
            let o = owner(name);
            vec![
                name.to_string(),
                o.map(|o| o.team.clone()).unwrap_or_default(),
                o.map(|o| o.cost_center.clone()).unwrap_or_default(),
                class.to_string(),
                usd.normalize().to_string(),
            ]
        }),
    )
}

/// Every cluster's settled prices: the sources the components' `price_key` refer to.
pub fn prices(m: &ReportModel) -> Sheet {
    Sheet::new(
        &[
            ("cluster", Text),
            ("key", Text),
            ("region", Text),
            ("unit", Text),
            ("usd", Decimal),
            ("basis", Text),
            ("source", Text),
            ("as_of", Text),
        ],
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

/// One row per broker: its disk now and at steady state, its runway, and its other limits (`model.json` `capacity`).
pub fn brokers(m: &ReportModel) -> Sheet {
    let int = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let dec = |v: Option<rust_decimal::Decimal>| v.map(|v| v.normalize().to_string()).unwrap_or_default();
    let float = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    Sheet::new(
        &[
            ("cluster", Text),
            ("broker", Int),
            ("rack", Text),
            ("instance_type", Text),
            ("disk_total_bytes", Int),
            ("disk_used_bytes", Int),
            ("disk_usable_bytes", Int),
            ("disk_used_share", Decimal),
            ("disk_basis", Text),
            ("disk_steady_state_bytes", Int),
            ("disk_steady_state_share", Decimal),
            ("days_to_threshold", Decimal),
            ("runway_basis", Text),
            ("replicas", Int),
            ("leaders", Int),
            ("partitions_limit", Int),
            ("bytes_in_per_sec", Float),
            ("bytes_out_per_sec", Float),
            ("metric_bytes_in_per_sec", Float),
            ("metric_bytes_out_per_sec", Float),
            ("throughput_limit_bytes_per_sec", Float),
            ("network_limit_bytes_per_sec", Float),
            ("binding_limit", Text),
            ("binding_share", Decimal),
        ],
        m.capacity.brokers.iter().map(move |b| {
            vec![
                b.cluster.clone(),
                b.broker.to_string(),
                b.rack.clone().unwrap_or_default(),
                b.instance_type.clone(),
                int(b.disk_total_bytes),
                int(b.disk_used_bytes),
                int(b.disk_usable_bytes),
                dec(b.disk_used_share),
                b.disk_basis.clone(),
                int(b.disk_steady_state_bytes),
                dec(b.disk_steady_state_share),
                dec(b.days_to_threshold),
                b.runway_basis.clone(),
                b.replicas.to_string(),
                b.leaders.to_string(),
                int(b.partitions_limit),
                float(b.bytes_in_per_sec),
                float(b.bytes_out_per_sec),
                float(b.metric_bytes_in_per_sec),
                float(b.metric_bytes_out_per_sec),
                b.throughput_limit_bytes_per_sec.to_string(),
                float(b.network_limit_bytes_per_sec),
                b.binding_limit.map(|l| l.label().to_string()).unwrap_or_default(),
                dec(b.binding_share),
            ]
        }),
    )
}
