//! Billing exports (legacy CUR, CUR 2.0, FOCUS 1.x; CSV, gzipped CSV or Parquet) read from local files and
//! rolled up, through polars' streaming engine, to one cost line per day × account × service × usage type ×
//! operation × resource × owner-tag values × unit × currency.
//!
//! An hourly export has many lines per resource and day; the rollup keeps what the model and the report use, so
//! memory follows the number of distinct resource-days, not the export's size. Amounts are summed as
//! Decimal(38,10). Fetching the files (S3 or a local folder) is `billing_export.rs`'s job; this module only reads.
//! Legacy CUR Parquet with flat tag columns goes through `export_dictionary.rs` first (the same lines, faster);
//! every other file comes here to polars.
//!
//! Column mapping (the names each format must have; a missing one is an error naming it and the file):
//!
//! | cost line      | legacy CUR / CUR 2.0            | FOCUS 1.x                                   |
//! |----------------|---------------------------------|---------------------------------------------|
//! | date           | line_item_usage_start_date      | ChargePeriodStart                           |
//! | account_id     | line_item_usage_account_id      | SubAccountId                                |
//! | service        | line_item_product_code          | ServiceName                                 |
//! | usage_type     | line_item_usage_type            | x_UsageType, else inferred (see below)      |
//! | operation      | line_item_operation             | x_Operation when present                    |
//! | resource_id    | line_item_resource_id           | ResourceId                                  |
//! | usage_quantity | line_item_usage_amount          | ConsumedQuantity                            |
//! | usage_unit     | pricing_unit                    | ConsumedUnit                                |
//! | amount         | line_item_unblended_cost        | BilledCost                                  |
//! | amortized      | by line item type (see below)   | EffectiveCost                               |
//! | currency       | line_item_currency_code         | BillingCurrency                             |
//! | owner tags     | resource_tags_user_<key> (CUR); resource_tags, key `user:<key>` (CUR 2.0: JSON text in CSV, a MAP in Parquet) | Tags JSON |
//!
//! FOCUS 1.0 has no usage type. When `x_UsageType` is absent, the usage type is inferred from `ChargeDescription`,
//! `ServiceName` and `PricingUnit` into the AWS usage-type names the cost classifier (queries/cost_lines_classified.sql)
//! knows: `DataTransfer-Regional-Bytes`, `EBS:VolumeUsage.gp3|gp2`, `EBS:VolumeP-IOPS.gp3`,
//! `EBS:VolumeP-Throughput.gp3`, `BoxUsage`, `TimedStorage-ByteHrs`, `Requests-Tier1`; anything else keeps its
//! charge description. The source report counts the inferred lines.
//!
//! CUR has no amortized-cost column; it is derived per line item type by the rule table in `cur.rs`
//! (`AMORTIZATION`), which the dictionary path reads too. The CUR column names and the nine-part line key come from
//! there as well.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;

use super::cur::{self, Amortized, KeyPart};
use super::focus;
use crate::schema::CostLine;

/// Which export format a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ExportFormat {
    /// Legacy Cost and Usage Report (Athena column names) and CUR 2.0, which share the line-item columns.
    Cur,
    /// FinOps FOCUS 1.x (AWS Data Exports or any other producer).
    Focus,
}

/// A `format` the config names that no reader knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown export format `{0}`; expected auto, cur, cur2 or focus")]
pub struct UnknownFormat(pub String);

impl ExportFormat {
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Cur => "cur",
            ExportFormat::Focus => "focus",
        }
    }

    /// Parses a config value; `auto` is `None`.
    pub fn parse(text: &str) -> Result<Option<ExportFormat>, UnknownFormat> {
        match text {
            "auto" => Ok(None),
            "cur" | "cur2" => Ok(Some(ExportFormat::Cur)),
            "focus" => Ok(Some(ExportFormat::Focus)),
            other => Err(UnknownFormat(other.to_string())),
        }
    }

    pub(crate) fn required(self) -> &'static [&'static str] {
        match self {
            ExportFormat::Cur => &cur::REQUIRED,
            ExportFormat::Focus => &[
                "ChargePeriodStart",
                "SubAccountId",
                "ServiceName",
                "ChargeDescription",
                "ResourceId",
                "ConsumedQuantity",
                "ConsumedUnit",
                "PricingUnit",
                "BilledCost",
                "BillingCurrency",
            ],
        }
    }
}

/// One export file on local disk, with the name messages use for it (e.g. its `s3://` URL).
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub path: PathBuf,
    pub display: String,
}

/// What reading the exports found, for the source report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportSummary {
    /// Line items read.
    pub lines: u64,
    /// Rolled-up cost lines produced.
    pub cost_lines: usize,
    /// FOCUS lines whose usage type was inferred from the charge description.
    pub inferred_usage_types: u64,
    /// Format per file, in the order given.
    pub formats: Vec<(String, ExportFormat)>,
}

/// A file that cannot be read as an export: names the file and, when it is about a column, the column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ExportError {
    pub file: String,
    pub message: String,
}

const MONEY: DataType = DataType::Decimal(38, 10);

/// Reads every file and rolls the lines up into cost lines. `format` forces a format; `None` detects it per file.
pub fn read_exports(
    files: &[ExportFile],
    format: Option<ExportFormat>,
    owner_tag_keys: &[String],
    source: &str,
) -> Result<(Vec<CostLine>, ExportSummary), ExportError> {
    let all_end = |ext: &[&str]| {
        !files.is_empty() && files.iter().all(|f| ext.iter().any(|e| f.path.to_string_lossy().ends_with(e)))
    };
    let fast: Option<Reader> = if all_end(&[".parquet"]) {
        Some(super::export_dictionary::read)
    } else if all_end(&[".csv", ".csv.gz"]) {
        Some(super::export_csv::read)
    } else {
        None
    };
    if let Some(read) = fast
        && let Some((lines, summary)) = read_fast(read, files, owner_tag_keys, source)
        // A forced format the file is not: polars reads it as told, and names what is missing.
        && format.is_none_or(|f| summary.formats.iter().all(|(_, found)| *found == f))
    {
        return Ok((lines, summary));
    }
    let inflated = tempfile::Builder::new()
        .prefix("kafka-finops-inflated-")
        .tempdir()
        .map_err(|e| ExportError { file: "a temporary folder".into(), message: e.to_string() })?;
    let files =
        files.iter().enumerate().map(|(i, f)| inflated_copy(f, inflated.path(), i)).collect::<Result<Vec<_>, _>>()?;
    read_with_polars(&files, format, owner_tag_keys, source)
}

/// A reader of one file into rolled-up lines, or why it leaves the file to polars.
type Reader =
    fn(&Path, &[String], &str) -> Result<super::export_dictionary::Read, super::export_dictionary::NotCovered>;

