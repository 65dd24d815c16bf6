//! The fast path of billing-export ingestion: CUR Parquet (legacy CUR's flat `resource_tags_user_*` columns, or
//! CUR 2.0's `resource_tags` MAP) and FOCUS Parquet (with AWS's `x_UsageType`) rolled up on the Parquet
//! dictionaries themselves. `export_csv.rs` streams CUR CSV into the same id tables and sums.
//!
//! A CUR's text columns (account, product, usage type, operation, resource, unit, currency, tags) are
//! dictionary-encoded in every row group, with few distinct values. Reading them as Arrow dictionaries (arrow-rs
//! `parquet`) and grouping on small integer ids instead of hashing strings row by row is several times faster
//! than a general group-by on text (ci/bench-exports.sh has the figures). Row groups are shared out between
//! threads, each with its own id tables; their sums are put in one list, sorted once on integer ranks, and
//! neighbours of one key added up. The result is the same cost lines as the polars path in `exports.rs`, in the
//! same order, by the same rules (`cur.rs`: columns, amortization, line key; tests compare both paths on the real
//! CUR file, on it rewritten as CUR 2.0 with MAP tags, and on the real FOCUS sample typed as AWS's Parquet); any
//! file this path does not cover (FOCUS without `x_UsageType`, unexpected column types or codecs) is read by
//! polars instead.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType};
use arrow_array::{Array, Decimal128Array, DictionaryArray, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::NaiveDate;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::cur::{self, Amortized};
use super::exports::ExportFormat;
use super::focus;
use crate::schema::{CostLine, Text};

const DAY: &str = cur::USAGE_START_DATE;
const QUANTITY: &str = cur::USAGE_AMOUNT;
const AMOUNT: &str = cur::UNBLENDED_COST;
const LINE_TYPE: &str = cur::LINE_ITEM_TYPE;
const RI_ARN: &str = cur::RESERVATION_ARN;
/// Money is summed as integers of 10⁻¹⁰ USD, as Decimal(38,10) in the polars path.
const SCALE: f64 = 1e10;
pub(super) const NULL_ID: u32 = u32::MAX;

/// Why a file is left to the polars path.
pub struct NotCovered(pub String);

/// A file's cost lines, its line items and its format.
pub type Read = (Vec<CostLine>, u64, ExportFormat);

/// One group key: the ids of the 7 text columns and up to 8 tag columns, and the day, two to a word. Eight plain
/// words compare and hash inline (a `[u32; 16]` compares through `memcmp`, measurably slower per row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Key(u64, u64, u64, u64, u64, u64, u64, u64);

impl Key {
    pub(super) fn new(ids: &[u32; 15], day: i32) -> Key {
        let w = |a: u32, b: u32| (u64::from(a) << 32) | u64::from(b);
        Key(
            w(ids[0], ids[1]),
            w(ids[2], ids[3]),
            w(ids[4], ids[5]),
            w(ids[6], ids[7]),
            w(ids[8], ids[9]),
            w(ids[10], ids[11]),
            w(ids[12], ids[13]),
            w(ids[14], day as u32),
        )
    }

    fn ids(&self) -> ([u32; 15], i32) {
        let words = [self.0, self.1, self.2, self.3, self.4, self.5, self.6, self.7];
        let mut ids = [0u32; 15];
        for (i, id) in ids.iter_mut().enumerate() {
            let w = words[i / 2];
            *id = if i % 2 == 0 { (w >> 32) as u32 } else { w as u32 };
        }
        (ids, self.7 as u32 as i32)
    }
}
/// One thread's result: its id tables and its sums per key.
pub(super) type Part = (Vec<Ids>, FxHashMap<Key, Sums>);
/// Every thread's sums in one list, in the first thread's ids (a key may be there more than once).
pub(super) type Merged = (Vec<Ids>, Vec<(Key, Sums)>);

#[derive(Default, Clone, Copy)]
pub(super) struct Sums {
    pub(super) quantity: i128,
    pub(super) amount: i128,
    pub(super) amortized: i128,
    /// Lines whose amortized cost is unknown (a column their type needs is missing or null).
    pub(super) amortized_unknown: u64,
    /// Charged lines (a cost of 0 or more) without a usage quantity: the sum's quantity is then unknown, as in
    /// the polars rollup (a credit without one is no usage).
    pub(super) quantity_unknown: u64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.quantity += o.quantity;
        self.amount += o.amount;
        self.amortized += o.amortized;
        self.amortized_unknown += o.amortized_unknown;
        self.quantity_unknown += o.quantity_unknown;
    }
}

/// One id table per text column: value → id, and the values by id (one shared allocation per distinct value: a
/// high-cardinality column such as the resource has about one per line).
#[derive(Default)]
pub(super) struct Ids {
    of: FxHashMap<Arc<str>, u32>,
    values: Vec<Arc<str>>,
}

impl Ids {
    pub(super) fn id(&mut self, v: &str) -> u32 {
        if let Some(&i) = self.of.get(v) {
            return i;
        }
        let i = self.values.len() as u32;
        let shared: Arc<str> = v.into();
        self.values.push(shared.clone());
        self.of.insert(shared, i);
        i
    }
}

