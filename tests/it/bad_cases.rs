//! The bad-input suite, table-driven: one mutation of the demo fixture per case, each checked against the failure
//! contract. An error exits 2, names file or table, line and field, and writes nothing (`run` and `validate` both);
//! a warning writes the report, exits 1 and lists the finding (docs/input-rules.md).

use std::path::Path;

use crate::support::*;

enum Expect {
    /// Exit 2 with every needle in stderr, nothing written.
    Error(&'static [&'static str]),
    /// Exit 1, the report written, the rule among its findings and every needle in stderr; `validate` exits 1 with
    /// the same needles.
    Warning(&'static str, &'static [&'static str]),
}

struct Case {
    name: &'static str,
    mutate: fn(&Path),
    expect: Expect,
}

/// Rewrites one cell of a scenario CSV (`row` counts data rows from 0; its line is `row + 2`).
fn set(dir: &Path, file: &str, row: usize, column: &str, value: &str) {
    rewrite(dir, file, |header, rows| {
        let i = header.iter().position(|h| h == column).unwrap_or_else(|| panic!("no {column} in {file}"));
        rows[row][i] = value.to_string();
    });
}

/// Appends a copy of data row `row`, changed by `change`, at the end (line = rows + 2).
fn repeat(dir: &Path, file: &str, row: usize, change: &[(&str, &str)]) {
    rewrite(dir, file, |header, rows| {
        let mut copy = rows[row].clone();
        for (column, value) in change {
            copy[header.iter().position(|h| h == column).unwrap()] = value.to_string();
        }
        rows.push(copy);
    });
}

/// Keeps only the rows `keep` says yes to.
fn keep(dir: &Path, file: &str, keep: impl Fn(&[String], &[String]) -> bool) {
    rewrite(dir, file, |header, rows| rows.retain(|r| keep(header, r)));
}

fn rewrite(dir: &Path, file: &str, f: impl FnOnce(&[String], &mut Vec<Vec<String>>)) {
    let path = dir.join(file);
    let (header, mut rows) = read_csv(&path);
    f(&header, &mut rows);
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&header).unwrap();
    for r in rows {
        w.write_record(&r).unwrap();
    }
    w.flush().unwrap();
}

fn replace(dir: &Path, file: &str, from: &str, to: &str) {
    edit(&dir.join(file), from, to);
}

/// Writes a `log_dirs.csv` (the demo has none) with these rows.
fn log_dirs(dir: &Path, rows: &str) {
    std::fs::write(dir.join("log_dirs.csv"), format!("cluster,broker,log_dir,total_bytes,usable_bytes,error\n{rows}"))
        .unwrap();
}

fn append(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    let mut s = std::fs::read_to_string(&path).unwrap();
    s.push_str(text);
    std::fs::write(path, s).unwrap();
}

fn rows(dir: &Path, file: &str) -> usize {
    read_csv(&dir.join(file)).1.len()
}