/// A gzip file inflated for polars (which scans plain CSV) into `dir`; any other file as it is.
fn inflated_copy(file: &ExportFile, dir: &Path, index: usize) -> Result<ExportFile, ExportError> {
    let Some(stem) = file.path.to_string_lossy().strip_suffix(".gz").map(str::to_string) else {
        return Ok(file.clone());
    };
    let name = Path::new(&stem).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let plain = dir.join(format!("{index:05}-{name}"));
    let inflate = || -> std::io::Result<()> {
        let from = std::io::BufReader::new(std::fs::File::open(&file.path)?);
        let mut reader = flate2::read::MultiGzDecoder::new(from);
        let mut writer = std::io::BufWriter::new(std::fs::File::create(&plain)?);
        std::io::copy(&mut reader, &mut writer)?;
        std::io::Write::flush(&mut writer)
    };
    inflate().map_err(|e| ExportError { file: file.display.clone(), message: format!("cannot inflate: {e}") })?;
    Ok(ExportFile { path: plain, display: file.display.clone() })
}

/// Every format and file kind, through polars' streaming engine: each file scanned and mapped to one shape, then
/// rolled up to one line per day × key × owner tags.
fn read_with_polars(
    files: &[ExportFile],
    format: Option<ExportFormat>,
    owner_tag_keys: &[String],
    source: &str,
) -> Result<(Vec<CostLine>, ExportSummary), ExportError> {
    let mut frames = Vec::new();
    let mut summary = ExportSummary::default();
    for file in files {
        let (found, frame) = scan_file(file, format, owner_tag_keys)?;
        summary.formats.push((file.display.clone(), found));
        frames.push(frame);
    }
    if frames.is_empty() {
        return Ok((Vec::new(), summary));
    }
    let all = concat(frames, UnionArgs::default())
        .map_err(|e| ExportError { file: "exports".into(), message: e.to_string() })?;
    let every_file = || files.iter().map(|f| f.display.as_str()).collect::<Vec<_>>().join(", ");
    let rolled = rollup(all, owner_tag_keys.len())
        .collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .map_err(|e| ExportError { file: every_file(), message: e.to_string() })?;
    let count = |name: &str| -> u64 {
        rolled.column(name).ok().and_then(|c| c.u64().ok().map(|ca| ca.iter().flatten().sum())).unwrap_or(0)
    };
    summary.lines = count("lines");
    summary.inferred_usage_types = count("inferred");
    let unreadable = |missing: u64, what: &str| ExportError {
        file: every_file(),
        message: format!("{missing} line(s) without {what}, never read as $0 or left out"),
    };
    match (count("amount_missing"), count("day_missing")) {
        (0, 0) => {}
        (0, days) => {
            return Err(unreadable(days, "a usage day (`line_item_usage_start_date` / `ChargePeriodStart` empty)"));
        }
        (missing, _) => {
            return Err(unreadable(
                missing,
                "a readable cost (`line_item_unblended_cost` / `BilledCost` empty or not a decimal); expected a \
                 decimal on every line",
            ));
        }
    }
    let mut out = cost_lines(&rolled, owner_tag_keys, source)
        .map_err(|e| ExportError { file: "rollup".into(), message: e.to_string() })?;
    cur::sort_lines(&mut out);
    summary.cost_lines = out.len();
    Ok((out, summary))
}

/// One export file scanned lazily, its format found (or as configured), its required columns checked, and mapped
/// to the common shape.
fn scan_file(
    file: &ExportFile,
    format: Option<ExportFormat>,
    owner_tag_keys: &[String],
) -> Result<(ExportFormat, LazyFrame), ExportError> {
    let err = |message: String| ExportError { file: file.display.clone(), message };
    let mut scan = scan(&file.path).map_err(|e| err(format!("cannot read: {e}")))?;
    let schema = scan.collect_schema().map_err(|e| err(format!("cannot read its columns: {e}")))?;
    let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
    let found = match format {
        Some(f) => f,
        None => detect(&names).ok_or_else(|| {
            err(format!(
                "not a CUR or FOCUS export: found neither `line_item_usage_type` (CUR) nor `BilledCost` and \
                 `ChargePeriodStart` (FOCUS) among its {} columns",
                names.len()
            ))
        })?,
    };
    if let Some(missing) = found.required().iter().find(|c| !names.contains(c)) {
        let near = closest(missing, &names).map(|n| format!(" (closest column: `{n}`)")).unwrap_or_default();
        return Err(err(format!(
            "column `{missing}` is missing; a {} export needs it{near}",
            found.name().to_uppercase()
        )));
    }
    Ok((found, scan.select(mapped(found, &names, &schema, owner_tag_keys))))
}

/// The common shape's columns, as expressions over a file of `format` with these columns.
fn mapped(format: ExportFormat, names: &[&str], schema: &Schema, owner_tag_keys: &[String]) -> Vec<Expr> {
    match format {
        ExportFormat::Cur => map_cur(names, schema, owner_tag_keys),
        ExportFormat::Focus => map_focus(names, schema, owner_tag_keys),
    }
}

/// The columns the rollup reads from a Parquet export, found from the same expressions that read it (so a
/// column a reader starts to use is fetched too). Only the file's footer is read. `None` when the file is not an
/// export this tool knows (the reader then says why, on the whole file).
pub fn columns_read(path: &Path, format: Option<ExportFormat>, owner_tag_keys: &[String]) -> Option<Vec<String>> {
    let mut scan = scan(path).ok()?;
    let schema = scan.collect_schema().ok()?;
    let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
    let found = format.or_else(|| detect(&names))?;
    let mut read: Vec<String> = mapped(found, &names, &schema, owner_tag_keys)
        .iter()
        .flat_map(|e| e.clone().meta().root_names())
        .map(|n| n.to_string())
        .collect();
    // The required columns too: a missing one is reported by name, on the file as fetched.
    read.extend(found.required().iter().map(|c| c.to_string()));
    read.sort();
    read.dedup();
    Some(read)
}

/// One line per day × account × service × usage type × operation × resource × unit × currency × owner tags, with
/// the lines it sums and how many had no cost or no day (errors, counted here so one pass finds them).
fn rollup(all: LazyFrame, tag_count: usize) -> LazyFrame {
    let mut keys: Vec<Expr> = std::iter::once(col("day")).chain(cur::TEXT_KEY.iter().map(|p| col(p.name))).collect();
    keys.extend((0..tag_count).map(|i| col(format!("tag_{i}"))));
    all.group_by(keys).agg([
        // Unknown when a line counted as charged (amount of 0 or more) has none; a credit without one is no
        // usage. Never a sum that quietly leaves lines out.
        when((col("usage_quantity").is_null().and(col("amount").gt_eq(lit(0)))).sum().eq(lit(0)))
            .then(col("usage_quantity").sum())
            .otherwise(lit(NULL).cast(MONEY))
            .alias("usage_quantity"),
        col("amount").sum(),
        // Null unless every line of the group has it: a sum over missing values is not 0.
        when(col("amortized").null_count().eq(lit(0)))
            .then(col("amortized").sum())
            .otherwise(lit(NULL).cast(MONEY))
            .alias("amortized"),
        len().cast(DataType::UInt64).alias("lines"),
        col("amount").null_count().cast(DataType::UInt64).alias("amount_missing"),
        when(col("day").first().is_null()).then(len()).otherwise(lit(0)).cast(DataType::UInt64).alias("day_missing"),
        col("inferred").sum().cast(DataType::UInt64).alias("inferred"),
    ])
}