/// The columns of a file this path reads, by role.
struct Plan {
    format: ExportFormat,
    /// Names of the key columns (text then tags); `None` = absent, read as null (or from `map_tags`).
    keys: Vec<Option<String>>,
    /// The tag MAP (CUR 2.0's `resource_tags`, FOCUS's `Tags`), and the map key per tag slot read from it (`None`:
    /// that slot has a flat column, or no tag at all).
    map_tags: Option<(String, Vec<Option<String>>)>,
    /// FOCUS: the unit when `ConsumedUnit` is null (`PricingUnit`).
    unit_fallback: Option<String>,
    day: &'static str,
    unit: TimeUnit,
    quantity: &'static str,
    amount: &'static str,
    amortized: Amortization,
    present: Vec<String>,
    schema: Arc<Schema>,
    row_groups: usize,
    /// Line items in the file.
    rows: u64,
}

/// Where a line's amortized cost comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Amortization {
    /// CUR: by line item type (`cur::AMORTIZATION`).
    CurRules,
    /// FOCUS: `EffectiveCost`.
    Column(&'static str),
    /// The file has neither: unknown.
    Unknown,
}

/// The roles of one format's columns.
struct Roles {
    format: ExportFormat,
    text: [&'static str; 7],
    /// Text columns that may be absent (read as null).
    optional: &'static [&'static str],
    day: &'static str,
    quantity: &'static str,
    amount: &'static str,
    tag_map: &'static str,
    tag_prefix: &'static str,
}

const CUR_ROLES: Roles = Roles {
    format: ExportFormat::Cur,
    text: [
        cur::TEXT_KEY[0].column,
        cur::TEXT_KEY[1].column,
        cur::TEXT_KEY[2].column,
        cur::TEXT_KEY[3].column,
        cur::TEXT_KEY[4].column,
        cur::TEXT_KEY[5].column,
        cur::TEXT_KEY[6].column,
    ],
    optional: &[],
    day: DAY,
    quantity: QUANTITY,
    amount: AMOUNT,
    tag_map: cur::RESOURCE_TAGS,
    tag_prefix: "user:",
};

/// FOCUS as `exports.rs` maps it (`map_focus`): the same seven key parts from FOCUS columns, the unit from
/// `ConsumedUnit` else `PricingUnit`. A file without `x_UsageType` (its usage type inferred from the description)
/// is left to polars.
const FOCUS_ROLES: Roles = Roles {
    format: ExportFormat::Focus,
    text: [
        "SubAccountId",
        "ServiceName",
        focus::USAGE_TYPE_COLUMN,
        "x_Operation",
        "ResourceId",
        "ConsumedUnit",
        "BillingCurrency",
    ],
    optional: &["SubAccountId", "x_Operation", "ResourceId", "ConsumedUnit", "BillingCurrency"],
    day: "ChargePeriodStart",
    quantity: "ConsumedQuantity",
    amount: "BilledCost",
    tag_map: focus::TAGS,
    tag_prefix: "",
};

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
        || matches!(t, DataType::Dictionary(_, v) if matches!(v.as_ref(), DataType::Utf8 | DataType::LargeUtf8))
}

/// A money column this path reads: a double, or a decimal of at most 10 fraction digits.
fn is_money(t: &DataType) -> bool {
    matches!(t, DataType::Float64) || matches!(t, DataType::Decimal128(_, s) if (0..=10).contains(s))
}

