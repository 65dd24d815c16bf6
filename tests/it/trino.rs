//! The Athena source's SQL, run on a real Trino (Athena engine v3's engine; `bash ci/trino.sh start`, which
//! `bash ci/test.sh` runs), over the public samples in ../shared/data/public (by path: the tables' folders hold
//! hard links to them, never copies in the project):
//! - `wal_Nov2018-WorkshopCUR-00001.snappy.parquet`: awslabs/aws-well-architected-labs (Apache-2.0), as a legacy
//!   CUR table (`year`/`month` partitions, flat tag columns) and as a CUR 2.0 table made from it by Trino
//!   (`billing_period`, a tag MAP);
//! - `focus-1.0_sample_1000.csv`: FinOps Foundation, FOCUS Sample Data (CC BY 4.0), as a typed FOCUS table made from
//!   it by Trino (`billing_period`, a `tags` MAP, as AWS's FOCUS Data Export has them).
//!
//! The generated rollup's cost lines must equal the local path's (polars over the same file) line for line: the
//! same keys, and every sum equal to the cent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use chrono::NaiveDate;
use kafka_finops::collect::aws::athena_sql::{self, TableColumns};
use kafka_finops::collect::aws::exports::{ExportFile, read_exports};
use kafka_finops::schema::CostLine;
use rust_decimal::Decimal;

/// One schema per test run; the tests that use it run one at a time.
static TRINO: Mutex<()> = Mutex::new(());

struct Trino {
    java: String,
    jar: String,
    server: String,
}

fn trino() -> Option<Trino> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (var("KAFKA_FINOPS_TRINO"), var("KAFKA_FINOPS_TRINO_JAVA"), var("KAFKA_FINOPS_TRINO_CLI_JAR")) {
        (Some(server), Some(java), Some(jar)) => Some(Trino { java, jar, server }),
        _ => {
            crate::support::service_missing("KAFKA_FINOPS_REQUIRE_TRINO", "Trino");
            None
        }
    }
}

