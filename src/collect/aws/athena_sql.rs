//! The billing rollup as one SQL statement for Amazon Athena (engine v3, which is Trino), generated from the same
//! rules the local readers use: the CUR columns, the amortization table and the line key (`cur.rs`), FOCUS's
//! usage-type inference (`focus.rs`) and the aggregates of `exports.rs`'s rollup (an unknown quantity or amortized
//! cost stays unknown; a line without a cost or a day is an error, not a gap). A test runs this SQL on a real Trino
//! over the public CUR and FOCUS samples and holds its cost lines equal to the local path's to the cent.
//!
//! Athena writes results as CSV, where an empty field is null. So that a null and an empty text stay apart (an
//! export line with an empty resource id is not one without), text parts are written as `coalesce(x, '')` and a
//! `nulls` column spells, one `1` or `0` per text part in key order, which of them were null.
//!
//! Which columns a table has is asked first (`information_schema.columns`, [`columns_sql`]): Glue tables differ
//! (legacy CUR's flat tag columns, CUR 2.0's and FOCUS's tag MAPs, optional amortization columns), and a column the
//! table lacks is read as null, exactly as the local readers do.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::cur::{self, Amortized};
use super::exports::{ExportError, ExportFormat, ExportSummary};
use super::focus;
use crate::schema::CostLine;

/// Money and quantities, as the local rollup sums them (polars' Decimal(38,10)).
const MONEY: &str = "DECIMAL(38,10)";

/// A table's columns as `information_schema.columns` gives them (Athena lowercases names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableColumns {
    types: BTreeMap<String, String>,
}

impl TableColumns {
    pub fn new(columns: impl IntoIterator<Item = (String, String)>) -> TableColumns {
        TableColumns { types: columns.into_iter().map(|(n, t)| (n.to_lowercase(), t.to_lowercase())).collect() }
    }

    /// The answer of [`columns_sql`] (CSV with a header: `column_name`, `data_type`).
    pub fn from_csv(answer: impl std::io::Read) -> Result<TableColumns, csv::Error> {
        let mut reader = csv::Reader::from_reader(answer);
        let mut columns = Vec::new();
        for record in reader.records() {
            let record = record?;
            columns
                .push((record.get(0).unwrap_or_default().to_string(), record.get(1).unwrap_or_default().to_string()));
        }
        Ok(TableColumns::new(columns))
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    fn has(&self, name: &str) -> bool {
        self.types.contains_key(&name.to_lowercase())
    }

    fn type_of(&self, name: &str) -> Option<&str> {
        self.types.get(&name.to_lowercase()).map(String::as_str)
    }

    fn is_map(&self, name: &str) -> bool {
        self.type_of(name).is_some_and(|t| t.starts_with("map"))
    }

    /// The export format the columns say, as the local reader detects it.
    pub fn format(&self) -> Option<ExportFormat> {
        if self.has("line_item_usage_type") {
            Some(ExportFormat::Cur)
        } else if self.has("BilledCost") && self.has("ChargePeriodStart") {
            Some(ExportFormat::Focus)
        } else {
            None
        }
    }
}

/// The query that lists a table's columns and their types.
pub fn columns_sql(database: &str, table: &str) -> String {
    format!(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = {} AND table_name = {} \
         ORDER BY ordinal_position",
        text(&database.to_lowercase()),
        text(&table.to_lowercase())
    )
}

/// The rollup statement and what it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub sql: String,
    pub format: ExportFormat,
}