fn plan(path: &Path, owner_tag_keys: &[String]) -> Result<Plan, NotCovered> {
    let not = |why: String| NotCovered(why);
    if owner_tag_keys.len() > 8 {
        return Err(not("more than 8 owner tag keys".into()));
    }
    let file = std::fs::File::open(path).map_err(|e| not(e.to_string()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| not(e.to_string()))?;
    let schema = builder.schema().clone();
    let dtype = |name: &str| schema.field_with_name(name).ok().map(|f| f.data_type().clone());
    let roles = if dtype(cur::TEXT_KEY[2].column).is_some() {
        CUR_ROLES
    } else if dtype("BilledCost").is_some() && dtype("ChargePeriodStart").is_some() {
        FOCUS_ROLES
    } else {
        return Err(not("neither CUR nor FOCUS columns".into()));
    };
    let (keys, map_tags) = key_columns(&roles, &dtype, owner_tag_keys)?;
    let unit = match dtype(roles.day) {
        Some(DataType::Timestamp(unit, tz))
            if tz.as_deref().is_none_or(|z| ["UTC", "+00:00", "Etc/UTC"].contains(&z)) =>
        {
            unit
        }
        other => return Err(not(format!("`{}` is {other:?}, not a UTC timestamp", roles.day))),
    };
    let focus = roles.format == ExportFormat::Focus;
    let amortization_inputs: &[&str] = if focus { &["EffectiveCost"] } else { &cur::AMORTIZATION_INPUTS };
    for money in [roles.quantity, roles.amount].iter().chain(amortization_inputs) {
        if let Some(t) = dtype(money)
            && !is_money(&t)
        {
            return Err(not(format!("`{money}` is {t}, not a double or a decimal of at most 10 places")));
        }
    }
    if dtype(roles.quantity).is_none() || dtype(roles.amount).is_none() {
        return Err(not("no usage quantity or cost".into()));
    }
    let unit_fallback = focus.then(|| "PricingUnit".to_string());
    if unit_fallback.as_deref().is_some_and(|c| !dtype(c).is_some_and(|t| is_text(&t))) {
        return Err(not("no text `PricingUnit`".into()));
    }
    let amortized = match roles.format {
        ExportFormat::Focus if dtype("EffectiveCost").is_some() => Amortization::Column("EffectiveCost"),
        ExportFormat::Cur if dtype(LINE_TYPE).is_some_and(|t| is_text(&t)) => Amortization::CurRules,
        _ => Amortization::Unknown,
    };
    if dtype(RI_ARN).is_some_and(|t| !is_text(&t)) {
        return Err(not(format!("`{RI_ARN}` is not text")));
    }
    let mut present: Vec<String> = keys.iter().flatten().cloned().collect();
    present.extend(map_tags.as_ref().map(|(column, _)| column.clone()));
    present.extend(unit_fallback.clone());
    present.extend([roles.day, roles.quantity, roles.amount].map(String::from));
    present.extend(amortization_columns(amortized, &dtype));
    // Ask arrow-rs for the text columns as dictionaries: the pages already are.
    let text_cols: Vec<&String> = present.iter().filter(|c| dtype(c).is_some_and(|t| is_text(&t))).collect();
    let hinted = hinted(&schema, &text_cols, map_tags.as_ref().map(|(column, _)| column.as_str()));
    let meta = builder.metadata();
    let (row_groups, rows) = (meta.num_row_groups(), u64::try_from(meta.file_metadata().num_rows()).unwrap_or(0));
    Ok(Plan {
        format: roles.format,
        keys,
        map_tags,
        unit_fallback,
        day: roles.day,
        unit,
        quantity: roles.quantity,
        amount: roles.amount,
        amortized,
        present,
        schema: Arc::new(Schema::new(hinted)),
        row_groups,
        rows,
    })
}

/// The columns the amortized cost is read from (CUR: the line type and whichever inputs the file has).
fn amortization_columns(amortized: Amortization, dtype: &dyn Fn(&str) -> Option<DataType>) -> Vec<String> {
    match amortized {
        Amortization::CurRules => std::iter::once(&LINE_TYPE)
            .chain(cur::AMORTIZATION_INPUTS.iter().chain([&RI_ARN]).filter(|c| dtype(c).is_some()))
            .map(|c| c.to_string())
            .collect(),
        Amortization::Column(c) => vec![c.to_string()],
        Amortization::Unknown => Vec::new(),
    }
}

/// The key's text columns and the owner tags' flat columns (`None`: absent), and the tag map with the key each
/// tag slot reads from it.
type KeyColumns = (Vec<Option<String>>, Option<(String, Vec<Option<String>>)>);

fn key_columns(
    roles: &Roles,
    dtype: &dyn Fn(&str) -> Option<DataType>,
    owner_tag_keys: &[String],
) -> Result<KeyColumns, NotCovered> {
    let not = |why: String| NotCovered(why);
    let tag_map = match dtype(roles.tag_map) {
        None => false,
        Some(t) if is_text_map(&t) => true,
        Some(t) => return Err(not(format!("`{}` is {t}, not a map of text", roles.tag_map))),
    };
    let mut keys = Vec::new();
    for name in roles.text {
        match dtype(name) {
            Some(t) if is_text(&t) => keys.push(Some(name.to_string())),
            Some(t) => return Err(not(format!("`{name}` is {t}, not text"))),
            None if roles.optional.contains(&name) => keys.push(None),
            // A missing required column is reported by the polars path, naming it.
            None => return Err(not(format!("no `{name}`"))),
        }
    }
    let mut map_keys = vec![None; roles.text.len()];
    for key in owner_tag_keys {
        // Only CUR has flat tag columns (legacy CUR's `resource_tags_user_<key>`).
        let flat = (roles.format == ExportFormat::Cur).then(|| cur::tag_column(key));
        match flat.as_deref().map(|f| (f, dtype(f))) {
            Some((f, Some(t))) if is_text(&t) => keys.push(Some(f.to_string())),
            Some((f, Some(t))) => return Err(not(format!("`{f}` is {t}, not text"))),
            _ => keys.push(None),
        }
        let has_flat = keys.last().is_some_and(Option::is_some);
        map_keys.push((tag_map && !has_flat).then(|| format!("{}{key}", roles.tag_prefix)));
    }
    let map_tags = map_keys.iter().any(Option::is_some).then(|| (roles.tag_map.to_string(), map_keys));
    Ok((keys, map_tags))
}

/// The file's schema with the text columns it reads, and the tag map's values, asked for as dictionaries.
fn hinted(schema: &Schema, text_cols: &[&String], map: Option<&str>) -> Vec<Field> {
    let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    schema
        .fields()
        .iter()
        .map(|f| {
            if text_cols.iter().any(|c| *c == f.name()) {
                Field::new(f.name(), dict.clone(), f.is_nullable())
            } else if let DataType::Map(entries, sorted) = f.data_type()
                && map == Some(f.name().as_str())
                && let DataType::Struct(kv) = entries.data_type()
            {
                // The map's values as a dictionary too: a row's tag is then an id, not a string to hash.
                let value = Field::new(kv[1].name(), dict.clone(), kv[1].is_nullable());
                let kv = arrow_schema::Fields::from(vec![kv[0].as_ref().clone(), value]);
                let entries = Field::new(entries.name(), DataType::Struct(kv), entries.is_nullable());
                Field::new(f.name(), DataType::Map(Arc::new(entries), *sorted), f.is_nullable())
            } else {
                f.as_ref().clone()
            }
        })
        .collect()
}

/// A Parquet MAP of text keys to text values (CUR 2.0's `resource_tags`, FOCUS's `Tags`).
fn is_text_map(t: &DataType) -> bool {
    let DataType::Map(entries, _) = t else { return false };
    let DataType::Struct(fields) = entries.data_type() else { return false };
    fields.len() == 2 && fields.iter().all(|f| f.data_type() == &DataType::Utf8)
}

/// Reads one CUR or FOCUS Parquet file into cost lines, or says why this path does not cover it: the row groups summed on
/// threads, their sums merged into the first part's ids, and the sums turned into sorted lines.
pub fn read(path: &Path, owner_tag_keys: &[String], source: &str) -> Result<Read, NotCovered> {
    let plan = plan(path, owner_tag_keys)?;
    let started = std::time::Instant::now();
    let (ids, sums) = merge(aggregate_on_threads(path, &plan))?;
    let summed = started.elapsed();
    let amortized = plan.amortized != Amortization::Unknown;
    let lines = lines(amortized, &ids, sums, owner_tag_keys, source);
    tracing::debug!(file = %path.display(), rows = plan.rows, lines = lines.len(), summed_ms = summed.as_millis() as u64,
        lines_ms = (started.elapsed() - summed).as_millis() as u64, "export read on its dictionaries");
    Ok((lines, plan.rows, plan.format))
}

/// The row groups shared out between threads (at most 8), each summed on its own ids.
fn aggregate_on_threads(path: &Path, plan: &Plan) -> Vec<Result<Part, NotCovered>> {
    let row_groups = plan.row_groups;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8).min(row_groups.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let groups: Vec<usize> = (0..row_groups).filter(|g| g % threads == t).collect();
                s.spawn(move || aggregate(path, plan, groups))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(NotCovered("a reader thread panicked".into()))))
            .collect()
    })
}