impl Trino {
    /// One statement through Trino's CLI; the answer as CSV with a header (empty for statements without rows).
    fn sql(&self, schema: &str, statement: &str) -> Vec<u8> {
        let out = Command::new(&self.java)
            .args(["-Xmx256m", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED"])
            .args(["-Dorg.jline.terminal.dumb=true", "-jar", &self.jar])
            .args(["--server", &self.server, "--user", "kafka-finops", "--timezone=UTC"])
            .args(["--catalog", "hive", "--schema", schema])
            .args(["--output-format", "CSV_HEADER", "--execute", statement])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "Trino refused:\n{statement}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// The rollup the Athena source would run on `table`, run here, read as the source reads Athena's answer.
    fn rollup(&self, schema: &str, table: &str, keys: &[String], window: (NaiveDate, NaiveDate)) -> Vec<CostLine> {
        let columns = TableColumns::from_csv(&self.sql(schema, &athena_sql::columns_sql(schema, table))[..]).unwrap();
        assert!(!columns.is_empty(), "{schema}.{table} has no columns");
        let rollup = athena_sql::rollup_sql(schema, table, &columns, None, keys, window).unwrap();
        let answer = self.sql(schema, &rollup.sql);
        athena_sql::read_result(&answer[..], keys, rollup.format.name(), table).unwrap().0
    }
}

fn public_data(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/public").join(name);
    assert!(path.is_file(), "{} is missing: the tests read ../shared/data/public by path", path.display());
    path.canonicalize().unwrap()
}

/// `dir/<partition folders>/<name>` as a hard link to `target`: Trino's local file system does not follow symbolic
/// links (it reads a link's own 69 bytes: a Parquet file is "malformed", a CSV silently empty). On another file
/// system than the shared data's, a copy under /tmp, removed with the folder.
fn link(dir: &Path, partition: &str, target: &Path) {
    let folder = dir.join(partition);
    std::fs::create_dir_all(&folder).unwrap();
    let to = folder.join(target.file_name().unwrap());
    if std::fs::hard_link(target, &to).is_err() {
        std::fs::copy(target, &to).unwrap();
    }
}

/// A fresh schema whose tables live under a temporary folder (readable by the Trino server: same machine).
fn schema(trino: &Trino) -> (String, tempfile::TempDir) {
    let dir = tempfile::Builder::new().prefix("kafka-finops-trino-").tempdir_in("/tmp").unwrap();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let name = format!("kf_{nanos}");
    trino.sql("default", &format!("CREATE SCHEMA hive.{name} WITH (location = 'local://{}')", dir.path().display()));
    (name, dir)
}

/// Trino's type for a column of the Parquet file, as Glue's crawler (and the CUR's CloudFormation) would declare it.
fn hive_type(dtype: &polars::prelude::DataType) -> Option<&'static str> {
    use polars::prelude::DataType::*;
    Some(match dtype {
        String => "varchar",
        Float64 | Float32 => "double",
        Int64 | Int32 => "bigint",
        Datetime(_, _) => "timestamp(3)",
        Date => "date",
        Boolean => "boolean",
        _ => return None,
    })
}

/// The two paths' lines, compared: the same keys in the same order, every sum equal to the cent (sums are kept to
/// 10 places; the engines convert the file's doubles to decimals each in its own way, within 1e-10 per line).
fn assert_same_lines(what: &str, athena: &[CostLine], local: &[CostLine]) {
    assert_eq!(athena.len(), local.len(), "{what}: {} cost lines from Trino, {} locally", athena.len(), local.len());
    let cent = Decimal::new(5, 3);
    let close = |a: Option<Decimal>, b: Option<Decimal>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < cent,
        (a, b) => a == b,
    };
    let mut largest = Decimal::ZERO;
    for (a, l) in athena.iter().zip(local) {
        let key =
            |c: &CostLine| (c.date, c.account_id.clone(), c.service.clone(), c.usage_type.clone(), c.operation.clone());
        assert_eq!(key(a), key(l), "{what}: line keys differ");
        assert_eq!(
            (&a.resource_id, &a.usage_unit, &a.currency, &a.tags),
            (&l.resource_id, &l.usage_unit, &l.currency, &l.tags),
            "{what}"
        );
        assert!(close(Some(a.amount), Some(l.amount)), "{what}: amount {} vs {} on {:?}", a.amount, l.amount, key(l));
        assert!(
            close(a.amortized_amount, l.amortized_amount),
            "{what}: amortized {:?} vs {:?} on {:?}",
            a.amortized_amount,
            l.amortized_amount,
            key(l)
        );
        assert!(
            close(a.usage_quantity, l.usage_quantity),
            "{what}: quantity {:?} vs {:?} on {:?}",
            a.usage_quantity,
            l.usage_quantity,
            key(l)
        );
        largest = largest.max((a.amount - l.amount).abs());
    }
    let total = |lines: &[CostLine]| lines.iter().map(|l| l.amount).sum::<Decimal>();
    assert!((total(athena) - total(local)).abs() < cent, "{what}: totals {} vs {}", total(athena), total(local));
    eprintln!("{what}: {} cost lines equal; largest difference of an amount {largest}", athena.len());
}

fn local(path: &Path, keys: &[String]) -> Vec<CostLine> {
    let file = ExportFile { path: path.to_path_buf(), display: path.display().to_string() };
    read_exports(&[file], None, keys, "local").unwrap().0
}

#[test]
fn the_athena_rollup_equals_the_local_one_on_the_real_cur_as_legacy_cur_and_as_cur_2() {
    let Some(trino) = trino() else { return };
    let _guard = TRINO.lock().unwrap_or_else(|e| e.into_inner());
    let sample = public_data("wal_Nov2018-WorkshopCUR-00001.snappy.parquet");
    let keys = vec!["cost_center".to_string(), "name".to_string()];
    let november = (NaiveDate::from_ymd_opt(2018, 11, 1).unwrap(), NaiveDate::from_ymd_opt(2018, 11, 30).unwrap());
    let expected = local(&sample, &keys);

    let (schema, dir) = schema(&trino);
    let legacy = dir.path().join("legacy");
    link(&legacy, "year=2018/month=11", &sample);
    let file_schema = {
        use polars::prelude::*;
        let mut scan = LazyFrame::scan_parquet(PlRefPath::new(sample.to_str().unwrap()), Default::default()).unwrap();
        scan.collect_schema().unwrap()
    };
    let declared: Vec<String> =
        file_schema.iter().filter_map(|(name, dtype)| hive_type(dtype).map(|t| format!("\"{name}\" {t}"))).collect();
    trino.sql(
        &schema,
        &format!(
            "CREATE TABLE legacy ({}, \"year\" varchar, \"month\" varchar) WITH (format = 'PARQUET', \
             partitioned_by = ARRAY['year', 'month'], external_location = 'local://{}')",
            declared.join(", "),
            legacy.display()
        ),
    );
    trino.sql(&schema, &format!("CALL system.sync_partition_metadata('{schema}', 'legacy', 'ADD')"));
    let legacy_lines = trino.rollup(&schema, "legacy", &keys, november);
    assert_same_lines("legacy CUR", &legacy_lines, &expected);

    // CUR 2.0's shape, made by Trino from the same lines: the tags in one MAP, keyed `user:<key>`.
    let line_columns: Vec<String> = file_schema
        .iter()
        .filter(|(name, dtype)| !name.starts_with("resource_tags_user_") && hive_type(dtype).is_some())
        .map(|(name, _)| format!("\"{name}\""))
        .collect();
    trino.sql(
        &schema,
        &format!(
            "CREATE TABLE cur2 WITH (format = 'PARQUET', partitioned_by = ARRAY['billing_period'], \
             external_location = 'local://{}') AS SELECT {}, map_filter(map(ARRAY['user:cost_center', 'user:name'], \
             ARRAY[resource_tags_user_cost_center, resource_tags_user_name]), (k, v) -> v IS NOT NULL) AS \
             resource_tags, '2018-11' AS billing_period FROM legacy",
            dir.path().join("cur2").display(),
            line_columns.join(", ")
        ),
    );
    let cur2_lines = trino.rollup(&schema, "cur2", &keys, november);
    assert_same_lines("CUR 2.0", &cur2_lines, &expected);
}

#[test]
fn the_athena_rollup_equals_the_local_one_on_the_real_focus_sample_as_a_focus_data_export() {
    let Some(trino) = trino() else { return };
    let _guard = TRINO.lock().unwrap_or_else(|e| e.into_inner());
    let sample = public_data("focus-1.0_sample_1000.csv");
    let keys = vec!["business_unit".to_string(), "application".to_string(), " org".to_string()];
    let september = (NaiveDate::from_ymd_opt(2024, 9, 1).unwrap(), NaiveDate::from_ymd_opt(2024, 9, 30).unwrap());
    let expected = local(&sample, &keys);

    let (schema, dir) = schema(&trino);
    let raw = dir.path().join("raw");
    link(&raw, "", &sample);
    let header = csv::Reader::from_path(&sample).unwrap().headers().unwrap().clone();
    let names: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
    trino.sql(
        &schema,
        &format!(
            "CREATE TABLE raw ({}) WITH (format = 'CSV', skip_header_line_count = 1, external_location = 'local://{}')",
            names.iter().map(|n| format!("\"{n}\" varchar")).collect::<Vec<_>>().join(", "),
            raw.display()
        ),
    );
    // Typed as AWS's FOCUS Data Export is: timestamps, decimals, a `tags` MAP, `billing_period` partitions. The
    // sample writes a null as `NULL`.
    let value = |n: &str| format!("NULLIF(NULLIF(\"{n}\", 'NULL'), '')");
    let typed: Vec<String> = names
        .iter()
        .map(|n| match n.as_str() {
            "chargeperiodstart" | "chargeperiodend" | "billingperiodstart" | "billingperiodend" => {
                format!("CAST({} AS timestamp(3)) AS \"{n}\"", value(n))
            }
            "billedcost" | "effectivecost" | "listcost" | "contractedcost" | "consumedquantity" | "pricingquantity" => {
                format!("CAST({} AS decimal(38,10)) AS \"{n}\"", value(n))
            }
            "tags" => format!("CAST(json_parse({}) AS map(varchar, varchar)) AS \"tags\"", value(n)),
            _ => format!("{} AS \"{n}\"", value(n)),
        })
        .collect();
    trino.sql(
        &schema,
        &format!(
            "CREATE TABLE focus WITH (format = 'PARQUET', partitioned_by = ARRAY['billing_period'], \
             external_location = 'local://{}') AS SELECT {}, '2024-09' AS billing_period FROM raw",
            dir.path().join("focus").display(),
            typed.join(", ")
        ),
    );
    let lines = trino.rollup(&schema, "focus", &keys, september);
    assert!(lines.iter().any(|l| l.usage_type == "DataTransfer-Regional-Bytes"), "usage types inferred");
    assert!(lines.iter().any(|l| l.tags.contains("\" org\"")), "a tag key with a space");
    assert_same_lines("FOCUS", &lines, &expected);
}