const CASES: &[Case] = &[
    // --- metric points: non-finite, absurd, duplicated -----------------------------------------------------------
    Case {
        name: "a NaN write rate",
        mutate: |d| set(d, "metric_points.csv", 2, "value", "NaN"),
        expect: Expect::Error(&["metric_points:4: `value`", "NaN"]),
    },
    Case {
        name: "an infinite write rate",
        mutate: |d| set(d, "metric_points.csv", 2, "value", "inf"),
        expect: Expect::Error(&["metric_points:4: `value`", "inf"]),
    },
    Case {
        name: "a negative infinite rate",
        mutate: |d| set(d, "metric_points.csv", 0, "value", "-inf"),
        expect: Expect::Error(&["metric_points:2: `value`"]),
    },
    Case {
        name: "a rate of 1e308",
        mutate: |d| set(d, "metric_points.csv", 3, "value", "1e308"),
        expect: Expect::Error(&["metric_points:5: `value`", "Bytes/Second"]),
    },
    Case {
        name: "a rate of 1e20 bytes/s",
        mutate: |d| set(d, "metric_points.csv", 7, "value", "1e20"),
        expect: Expect::Error(&["metric_points:9: `value`", "100000000000000000000"]),
    },
    Case {
        name: "a negative rate",
        mutate: |d| set(d, "metric_points.csv", 3, "value", "-5"),
        expect: Expect::Error(&["metric_points:5: `value`", "-5"]),
    },
    Case {
        name: "two points for one timestamp, equal",
        mutate: |d| repeat(d, "metric_points.csv", 0, &[]),
        expect: Expect::Error(&[
            "metric_points:3512: `namespace, metric, dimensions, timestamp, stat`",
            "repeats line 2",
        ]),
    },
    Case {
        name: "two points for one timestamp, conflicting",
        mutate: |d| repeat(d, "metric_points.csv", 0, &[("value", "99999")]),
        expect: Expect::Error(&["metric_points:3512:", "repeats line 2"]),
    },
    Case {
        name: "a metric value that is not a number",
        mutate: |d| set(d, "metric_points.csv", 1, "value", "fast"),
        expect: Expect::Error(&["metric_points.csv:3", "value"]),
    },
    Case {
        name: "a timestamp that is not a time",
        mutate: |d| set(d, "metric_points.csv", 1, "timestamp", "yesterday"),
        expect: Expect::Error(&["metric_points.csv:3: `timestamp`: `yesterday`", "expected a UTC time"]),
    },
    // --- partitions: sizes, offsets, placement ------------------------------------------------------------------
    Case {
        name: "a partition of i64::MAX bytes",
        mutate: |d| set(d, "partitions.csv", 0, "size_bytes", "9223372036854775807"),
        expect: Expect::Error(&["partitions:2: `size_bytes`", "9223372036854775807 bytes"]),
    },
    Case {
        name: "two partitions of i64::MAX bytes",
        mutate: |d| {
            set(d, "partitions.csv", 0, "size_bytes", "9223372036854775807");
            set(d, "partitions.csv", 1, "size_bytes", "9223372036854775807");
        },
        expect: Expect::Error(&["partitions:2: `size_bytes`", "partitions:3: `size_bytes`"]),
    },
    Case {
        name: "a partition just over 1 PiB",
        mutate: |d| set(d, "partitions.csv", 3, "size_bytes", "1125899906842625"),
        expect: Expect::Error(&["partitions:5: `size_bytes`"]),
    },
    Case {
        name: "a negative partition size",
        mutate: |d| set(d, "partitions.csv", 0, "size_bytes", "-1"),
        expect: Expect::Error(&["partitions:2: `size_bytes`"]),
    },
    Case {
        name: "a size that is not a number",
        mutate: |d| set(d, "partitions.csv", 0, "size_bytes", "lots"),
        expect: Expect::Error(&["partitions.csv:2", "size_bytes"]),
    },
    Case {
        name: "earliest offset after latest",
        mutate: |d| set(d, "partitions.csv", 2, "earliest_offset", "99999999999"),
        expect: Expect::Error(&["partitions:4: `earliest_offset, latest_offset`"]),
    },
    Case {
        name: "a negative earliest offset",
        mutate: |d| set(d, "partitions.csv", 2, "earliest_offset", "-3"),
        expect: Expect::Error(&["partitions:4: `earliest_offset, latest_offset`", "earliest -3"]),
    },
    Case {
        name: "a replica on a broker not in brokers",
        mutate: |d| set(d, "partitions.csv", 0, "replicas", "1;5;99"),
        expect: Expect::Error(&["partitions:2: `replicas`", "broker 99", "`demo-msk`"]),
    },
    Case {
        name: "replica ids that are not numbers",
        mutate: |d| set(d, "partitions.csv", 0, "replicas", "1;five;3"),
        expect: Expect::Error(&["partitions:2: `replicas`", "1;five;3"]),
    },
    Case {
        name: "racks that do not line up with replicas",
        mutate: |d| set(d, "partitions.csv", 0, "replica_racks", "use1-az1;use1-az2"),
        expect: Expect::Error(&["partitions:2: `replica_racks`", "2 racks for 3 replicas"]),
    },
    Case {
        name: "a partition of a topic not in topics",
        mutate: |d| set(d, "partitions.csv", 0, "topic", "payments.ghost"),
        expect: Expect::Error(&["partitions:2: `topic`", "payments.ghost"]),
    },
    Case {
        name: "a repeated partition row",
        mutate: |d| {
            let n = rows(d, "partitions.csv");
            repeat(d, "partitions.csv", 4, &[]);
            assert!(n > 4);
        },
        expect: Expect::Error(&["`cluster, topic, partition`", "repeats line 6"]),
    },
    // --- topics, brokers, offsets: keys and ranges ---------------------------------------------------------------
    Case {
        name: "a repeated topic row",
        mutate: |d| repeat(d, "topics.csv", 0, &[]),
        expect: Expect::Error(&["topics:", "`cluster, topic`", "repeats line 2"]),
    },
    Case {
        name: "a repeated broker",
        mutate: |d| repeat(d, "brokers.csv", 1, &[("host", "elsewhere")]),
        expect: Expect::Error(&["brokers:8: `cluster, broker_id`", "repeats line 3"]),
    },
    Case {
        name: "a replication factor of 0",
        mutate: |d| set(d, "topics.csv", 0, "replication_factor", "0"),
        expect: Expect::Error(&["topics:2: `replication_factor`", ": 0; expected at least 1"]),
    },
    Case {
        name: "a topic of 0 partitions",
        mutate: |d| set(d, "topics.csv", 0, "partitions", "0"),
        expect: Expect::Error(&["topics:2: `partitions`"]),
    },
    Case {
        name: "a boolean that is not one",
        mutate: |d| set(d, "topics.csv", 0, "is_internal", "maybe"),
        expect: Expect::Error(&["topics.csv:2", "is_internal"]),
    },
    Case {
        name: "two lags of i64::MAX",
        mutate: |d| {
            set(d, "consumer_group_offsets.csv", 0, "lag", "9223372036854775807");
            set(d, "consumer_group_offsets.csv", 1, "lag", "9223372036854775807");
        },
        expect: Expect::Error(&[
            "consumer_group_offsets: `lag`: cluster `demo-msk`: 184467440737",
            "messages of lag in all",
        ]),
    },
    Case {
        name: "a repeated committed offset",
        mutate: |d| repeat(d, "consumer_group_offsets.csv", 0, &[("lag", "7")]),
        expect: Expect::Error(&["`cluster, group_id, topic, partition`", "repeats line 2"]),
    },
    Case {
        name: "a partition number that is not a number",
        mutate: |d| set(d, "consumer_group_offsets.csv", 0, "partition", "zero"),
        expect: Expect::Error(&["consumer_group_offsets.csv:2", "partition"]),
    },
    // --- money, windows, duplicated sources ------------------------------------------------------------------------
    Case {
        name: "a cost line in EUR",
        mutate: |d| set(d, "cost_lines.csv", 1, "currency", "EUR"),
        expect: Expect::Error(&["cost_lines:3: `currency`", "`EUR`"]),
    },
    Case {
        name: "a cost line without currency",
        mutate: |d| set(d, "cost_lines.csv", 1, "currency", ""),
        expect: Expect::Error(&["cost_lines:3: `currency`", "no currency"]),
    },
    Case {
        name: "an allocation in GBP",
        mutate: |d| set(d, "cost_allocations.csv", 0, "currency", "GBP"),
        expect: Expect::Error(&["cost_allocations:2: `currency`", "`GBP`"]),
    },
    Case {
        name: "a repeated cost line",
        mutate: |d| repeat(d, "cost_lines.csv", 3, &[]),
        expect: Expect::Error(&["cost_lines:242: `every column`", "repeats line 5"]),
    },
    Case {
        name: "a billion-dollar line",
        mutate: |d| set(d, "cost_lines.csv", 0, "amount", "2000000000"),
        expect: Expect::Error(&["cost_lines:2: `amount`", "$2000000000"]),
    },
    Case {
        name: "an amount with a decimal comma",
        mutate: |d| set(d, "cost_lines.csv", 0, "amount", "120,96"),
        expect: Expect::Error(&["cost_lines.csv:2: `amount`: `120,96`", "a decimal number with a dot"]),
    },
    Case {
        name: "a date that does not exist",
        mutate: |d| set(d, "cost_lines.csv", 0, "date", "2026-13-01"),
        expect: Expect::Error(&["cost_lines.csv:2: `date`: `2026-13-01`", "a date, YYYY-MM-DD"]),
    },
    Case {
        name: "a cost line before its source's window",
        mutate: |d| set(d, "cost_lines.csv", 0, "date", "2026-10-01"),
        expect: Expect::Error(&["cost_lines:2: `date`", "2026-10-01 of source `aws:cost-lines` is outside its window"]),
    },
    Case {
        name: "a cost line after its source's window",
        mutate: |d| set(d, "cost_lines.csv", 0, "date", "2026-12-24"),
        expect: Expect::Error(&["cost_lines:2: `date`", "2026-12-24"]),
    },
    Case {
        name: "a window whose first day is after its last",
        mutate: |d| replace(d, "scenario.toml", "first = \"2026-10-27\"", "first = \"2026-12-27\""),
        expect: Expect::Error(&["scenario.toml: `sources.window`", "first 2026-12-27 is after last 2026-11-25"]),
    },
    Case {
        name: "an unknown table listed by a source",
        mutate: |d| replace(d, "scenario.toml", "\"metric_points\"]", "\"metric_points\", \"metrics_extra\"]"),
        expect: Expect::Error(&["scenario.toml: `sources.tables`", "`metrics_extra`"]),
    },
    Case {
        name: "a disk threshold above the whole disk",
        mutate: |d| replace(d, "kafka-finops.toml", "disk_threshold = 0.8", "disk_threshold = 1.5"),
        expect: Expect::Error(&["`capacity.disk_threshold`", "(a share of the disk)"]),
    },
    Case {
        name: "a gap ledger that never watches",
        mutate: |d| replace(d, "kafka-finops.toml", "watch_runs = 3", "watch_runs = 0"),
        expect: Expect::Error(&["`closure.watch_runs`", "expected 1 to 1000 runs, found 0"]),
    },
    Case {
        name: "an ACL in words Kafka does not use",
        mutate: |d| {
            replace(
                d,
                "acls.csv",
                "TOPIC,orders.,PREFIXED,User:svc-orders,*,ALL,ALLOW",
                "TOPIC,orders.,PREFIXED,User:svc-orders,*,ALL,PERMIT",
            )
        },
        expect: Expect::Error(&["acls:9", "PERMIT ALL for User:svc-orders", "ALLOW or DENY"]),
    },
    Case {
        name: "the same scenario listed twice",
        mutate: |d| {
            append(d, "kafka-finops.toml", "\n[[sources]]\nname = \"demo again\"\nkind = \"scenario\"\npath = \".\"\n")
        },
        // Once, at the config line, not as every row repeated (it was 111 `repeats line` errors).
        expect: Expect::Error(&[
            "kafka-finops.toml:",
            ": `sources[1]`: source `demo again` reads the same as source `demo`",
            "1 problem",
        ]),
    },
    // --- scenario files ---------------------------------------------------------------------------------------------
    Case {
        name: "a header with a renamed column",
        mutate: |d| replace(d, "topics.csv", "replication_factor", "rf"),
        expect: Expect::Error(&["topics.csv:1", "expected exactly"]),
    },
    Case {
        name: "a required table's file missing",
        mutate: |d| std::fs::remove_file(d.join("topics.csv")).unwrap(),
        expect: Expect::Error(&["topics.csv", "a scenario needs every table's file"]),
    },
    Case {
        name: "a row with a missing field",
        mutate: |d| append(d, "brokers.csv", "demo-msk,7\n"),
        expect: Expect::Error(&["brokers.csv:8"]),
    },
    Case {
        name: "bytes that are not UTF-8",
        mutate: |d| {
            let path = d.join("brokers.csv");
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend_from_slice(b"demo-msk,8,use1-az1,b-8.\xff\xfe.example\n");
            std::fs::write(path, bytes).unwrap();
        },
        expect: Expect::Error(&["brokers.csv:8: not UTF-8: byte 0xff at column 25"]),
    },
    Case {
        name: "a scenario.toml that is not TOML",
        mutate: |d| replace(d, "scenario.toml", "name = \"demo\"", "name = demo"),
        expect: Expect::Error(&["scenario.toml:2"]),
    },
    // --- config ----------------------------------------------------------------------------------------------------
    Case {
        name: "an unknown config key",
        mutate: |d| replace(d, "kafka-finops.toml", "zone_aware_clients", "zone_aware_client"),
        expect: Expect::Error(&["kafka-finops.toml:", "zone_aware_client"]),
    },
    Case {
        name: "a target utilisation above 1",
        mutate: |d| replace(d, "kafka-finops.toml", "target_disk_utilization = 0.6", "target_disk_utilization = 1.5"),
        expect: Expect::Error(&["kafka-finops.toml:", "target_disk_utilization"]),
    },
    Case {
        name: "a month of 800 hours",
        mutate: |d| {
            replace(
                d,
                "kafka-finops.toml",
                "target_disk_utilization = 0.6",
                "target_disk_utilization = 0.6\nmonth_hours = 800",
            )
        },
        expect: Expect::Error(&["kafka-finops.toml:", "month_hours"]),
    },
    Case {
        name: "an unknown WAL kind",
        mutate: |d| {
            replace(d, "kafka-finops.toml", "wal_gib_per_broker = 10", "wal_gib_per_broker = 10\nwal = \"floppy\"")
        },
        expect: Expect::Error(&[
            "kafka-finops.toml:",
            "expected one of `ebs`, `regional-disk`, `s3`, `s3-express`, found `floppy`",
        ]),
    },
    Case {
        name: "client zones named twice",
        mutate: |d| replace(d, "kafka-finops.toml", "zones = 2", "zones = [\"use1-az1\", \"use1-az1\"]"),
        expect: Expect::Error(&["kafka-finops.toml:", "expected distinct, non-empty zone names"]),
    },
    Case {
        name: "weights for a zone count",
        mutate: |d| replace(d, "kafka-finops.toml", "zones = 2", "zones = 2\nweights = [1, 2]"),
        expect: Expect::Error(&["kafka-finops.toml:", "`weights` needs named `zones`"]),
    },
    Case {
        name: "a zone count of 9",
        mutate: |d| replace(d, "kafka-finops.toml", "zones = 2", "zones = 9"),
        expect: Expect::Error(&["kafka-finops.toml:", "from 1 to 6, found 9"]),
    },
    Case {
        name: "a zone given as one string",
        mutate: |d| replace(d, "kafka-finops.toml", "zones = 2", "zones = \"use1-az1\""),
        expect: Expect::Error(&["kafka-finops.toml:", "a zone count (`zones = 2`) or a list of zone names"]),
    },
    Case {
        name: "a negative price",
        mutate: |d| replace(d, "kafka-finops.toml", "# \"ebs.gp3.storage\" = 0.08", "\"ebs.gp3.storage\" = -0.08"),
        expect: Expect::Error(&["kafka-finops.toml:", "expected a price of 0 or more"]),
    },
    Case {
        name: "an unknown price key",
        mutate: |d| replace(d, "kafka-finops.toml", "# \"ebs.gp3.storage\" = 0.08", "\"ebs.gp9.storage\" = 0.08"),
        expect: Expect::Error(&["kafka-finops.toml:", "unknown price key `ebs.gp9.storage`"]),
    },
    Case {
        name: "a shared storage floor of 0 brokers",
        mutate: |d| {
            replace(
                d,
                "kafka-finops.toml",
                "target_disk_utilization = 0.6",
                "target_disk_utilization = 0.6\nshared_min_brokers = 0",
            )
        },
        expect: Expect::Error(&["kafka-finops.toml:", "`model.shared_min_brokers`", "from 1 to 10000"]),
    },
    Case {
        name: "a sizing percentile of 101",
        mutate: |d| {
            replace(
                d,
                "kafka-finops.toml",
                "target_disk_utilization = 0.6",
                "target_disk_utilization = 0.6\nsizing_percentile = 101",
            )
        },
        expect: Expect::Error(&["kafka-finops.toml:", "`model.sizing_percentile`"]),
    },
    Case {
        name: "a shared instance type that is not one",
        mutate: |d| {
            replace(
                d,
                "kafka-finops.toml",
                "target_disk_utilization = 0.6",
                "target_disk_utilization = 0.6\nshared_instance_type = \"big box\"",
            )
        },
        expect: Expect::Error(&["kafka-finops.toml:", "expected an EC2 instance type"]),
    },
    Case {
        name: "a what-if naming a topic nobody has",
        mutate: |d| {
            append(
                d,
                "kafka-finops.toml",
                "\n[[what_if]]\nname = \"ghost\"\ntopics = [\"ghost.topic\"]\nretention_hours = 1\n",
            )
        },
        expect: Expect::Error(&["what_if", "ghost.topic"]),
    },
    Case {
        name: "a client rule for an owner nobody declared",
        mutate: |d| replace(d, "kafka-finops.toml", "owner = \"search\"", "owner = \"serch\""),
        expect: Expect::Error(&["kafka-finops.toml:", "unknown owner `serch`"]),
    },
    Case {
        name: "a catalog rule with a broken regex",
        mutate: |d| {
            replace(d, "catalog.toml", "regex = \"(clickstream|analytics)\\\\..+\"", "regex = \"(clickstream\"")
        },
        expect: Expect::Error(&["catalog.toml:", "invalid regex"]),
    },
    Case {
        name: "a log dir with more usable bytes than its volume holds",
        mutate: |d| log_dirs(d, "demo-msk,1,/kafka/datalogs,1000,2000,\n"),
        expect: Expect::Error(&["log_dirs:2: `total_bytes, usable_bytes`", "total 1000, usable 2000"]),
    },
    Case {
        name: "a log dir of negative size",
        mutate: |d| log_dirs(d, "demo-msk,1,/kafka/datalogs,-5,,\n"),
        expect: Expect::Error(&["log_dirs:2: `total_bytes, usable_bytes`", "total -5, usable unknown"]),
    },
    Case {
        name: "a log dir on a broker the cluster does not list",
        mutate: |d| log_dirs(d, "demo-msk,9,/kafka/datalogs,1000,500,\n"),
        expect: Expect::Error(&["log_dirs:2: `broker`", "lists no broker 9"]),
    },
    Case {
        name: "a replica list naming one broker twice",
        mutate: |d| {
            set(d, "partitions.csv", 0, "replicas", "1;5;1");
            set(d, "partitions.csv", 0, "replica_racks", "use1-az1;use1-az2;use1-az1");
        },
        expect: Expect::Error(&["partitions:2: `replicas`", "name broker 1 twice"]),
    },
    Case {
        name: "a partition numbered at the topic's partition count",
        mutate: |d| set(d, "partitions.csv", 0, "partition", "12"),
        expect: Expect::Error(&["partitions:2: `partition`", "`payments.transactions` partition 12", "declares 12"]),
    },
    // --- warnings: the report is written, flagged, figures unknown -----------------------------------------------
    Case {
        name: "metric points of a topic not in the inventory",
        mutate: |d| {
            append(
                d,
                "metric_points.csv",
                "AWS/Kafka,BytesInPerSec,\"Cluster Name=demo-msk,Topic=deleted.last-week\",2026-10-27T00:00:00Z,Average,\
                 1000,Bytes/Second\nAWS/Kafka,BytesInPerSec,\"Cluster Name=demo-msk,Topic=deleted.last-week\",\
                 2026-10-28T00:00:00Z,Average,1000,Bytes/Second\n",
            )
        },
        expect: Expect::Warning("metric-topic", &["2 point(s) of Cluster Name=demo-msk,Topic=deleted.last-week"]),
    },
    Case {
        name: "a negative lag",
        mutate: |d| set(d, "consumer_group_offsets.csv", 0, "lag", "-4"),
        expect: Expect::Warning("offsets-lag", &["consumer_group_offsets:2: `lag`", "lag -4"]),
    },
    Case {
        name: "a topic's partitions missing",
        mutate: |d| {
            keep(d, "partitions.csv", |h, r| r[h.iter().position(|c| c == "topic").unwrap()] != "payments.refunds")
        },
        expect: Expect::Warning("topic-partitions-present", &["payments.refunds", "its size is unknown"]),
    },
    Case {
        name: "a partitions file with only its header",
        mutate: |d| keep(d, "partitions.csv", |_, _| false),
        expect: Expect::Warning("topic-partitions-present", &["0 are in `partitions`"]),
    },
    Case {
        name: "fewer replicas than the replication factor",
        mutate: |d| {
            set(d, "partitions.csv", 0, "replicas", "1;5");
            set(d, "partitions.csv", 0, "isr", "1;5");
            set(d, "partitions.csv", 0, "replica_racks", "use1-az1;use1-az2");
        },
        expect: Expect::Warning(
            "partition-replicas",
            &["partitions:2: `replicas`", "2 replica(s) for replication factor 3"],
        ),
    },
    Case {
        name: "offsets on a topic not in topics",
        mutate: |d| set(d, "consumer_group_offsets.csv", 0, "topic", "payments.ghost"),
        expect: Expect::Warning("offsets-topic", &["commits on `payments.ghost`"]),
    },
    Case {
        name: "a catalog rule that matches nothing",
        mutate: |d| {
            append(d, "catalog.toml", "\n[[rules]]\nowner = \"payments\"\nkind = \"topic\"\nprefix = \"paymnets.\"\n")
        },
        expect: Expect::Warning(
            "catalog-rule-matches",
            &["catalog.toml:", "`topic` rule prefix `paymnets.` → `payments` matches no name collected this run"],
        ),
    },
    Case {
        name: "prices for a region no cluster runs in",
        mutate: |d| append(d, "kafka-finops.toml", "\n[prices_by_region.eu-west-9]\n\"ebs.gp3.storage\" = 0.09\n"),
        expect: Expect::Warning("prices-region-used", &["prices for `eu-west-9`, where no [[clusters]] runs"]),
    },
];