/// Every part's sums in the first part's ids, as one list: each other part's ids are mapped once, then its keys
/// rewritten. A key that two parts share is in the list twice; `lines` adds such neighbours up after sorting
/// (cheaper than inserting one part's keys into the other's table: a high-cardinality export has about a key per
/// line).
pub(super) fn merge(parts: Vec<Result<Part, NotCovered>>) -> Result<Merged, NotCovered> {
    let mut parts = parts.into_iter();
    let (mut ids, sums) = parts.next().unwrap_or_else(|| Ok((Vec::new(), FxHashMap::default())))?;
    ids.resize_with(15, Ids::default);
    let mut all: Vec<(Key, Sums)> = sums.into_iter().collect();
    for part in parts {
        let (their_ids, their_sums) = part?;
        all.reserve(their_sums.len());
        let map: Vec<Vec<u32>> =
            their_ids.iter().enumerate().map(|(c, t)| t.values.iter().map(|v| ids[c].id(v)).collect()).collect();
        all.extend(their_sums.into_iter().map(|(key, s)| {
            let (mut key_ids, day) = key.ids();
            for (c, id) in key_ids.iter_mut().enumerate() {
                if *id != NULL_ID {
                    *id = map[c][*id as usize];
                }
            }
            (Key::new(&key_ids, day), s)
        }));
    }
    Ok((ids, all))
}

/// Each column's values in text order (1-based; 0 is null), so lines sort on integers in `cur::LineKey`'s order.
fn ranks(ids: &[Ids]) -> Vec<Vec<u32>> {
    ids.iter()
        .map(|t| {
            let mut order: Vec<u32> = (0..t.values.len() as u32).collect();
            order.par_sort_unstable_by(|a, b| t.values[*a as usize].cmp(&t.values[*b as usize]));
            let mut rank = vec![0u32; order.len()];
            for (position, id) in order.into_iter().enumerate() {
                rank[id as usize] = position as u32 + 1;
            }
            rank
        })
        .collect()
}