/// The rollup of `database.table` over the days `first..=last`: partitions pruned to the window's months
/// (`billing_period` of CUR 2.0 and FOCUS exports, `year`/`month` of the legacy CUR's CloudFormation layout), rows
/// to its days. The error names the table and, for a missing column, the column.
pub fn rollup_sql(
    database: &str,
    table: &str,
    columns: &TableColumns,
    format: Option<ExportFormat>,
    owner_tag_keys: &[String],
    (first, last): (NaiveDate, NaiveDate),
) -> Result<Rollup, ExportError> {
    let name = format!("{database}.{table}");
    let err = |message: String| ExportError { file: name.clone(), message };
    let found = match format.or_else(|| columns.format()) {
        Some(f) => f,
        None => {
            return Err(err(format!(
                "not a CUR or FOCUS table: found neither `line_item_usage_type` (CUR) nor `billedcost` and \
                 `chargeperiodstart` (FOCUS) among its {} columns",
                columns.types.len()
            )));
        }
    };
    if let Some(missing) = found.required().iter().find(|c| !columns.has(c)) {
        return Err(err(format!("column `{}` is missing; a {} table needs it", missing.to_lowercase(), upper(found))));
    }
    let parts = match found {
        ExportFormat::Cur => cur_parts(columns, owner_tag_keys),
        ExportFormat::Focus => focus_parts(columns, owner_tag_keys),
    };
    let keys: Vec<String> = key_names(owner_tag_keys.len());
    let mut sql = String::from("SELECT\n");
    let text_keys = &keys[1..];
    let nulls = text_keys.iter().map(|k| format!("IF({k} IS NULL, '1', '0')")).collect::<Vec<_>>();
    let _ = writeln!(sql, "  CAST(day AS varchar) AS day,");
    for k in text_keys {
        let _ = writeln!(sql, "  coalesce({k}, '') AS {k},");
    }
    let _ = writeln!(sql, "  concat({}) AS nulls,", nulls.join(", "));
    let _ = writeln!(
        sql,
        "  CASE WHEN count_if(usage_quantity IS NULL AND amount >= 0) = 0 THEN coalesce(sum(usage_quantity), \
         CAST(0 AS {MONEY})) END AS usage_quantity,"
    );
    let _ = writeln!(sql, "  sum(amount) AS amount,");
    let _ = writeln!(sql, "  CASE WHEN count(amortized) = count(*) THEN sum(amortized) END AS amortized,");
    let _ = writeln!(sql, "  count(*) AS lines,");
    let _ = writeln!(sql, "  count(*) - count(amount) AS amount_missing,");
    let _ = writeln!(sql, "  sum(inferred) AS inferred");
    let _ = writeln!(sql, "FROM (\n  SELECT");
    let selected: Vec<String> = parts.iter().map(|(alias, expr)| format!("    {expr} AS {alias}")).collect();
    let _ = writeln!(sql, "{}", selected.join(",\n"));
    let _ = writeln!(sql, "  FROM {}.{}", ident(database), ident(table));
    if let Some(filter) = partition_filter(columns, first, last) {
        let _ = writeln!(sql, "  WHERE {filter}");
    }
    let _ = writeln!(sql, ") AS line");
    let _ = writeln!(sql, "WHERE day IS NULL OR day BETWEEN DATE '{first}' AND DATE '{last}'");
    let _ = write!(sql, "GROUP BY {}", keys.join(", "));
    Ok(Rollup { sql, format: found })
}

fn upper(format: ExportFormat) -> String {
    format.name().to_uppercase()
}

/// The key's output names: the day, the seven text parts, one `tag_<i>` per owner tag key.
fn key_names(tags: usize) -> Vec<String> {
    let mut keys = vec!["day".to_string()];
    keys.extend(cur::TEXT_KEY.iter().map(|p| p.name.to_string()));
    keys.extend((0..tags).map(|i| format!("tag_{i}")));
    keys
}

/// One line's columns as (alias, expression) for a CUR table.
fn cur_parts(columns: &TableColumns, owner_tag_keys: &[String]) -> Vec<(String, String)> {
    let mut parts = vec![("day".to_string(), day(columns, cur::USAGE_START_DATE))];
    parts.extend(cur::TEXT_KEY.iter().map(|p| (p.name.to_string(), text_column(columns, p.column))));
    parts.extend([
        ("usage_quantity".to_string(), money(columns, cur::USAGE_AMOUNT)),
        ("amount".to_string(), money(columns, cur::UNBLENDED_COST)),
        ("amortized".to_string(), cur_amortized(columns)),
        ("inferred".to_string(), "0".to_string()),
    ]);
    for (i, key) in owner_tag_keys.iter().enumerate() {
        let legacy = cur::tag_column(key);
        let tag = if columns.has(&legacy) {
            format!("CAST({} AS varchar)", ident(&legacy))
        } else {
            tag_of(columns, cur::RESOURCE_TAGS, &format!("user:{key}"))
        };
        parts.push((format!("tag_{i}"), tag));
    }
    parts
}