#[test]
fn every_bad_input_gives_its_error_or_flag() {
    let mut failures = Vec::new();
    let mut errors = 0;
    for case in CASES {
        let fixture = demo_copy();
        (case.mutate)(fixture.path());
        let config = fixture.path().join("kafka-finops.toml");
        let work = tempfile::tempdir().unwrap();
        let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
        let mut wrong = Vec::new();
        match &case.expect {
            Expect::Error(needles) => {
                errors += 1;
                if out.code != 2 {
                    wrong.push(format!("exit {} instead of 2", out.code));
                }
                if !entries(work.path()).is_empty() {
                    wrong.push(format!("wrote {:?}", entries(work.path())));
                }
                let v = run(&["validate", "--config", config.to_str().unwrap()], work.path());
                if v.code != 2 {
                    wrong.push(format!("validate exit {} instead of 2", v.code));
                }
                for n in *needles {
                    if !out.stderr.contains(n) {
                        wrong.push(format!("no `{n}`"));
                    }
                }
            }
            Expect::Warning(rule, needles) => {
                if out.code != 1 {
                    wrong.push(format!("exit {} instead of 1", out.code));
                } else {
                    let model = read_model(&work.path().join(out.run_dir()));
                    if !model.findings.iter().any(|f| f.rule == *rule) {
                        wrong.push(format!("no finding `{rule}` in model.json"));
                    }
                    if model.totals.complete {
                        wrong.push("the run is marked complete".into());
                    }
                }
                for n in *needles {
                    if !out.stderr.contains(n) {
                        wrong.push(format!("no `{n}`"));
                    }
                }
                // `validate` reports what `run` reports: the same warning, the same exit code.
                let v = run(&["validate", "--config", config.to_str().unwrap()], work.path());
                if v.code != 1 {
                    wrong.push(format!("validate exit {} instead of 1", v.code));
                }
                for n in *needles {
                    if !v.stderr.contains(n) {
                        wrong.push(format!("validate: no `{n}`"));
                    }
                }
            }
        }
        if !wrong.is_empty() {
            failures.push(format!("{}: {}\n  stderr: {}", case.name, wrong.join("; "), out.stderr.trim()));
        }
    }
    assert!(errors >= 50, "the suite keeps at least 50 error cases ({errors})");
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

#[test]
fn a_partitions_file_with_only_its_header_leaves_sizes_unknown_not_zero() {
    let fixture = demo_copy();
    keep(fixture.path(), "partitions.csv", |_, _| false);
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 1, "{}", out.stderr);
    let model = read_model(&work.path().join(out.run_dir()));
    for t in &model.topics {
        assert_eq!(t.retained_bytes, None, "{}: unknown, not 0", t.topic);
        assert!(t.current_cost().missing.iter().any(|m| m.contains("size on disk")), "{}", t.topic);
    }
    assert_eq!(model.totals.retained_bytes, 0, "the known total: nothing known");
    assert_eq!(model.totals.incomplete_topics, model.totals.topics);
}