/// The sums as cost lines, sorted as `cur::sort_lines` sorts them: on small integers (the day, each column's rank,
/// the rank of the tags' JSON), with neighbours of one order added up, and the lines made only once, in that order
/// (sorting the lines themselves moves a few hundred bytes per swap).
pub(super) fn lines(
    amortized: bool,
    ids: &[Ids],
    entries: Vec<(Key, Sums)>,
    owner_tag_keys: &[String],
    source: &str,
) -> Vec<CostLine> {
    // Each value the one copy the id tables hold: a line costs pointers, not allocations.
    let text = |c: usize, id: u32| (id != NULL_ID).then(|| Text::from(Arc::clone(&ids[c].values[id as usize])));
    let ranks = ranks(ids);
    let rank = |c: usize, id: u32| if id == NULL_ID { 0 } else { ranks[c][id as usize] };
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    let money = |v: i128| Decimal::from_i128_with_scale(v, 10).normalize();
    // Few distinct tag combinations: their JSON text is made once each, and ranked.
    let mut tag_index: FxHashMap<[u32; 8], u32> = FxHashMap::default();
    let mut tag_json: Vec<String> = Vec::new();
    let mut order: Vec<([u32; 9], u32)> = Vec::with_capacity(entries.len());
    for (i, (key, _)) in entries.iter().enumerate() {
        let (k, day) = key.ids();
        let tag_ids: [u32; 8] = k[7..15].try_into().expect("8 tag slots");
        let tags = *tag_index.entry(tag_ids).or_insert_with(|| {
            let mut tags = BTreeMap::new();
            for (t, key) in owner_tag_keys.iter().enumerate() {
                if let Some(v) = text(7 + t, k[7 + t]) {
                    tags.insert(key.clone(), v);
                }
            }
            tag_json.push(serde_json::to_string(&tags).unwrap_or_else(|_| "{}".into()));
            tag_json.len() as u32 - 1
        });
        // date, then the text key: account, service, usage type, operation, resource, unit, currency; then tags
        let mut o = [day as u32; 9];
        for (c, slot) in o[1..8].iter_mut().enumerate() {
            *slot = rank(c, k[c]);
        }
        o[8] = tags;
        order.push((o, i as u32));
    }
    let mut by_text: Vec<u32> = (0..tag_json.len() as u32).collect();
    by_text.sort_unstable_by(|a, b| tag_json[*a as usize].cmp(&tag_json[*b as usize]));
    let mut tag_rank = vec![0u32; tag_json.len()];
    for (position, t) in by_text.iter().enumerate() {
        tag_rank[*t as usize] = position as u32;
    }
    let json_by_rank: Vec<Text> = by_text.iter().map(|t| Text::from(tag_json[*t as usize].as_str())).collect();
    let source = Text::from(source);
    order.iter_mut().for_each(|(o, _)| o[8] = tag_rank[o[8] as usize]);
    order.par_sort_unstable();
    // Runs of one order (a key two threads both saw) become one line: the start of each run.
    let starts: Vec<usize> = (0..order.len()).filter(|&r| r == 0 || order[r].0 != order[r - 1].0).collect();
    let line = |run: usize| -> Option<CostLine> {
        let start = starts[run];
        let end = starts.get(run + 1).copied().unwrap_or(order.len());
        let (o, first) = order[start];
        let mut s = entries[first as usize].1;
        order[start + 1..end].iter().for_each(|(_, i)| s.add(&entries[*i as usize].1));
        let (k, day) = entries[first as usize].0.ids();
        let date = epoch.checked_add_signed(chrono::Duration::days(i64::from(day)))?;
        Some(CostLine {
            date,
            account_id: text(0, k[0]).unwrap_or_default(),
            service: text(1, k[1]).unwrap_or_default(),
            usage_type: text(2, k[2]).unwrap_or_default(),
            operation: text(3, k[3]),
            resource_id: text(4, k[4]),
            tags: json_by_rank[o[8] as usize].clone(),
            usage_quantity: (s.quantity_unknown == 0).then(|| money(s.quantity)),
            usage_unit: text(5, k[5]).unwrap_or_default(),
            amount: money(s.amount),
            amortized_amount: (amortized && s.amortized_unknown == 0).then(|| money(s.amortized)),
            currency: text(6, k[6]).unwrap_or_default(),
            source: source.clone(),
        })
    };
    (0..starts.len()).into_par_iter().filter_map(line).collect()
}