/// `cur::AMORTIZATION` as one CASE (a column the table lacks is null).
fn cur_amortized(columns: &TableColumns) -> String {
    if !columns.has(cur::LINE_ITEM_TYPE) {
        return format!("CAST(NULL AS {MONEY})");
    }
    let unblended = money(columns, cur::UNBLENDED_COST);
    let has_reservation = if columns.has(cur::RESERVATION_ARN) {
        format!("coalesce(CAST({} AS varchar), '') <> ''", ident(cur::RESERVATION_ARN))
    } else {
        "false".to_string()
    };
    let mut case = format!("CASE CAST({} AS varchar)", ident(cur::LINE_ITEM_TYPE));
    for (line_type, rule) in cur::AMORTIZATION {
        let value = match rule.map(|c| money(columns, c)) {
            Amortized::Unblended => unblended.clone(),
            Amortized::Column(a) => a,
            Amortized::Sum(a, b) => format!("{a} + {b}"),
            Amortized::Difference(a, b) => format!("{a} - {b}"),
            Amortized::Zero => format!("CAST(0 AS {MONEY})"),
            Amortized::ZeroIfReservation => {
                format!("CASE WHEN {has_reservation} THEN CAST(0 AS {MONEY}) ELSE {unblended} END")
            }
        };
        let _ = write!(case, " WHEN {} THEN {value}", text(line_type));
    }
    let _ = write!(case, " ELSE {unblended} END");
    case
}

/// One line's columns as (alias, expression) for a FOCUS table.
fn focus_parts(columns: &TableColumns, owner_tag_keys: &[String]) -> Vec<(String, String)> {
    let description = format!("lower(CAST({} AS varchar))", ident("ChargeDescription"));
    let service = format!("CAST({} AS varchar)", ident("ServiceName"));
    let pricing_unit = format!("CAST({} AS varchar)", ident("PricingUnit"));
    let test = |t: &focus::Test| match *t {
        focus::Test::DescriptionHas(s) => format!("strpos({description}, {}) > 0", text(s)),
        focus::Test::ServiceIs(s) => format!("{service} = {}", text(s)),
        focus::Test::PricingUnitIs(s) => format!("{pricing_unit} = {}", text(s)),
        focus::Test::PricingUnitHas(s) => format!("strpos({pricing_unit}, {}) > 0", text(s)),
    };
    let (usage_type, inferred) = if columns.has(focus::USAGE_TYPE_COLUMN) {
        (text_column(columns, focus::USAGE_TYPE_COLUMN), "0".to_string())
    } else {
        let mut case = String::from("CASE");
        for (rule, usage_type) in focus::USAGE_TYPES {
            let any: Vec<String> = rule
                .iter()
                .map(|all| format!("({})", all.iter().map(test).collect::<Vec<_>>().join(" AND ")))
                .collect();
            let _ = write!(case, " WHEN {} THEN {}", any.join(" OR "), text(usage_type));
        }
        let _ = write!(case, " ELSE CAST({} AS varchar) END", ident("ChargeDescription"));
        (case, "1".to_string())
    };
    let mut parts = vec![
        ("day".to_string(), day(columns, "ChargePeriodStart")),
        ("account_id".to_string(), text_column(columns, "SubAccountId")),
        ("service".to_string(), service.clone()),
        ("usage_type".to_string(), usage_type),
        ("operation".to_string(), text_column(columns, "x_Operation")),
        ("resource_id".to_string(), text_column(columns, "ResourceId")),
        ("usage_unit".to_string(), format!("coalesce({}, {pricing_unit})", text_column(columns, "ConsumedUnit"))),
        ("currency".to_string(), text_column(columns, "BillingCurrency")),
        ("usage_quantity".to_string(), money(columns, "ConsumedQuantity")),
        ("amount".to_string(), money(columns, "BilledCost")),
        ("amortized".to_string(), money(columns, "EffectiveCost")),
        ("inferred".to_string(), inferred),
    ];
    for (i, key) in owner_tag_keys.iter().enumerate() {
        parts.push((format!("tag_{i}"), tag_of(columns, focus::TAGS, key)));
    }
    parts
}