#[test]
fn validate_reports_config_catalog_and_table_problems_in_one_pass() {
    let fixture = demo_copy();
    let d = fixture.path();
    replace(d, "catalog.toml", "regex = \"(clickstream|analytics)\\\\..+\"", "regex = \"(clickstream\"");
    replace(d, "kafka-finops.toml", "zones = 2", "zones = 9");
    set(d, "metric_points.csv", 2, "value", "NaN");
    set(d, "partitions.csv", 0, "size_bytes", "9223372036854775807");
    set(d, "cost_lines.csv", 1, "currency", "EUR");
    validate_fails_with(
        &d.join("kafka-finops.toml"),
        &[
            "catalog.toml:",
            "invalid regex",
            "from 1 to 6, found 9",
            "metric_points:4: `value`",
            "partitions:2: `size_bytes`",
            "cost_lines:3: `currency`",
        ],
    );
    // And `run` on valid config and catalog lists every table problem together, rules and consistency alike.
    replace(d, "catalog.toml", "regex = \"(clickstream\"", "regex = \"(clickstream|analytics)\\\\..+\"");
    replace(d, "kafka-finops.toml", "zones = 9", "zones = 2");
    let work = tempfile::tempdir().unwrap();
    let out = run(&["run", "--config", d.join("kafka-finops.toml").to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 2);
    for n in ["metric_points:4: `value`", "partitions:2: `size_bytes`", "cost_lines:3: `currency`"] {
        assert!(out.stderr.contains(n), "{n} missing:\n{}", out.stderr);
    }
}

#[test]
fn messages_say_what_is_wrong_and_what_was_expected() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("afile"), "x").unwrap();
    let out = run(&["demo", "--out", "afile"], work.path());
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("afile: is a file; expected a directory"), "{}", out.stderr);

    std::fs::write(work.path().join("old.json"), r#"{"version": 6}"#).unwrap();
    let out = run(&["render", "--from", "old.json", "--out", "r"], work.path());
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("model version 6; this build draws version"), "{}", out.stderr);
    assert!(!out.stderr.contains("Some("), "{}", out.stderr);

    let fixture = demo_copy();
    replace(fixture.path(), "kafka-finops.toml", "name = \"demo-msk\"", "name = \"demo-mks\"");
    let out = run(
        &["run", "--config", fixture.path().join("kafka-finops.toml").to_str().unwrap(), "--out", "runs"],
        work.path(),
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("a cluster `demo-msk` that no [[clusters]] table declares (declared: `demo-mks`)"),
        "{}",
        out.stderr
    );
    assert!(!entries(work.path()).contains(&"runs".to_string()));
}

