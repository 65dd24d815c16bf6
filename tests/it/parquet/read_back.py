"""Reads a run directory's Parquet tables back with pyarrow and DuckDB and compares them with its CSVs.

Usage: python read_back.py RUN_DIR. Prints one line per table; exits 1 on the first difference. Expected types are
written here, from the columns' meaning, not read from the Rust code: money and shares are decimal128(38, 18),
counts int64, rates float64, flags bool, the rest text. An empty CSV cell must be null in Parquet.
"""
import csv
import decimal
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

DEC = pa.decimal128(38, 18)
INT, FLOAT, BOOL, TEXT = pa.int64(), pa.float64(), pa.bool_(), pa.string()
# Text is Parquet's UTF8 string; the Arrow schema polars stores beside it says string_view, which pyarrow honours.
TEXTS = (pa.string(), pa.large_string(), pa.string_view())
# The same columns as DuckDB types them (a second reader, and the one BI tools' SQL engines resemble).
DUCK = {DEC: "DECIMAL(38,18)", INT: "BIGINT", FLOAT: "DOUBLE", BOOL: "BOOLEAN", TEXT: "VARCHAR"}

MONEY = ["current_monthly_usd", "right_sized_monthly_usd", "broker_local_monthly_usd", "tiered_storage_monthly_usd",
         "shared_storage_monthly_usd", "express_monthly_usd"]
CHOICE = {"cheapest": TEXT, "saving_monthly_usd": DEC, "flips_to": TEXT, "flip_retention_factor": DEC,
          "rate_flips_to": TEXT, "flip_rate_factor": DEC}
TYPES = {
    "owners": {"topics": INT, "partitions": INT, "retained_bytes": INT, "bytes_in_per_sec": FLOAT,
               "consumer_groups": INT, "max_group_lag": INT, "incomplete_topics": INT, "choice_topics": INT,
               **{m: DEC for m in MONEY}, **CHOICE},
    "topics": {"is_internal": BOOL, "partitions": INT, "replication_factor": INT, "retention_ms": INT,
               "retention_bytes": INT, "remote_storage_enable": BOOL, "retained_bytes": INT,
               "partitions_size_unknown": INT, "bytes_in_per_sec": FLOAT, "offset_bytes_in_per_sec": FLOAT,
               "consumer_groups": INT,
               "max_group_lag": INT, "cross_zone_follower_share": DEC, "groups_reading_remote": INT,
               "flip_retention_ms": INT, **{m: DEC for m in MONEY}, **CHOICE},
    "cost_components": {"today": BOOL, "quantity": DEC, "unit_price_usd": DEC, "price_multiplier": DEC,
                        "monthly_usd": DEC, "right_sized_monthly_usd": DEC},
    "prices": {"usd": DEC},
    "chargeback": {"billed_usd": DEC},
}


def typed(text, kind):
    """A CSV cell as the value Parquet should hold."""
    if text == "":
        return None
    if kind == DEC:
        return decimal.Decimal(text)
    if kind == INT:
        return int(text)
    if kind == FLOAT:
        return float(text)
    if kind == BOOL:
        return {"true": True, "false": False}[text]
    return text


def main(run_dir):
    run_dir = Path(run_dir)
    for table, types in TYPES.items():
        with open(run_dir / f"{table}.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        parquet = pq.read_table(run_dir / f"{table}.parquet")
        header = list(rows[0].keys())
        if parquet.column_names != header:
            sys.exit(f"{table}: columns {parquet.column_names} != CSV {header}")
        for name in header:
            want = types.get(name, TEXT)
            got = parquet.schema.field(name).type
            if got != want and not (want == TEXT and got in TEXTS):
                sys.exit(f"{table}.{name}: type {got}, expected {want}")
        path = run_dir / f"{table}.parquet"
        for name, duck_type, *_ in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall():
            want = DUCK[types.get(name, TEXT)]
            if duck_type != want:
                sys.exit(f"{table}.{name}: DuckDB reads {duck_type}, expected {want}")
        values = parquet.to_pylist()
        if len(values) != len(rows):
            sys.exit(f"{table}: {len(values)} rows, CSV {len(rows)}")
        for i, (row, got) in enumerate(zip(rows, values)):
            for name in header:
                want = typed(row[name], types.get(name, TEXT))
                if got[name] != want:
                    sys.exit(f"{table} row {i} {name}: parquet {got[name]!r}, CSV {row[name]!r}")
        # DuckDB reads the same file to the same total (a second, independent Parquet reader).
        if "monthly_usd" in header or "current_monthly_usd" in header:
            column = "monthly_usd" if "monthly_usd" in header else "current_monthly_usd"
            total = duckdb.sql(f"SELECT SUM({column}) FROM read_parquet('{path}')").fetchall()[0][0]
            csv_total = sum(decimal.Decimal(r[column]) for r in rows if r[column] != "")
            if decimal.Decimal(total) != csv_total:
                sys.exit(f"{table}: DuckDB sums {column} to {total}, the CSV to {csv_total}")
        print(f"{table}: {len(rows)} rows, {len(header)} columns, types and values equal to the CSV")


if __name__ == "__main__":
    main(sys.argv[1])