/// The calendar day (UTC) of a timestamp column, typed or ISO 8601 text.
fn day(columns: &TableColumns, name: &str) -> String {
    match columns.type_of(name) {
        Some(t) if t.starts_with("timestamp") => format!("CAST({} AS date)", ident(name)),
        Some("date") => ident(name),
        _ => format!("TRY_CAST(substr(CAST({} AS varchar), 1, 10) AS date)", ident(name)),
    }
}

fn text_column(columns: &TableColumns, name: &str) -> String {
    if columns.has(name) { format!("CAST({} AS varchar)", ident(name)) } else { "CAST(NULL AS varchar)".into() }
}

/// A decimal read exactly from text or converted from a double; unreadable or absent is null.
fn money(columns: &TableColumns, name: &str) -> String {
    if columns.has(name) { format!("TRY_CAST({} AS {MONEY})", ident(name)) } else { format!("CAST(NULL AS {MONEY})") }
}

/// The value of `key` in a tag column: a MAP's entry, or a JSON object's member; null when absent.
fn tag_of(columns: &TableColumns, column: &str, key: &str) -> String {
    if columns.is_map(column) {
        format!("element_at({}, {})", ident(column), text(key))
    } else if columns.has(column) {
        let path = format!("$[\"{}\"]", key.replace('\\', "\\\\").replace('"', "\\\""));
        format!("json_extract_scalar(CAST({} AS varchar), {})", ident(column), text(&path))
    } else {
        "CAST(NULL AS varchar)".into()
    }
}

/// Partitions of the window's months: `billing_period` ('YYYY-MM'), else `year` and `month` (the CUR's
/// CloudFormation layout writes the month without a leading zero; both spellings are matched).
fn partition_filter(columns: &TableColumns, first: NaiveDate, last: NaiveDate) -> Option<String> {
    let mut months = Vec::new();
    let mut month = first.with_day(1)?;
    while month <= last && months.len() < 1200 {
        months.push(month);
        month = month.checked_add_months(chrono::Months::new(1))?;
    }
    if columns.has("billing_period") {
        let periods: Vec<String> = months.iter().map(|m| text(&m.format("%Y-%m").to_string())).collect();
        return Some(format!("{} IN ({})", ident("billing_period"), periods.join(", ")));
    }
    if columns.has("year") && columns.has("month") {
        let numeric = |c: &str| columns.type_of(c).is_some_and(|t| !t.starts_with("varchar") && t != "string");
        let any: Vec<String> = months
            .iter()
            .map(|m| {
                let year = if numeric("year") { m.year().to_string() } else { text(&m.year().to_string()) };
                let month = if numeric("month") {
                    m.month().to_string()
                } else {
                    format!("{}, {}", text(&m.month().to_string()), text(&format!("{:02}", m.month())))
                };
                format!("({} = {year} AND {} IN ({month}))", ident("year"), ident("month"))
            })
            .collect();
        return Some(format!("({})", any.join(" OR ")));
    }
    None
}

/// A quoted identifier (lowercase, as Athena's catalog spells names).
fn ident(name: &str) -> String {
    format!("\"{}\"", name.to_lowercase().replace('"', "\"\""))
}