/// MSK IAM's settings: the switch, OAUTHBEARER and the AWS keys go together, and no user or password goes with
/// them; each misuse is named at its line, and a source written as the README shows passes.
#[test]
fn msk_iam_settings_that_do_not_go_together_are_named_at_their_lines() {
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(demo_fixture().join("catalog.toml"), work.path().join("catalog.toml")).unwrap();
    let source = |name: &str, keys: &str, port: u16, sasl: &str| {
        format!(
            "\n[[sources]]\nname = \"{name}\"\nkind = \"kafka\"\ncluster = \"prod\"\n{keys}\nproperties = {{ \
             \"bootstrap.servers\" = \"b-1.prod.abc123.c2.kafka.eu-west-1.amazonaws.com:{port}\", \
             \"security.protocol\" = \"SASL_SSL\", {sasl} }}\n"
        )
    };
    let oauth = "\"sasl.mechanism\" = \"OAUTHBEARER\"";
    let head = "catalog = \"catalog.toml\"\n\n[[clusters]]\nname = \"prod\"\nplatform = \"msk\"\nregion = \"eu-west-1\"\n\
                broker_instance_type = \"kafka.m5.large\"\n";
    let good = source("good", "aws_msk_iam = true\nrole_arn = \"arn:aws:iam::123456789012:role/finops\"", 9098, oauth);
    std::fs::write(work.path().join("good.toml"), format!("{head}{good}")).unwrap();
    let out = run(&["validate", "--config", "good.toml"], work.path());
    assert_eq!(out.code, 0, "{}", out.stderr);

    let bad = [
        source("no switch", "role_arn = \"arn:aws:iam::123456789012:role/finops\"", 9098, oauth),
        source(
            "a password too",
            "aws_msk_iam = true\npassword_env = \"SOME_PASSWORD\"",
            9096,
            "\"sasl.mechanism\" = \"SCRAM-SHA-512\", \"sasl.username\" = \"finops\"",
        ),
        source("bad role", "aws_msk_iam = true\nrole_arn = \"finops-role\"", 9098, oauth),
    ];
    std::fs::write(work.path().join("bad.toml"), format!("{head}{}", bad.concat())).unwrap();
    validate_fails_with(
        &work.path().join("bad.toml"),
        &[
            "bad.toml:13: `sources[0].role_arn`: AWS credentials are used only by MSK IAM authentication",
            "bad.toml:14: `sources[0].properties.\"sasl.mechanism\"`: OAUTHBEARER is supported as Amazon MSK's IAM",
            "`sources[1].password_env`: not used with MSK IAM",
            "`sources[1].properties.\"sasl.mechanism\"`: `aws_msk_iam = true` authenticates with OAUTHBEARER; found \
             `SCRAM-SHA-512`",
            "`sources[1].properties.\"sasl.username\"`: not used with MSK IAM",
            "bad.toml:29: `sources[2].role_arn`: expected an IAM role ARN",
            "6 problems found",
        ],
    );
}