/// The rolled-up frame's rows as cost lines (every row has a day and an amount: `read_with_polars` checked), the
/// sums read as the decimals they are.
fn cost_lines(rolled: &DataFrame, owner_tag_keys: &[String], source: &str) -> PolarsResult<Vec<CostLine>> {
    let text = |name: &str| -> PolarsResult<Vec<Option<&str>>> { Ok(rolled.column(name)?.str()?.iter().collect()) };
    let money = |name: &str| -> PolarsResult<Vec<Option<Decimal>>> {
        let sums = rolled.column(name)?.decimal()?;
        let scale = u32::try_from(sums.scale()).map_err(|_| polars_err!(ComputeError: "`{}`: scale", name))?;
        sums.physical()
            .iter()
            .map(|v| {
                v.map(|v| Decimal::try_from_i128_with_scale(v, scale).map(|d| d.normalize()))
                    .transpose()
                    .map_err(|e| polars_err!(ComputeError: "`{}` sum {:?} is out of range: {}", name, v, e))
            })
            .collect()
    };
    let [accounts, services, usage_types, operations, resources, units, currencies] =
        cur::TEXT_KEY.map(|KeyPart { name, .. }| text(name));
    let (accounts, services, usage_types) = (accounts?, services?, usage_types?);
    let (operations, resources, units, currencies) = (operations?, resources?, units?, currencies?);
    let (quantities, amounts, amortized) = (money("usage_quantity")?, money("amount")?, money("amortized")?);
    let days: Vec<Option<i32>> = rolled.column("day")?.date()?.physical().iter().collect();
    let tags: Vec<Vec<Option<&str>>> =
        (0..owner_tag_keys.len()).map(|i| text(&format!("tag_{i}"))).collect::<PolarsResult<_>>()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    let mut out = Vec::with_capacity(rolled.height());
    for i in 0..rolled.height() {
        let date = days[i]
            .and_then(|d| epoch.checked_add_signed(chrono::Duration::days(i64::from(d))))
            .ok_or_else(|| polars_err!(ComputeError: "rolled-up day {:?} is not a date", days[i]))?;
        let amount =
            amounts[i].ok_or_else(|| polars_err!(ComputeError: "a rolled-up line of {} has no amount", date))?;
        let mut tag_map = BTreeMap::new();
        for (k, key) in owner_tag_keys.iter().enumerate() {
            if let Some(v) = tags[k][i] {
                tag_map.insert(key.as_str(), v);
            }
        }
        let owned = |v: Option<&str>| v.map(crate::schema::Text::from);
        out.push(CostLine {
            date,
            account_id: owned(accounts[i]).unwrap_or_default(),
            service: owned(services[i]).unwrap_or_default(),
            usage_type: owned(usage_types[i]).unwrap_or_default(),
            operation: owned(operations[i]),
            resource_id: owned(resources[i]),
            tags: serde_json::to_string(&tag_map).unwrap_or_else(|_| "{}".into()).into(),
            usage_quantity: quantities[i],
            usage_unit: owned(units[i]).unwrap_or_default(),
            amount,
            amortized_amount: amortized[i],
            currency: owned(currencies[i]).unwrap_or_default(),
            source: source.into(),
        });
    }
    Ok(out)
}

/// Parquet through `export_dictionary` (every file, or none), as `read_exports` reads it.
#[cfg(test)]
fn read_by_dictionary(
    files: &[ExportFile],
    owner_tag_keys: &[String],
    source: &str,
) -> Option<(Vec<CostLine>, ExportSummary)> {
    read_fast(super::export_dictionary::read, files, owner_tag_keys, source)
}

/// Every file through `read` (Parquet on its dictionaries, CUR CSV streamed), or none: a file it does not
/// cover sends them all to polars. Lines of the same key in several files are added up, as the polars rollup does.
fn read_fast(
    read: Reader,
    files: &[ExportFile],
    owner_tag_keys: &[String],
    source: &str,
) -> Option<(Vec<CostLine>, ExportSummary)> {
    let mut summary = ExportSummary::default();
    let mut all = Vec::new();
    for f in files {
        match read(&f.path, owner_tag_keys, source) {
            Ok((lines, rows, format)) => {
                if all.is_empty() {
                    all = lines;
                } else {
                    all.extend(lines);
                }
                summary.lines += rows;
                summary.formats.push((f.display.clone(), format));
            }
            Err(super::export_dictionary::NotCovered(why)) => {
                tracing::debug!(file = %f.display, %why, "export read by polars, not on the fast path");
                return None;
            }
        }
    }
    // One file comes sorted; lines of several are merged in the same order.
    if files.len() > 1 {
        all = cur::merge_lines(all);
    }
    summary.cost_lines = all.len();
    Some((all, summary))
}

/// Parquet by extension (`.parquet`), anything else as CSV (already decompressed). CSV is read as text and cast
/// by us, so money is parsed exactly and `NULL` (FOCUS samples) means null.
fn scan(path: &Path) -> PolarsResult<LazyFrame> {
    let name = path.to_string_lossy().to_string();
    if name.ends_with(".parquet") {
        LazyFrame::scan_parquet(PlRefPath::new(name), ScanArgsParquet::default())
    } else {
        LazyCsvReader::new(PlRefPath::new(name))
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_null_values(Some(NullValues::AllColumns(vec!["NULL".into(), "".into()])))
            .finish()
    }
}

fn detect(names: &[&str]) -> Option<ExportFormat> {
    if names.contains(&"line_item_usage_type") {
        Some(ExportFormat::Cur)
    } else if names.contains(&"BilledCost") && names.contains(&"ChargePeriodStart") {
        Some(ExportFormat::Focus)
    } else {
        None
    }
}