/// One thread's share: its row groups, grouped on dictionary ids.
fn aggregate(path: &Path, plan: &Plan, groups: Vec<usize>) -> Result<Part, NotCovered> {
    let not = |e: &dyn std::fmt::Display| NotCovered(e.to_string());
    let file = std::fs::File::open(path).map_err(|e| not(&e))?;
    let options = ArrowReaderOptions::new().with_schema(plan.schema.clone());
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options).map_err(|e| not(&e))?;
    let roots: Vec<usize> = plan.present.iter().filter_map(|c| plan.schema.index_of(c).ok()).collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let rows = builder.metadata().row_groups().iter().map(|g| g.num_rows()).max().unwrap_or(8192).max(1);
    let mine: i64 = groups.iter().filter_map(|g| builder.metadata().row_groups().get(*g)).map(|g| g.num_rows()).sum();
    let reader = builder
        .with_projection(mask)
        .with_row_groups(groups)
        .with_batch_size(usize::try_from(rows).unwrap_or(8192))
        .build()
        .map_err(|e| not(&e))?;
    let mut ids: Vec<Ids> = (0..15).map(|_| Ids::default()).collect();
    let mut scratch = Scratch::default();
    let mut sums: FxHashMap<Key, Sums> = FxHashMap::default();
    for (i, batch) in reader.enumerate() {
        let batch = batch.map_err(|e| not(&e))?;
        add_batch(&batch, plan, &mut ids, &mut sums, &mut scratch)?;
        // About a group per line (a high-cardinality export): the table sized once for this thread's lines,
        // rather than grown by doubling (each growth rehashes every key into freshly faulted memory).
        if i == 0 && sums.len() * 2 > batch.num_rows() {
            sums.reserve(usize::try_from(mine).unwrap_or(0).saturating_sub(sums.len()));
        }
    }
    Ok((ids, sums))
}

/// A text column's ids, row by row, into `out` (this thread's ids; `NULL_ID` for null); false when the file
/// lacks the column.
fn column_ids(batch: &RecordBatch, name: &str, ids: &mut Ids, out: &mut Vec<u32>) -> Result<bool, NotCovered> {
    let Some(col) = batch.column_by_name(name) else { return Ok(false) };
    let not = |why: String| NotCovered(why);
    let d: &DictionaryArray<Int32Type> =
        col.as_dictionary_opt().ok_or_else(|| not(format!("`{name}` did not read as a dictionary")))?;
    let values: &StringArray =
        d.values().as_string_opt::<i32>().ok_or_else(|| not(format!("`{name}` values are not text")))?;
    let map: Vec<u32> =
        (0..values.len()).map(|i| if values.is_valid(i) { ids.id(values.value(i)) } else { NULL_ID }).collect();
    let keys = d.keys();
    out.clear();
    if keys.null_count() == 0 {
        out.extend(keys.values().iter().map(|k| map[*k as usize]));
    } else {
        out.extend(keys.iter().map(|k| k.map_or(NULL_ID, |k| map[k as usize])));
    }
    Ok(true)
}

/// The ids of the tag slots read from a MAP column, row by row: the value of the slot's key in the row's map (the
/// first entry with that key, as polars' path takes), `NULL_ID` when the row has no such key or a null value.
fn map_tag_ids(
    batch: &RecordBatch,
    column: &str,
    map_keys: &[Option<String>],
    ids: &mut [Ids],
    key_cols: &mut [Vec<u32>],
) -> Result<(), NotCovered> {
    let not = |why: &str| NotCovered(format!("`{column}`: {why}"));
    let map = batch.column_by_name(column).ok_or_else(|| not("missing"))?;
    let map = map.as_map_opt().ok_or_else(|| not("did not read as a map"))?;
    let keys = map.keys().as_string_opt::<i32>().ok_or_else(|| not("keys are not text"))?;
    let values: &DictionaryArray<Int32Type> =
        map.values().as_dictionary_opt().ok_or_else(|| not("values did not read as a dictionary"))?;
    let texts: &StringArray = values.values().as_string_opt::<i32>().ok_or_else(|| not("values are not text"))?;
    let codes = values.keys();
    let offsets = map.value_offsets();
    for (slot, wanted) in map_keys.iter().enumerate() {
        let Some(wanted) = wanted else { continue };
        let id_of: Vec<u32> =
            (0..texts.len()).map(|i| if texts.is_valid(i) { ids[slot].id(texts.value(i)) } else { NULL_ID }).collect();
        let out = &mut key_cols[slot];
        out.clear();
        out.extend((0..map.len()).map(|row| {
            if map.is_null(row) {
                return NULL_ID;
            }
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            match (start..end).find(|&e| keys.value(e) == wanted.as_str()) {
                Some(e) if codes.is_valid(e) => id_of[codes.value(e) as usize],
                _ => NULL_ID,
            }
        }));
    }
    Ok(())
}

/// A money column as integers of 10⁻¹⁰ USD (`None` per null row), or `None` when the file lacks it: a double
/// rounded, a decimal of at most 10 places scaled (`plan` refuses others).
fn column_money(batch: &RecordBatch, name: &str) -> Option<Vec<Option<i128>>> {
    let mut out = Vec::new();
    column_money_into(batch, name, &mut out).then_some(out)
}

/// `column_money` into a reused buffer; false when the file lacks the column.
fn column_money_into(batch: &RecordBatch, name: &str, out: &mut Vec<Option<i128>>) -> bool {
    out.clear();
    let Some(column) = batch.column_by_name(name) else { return false };
    if let Some(a) = column.as_any().downcast_ref::<Float64Array>() {
        out.extend(a.iter().map(|v| v.map(|v| (v * SCALE).round() as i128)));
        return true;
    }
    let Some((a, up)) = decimal_to_scale_10(column) else { return false };
    out.extend(a.iter().map(|v| v.map(|v| v * up)));
    true
}