/// `ebs_volume_type` is gp2 or gp3, and only on a self-managed cluster: MSK provisions its own storage.
#[test]
fn an_ebs_volume_type_is_gp2_or_gp3_on_self_managed_brokers_only() {
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(demo_fixture().join("catalog.toml"), work.path().join("catalog.toml")).unwrap();
    let cluster = |name: &str, platform: &str, volume: &str| {
        format!(
            "\n[[clusters]]\nname = \"{name}\"\nplatform = \"{platform}\"\nregion = \"eu-west-1\"\n\
             broker_instance_type = \"m5.large\"\nebs_volume_type = \"{volume}\"\n"
        )
    };
    let head = "catalog = \"catalog.toml\"\n\n[[sources]]\nname = \"s\"\nkind = \"kafka\"\ncluster = \"ec2\"\n\
                properties = { \"bootstrap.servers\" = \"127.0.0.1:9092\" }\n";
    let good = format!("{head}{}", cluster("ec2", "self-managed", "gp2"));
    std::fs::write(work.path().join("good.toml"), good).unwrap();
    let out = run(&["validate", "--config", "good.toml"], work.path());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bad = format!("{head}{}{}", cluster("ec2", "self-managed", "io2"), cluster("managed", "msk", "gp3"));
    std::fs::write(work.path().join("bad.toml"), bad).unwrap();
    validate_fails_with(
        &work.path().join("bad.toml"),
        &[
            "bad.toml:14: `clusters[0].ebs_volume_type`: unknown EBS volume type `io2`; expected `gp2` or `gp3`",
            "bad.toml:21: `clusters[1].ebs_volume_type`: MSK provisions and bills its own broker storage",
            "2 problems found",
        ],
    );
}