/// The column whose name is nearest to `wanted` (same words in another order or case, or one renamed part), to
/// help the user see a renamed column.
fn closest<'a>(wanted: &str, names: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| s.to_lowercase().replace(['_', ' ', '/'], "");
    let w = norm(wanted);
    names
        .iter()
        .map(|n| (strsim::levenshtein(&w, &norm(n)), *n))
        .filter(|(d, _)| *d <= w.len() / 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// A text column as it is, or null when the file lacks it.
fn text_or_null(names: &[&str], name: &str) -> Expr {
    if names.contains(&name) { col(name).cast(DataType::String) } else { lit(NULL).cast(DataType::String) }
}

/// A usage quantity as Decimal(38,10): text is parsed exactly, floats (Parquet CUR) are converted; an empty or
/// unreadable value stays null, so the rollup can tell an unknown quantity from none (see `rollup`).
fn quantity(name: &str) -> Expr {
    col(name).cast(MONEY)
}

/// The calendar day (UTC) of a timestamp column, whether typed (Parquet) or text (CSV, ISO 8601 either form).
fn day_of(schema: &Schema, name: &str) -> Expr {
    match schema.get(name) {
        Some(DataType::Datetime(_, _)) => col(name).dt().date(),
        Some(DataType::Date) => col(name),
        _ => col(name).cast(DataType::String).str().slice(lit(0), lit(10)).str().to_date(StrptimeOptions {
            format: Some("%Y-%m-%d".into()),
            strict: true,
            exact: true,
            cache: true,
        }),
    }
}

/// The value of one key in a JSON object column (text), null when absent.
fn json_key(column: &str, key: &str) -> Expr {
    let escaped = key.replace('\'', "\\'");
    col(column).cast(DataType::String).str().json_path_match(lit(format!("$['{escaped}']")))
}

/// A Parquet MAP column (CUR 2.0's `resource_tags`), which polars reads as a list of {key, value} structs.
fn is_map(dtype: Option<&DataType>) -> bool {
    match dtype {
        Some(DataType::List(inner)) => match inner.as_ref() {
            DataType::Struct(fields) => {
                fields.iter().any(|f| f.name() == "key") && fields.iter().any(|f| f.name() == "value")
            }
            _ => false,
        },
        _ => false,
    }
}

/// The value of `key` in a MAP column, null when absent.
fn map_value(column: &str, key: &str) -> Expr {
    let entry = element();
    col(column)
        .list()
        .eval(
            entry
                .clone()
                .filter(entry.clone().struct_().field_by_name("key").eq(lit(key.to_string())))
                .struct_()
                .field_by_name("value"),
        )
        .list()
        .first()
        .cast(DataType::String)
}

fn map_cur(names: &[&str], schema: &Schema, owner_tag_keys: &[String]) -> Vec<Expr> {
    let mut cols = vec![day_of(schema, cur::USAGE_START_DATE).alias("day")];
    cols.extend(cur::TEXT_KEY.iter().map(|p| text_or_null(names, p.column).alias(p.name)));
    cols.extend([
        quantity(cur::USAGE_AMOUNT).alias("usage_quantity"),
        col(cur::UNBLENDED_COST).cast(MONEY).alias("amount"),
        cur_amortized(names).alias("amortized"),
        lit(0u32).alias("inferred"),
    ]);
    for (i, key) in owner_tag_keys.iter().enumerate() {
        let legacy = cur::tag_column(key);
        let tag = if names.contains(&legacy.as_str()) {
            col(legacy.as_str()).cast(DataType::String)
        } else if matches!(schema.get(cur::RESOURCE_TAGS), Some(DataType::String)) {
            json_key(cur::RESOURCE_TAGS, &format!("user:{key}"))
        } else if is_map(schema.get(cur::RESOURCE_TAGS)) {
            map_value(cur::RESOURCE_TAGS, &format!("user:{key}"))
        } else {
            lit(NULL).cast(DataType::String)
        };
        cols.push(tag.alias(format!("tag_{i}")));
    }
    cols
}

/// The amortized cost of a CUR line: `cur::AMORTIZATION` as one expression (a column the file lacks is null).
fn cur_amortized(names: &[&str]) -> Expr {
    if !names.contains(&cur::LINE_ITEM_TYPE) {
        return lit(NULL).cast(MONEY);
    }
    let column = |name: &str| if names.contains(&name) { col(name).cast(MONEY) } else { lit(NULL).cast(MONEY) };
    let unblended = || column(cur::UNBLENDED_COST);
    let has_reservation = if names.contains(&cur::RESERVATION_ARN) {
        col(cur::RESERVATION_ARN).cast(DataType::String).fill_null(lit("")).neq(lit(""))
    } else {
        lit(false)
    };
    cur::AMORTIZATION.iter().rev().fold(unblended(), |otherwise, (line_type, rule)| {
        let value = match rule.map(column) {
            Amortized::Unblended => unblended(),
            Amortized::Column(a) => a,
            Amortized::Sum(a, b) => a + b,
            Amortized::Difference(a, b) => a - b,
            Amortized::Zero => lit(0).cast(MONEY),
            Amortized::ZeroIfReservation => {
                when(has_reservation.clone()).then(lit(0).cast(MONEY)).otherwise(unblended())
            }
        };
        when(col(cur::LINE_ITEM_TYPE).cast(DataType::String).eq(lit(*line_type))).then(value).otherwise(otherwise)
    })
}

fn map_focus(names: &[&str], schema: &Schema, owner_tag_keys: &[String]) -> Vec<Expr> {
    let description = col("ChargeDescription").cast(DataType::String).str().to_lowercase();
    let service = col("ServiceName").cast(DataType::String);
    let pricing_unit = col("PricingUnit").cast(DataType::String);
    let test = |t: &focus::Test| match *t {
        focus::Test::DescriptionHas(text) => description.clone().str().contains_literal(lit(text)),
        focus::Test::ServiceIs(name) => service.clone().eq(lit(name)),
        focus::Test::PricingUnitIs(unit) => pricing_unit.clone().eq(lit(unit)),
        focus::Test::PricingUnitHas(text) => pricing_unit.clone().str().contains_literal(lit(text)),
    };
    let holds = |rule: focus::Rule| {
        rule.iter()
            .map(|all| all.iter().map(test).reduce(|a, b| a.and(b)).unwrap_or(lit(true)))
            .reduce(|a, b| a.or(b))
            .unwrap_or(lit(false))
    };
    let inferred = focus::USAGE_TYPES
        .iter()
        .rev()
        .fold(col("ChargeDescription").cast(DataType::String), |otherwise, (rule, usage_type)| {
            when(holds(rule)).then(lit(*usage_type)).otherwise(otherwise)
        });
    let (usage_type, inferred_flag) = if names.contains(&focus::USAGE_TYPE_COLUMN) {
        (col(focus::USAGE_TYPE_COLUMN).cast(DataType::String), lit(0u32))
    } else {
        (inferred, lit(1u32))
    };
    let mut cols = vec![
        day_of(schema, "ChargePeriodStart").alias("day"),
        text_or_null(names, "SubAccountId").alias("account_id"),
        service.alias("service"),
        usage_type.alias("usage_type"),
        text_or_null(names, "x_Operation").alias("operation"),
        text_or_null(names, "ResourceId").alias("resource_id"),
        text_or_null(names, "ConsumedUnit").fill_null(pricing_unit).alias("usage_unit"),
        text_or_null(names, "BillingCurrency").alias("currency"),
        quantity("ConsumedQuantity").alias("usage_quantity"),
        col("BilledCost").cast(MONEY).alias("amount"),
        if names.contains(&"EffectiveCost") { col("EffectiveCost").cast(MONEY) } else { lit(NULL).cast(MONEY) }
            .alias("amortized"),
        inferred_flag.alias("inferred"),
    ];
    for (i, key) in owner_tag_keys.iter().enumerate() {
        let tag = if is_map(schema.get(focus::TAGS)) {
            map_value(focus::TAGS, key)
        } else if names.contains(&focus::TAGS) {
            json_key(focus::TAGS, key)
        } else {
            lit(NULL).cast(DataType::String)
        };
        cols.push(tag.alias(format!("tag_{i}")));
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real legacy CUR (awslabs/aws-well-architected-labs, Apache-2.0; ../shared/data/public/SOURCES.md):
    /// Usage, DiscountedUsage and RIFee lines, read on its dictionaries and by polars, give the same cost lines.
    #[test]
    fn the_dictionary_path_gives_the_polars_paths_lines_on_the_real_cur() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/public/wal_Nov2018-WorkshopCUR-00001.snappy.parquet");
        assert!(path.exists(), "{} (the shared data beside the repository) is missing", path.display());
        let file = ExportFile { path, display: "wal".into() };
        let keys = vec!["cost_center".to_string(), "name".to_string()];
        // Both in their own order: the dictionary path sorts on ranks, polars' lines by text.
        let (fast, fast_summary) = read_by_dictionary(std::slice::from_ref(&file), &keys, "s").expect("covered");
        let (slow, slow_summary) = read_with_polars(&[file], None, &keys, "s").unwrap();
        assert_eq!(fast_summary.lines, 124_340);
        assert_eq!(fast_summary.lines, slow_summary.lines);
        assert_eq!(fast.len(), slow.len());
        assert!(fast.iter().any(|l| l.tags != "{}"), "some lines carry an owner tag");
        for (f, s) in fast.iter().zip(&slow) {
            assert_eq!(f, s);
        }
    }

    /// The premise of the reconciliation's inter-AZ rule (docs/cost-model.md), checked on the real CUR: each side of
    /// a transfer is its own line on the resource on that side, the sender's `…-Out` and the receiver's `…-In`,
    /// never one line for both sides on one resource.
    #[test]
    fn the_real_cur_bills_each_side_of_regional_transfer_on_the_instance_on_that_side() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/public/wal_Nov2018-WorkshopCUR-00001.snappy.parquet");
        let file = ExportFile { path, display: "wal".into() };
        let (lines, _) = read_by_dictionary(std::slice::from_ref(&file), &[], "s").expect("covered");
        let mut sides: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
        for l in lines.iter().filter(|l| l.usage_type.contains("DataTransfer-Regional-Bytes")) {
            let resource = l.resource_id.as_deref().unwrap_or_default().to_string();
            let operation = l.operation.clone().unwrap_or_default();
            assert!(resource.starts_with("i-"), "a regional transfer line on `{resource}`, not an instance");
            let side = operation.rsplit('-').next().unwrap_or_default().to_string();
            assert!(side == "In" || side == "Out", "operation `{operation}` names no side");
            sides.entry(resource).or_default().insert(side);
        }
        assert!(sides.len() >= 5, "{sides:?}");
        assert!(sides.values().all(|s| s.len() == 2), "every instance has its own In and Out lines: {sides:?}");
    }

    /// `from` rewritten batch by batch into `to` (snappy Parquet, as AWS writes): `f` gets each batch's index and
    /// columns, and a builder of a tag MAP (AWS's `key_value` entries) whose array it may add.
    fn rewrite_parquet(
        from: &std::path::Path,
        to: &std::path::Path,
        mut f: impl FnMut(
            usize,
            &arrow_array::RecordBatch,
            &mut TagMap,
        ) -> Vec<(arrow_schema::Field, arrow_array::ArrayRef)>,
    ) {
        use parquet::arrow::ArrowWriter;
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

        let reader =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(from).unwrap()).unwrap().build().unwrap();
        let mut writer = None;
        for (b, batch) in reader.enumerate() {
            let batch = batch.unwrap();
            let names = MapFieldNames { entry: "key_value".into(), key: "key".into(), value: "value".into() };
            let mut map = MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new());
            let (fields, columns): (Vec<_>, Vec<_>) = f(b, &batch, &mut map).into_iter().unzip();
            let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
            let batch = arrow_array::RecordBatch::try_new(schema, columns).unwrap();
            writer
                .get_or_insert_with(|| {
                    ArrowWriter::try_new(std::fs::File::create(to).unwrap(), batch.schema(), None).unwrap()
                })
                .write(&batch)
                .unwrap();
        }
        writer.unwrap().close().unwrap();
    }

    type TagMap = MapBuilder<StringBuilder, StringBuilder>;
    use arrow_array::builder::{MapBuilder, MapFieldNames, StringBuilder};

    /// A finished tag MAP as a column named `name`.
    fn map_column(name: &str, map: &mut TagMap) -> (arrow_schema::Field, arrow_array::ArrayRef) {
        use arrow_array::Array;
        let map = map.finish();
        (arrow_schema::Field::new(name, map.data_type().clone(), true), std::sync::Arc::new(map))
    }

    /// The real CUR rewritten as CUR 2.0 writes its tags: one `resource_tags` Parquet MAP (`user:<key>` → value)
    /// instead of the flat `resource_tags_user_*` columns. `edges` also gives a few rows the map's corner cases: no
    /// map at all, the wanted key twice (the first entry counts), and a key whose value is null.
    fn real_cur_as_cur2(dir: &std::path::Path, edges: bool) -> ExportFile {
        use arrow_array::{Array, StringArray};

        let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/public/wal_Nov2018-WorkshopCUR-00001.snappy.parquet");
        let path = dir.join(if edges { "edges.snappy.parquet" } else { "cur2.snappy.parquet" });
        rewrite_parquet(&real, &path, |b, batch, map| {
            let schema = batch.schema();
            let (mut kept, mut tags) = (Vec::new(), Vec::new());
            for (f, c) in schema.fields().iter().zip(batch.columns()) {
                match f.name().strip_prefix(cur::TAG_COLUMN_PREFIX) {
                    Some(key) => tags.push((format!("user:{key}"), c.clone())),
                    None => kept.push((f.as_ref().clone(), c.clone())),
                }
            }
            for row in 0..batch.num_rows() {
                let edge = if edges && b == 0 { row % 50 } else { usize::MAX };
                if edge == 0 {
                    map.append(false).unwrap();
                    continue;
                }
                for (key, column) in &tags {
                    let values = column.as_any().downcast_ref::<StringArray>().unwrap();
                    if values.is_null(row) {
                        continue;
                    }
                    if edge == 1 {
                        map.keys().append_value(key);
                        map.values().append_value("first");
                    }
                    map.keys().append_value(key);
                    if edge == 2 {
                        map.values().append_null();
                    } else {
                        map.values().append_value(values.value(row));
                    }
                }
                map.append(true).unwrap();
            }
            kept.push(map_column(cur::RESOURCE_TAGS, map));
            kept
        });
        ExportFile { path, display: "cur2".into() }
    }

    /// CUR 2.0's MAP tags are read on the dictionary path too, and give what polars gives, line for line; without
    /// the corner cases, they give exactly the lines of the legacy file they were made from.
    #[test]
    fn the_dictionary_path_reads_cur2_map_tags_as_polars_does() {
        let real = ExportFile {
            path: std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/data/public/wal_Nov2018-WorkshopCUR-00001.snappy.parquet"),
            display: "wal".into(),
        };
        let keys = vec!["cost_center".to_string(), "name".to_string()];
        let dir = tempfile::tempdir().unwrap();
        let (legacy, _) = read_by_dictionary(std::slice::from_ref(&real), &keys, "s").expect("covered");
        let cur2 = real_cur_as_cur2(dir.path(), false);
        let (fast, _) = read_by_dictionary(std::slice::from_ref(&cur2), &keys, "s").expect("MAP tags are covered");
        assert!(fast.iter().any(|l| l.tags != "{}"), "some lines carry an owner tag");
        assert_eq!(fast, legacy);
        let edges = real_cur_as_cur2(dir.path(), true);
        let (fast, _) = read_by_dictionary(std::slice::from_ref(&edges), &keys, "s").expect("covered");
        let (slow, _) = read_with_polars(&[edges], None, &keys, "s").unwrap();
        assert!(fast.iter().any(|l| l.tags.contains(r#""first""#)), "a duplicate key's first entry counts");
        assert_eq!(fast.len(), slow.len());
        for (f, s) in fast.iter().zip(&slow) {
            assert_eq!(f, s);
        }
    }

    /// The streamed CSV path gives what polars gives, line for line: on the real CUR written as gzip CSV (polars'
    /// CSV writer, so the numbers are its shortest float text), and on a CUR 2.0 CSV of corner cases (JSON tags
    /// with escaped quotes, quoted commas and newlines, CRLF, NULL, an exponent, more than ten decimals, a charge
    /// without a quantity, reservation lines whose amortization inputs are missing).
    #[test]
    fn the_streamed_csv_path_gives_the_polars_paths_lines() {
        let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/public/wal_Nov2018-WorkshopCUR-00001.snappy.parquet");
        let dir = tempfile::tempdir().unwrap();
        let mut frame = LazyFrame::scan_parquet(PlRefPath::new(real.to_string_lossy().to_string()), Default::default())
            .unwrap()
            .collect()
            .unwrap();
        let plain = dir.path().join("wal.csv");
        CsvWriter::new(std::fs::File::create(&plain).unwrap()).finish(&mut frame).unwrap();
        let gz = dir.path().join("wal.csv.gz");
        let mut encoder =
            flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
        std::io::copy(&mut std::fs::File::open(&plain).unwrap(), &mut encoder).unwrap();
        encoder.finish().unwrap();
        let keys = vec!["cost_center".to_string(), "name".to_string()];
        let streamed = |path: &std::path::Path, keys: &[String]| {
            super::super::export_csv::read(path, keys, "s").unwrap_or_else(|why| panic!("not streamed: {}", why.0))
        };
        let polars = |path: &std::path::Path, keys: &[String]| {
            let file = ExportFile { path: path.to_path_buf(), display: "csv".into() };
            read_with_polars(&[file], None, keys, "s").unwrap()
        };
        let (fast, rows, _) = streamed(&gz, &keys);
        let (slow, _) = polars(&plain, &keys);
        assert_eq!(rows, 124_340);
        assert!(fast.iter().any(|l| l.tags != "{}") && fast.iter().any(|l| l.amortized_amount.is_some()));
        assert_eq!(fast.len(), slow.len());
        for (f, s) in fast.iter().zip(&slow) {
            assert_eq!(f, s);
        }

        let edges = dir.path().join("edges.csv");
        let header = "line_item_usage_start_date,line_item_usage_account_id,line_item_product_code,\
line_item_usage_type,line_item_operation,line_item_resource_id,line_item_usage_amount,pricing_unit,\
line_item_unblended_cost,line_item_currency_code,line_item_line_item_type,reservation_reservation_a_r_n,resource_tags";
        let rows = [
            r#"2026-10-01T00:00:00Z,111,AmazonEC2,BoxUsage,RunInstances,i-1,1,Hrs,0.096,USD,Usage,,"{""user:team"":""payments""}""#,
            r#"2026-10-01T01:00:00Z,111,AmazonEC2,BoxUsage,RunInstances,i-1,1,Hrs,1.5e-3,USD,Usage,,"{""user:team"":""pay\""ments"",""user:env"":""prod""}""#,
            "2026-10-01T00:00:00Z,111,AmazonEC2,BoxUsage,NULL,\"vol-1,\n2\",0.123456789012345,Hrs,0.5,USD,Usage,,NULL\r",
            "2026-10-02T00:00:00Z,111,AmazonEC2,BoxUsage,RunInstances,i-2,,Hrs,0.5,USD,Usage,,",
            "2026-10-02T00:00:00Z,111,AmazonEC2,BoxUsage,RunInstances,i-3,1,Hrs,0.07,USD,DiscountedUsage,arn:ri,",
            "2026-10-02T00:00:00Z,111,AmazonEC2,HeavyUsage,,i-3,720,Hrs,50.4,USD,RIFee,arn:ri,{}",
        ];
        std::fs::write(&edges, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        let keys = vec!["team".to_string(), "env".to_string()];
        let (fast, _, _) = streamed(&edges, &keys);
        let (slow, _) = polars(&edges, &keys);
        assert_eq!(fast, slow);
        // Hand-derived: 0.123456789012345 is 0.1234567890 at ten decimals; 1.5e-3 is 0.0015.
        let vol = fast.iter().find(|l| l.resource_id.as_deref() == Some("vol-1,\n2")).expect("the quoted resource");
        assert_eq!(
            (vol.usage_quantity.map(|q| q.to_string()), vol.operation.clone()),
            (Some("0.123456789".into()), None)
        );
        assert!(
            fast.iter().any(|l| l.amount.to_string() == "0.0015" && l.tags == r#"{"env":"prod","team":"pay\"ments"}"#)
        );
        assert!(fast.iter().any(|l| l.resource_id.as_deref() == Some("i-2") && l.usage_quantity.is_none()));
    }

    /// The real FOCUS 1.0 sample as AWS's FOCUS Parquet export types it: timestamps, Decimal(38,10) money, a
    /// `Tags` MAP, and an `x_UsageType` (here the charge description, which the sample stands in for).
    fn real_focus_as_parquet(dir: &std::path::Path) -> ExportFile {
        use arrow_array::cast::AsArray;

        let sample =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/public/focus-1.0_sample_1000.csv");
        let money = ["ConsumedQuantity", "BilledCost", "EffectiveCost"].map(|c| col(c).cast(MONEY));
        let mut frame = scan(&sample)
            .unwrap()
            .with_columns(money)
            .with_columns([
                col("ChargePeriodStart")
                    .str()
                    .to_datetime(
                        Some(TimeUnit::Microseconds),
                        Some(TimeZone::UTC),
                        StrptimeOptions::default(),
                        lit("raise"),
                    )
                    .alias("ChargePeriodStart"),
                col("ChargeDescription").alias(focus::USAGE_TYPE_COLUMN),
                col("ChargeClass").alias("x_Operation"),
            ])
            .collect()
            .unwrap();
        let typed = dir.join("typed.parquet");
        ParquetWriter::new(std::fs::File::create(&typed).unwrap())
            .with_compression(ParquetCompression::Snappy)
            .finish(&mut frame)
            .unwrap();
        let path = dir.join("focus.parquet");
        rewrite_parquet(&typed, &path, |_, batch, map| {
            let schema = batch.schema();
            let mut kept: Vec<_> =
                schema.fields().iter().map(|f| f.as_ref().clone()).zip(batch.columns().iter().cloned()).collect();
            let at = schema.index_of(focus::TAGS).unwrap();
            let column = batch.column(at);
            let text: Vec<Option<String>> = if let Some(a) = column.as_string_view_opt() {
                a.iter().map(|v| v.map(str::to_string)).collect()
            } else if let Some(a) = column.as_string_opt::<i64>() {
                a.iter().map(|v| v.map(str::to_string)).collect()
            } else {
                column.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()
            };
            for row in text {
                let Some(row) = row else {
                    map.append(false).unwrap();
                    continue;
                };
                let tags: BTreeMap<String, String> = serde_json::from_str(&row).unwrap();
                for (k, v) in tags {
                    map.keys().append_value(k);
                    map.values().append_value(v);
                }
                map.append(true).unwrap();
            }
            kept[at] = map_column(focus::TAGS, map);
            kept
        });
        ExportFile { path, display: "focus.parquet".into() }
    }

    /// FOCUS Parquet is read on its dictionaries too, line for line as polars reads it: the unit from
    /// `ConsumedUnit` else `PricingUnit` (the sample has a line without either quantity or unit), `EffectiveCost`
    /// as the amortized cost, owner tags from the `Tags` MAP.
    #[test]
    fn the_dictionary_path_reads_focus_parquet_as_polars_does() {
        let dir = tempfile::tempdir().unwrap();
        let file = real_focus_as_parquet(dir.path());
        let keys: Vec<String> = ["application", "environment", "business_unit"].map(String::from).to_vec();
        let (fast, summary) = read_by_dictionary(std::slice::from_ref(&file), &keys, "s").expect("covered");
        let (slow, _) = read_with_polars(&[file], None, &keys, "s").unwrap();
        assert_eq!(summary.formats[0].1, ExportFormat::Focus);
        assert_eq!(summary.lines, 1_000);
        assert!(fast.iter().any(|l| l.tags != "{}"), "some lines carry an owner tag");
        assert_eq!(fast.len(), slow.len());
        for (f, s) in fast.iter().zip(&slow) {
            assert_eq!(f, s);
        }
    }

    /// A line whose cost is empty or not a decimal is refused, naming the file: it was read as $0.
    #[test]
    fn a_line_without_a_readable_cost_is_an_error_not_zero() {
        let sample =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/public/focus-1.0_sample_1000.csv");
        let mut reader = csv::Reader::from_path(&sample).unwrap();
        let header = reader.headers().unwrap().clone();
        let cost = header.iter().position(|h| h == "BilledCost").unwrap();
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "12,50"] {
            let path = dir.path().join("focus.csv");
            let mut w = csv::Writer::from_path(&path).unwrap();
            w.write_record(&header).unwrap();
            for (i, record) in reader.records().take(3).enumerate() {
                let mut fields: Vec<String> = record.unwrap().iter().map(str::to_string).collect();
                if i == 1 {
                    fields[cost] = bad.to_string();
                }
                w.write_record(&fields).unwrap();
            }
            w.flush().unwrap();
            let file = ExportFile { path: path.clone(), display: "focus.csv".into() };
            let err = read_exports(&[file], None, &[], "s").unwrap_err();
            assert_eq!(err.file, "focus.csv");
            assert!(err.message.contains("1 line(s) without a readable cost"), "{err}");
            reader = csv::Reader::from_path(&sample).unwrap();
        }
    }

    /// The dictionary path (legacy CUR Parquet) must not read a line without a cost as $0 either: it hands the file
    /// to polars, which names the line. The real CUR is rewritten with one cost nulled.
    #[test]
    fn a_cur_parquet_line_without_a_cost_is_an_error_on_the_fast_path_too() {
        use arrow_array::{Array, Float64Array, RecordBatch};
        use parquet::arrow::ArrowWriter;
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        use parquet::basic::Compression;
        use parquet::file::properties::WriterProperties;

        let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/public/wal_Nov2018-WorkshopCUR-00001.snappy.parquet");
        let dir = tempfile::tempdir().unwrap();
        let rewrite = |null_cost: bool| -> ExportFile {
            let reader =
                ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&real).unwrap()).unwrap().build().unwrap();
            let path = dir.path().join(if null_cost { "null.snappy.parquet" } else { "same.snappy.parquet" });
            let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
            let mut writer = None;
            // The first batch is enough to take either path (and keeps the test quick).
            for (i, batch) in reader.take(1).enumerate() {
                let batch = batch.unwrap();
                // The cost column made nullable (the original declares it non-null), one value nulled.
                let at = batch.schema().index_of("line_item_unblended_cost").unwrap();
                let mut fields: Vec<arrow_schema::Field> =
                    batch.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
                fields[at] = fields[at].clone().with_nullable(true);
                let mut columns = batch.columns().to_vec();
                if null_cost && i == 0 {
                    let costs = batch.column(at).as_any().downcast_ref::<Float64Array>().unwrap();
                    let nulled: Float64Array =
                        costs.iter().enumerate().map(|(row, v)| if row == 1 { None } else { v }).collect();
                    columns[at] = std::sync::Arc::new(nulled);
                }
                let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
                let batch = RecordBatch::try_new(schema, columns).unwrap();
                let w = writer.get_or_insert_with(|| {
                    let out = std::fs::File::create(&path).unwrap();
                    ArrowWriter::try_new(out, batch.schema(), Some(props.clone())).unwrap()
                });
                w.write(&batch).unwrap();
            }
            writer.unwrap().close().unwrap();
            ExportFile { path, display: "cur.parquet".into() }
        };
        let same = rewrite(false);
        assert!(read_by_dictionary(std::slice::from_ref(&same), &[], "s").is_some(), "the rewrite takes the fast path");
        let nulled = rewrite(true);
        assert!(read_by_dictionary(std::slice::from_ref(&nulled), &[], "s").is_none(), "a null cost leaves it");
        let err = read_exports(&[nulled], None, &[], "s").unwrap_err();
        assert!(err.message.contains("1 line(s) without a readable cost"), "{err}");
    }

    /// A line without a usage day is refused, never left out of the sums (it would lower the bill silently).
    #[test]
    fn a_line_without_a_usage_day_is_an_error_not_left_out() {
        let sample =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/public/focus-1.0_sample_1000.csv");
        let mut reader = csv::Reader::from_path(&sample).unwrap();
        let header = reader.headers().unwrap().clone();
        let start = header.iter().position(|h| h == "ChargePeriodStart").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("focus.csv");
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(&header).unwrap();
        for (i, record) in reader.records().take(4).enumerate() {
            let mut fields: Vec<String> = record.unwrap().iter().map(str::to_string).collect();
            if i == 2 {
                fields[start] = String::new();
            }
            w.write_record(&fields).unwrap();
        }
        w.flush().unwrap();
        let file = ExportFile { path: path.clone(), display: "focus.csv".into() };
        let err = read_exports(&[file], None, &[], "s").unwrap_err();
        assert_eq!(err.file, "focus.csv");
        assert!(err.message.contains("1 line(s) without a usage day"), "{err}");
    }

    #[test]
    fn detects_formats_from_columns() {
        assert_eq!(detect(&["line_item_usage_type", "x"]), Some(ExportFormat::Cur));
        assert_eq!(detect(&["BilledCost", "ChargePeriodStart"]), Some(ExportFormat::Focus));
        assert_eq!(detect(&["BilledCost"]), None);
    }

    #[test]
    fn names_the_closest_column_for_a_renamed_one() {
        let names = ["line_item_unblended_costs", "line_item_usage_type", "pricing_unit"];
        assert_eq!(closest("line_item_unblended_cost", &names), Some("line_item_unblended_costs"));
        assert_eq!(closest("line_item_resource_id", &names), None);
    }

    /// CUR 2.0 in Parquet keeps tags in a MAP column; the owner tag comes out of it, and a line without the tag
    /// has none.
    #[test]
    fn owner_tags_come_out_of_a_cur2_map_column() {
        let tags = df!(
            "row" => [0i64, 0, 1],
            "key" => ["user:team", "user:env", "user:env"],
            "value" => ["payments", "prod", "dev"],
        )
        .unwrap()
        .lazy()
        .group_by_stable([col("row")])
        .agg([as_struct(vec![col("key"), col("value")]).alias("resource_tags")]);
        let lines = df!(
            "row" => [0i64, 1],
            "line_item_usage_start_date" => ["2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z"],
            "line_item_usage_account_id" => ["1", "1"],
            "line_item_product_code" => ["AmazonEC2", "AmazonEC2"],
            "line_item_usage_type" => ["EBS:VolumeUsage.gp3", "EBS:VolumeUsage.gp3"],
            "line_item_operation" => ["CreateVolume-Gp3", "CreateVolume-Gp3"],
            "line_item_resource_id" => ["vol-1", "vol-2"],
            "line_item_usage_amount" => [10.0, 20.0],
            "pricing_unit" => ["GB-Mo", "GB-Mo"],
            "line_item_unblended_cost" => [0.8, 1.6],
            "line_item_currency_code" => ["USD", "USD"],
        )
        .unwrap()
        .lazy()
        .join(tags, [col("row")], [col("row")], JoinArgs::new(JoinType::Left))
        .collect()
        .unwrap();
        assert!(is_map(lines.schema().get("resource_tags")), "{:?}", lines.schema());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cur2.parquet");
        let mut frame = lines;
        ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut frame).unwrap();
        let file = ExportFile { path, display: "cur2.parquet".into() };
        let (got, summary) = read_exports(&[file], None, &["team".into()], "cur").unwrap();
        assert_eq!(summary.formats[0].1, ExportFormat::Cur);
        let tags: Vec<(&str, &str)> =
            got.iter().map(|l| (l.resource_id.as_deref().unwrap(), l.tags.as_str())).collect();
        assert_eq!(tags, vec![("vol-1", r#"{"team":"payments"}"#), ("vol-2", "{}")]);
    }

    /// A legacy CUR CSV of `rows` (under the usual ten columns) in a temporary folder, kept while the folder lives.
    fn cur_csv(rows: &[&str]) -> (tempfile::TempDir, ExportFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cur.csv");
        let header = "line_item_usage_start_date,line_item_usage_account_id,line_item_product_code,line_item_usage_type,\
line_item_operation,line_item_resource_id,line_item_usage_amount,pricing_unit,line_item_unblended_cost,line_item_currency_code";
        std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        (dir, ExportFile { path, display: "cur.csv".into() })
    }

    /// A charged line without a usage amount leaves its line's quantity unknown, not the sum of the others; a
    /// credit without one is no usage; an unreadable amount is unknown too. Hand-derived from the rows below.
    #[test]
    fn a_charged_line_without_a_quantity_is_unknown_and_a_credit_without_one_is_no_usage() {
        let rows = [
            // vol-1: 10 + (none) GB-Mo for $0.80 + $1.60: unknown.
            "2026-10-01T00:00:00Z,111,AmazonEC2,EBS:VolumeUsage.gp3,CreateVolume-Gp3,vol-1,10,GB-Mo,0.8,USD",
            "2026-10-01T01:00:00Z,111,AmazonEC2,EBS:VolumeUsage.gp3,CreateVolume-Gp3,vol-1,,GB-Mo,1.6,USD",
            // vol-2: 20 GB-Mo for $1.60, and a $0.50 credit with no usage amount: 20.
            "2026-10-01T00:00:00Z,111,AmazonEC2,EBS:VolumeUsage.gp3,CreateVolume-Gp3,vol-2,20,GB-Mo,1.6,USD",
            "2026-10-01T01:00:00Z,111,AmazonEC2,EBS:VolumeUsage.gp3,CreateVolume-Gp3,vol-2,,GB-Mo,-0.5,USD",
            // vol-3: a usage amount that is not a number: unknown.
            "2026-10-01T00:00:00Z,111,AmazonEC2,EBS:VolumeUsage.gp3,CreateVolume-Gp3,vol-3,ten,GB-Mo,0.8,USD",
        ];
        let (_dir, file) = cur_csv(&rows);
        let (got, _) = read_exports(&[file], None, &[], "cur").unwrap();
        let view: BTreeMap<&str, (Option<String>, String)> = got
            .iter()
            .map(|l| {
                let quantity = l.usage_quantity.map(|q| q.to_string());
                (l.resource_id.as_deref().unwrap(), (quantity, l.amount.to_string()))
            })
            .collect();
        assert_eq!(view["vol-1"], (None, "2.4".to_string()));
        assert_eq!(view["vol-2"], (Some("20".to_string()), "1.1".to_string()));
        assert_eq!(view["vol-3"], (None, "0.8".to_string()));
    }

    /// Lines that differ only in account or unit (two accounts share a resource id, one line has no unit) are
    /// different cost lines.
    #[test]
    fn lines_that_differ_only_in_a_dependent_column_stay_apart() {
        let rows = [
            "2026-10-01T00:00:00Z,111,AmazonEC2,BoxUsage:m5.large,RunInstances,i-1,1,Hrs,0.096,USD",
            "2026-10-01T01:00:00Z,111,AmazonEC2,BoxUsage:m5.large,RunInstances,i-1,1,Hrs,0.096,USD",
            "2026-10-01T02:00:00Z,222,AmazonEC2,BoxUsage:m5.large,RunInstances,i-1,1,Hrs,0.5,USD",
            "2026-10-01T00:00:00Z,111,AmazonEC2,BoxUsage:m5.large,RunInstances,i-2,1,Hrs,1,USD",
            "2026-10-01T01:00:00Z,111,AmazonEC2,BoxUsage:m5.large,RunInstances,i-2,1,,2,USD",
        ];
        let (_dir, file) = cur_csv(&rows);
        let (got, summary) = read_exports(&[file], None, &[], "cur").unwrap();
        assert_eq!(summary.lines, 5);
        let mut view: Vec<(&str, &str, &str, String)> = got
            .iter()
            .map(|l| {
                (l.account_id.as_str(), l.resource_id.as_deref().unwrap(), l.usage_unit.as_str(), l.amount.to_string())
            })
            .collect();
        view.sort();
        assert_eq!(
            view,
            vec![
                ("111", "i-1", "Hrs", "0.192".to_string()),
                ("111", "i-2", "", "2".to_string()),
                ("111", "i-2", "Hrs", "1".to_string()),
                ("222", "i-1", "Hrs", "0.5".to_string()),
            ]
        );
    }
}