/// A decimal column and the factor that brings its values to 10 places (`None`: not a decimal of at most 10).
fn decimal_to_scale_10(column: &dyn Array) -> Option<(&Decimal128Array, i128)> {
    let a = column.as_any().downcast_ref::<Decimal128Array>()?;
    let up = u32::try_from(10 - i32::from(a.scale())).ok().map(|e| 10i128.pow(e))?;
    Some((a, up))
}

/// The cost as integers of 10⁻¹⁰ into `out`. A file with a line without one goes to the polars path, which names
/// it as an error: never read as $0.
fn column_every_line(batch: &RecordBatch, name: &str, out: &mut Vec<i128>) -> Result<(), NotCovered> {
    out.clear();
    let not = || NotCovered(format!("no `{name}` of a money type"));
    let column = batch.column_by_name(name).ok_or_else(not)?;
    if column.null_count() > 0 {
        return Err(NotCovered(format!("{} line(s) without `{name}`", column.null_count())));
    }
    if let Some(a) = column.as_any().downcast_ref::<Float64Array>() {
        out.extend(a.values().iter().map(|v| (v * SCALE).round() as i128));
    } else {
        let (a, up) = decimal_to_scale_10(column).ok_or_else(not)?;
        out.extend(a.values().iter().map(|v| v * up));
    }
    Ok(())
}

/// Buffers reused from batch to batch (allocating them per batch costs page faults at this size).
#[derive(Default)]
struct Scratch {
    key_cols: Vec<Vec<u32>>,
    days: Vec<Option<i32>>,
    /// Null where the line has no usage quantity (a FOCUS charge that is not usage).
    quantity: Vec<Option<i128>>,
    fallback: Vec<u32>,
    /// The last batch's amortized costs, its buffer reused.
    spare: Vec<Option<i128>>,
    amount: Vec<i128>,
    types: Vec<u32>,
    arns: Vec<u32>,
}

/// Adds one record batch to the sums: each column decoded first, in tight loops over reused buffers, then the
/// amortized cost per row, then one pass over the rows building keys (the hot loop of the 10-million-line
/// benchmark, `ci/bench-exports.sh`).
fn add_batch(
    batch: &RecordBatch,
    plan: &Plan,
    ids: &mut [Ids],
    sums: &mut FxHashMap<Key, Sums>,
    scratch: &mut Scratch,
) -> Result<(), NotCovered> {
    let key_slots = decode(batch, plan, ids, scratch)?;
    let amortized = amortized(batch, plan, scratch)?;
    accumulate(plan, scratch, &key_slots, &amortized, sums)?;
    scratch.spare = amortized;
    Ok(())
}

/// The batch's key columns as ids, its days, quantities and costs into `scratch`; returns the key slots the file
/// has (the others stay null).
fn decode(batch: &RecordBatch, plan: &Plan, ids: &mut [Ids], scratch: &mut Scratch) -> Result<Vec<usize>, NotCovered> {
    let Scratch { key_cols, days, quantity, amount, fallback, .. } = scratch;
    key_cols.resize_with(plan.keys.len(), Vec::new);
    let mut key_slots: Vec<usize> = Vec::new();
    for (c, name) in plan.keys.iter().enumerate() {
        if let Some(n) = name
            && column_ids(batch, n, &mut ids[c], &mut key_cols[c])?
        {
            key_slots.push(c);
        }
    }
    if let Some((column, map_keys)) = &plan.map_tags {
        map_tag_ids(batch, column, map_keys, ids, key_cols)?;
        key_slots.extend(map_keys.iter().enumerate().filter(|(_, k)| k.is_some()).map(|(c, _)| c));
    }
    if let Some(name) = &plan.unit_fallback {
        const UNIT: usize = 5;
        column_ids(batch, name, &mut ids[UNIT], fallback)?;
        if key_slots.contains(&UNIT) {
            let unit = &mut key_cols[UNIT];
            unit.iter_mut().zip(fallback.iter()).filter(|(u, _)| **u == NULL_ID).for_each(|(u, f)| *u = *f);
        } else {
            key_cols[UNIT].clone_from(fallback);
            key_slots.push(UNIT);
        }
    }
    let day_col = batch.column_by_name(plan.day).ok_or_else(|| NotCovered(format!("no `{}`", plan.day)))?;
    let per_day: i64 = match plan.unit {
        TimeUnit::Second => 86_400,
        TimeUnit::Millisecond => 86_400_000,
        TimeUnit::Microsecond => 86_400_000_000,
        TimeUnit::Nanosecond => 86_400_000_000_000,
    };
    let day = |v: Option<i64>| v.map(|v| i32::try_from(v.div_euclid(per_day)).unwrap_or(i32::MIN));
    days.clear();
    match plan.unit {
        TimeUnit::Millisecond => days.extend(day_col.as_primitive::<TimestampMillisecondType>().iter().map(day)),
        TimeUnit::Microsecond => days.extend(day_col.as_primitive::<TimestampMicrosecondType>().iter().map(day)),
        TimeUnit::Nanosecond => days.extend(day_col.as_primitive::<TimestampNanosecondType>().iter().map(day)),
        TimeUnit::Second => {
            days.extend(day_col.as_primitive::<arrow_array::types::TimestampSecondType>().iter().map(day))
        }
    }
    if !column_money_into(batch, plan.quantity, quantity) {
        return Err(NotCovered(format!("no `{}` of a money type", plan.quantity)));
    }
    column_every_line(batch, plan.amount, amount)?;
    Ok(key_slots)
}