/// A SQL string literal.
fn text(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The rollup's answer (CSV with a header, as Athena writes a result) as cost lines, checked as the local rollup
/// checks its own: a line without a day or a readable cost is an error, never $0 or left out.
pub fn read_result(
    answer: impl std::io::Read,
    owner_tag_keys: &[String],
    source: &str,
    name: &str,
) -> Result<(Vec<CostLine>, ExportSummary), ExportError> {
    let err = |message: String| ExportError { file: name.to_string(), message };
    let mut reader = csv::Reader::from_reader(answer);
    let header = reader.headers().map_err(|e| err(format!("the result cannot be read: {e}")))?.clone();
    let answer = Answer::new(&header, owner_tag_keys, source).map_err(|Problem(m)| err(m))?;
    let mut summary = ExportSummary::default();
    let (mut day_missing, mut amount_missing) = (0u64, 0u64);
    let mut lines = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| err(format!("result row {}: {e}", row + 1)))?;
        let group = answer.group(&record).map_err(|Problem(m)| err(format!("result row {}: {m}", row + 1)))?;
        summary.lines += group.lines;
        summary.inferred_usage_types += group.inferred;
        amount_missing += group.amount_missing;
        match group.line {
            Some(line) => lines.push(line),
            None => day_missing += group.lines,
        }
    }
    if amount_missing > 0 {
        return Err(err(format!(
            "{amount_missing} line(s) without a readable cost (`line_item_unblended_cost` / `BilledCost` empty or \
             not a decimal), never read as $0 or left out; expected a decimal on every line"
        )));
    }
    if day_missing > 0 {
        return Err(err(format!(
            "{day_missing} line(s) without a usage day (`line_item_usage_start_date` / `ChargePeriodStart` empty), \
             never read as $0 or left out"
        )));
    }
    cur::sort_lines(&mut lines);
    summary.cost_lines = lines.len();
    Ok((lines, summary))
}

/// What is wrong with the answer (the caller adds the query and the row).
struct Problem(String);

/// Where each column of the answer is.
struct Answer<'a> {
    keys: Vec<String>,
    at: BTreeMap<&'static str, usize>,
    tags: Vec<usize>,
    owner_tag_keys: &'a [String],
    source: &'a str,
}

/// One row of the answer: its counts, and its cost line (`None` for the group of lines without a day).
struct Group {
    lines: u64,
    inferred: u64,
    amount_missing: u64,
    line: Option<CostLine>,
}

const SUMS: [&str; 7] = ["nulls", "usage_quantity", "amount", "amortized", "lines", "amount_missing", "inferred"];