/// The amortized cost per row: FOCUS's `EffectiveCost`, or CUR's by `cur::AMORTIZATION`, or nothing when every
/// line's rule is the unblended cost (no reservations or savings plans in this batch): `accumulate` then adds the
/// unblended cost.
fn amortized(batch: &RecordBatch, plan: &Plan, scratch: &mut Scratch) -> Result<Vec<Option<i128>>, NotCovered> {
    let Scratch { amount, types, arns, spare, .. } = scratch;
    if let Amortization::Column(name) = plan.amortized {
        let mut out = std::mem::take(spare);
        return if column_money_into(batch, name, &mut out) {
            Ok(out)
        } else {
            Err(NotCovered(format!("no `{name}`")))
        };
    }
    let mut type_ids = Ids::default();
    if plan.amortized != Amortization::CurRules || !column_ids(batch, LINE_TYPE, &mut type_ids, types)? {
        return Ok(Vec::new());
    }
    // Each type's rule over indexes into the decoded input columns.
    let position = |c: &str| cur::AMORTIZATION_INPUTS.iter().position(|i| *i == c).expect("an input of the table");
    let rules: Vec<Amortized<usize>> = type_ids.values.iter().map(|t| Amortized::of(t).map(position)).collect();
    if rules.iter().all(|r| matches!(r, Amortized::Unblended)) {
        return Ok(Vec::new());
    }
    let mut arn_ids = Ids::default();
    let has_arns = column_ids(batch, RI_ARN, &mut arn_ids, arns)?;
    let empty_arn = arn_ids.of.get("").copied();
    let cols: Vec<Option<Vec<Option<i128>>>> =
        cur::AMORTIZATION_INPUTS.iter().map(|c| column_money(batch, c)).collect();
    let col = |i: usize, row: usize| cols[i].as_ref().and_then(|c| c[row]);
    Ok((0..batch.num_rows())
        .map(|row| {
            let a = amount[row];
            let rule = if types[row] == NULL_ID { Amortized::Unblended } else { rules[types[row] as usize] };
            match rule {
                Amortized::Unblended => Some(a),
                Amortized::Column(i) => col(i, row),
                Amortized::Sum(i, j) => col(i, row).zip(col(j, row)).map(|(x, y)| x + y),
                Amortized::Difference(i, j) => col(i, row).zip(col(j, row)).map(|(x, y)| x - y),
                Amortized::Zero => Some(0),
                Amortized::ZeroIfReservation => {
                    let arn = if has_arns { arns[row] } else { NULL_ID };
                    Some(if arn == NULL_ID || Some(arn) == empty_arn { a } else { 0 })
                }
            }
        })
        .collect())
}

/// One pass over the rows: each row's key from the decoded ids, its sums added to the key's.
fn accumulate(
    plan: &Plan,
    scratch: &Scratch,
    key_slots: &[usize],
    amortized: &[Option<i128>],
    sums: &mut FxHashMap<Key, Sums>,
) -> Result<(), NotCovered> {
    let Scratch { key_cols, days, quantity, amount, .. } = scratch;
    // The words of a key with every present column zeroed: absent columns stay null throughout.
    let base = {
        let mut ids = [NULL_ID; 15];
        for &slot in key_slots {
            ids[slot] = 0;
        }
        Key::new(&ids, 0)
    };
    let base = [base.0, base.1, base.2, base.3, base.4, base.5, base.6, base.7];
    for row in 0..days.len() {
        // A line without a day goes to polars, which names it as an error: never left out of the sums.
        let Some(d) = days[row] else { return Err(NotCovered("a line without a usage start date".into())) };
        let mut w = base;
        for &slot in key_slots {
            let id = u64::from(key_cols[slot][row]);
            w[slot / 2] |= if slot % 2 == 0 { id << 32 } else { id };
        }
        w[7] |= u64::from(d as u32);
        let e = sums.entry(Key(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])).or_default();
        match quantity[row] {
            Some(q) => e.quantity += q,
            None if amount[row] >= 0 => e.quantity_unknown += 1,
            None => {}
        }
        e.amount += amount[row];
        if plan.amortized != Amortization::Unknown {
            match amortized.get(row) {
                None => e.amortized += amount[row],
                Some(Some(v)) => e.amortized += v,
                Some(None) => e.amortized_unknown += 1,
            }
        }
    }
    Ok(())
}