impl<'a> Answer<'a> {
    fn new(header: &csv::StringRecord, owner_tag_keys: &'a [String], source: &'a str) -> Result<Answer<'a>, Problem> {
        let keys = key_names(owner_tag_keys.len());
        let find = |w: &str| {
            header.iter().position(|h| h.eq_ignore_ascii_case(w)).ok_or_else(|| {
                Problem(format!(
                    "the result has no column `{w}` (it has {})",
                    header.iter().collect::<Vec<_>>().join(", ")
                ))
            })
        };
        let mut at = BTreeMap::new();
        for (w, name) in SUMS.iter().map(|w| (*w, *w)).chain(cur::TEXT_KEY.iter().map(|p| (p.name, p.name))) {
            at.insert(w, find(name)?);
        }
        at.insert("day", find("day")?);
        let tags = (0..owner_tag_keys.len()).map(|i| find(&format!("tag_{i}"))).collect::<Result<_, _>>()?;
        Ok(Answer { keys, at, tags, owner_tag_keys, source })
    }

    fn group(&self, record: &csv::StringRecord) -> Result<Group, Problem> {
        let field = |w: &str| record.get(self.at[w]).unwrap_or_default();
        let count = |w: &str| -> Result<u64, Problem> {
            let v = field(w);
            if v.is_empty() { Ok(0) } else { v.parse().map_err(|_| Problem(format!("`{w}` = `{v}` is not a count"))) }
        };
        let decimal = |w: &str| -> Result<Option<Decimal>, Problem> {
            let v = field(w);
            if v.is_empty() {
                return Ok(None);
            }
            v.parse::<Decimal>()
                .or_else(|_| Decimal::from_scientific(v))
                .map(|d| Some(d.normalize()))
                .map_err(|_| Problem(format!("`{w}` = `{v}` is not a decimal")))
        };
        let (lines, inferred, amount_missing) = (count("lines")?, count("inferred")?, count("amount_missing")?);
        let mut group = Group { lines, inferred, amount_missing, line: None };
        let day_text = field("day");
        let Some(amount) = decimal("amount")? else { return Ok(group) };
        if day_text.is_empty() {
            return Ok(group);
        }
        let date = NaiveDate::parse_from_str(&day_text[..day_text.len().min(10)], "%Y-%m-%d")
            .map_err(|_| Problem(format!("day `{day_text}` is not a date")))?;
        let nulls = field("nulls").as_bytes();
        // Text part `i` of the key (0 = account … 6 = currency, 7… = owner tags), null when its flag says so.
        let part = |i: usize| -> Option<String> {
            let at = if i < cur::TEXT_KEY.len() {
                self.at[self.keys[i + 1].as_str()]
            } else {
                self.tags[i - cur::TEXT_KEY.len()]
            };
            (nulls.get(i) != Some(&b'1')).then(|| record.get(at).unwrap_or_default().to_string())
        };
        let mut tags = BTreeMap::new();
        for (k, key) in self.owner_tag_keys.iter().enumerate() {
            if let Some(v) = part(cur::TEXT_KEY.len() + k) {
                tags.insert(key.as_str(), v);
            }
        }
        group.line = Some(CostLine {
            date,
            account_id: part(0).unwrap_or_default().into(),
            service: part(1).unwrap_or_default().into(),
            usage_type: part(2).unwrap_or_default().into(),
            operation: part(3).map(Into::into),
            resource_id: part(4).map(Into::into),
            tags: serde_json::to_string(&tags).unwrap_or_else(|_| "{}".into()).into(),
            usage_quantity: decimal("usage_quantity")?,
            usage_unit: part(5).unwrap_or_default().into(),
            amount,
            amortized_amount: decimal("amortized")?,
            currency: part(6).unwrap_or_default().into(),
            source: self.source.into(),
        });
        Ok(group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn legacy_cur() -> TableColumns {
        let mut columns: Vec<(String, String)> =
            cur::REQUIRED.iter().map(|c| (c.to_string(), "varchar".to_string())).collect();
        columns.push((cur::USAGE_START_DATE.into(), "timestamp(3)".into()));
        columns.push((cur::UNBLENDED_COST.into(), "double".into()));
        columns.push((cur::LINE_ITEM_TYPE.into(), "varchar".into()));
        columns.push(("resource_tags_user_team".into(), "varchar".into()));
        columns.push(("year".into(), "varchar".into()));
        columns.push(("month".into(), "varchar".into()));
        TableColumns::new(columns)
    }

    #[test]
    fn legacy_cur_prunes_year_and_month_partitions_of_the_window_both_spellings() {
        let r = rollup_sql("db", "cur", &legacy_cur(), None, &["team".into()], (day(2024, 12, 30), day(2025, 1, 2)))
            .unwrap();
        assert_eq!(r.format, ExportFormat::Cur);
        assert!(r.sql.contains(r#"("year" = '2024' AND "month" IN ('12', '12'))"#), "{}", r.sql);
        assert!(r.sql.contains(r#"("year" = '2025' AND "month" IN ('1', '01'))"#), "{}", r.sql);
        assert!(r.sql.contains("DATE '2024-12-30' AND DATE '2025-01-02'"), "{}", r.sql);
        // The flat tag column, the typed timestamp, a missing amortization input read as null.
        assert!(r.sql.contains(r#"CAST("resource_tags_user_team" AS varchar) AS tag_0"#), "{}", r.sql);
        assert!(r.sql.contains(r#"CAST("line_item_usage_start_date" AS date) AS day"#), "{}", r.sql);
        assert!(r.sql.contains("WHEN 'DiscountedUsage' THEN CAST(NULL AS DECIMAL(38,10))"), "{}", r.sql);
    }

    #[test]
    fn cur2_reads_tags_from_its_map_and_prunes_billing_periods() {
        let mut columns: Vec<(String, String)> =
            cur::REQUIRED.iter().map(|c| (c.to_string(), "varchar".to_string())).collect();
        columns.push(("resource_tags".into(), "map(varchar, varchar)".into()));
        columns.push(("billing_period".into(), "varchar".into()));
        let r = rollup_sql(
            "db",
            "t",
            &TableColumns::new(columns),
            None,
            &["team".into()],
            (day(2024, 9, 1), day(2024, 10, 31)),
        )
        .unwrap();
        assert!(r.sql.contains(r#""billing_period" IN ('2024-09', '2024-10')"#), "{}", r.sql);
        assert!(r.sql.contains(r#"element_at("resource_tags", 'user:team') AS tag_0"#), "{}", r.sql);
        // No line item type column: no amortized cost, never the unblended cost as a guess.
        assert!(r.sql.contains("CAST(NULL AS DECIMAL(38,10)) AS amortized"), "{}", r.sql);
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let columns = TableColumns::new([("line_item_usage_type".to_string(), "varchar".to_string())]);
        let e = rollup_sql("db", "t", &columns, None, &[], (day(2024, 9, 1), day(2024, 9, 30))).unwrap_err();
        assert_eq!(e.file, "db.t");
        assert!(e.message.contains("`line_item_usage_start_date` is missing"), "{}", e.message);
    }

    #[test]
    fn quotes_in_names_and_keys_are_escaped() {
        assert_eq!(ident(r#"a"b"#), r#""a""b""#);
        assert_eq!(text("it's"), "'it''s'");
    }

    /// Hand-written answer: a null operation and an empty resource id stay apart (the `nulls` flags), a tag that
    /// is null is no tag, sums are read as the decimals they are.
    #[test]
    fn the_result_keeps_null_and_empty_apart() {
        let csv = "day,account_id,service,usage_type,operation,resource_id,usage_unit,currency,tag_0,nulls,\
usage_quantity,amount,amortized,lines,amount_missing,inferred\n\
2024-09-01,1,AmazonEC2,BoxUsage,,,Hrs,USD,,00010000,24.0000000000,2.3040000000,,24,0,0\n\
2024-09-01,1,AmazonEC2,BoxUsage,RunInstances,i-1,Hrs,USD,pay,00000000,1.5,0.5,0.5,2,0,0\n";
        let (lines, summary) = read_result(csv.as_bytes(), &["team".into()], "cur", "q").unwrap();
        assert_eq!(summary.lines, 26);
        assert_eq!(lines.len(), 2);
        let empty = &lines[0];
        assert_eq!((empty.operation.as_deref(), empty.resource_id.as_deref()), (None, Some("")));
        assert_eq!(empty.tags, r#"{"team":""}"#);
        assert_eq!(empty.amortized_amount, None);
        assert_eq!(empty.amount, Decimal::new(2304, 3));
        assert_eq!(lines[1].tags, r#"{"team":"pay"}"#);
    }

    #[test]
    fn a_line_without_a_cost_fails_the_result() {
        let csv = "day,account_id,service,usage_type,operation,resource_id,usage_unit,currency,nulls,\
usage_quantity,amount,amortized,lines,amount_missing,inferred\n\
2024-09-01,1,AmazonEC2,BoxUsage,,,Hrs,USD,0000000,1,1,1,3,1,0\n";
        let e = read_result(csv.as_bytes(), &[], "cur", "query 42").unwrap_err();
        assert_eq!(e.file, "query 42");
        assert!(e.message.starts_with("1 line(s) without a readable cost"), "{}", e.message);
    }
}
