//! The demo end to end through the binary: files, totals, HTML, determinism, render, partial sources.

use std::collections::BTreeMap;
use std::path::Path;

use kafka_finops::report_model::ReportModel;
use rust_decimal::Decimal;

use crate::support::*;

fn decimal(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("{s:?} is not a decimal: {e}"))
}

#[test]
fn demo_writes_every_report_file_and_prints_the_run_dir_last() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let run_dir = work.path().join(out.run_dir());
    assert!(run_dir.starts_with(work.path().join("runs")), "{}", run_dir.display());
    for f in ["index.html", "owners.csv", "topics.csv", "cost_components.csv", "model.json", "run.json"] {
        assert!(run_dir.join(f).is_file(), "{f} missing in {}", run_dir.display());
    }
    // Nothing temporary is left behind.
    assert_eq!(entries(&work.path().join("runs")).len(), 1);
}

#[test]
fn owner_totals_equal_the_sum_of_their_topics() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let dir = work.path().join(out.run_dir());
    let (th, topics) = read_csv(&dir.join("topics.csv"));
    let (oh, owners) = read_csv(&dir.join("owners.csv"));

    let mut sums: BTreeMap<&str, (Decimal, Decimal, i64, i64)> = BTreeMap::new();
    let t_owner = column(&th, &topics, "owner");
    let t_local = column(&th, &topics, "broker_local_monthly_usd");
    let t_shared = column(&th, &topics, "shared_storage_monthly_usd");
    let t_bytes = column(&th, &topics, "retained_bytes");
    for i in 0..topics.len() {
        let e = sums.entry(t_owner[i]).or_default();
        e.0 += decimal(t_local[i]);
        e.1 += decimal(t_shared[i]);
        e.2 += 1;
        e.3 += t_bytes[i].parse::<i64>().unwrap_or(0);
    }
    let o_owner = column(&oh, &owners, "owner");
    let o_local = column(&oh, &owners, "broker_local_monthly_usd");
    let o_shared = column(&oh, &owners, "shared_storage_monthly_usd");
    let o_topics = column(&oh, &owners, "topics");
    let o_bytes = column(&oh, &owners, "retained_bytes");
    assert!(o_owner.contains(&"unowned"), "the unowned bucket is always listed");
    assert_eq!(o_owner.len(), 8, "7 declared owners + unowned: {o_owner:?}");
    for i in 0..owners.len() {
        let (local, shared, n, bytes) = sums.get(o_owner[i]).copied().unwrap_or_default();
        assert_eq!(decimal(o_local[i]), local, "broker-local of {}", o_owner[i]);
        assert_eq!(decimal(o_shared[i]), shared, "shared of {}", o_owner[i]);
        assert_eq!(o_topics[i].parse::<i64>().unwrap(), n, "topics of {}", o_owner[i]);
        assert_eq!(o_bytes[i].parse::<i64>().unwrap(), bytes, "bytes of {}", o_owner[i]);
    }
    // Every topic is somewhere: the owners' topic counts cover all of topics.csv.
    assert_eq!(o_topics.iter().map(|n| n.parse::<usize>().unwrap()).sum::<usize>(), topics.len());
    // The unowned demo topics are the four without a rule.
    let unowned: Vec<&str> =
        (0..topics.len()).filter(|&i| t_owner[i] == "unowned").map(|i| column(&th, &topics, "topic")[i]).collect();
    assert_eq!(unowned, ["legacy-export-2023", "legacy-export-orders", "test-loadgen", "tmp.backfill-2025"]);
}

#[test]
fn html_is_self_contained_with_one_chart_per_chart_section() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", "runs"], work.path());
    let html = std::fs::read_to_string(work.path().join(out.run_dir()).join("index.html")).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "the report must not reference any URL");
    for forbidden in ["<link", "src=", "@import", "url("] {
        assert!(!html.contains(forbidden), "found {forbidden:?}: the report must load nothing");
    }
    let sections: Vec<&str> = html.split("<section").skip(1).collect();
    let chart_sections: Vec<&&str> =
        sections.iter().filter(|s| s.starts_with(" id=\"") && s.contains("class=\"chart-section\"")).collect();
    assert_eq!(chart_sections.len(), 4, "totals, owners, top topics, unowned");
    for s in chart_sections {
        let body = s.split("</section>").next().unwrap();
        assert_eq!(body.matches("<svg").count(), 1, "section {}", &body[..40.min(body.len())]);
    }
    for anchor in ["id=\"owners\"", "id=\"unowned\"", "id=\"completeness\"", "id=\"assumptions\"", "legacy-export-2023"]
    {
        assert!(html.contains(anchor), "{anchor} missing");
    }
}

#[test]
fn same_inputs_give_byte_identical_tables_and_model_and_render_reproduces_them() {
    let work = tempfile::tempdir().unwrap();
    // Separate output directories: a run compares itself with earlier runs in its own, which is an input too.
    let a = work.path().join(run(&["demo", "--out", "runs-a"], work.path()).run_dir());
    let b = work.path().join(run(&["demo", "--out", "runs-b"], work.path()).run_dir());
    let model = a.join("model.json");
    let r = run(&["render", "--from", model.to_str().unwrap(), "--out", "rendered"], work.path());
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let c = work.path().join(r.run_dir());
    assert_eq!(std::fs::read(a.join("summary.json")).unwrap(), std::fs::read(b.join("summary.json")).unwrap());
    for f in [
        "model.json",
        "owners.csv",
        "topics.csv",
        "cost_components.csv",
        "owners/payments.json",
        "owners/payments.csv",
        "index.html",
    ] {
        let first = std::fs::read(a.join(f)).unwrap();
        assert_eq!(first, std::fs::read(b.join(f)).unwrap(), "{f} differs between two runs");
        assert_eq!(first, std::fs::read(c.join(f)).unwrap(), "{f} differs after render --from");
    }
}

#[test]
fn a_render_into_the_runs_directory_is_not_listed_or_compared_as_a_run() {
    let work = tempfile::tempdir().unwrap();
    let first = work.path().join(run(&["demo", "--out", "out"], work.path()).run_dir());
    let model = first.join("model.json");
    let r = run(&["render", "--from", model.to_str().unwrap()], work.path());
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let rendered = work.path().join(r.run_dir());
    assert!(rendered.file_name().unwrap().to_str().unwrap().starts_with("render-"), "{}", rendered.display());
    assert!(!rendered.join("summary.json").exists(), "a redrawn report is no new observation");
    let history = run(&["history", "--out", "out"], work.path());
    assert_eq!(history.stdout.lines().count(), 2, "the header and the one run: {}", history.stdout);
    // The next run compares with the run, not with the redrawn report.
    let next = work.path().join(run(&["demo", "--out", "out"], work.path()).run_dir());
    let h = read_model(&next).history.unwrap();
    assert_eq!(h.previous_run.as_deref(), first.file_name().unwrap().to_str());
    assert!(h.skipped.is_empty(), "{:?}", h.skipped);
}

#[test]
fn run_with_the_fixture_config_matches_the_embedded_demo() {
    let work = tempfile::tempdir().unwrap();
    let embedded = work.path().join(run(&["demo", "--out", "runs"], work.path()).run_dir());
    let config = demo_fixture().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let from_disk = work.path().join(out.run_dir());
    for f in ["owners.csv", "cost_components.csv"] {
        assert_eq!(std::fs::read(embedded.join(f)).unwrap(), std::fs::read(from_disk.join(f)).unwrap(), "{f}");
    }
}

fn partial_copy() -> tempfile::TempDir {
    let dir = demo_copy();
    edit(
        &dir.path().join("scenario.toml"),
        "name = \"kafka:demo-msk\"\nkind = \"kafka\"\nstatus = \"complete\"",
        "name = \"kafka:demo-msk\"\nkind = \"kafka\"\nstatus = \"partial\"\ndetail = \"broker 3 did not answer DescribeLogDirs\"",
    );
    // Blank the size of one partition of orders.events, as a collector does for a broker that did not answer.
    let path = dir.path().join("partitions.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let i = lines.iter().position(|l| l.starts_with("demo-msk,orders.events,0,")).unwrap();
    let mut fields: Vec<&str> = lines[i].split(',').collect();
    fields[7] = "";
    lines[i] = fields.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    dir
}

#[test]
fn a_partial_source_writes_the_report_flags_it_and_exits_1() {
    let fixture = partial_copy();
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    assert!(out.stderr.contains("broker 3 did not answer"), "{}", out.stderr);
    let dir = work.path().join(out.run_dir());
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("Incomplete data"));
    assert!(html.contains("broker 3 did not answer DescribeLogDirs"));

    let (h, rows) = read_csv(&dir.join("topics.csv"));
    let topic = column(&h, &rows, "topic");
    let i = topic.iter().position(|t| *t == "orders.events").unwrap();
    assert_eq!(column(&h, &rows, "retained_bytes")[i], "", "an unknown size is empty, never 0");
    assert_eq!(column(&h, &rows, "partitions_size_unknown")[i], "1");
    assert!(column(&h, &rows, "missing")[i].contains("size on disk not collected for 1 partition"));
    let (oh, owners) = read_csv(&dir.join("owners.csv"));
    let o = column(&oh, &owners, "owner").iter().position(|o| *o == "orders").unwrap();
    assert_eq!(column(&oh, &owners, "incomplete_topics")[o], "1");

    // run.json tells a monitor the same without the logs: the outcome, the exit code, which source and why.
    let info: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["outcome"], "partial");
    assert_eq!(info["exit_code"], 1);
    let kafka = info["sources"].as_array().unwrap().iter().find(|s| s["name"] == "kafka:demo-msk").unwrap();
    assert_eq!(kafka["status"], "partial");
    assert!(kafka["detail"].as_str().unwrap().contains("broker 3 did not answer"), "{kafka}");
}

#[test]
fn a_complete_run_says_so_in_run_json() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.path().join(out.run_dir()).join("run.json")).unwrap()).unwrap();
    assert_eq!((info["outcome"].as_str(), info["exit_code"].as_u64()), (Some("complete"), Some(0)));
    assert!(info["sources"].as_array().unwrap().iter().all(|s| s["status"] == "complete"), "{info}");
    assert_eq!(info["findings"], 0);
}

#[test]
fn validate_accepts_the_demo_config_and_writes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let config = demo_fixture().join("kafka-finops.toml");
    let out = run(&["validate", "--config", config.to_str().unwrap()], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(out.stdout.contains("39 topic(s)"), "{}", out.stdout);
    assert!(entries(work.path()).is_empty());
}

#[test]
fn help_names_every_command_and_the_exit_codes() {
    let out = run(&["--help"], Path::new("."));
    assert_eq!(out.code, 0);
    for word in ["demo", "run", "validate", "render", "Exit codes"] {
        assert!(out.stdout.contains(word), "{word} missing from --help");
    }
}

#[test]
fn no_cost_lines_reads_as_no_billing_data_never_as_zero_dollars() {
    let fixture = demo_copy();
    let path = fixture.path().join("cost_lines.csv");
    let header = std::fs::read_to_string(&path).unwrap().lines().next().unwrap().to_string();
    std::fs::write(&path, header + "\n").unwrap();
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    // Without a bill the demo's MSK broker and storage prices are the bundled list prices (AWS's MSK pricing data,
    // published 2025-04-04): priced, and said so.
    assert_eq!(out.code, 0, "{}", out.stderr);
    let model = read_model(&work.path().join(out.run_dir()));
    let prices = &model.clusters[0].prices;
    for key in ["msk.broker.kafka.m5.2xlarge", "msk.storage"] {
        let p = prices.iter().find(|p| p.key == key).unwrap_or_else(|| panic!("{key} missing"));
        assert_eq!(p.basis, kafka_finops::report_model::PriceBasis::List, "{p:?}");
        assert!(p.source.contains("msk.json") && p.source.contains("published 2025-04-04"), "{p:?}");
    }
    assert!(out.stdout.contains("no billing data collected"), "{}", out.stdout);
    let dir = work.path().join(out.run_dir());
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("no billing data") && !html.contains("Total billed"), "billed must not read as $0");
    assert!(!html.contains("Billed cost per day"), "an empty bill draws no daily chart");
    assert_eq!(read_model(&dir).totals.billed_usd, None);
}

#[test]
fn a_region_outside_the_bundled_book_without_a_bill_names_each_missing_price_and_the_command_that_fills_it() {
    let fixture = demo_copy();
    let path = fixture.path().join("cost_lines.csv");
    let header = std::fs::read_to_string(demo_fixture().join("cost_lines.csv")).unwrap();
    std::fs::write(&path, format!("{}\n", header.lines().next().unwrap())).unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace("region = \"us-east-1\"", "region = \"ap-south-2\"");
    std::fs::write(&config, text).unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 1, "{}", out.stderr);
    for needle in [
        "cluster `demo-msk` (ap-south-2) has no price `msk.storage` (USD per GiB-month)",
        "`kafka-finops prices refresh --region ap-south-2` and `[prices] refresh = true`",
        "[prices_by_region.ap-south-2] \"msk.storage\" = <USD per GiB-month>",
        "no price `msk.broker.kafka.m5.2xlarge`",
    ] {
        assert!(out.stderr.contains(needle), "{needle} missing from:\n{}", out.stderr);
    }
    let model = read_model(&work.path().join(out.run_dir()));
    assert_eq!(model.totals.current_monthly_usd, None, "unknown, never the priced part alone");
}

#[test]
fn the_bill_allocated_to_owners_adds_up_to_the_cent_per_cluster_and_class_and_is_deterministic() {
    let work = tempfile::tempdir().unwrap();
    let model = |name: &str| -> ReportModel {
        let out = run(&["demo", "--out", name], work.path());
        assert_eq!(out.code, 0, "stderr: {}", out.stderr);
        read_model(&work.path().join(out.run_dir()))
    };
    let first = model("a");
    // The bill per (cluster, class), summed here from the billed lines and rounded to the cent.
    let mut billed: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for c in &first.clusters {
        for l in &c.billed {
            *billed.entry((c.cluster.clone(), l.cost_class.clone())).or_default() += l.amount_usd;
        }
    }
    assert!(!billed.is_empty());
    let mut allocated: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for r in &first.reconciliation {
        assert_eq!(r.billed_usd, r.billed_usd.round_dp(2), "to the cent: {r:?}");
        *allocated.entry((r.cluster.clone(), r.cost_class.clone())).or_default() += r.billed_usd;
    }
    for (key, total) in &billed {
        assert_eq!(allocated[key], total.round_dp(2), "{key:?}");
    }
    let owners: Vec<&str> = first.reconciliation.iter().map(|r| r.owner.as_str()).collect();
    for special in ["unowned", "(idle headroom)", "(unallocated)"] {
        assert!(owners.contains(&special), "{special} row missing: {owners:?}");
    }
    assert_eq!(first.reconciliation, model("b").reconciliation, "the same inputs, the same split");
}

#[test]
fn model_vs_bill_per_cost_class_gives_the_bill_as_a_monthly_rate_and_the_residual() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let model = read_model(&work.path().join(out.run_dir()));
    let cluster = &model.clusters[0];
    let month_days = model.assumptions.month_hours / Decimal::from(24);
    let classes: Vec<&str> = cluster.residuals.iter().map(|r| r.cost_class.as_str()).collect();
    assert_eq!(
        classes,
        ["inter_az_transfer", "msk_broker_hours", "msk_storage", "msk_tiered_retrieval", "msk_tiered_storage"]
    );
    for r in &cluster.residuals {
        let class = r.cost_class.as_str();
        let lines: Vec<_> = cluster.billed.iter().filter(|l| l.cost_class == class).collect();
        let amount: Decimal = lines.iter().map(|l| l.amount_usd).sum();
        let days = lines.iter().map(|l| l.days).max().unwrap();
        assert_eq!(r.billed_monthly_usd, (amount / Decimal::from(days) * month_days).round_dp(2), "{class}");
        let modelled = r.modelled_monthly_usd.unwrap_or_else(|| panic!("{class} is modelled: {r:?}"));
        assert_eq!(r.residual_usd, Some(r.billed_monthly_usd - modelled), "{class}");
    }
    // The demo bills the tiered topic's whole retention (rate × 30 days) as MSK tiered storage; the model sizes it
    // from the local bytes it measured plus rate × (retention − local window), so the two agree closely.
    let tiered = cluster.residuals.iter().find(|r| r.cost_class == "msk_tiered_storage").unwrap();
    let (billed, modelled) = (tiered.billed_monthly_usd, tiered.modelled_monthly_usd.unwrap());
    assert!((billed - modelled).abs() < billed / Decimal::from(20), "billed {billed} vs modelled {modelled}");
}

#[test]
fn hostile_owner_names_and_tag_values_render_as_text_never_as_markup() {
    let fixture = demo_copy();
    let catalog = fixture.path().join("catalog.toml");
    let hostile = "<script>alert(1)</script>";
    let text = std::fs::read_to_string(&catalog).unwrap();
    let text = text
        .replace("[owners.payments]", &format!("[owners.\"{hostile}\"]"))
        .replace("owner = \"payments\"", &format!("owner = \"{hostile}\""))
        .replace("channel = \"#payments-oncall\"", "channel = \"#pay\\\"ments' </td><td>x\"");
    std::fs::write(&catalog, text).unwrap();
    let tag = r#""CC ""quoted"" </td><b>bold</b>""#; // CSV: quotes doubled inside a quoted field
    let alloc = fixture.path().join("cost_allocations.csv");
    let text = std::fs::read_to_string(&alloc).unwrap().replace(",CC-PLAT-001,", &format!(",{tag},"));
    std::fs::write(&alloc, text).unwrap();
    // A catalog tag rule maps the cost-center value to the platform owner; point it at the new value.
    let text =
        std::fs::read_to_string(&catalog).unwrap().replace("\"CC-PLAT-001\"", "'CC \"quoted\" </td><b>bold</b>'");
    std::fs::write(&catalog, text).unwrap();

    let config = fixture.path().join("kafka-finops.toml");
    edit(&config, "owners = [\"payments\"]", &format!("owners = [\"{hostile}\"]"));

    let work = tempfile::tempdir().unwrap();
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let dir = work.path().join(out.run_dir());
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    for raw in [hostile, "</td><b>bold</b>", "</td><td>x"] {
        assert!(!html.contains(raw), "{raw} reached the page as markup");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"), "the owner is shown, escaped");
    assert!(html.contains("&lt;b&gt;bold&lt;&#x2f;b&gt;"), "the tag value is shown, escaped");
    // The owner's pack is written under a file-safe name and keeps the real name inside.
    let pack = std::fs::read_to_string(dir.join("owners/script-alert-1---script.json")).unwrap();
    let pack: serde_json::Value = serde_json::from_str(&pack).unwrap();
    assert_eq!(pack["owner"]["owner"], hostile);
}

/// The Parquet tables hold the CSVs' values with their types (decimals as decimals, counts as integers, flags as
/// booleans, empty cells as nulls), read back by pyarrow and DuckDB from the test venv (`ci/moto.sh`), not by
/// polars, which wrote them.
#[test]
fn the_parquet_tables_read_back_equal_to_the_csvs_with_their_types() {
    let Ok(python) = std::env::var("KAFKA_FINOPS_PYTHON") else {
        crate::support::service_missing("KAFKA_FINOPS_REQUIRE_AWS", "the test venv's python (pyarrow, DuckDB)");
        return;
    };
    let fixture = partial_copy(); // a topic with an unknown size: empty cells, nulls in Parquet
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let dir = work.path().join(out.run_dir());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/parquet/read_back.py");
    let check = std::process::Command::new(python).arg(&script).arg(&dir).output().unwrap();
    let said = String::from_utf8_lossy(&check.stdout).to_string() + &String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{said}");
    for table in ["owners", "topics", "cost_components", "prices", "chargeback"] {
        assert!(said.contains(&format!("{table}: ")), "{said}");
    }
}

#[test]
fn quiet_prints_only_the_run_directory() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", "runs", "--quiet"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(work.path().join(out.stdout.trim()).join("run.json").is_file(), "{}", out.stdout);
    assert_eq!(out.stderr, "");

    // A partial run stays quiet too: its exit code and run.json say it.
    let fixture = partial_copy();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs", "--quiet"], work.path());
    assert_eq!((out.code, out.stdout.lines().count(), out.stderr.as_str()), (1, 1, ""), "{}", out.stdout);
}

#[test]
fn json_logs_put_every_warning_and_error_on_stderr_as_one_object_per_line() {
    let fixture = partial_copy();
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs", "--log-format", "json"], work.path());
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let events: Vec<serde_json::Value> =
        out.stderr.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let warning = events.iter().find(|e| e["level"] == "WARN").expect("a warning event");
    assert!(warning["fields"]["message"].as_str().unwrap().contains("broker 3 did not answer"), "{warning}");

    let out = run(&["run", "--config", "missing.toml", "--log-format", "json"], work.path());
    assert_eq!(out.code, 2);
    let event: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(event["level"], "ERROR");
    assert!(event["fields"]["message"].as_str().unwrap().contains("missing.toml"), "{event}");
}

/// On a terminal each source gets a progress line (requests made, bytes downloaded) and a record of it when done;
/// off a terminal (a pipe, as in every other test and under a scheduler) there is no progress noise. The terminal
/// is a pseudo-terminal from util-linux's `script` (in Debian's essential bsdutils).
#[test]
fn a_terminal_shows_a_progress_line_per_source_and_a_pipe_does_not() {
    let work = tempfile::tempdir().unwrap();
    let piped = run(&["demo", "--out", "runs"], work.path());
    assert_eq!(piped.code, 0, "stderr: {}", piped.stderr);
    assert!(!piped.stderr.contains("request(s)"), "{}", piped.stderr);

    let command = format!("{} demo --out runs", crate::support::BIN);
    let tty = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(work.path())
        .output()
        .expect("util-linux's script");
    let seen = String::from_utf8_lossy(&tty.stdout);
    assert!(tty.status.success(), "{seen}");
    assert!(seen.contains("source `demo`: 0 request(s) ("), "{seen}");
    // Quiet on a terminal is still quiet.
    let command = format!("{} demo --out runs --quiet", crate::support::BIN);
    let tty =
        std::process::Command::new("script").args(["-qec", &command, "/dev/null"]).current_dir(work.path()).output();
    let seen = String::from_utf8_lossy(&tty.unwrap().stdout).to_string();
    assert_eq!(seen.trim().lines().count(), 1, "{seen}");
}

/// `output_dir` is relative to the config file, as every path the config names (README, "Configuration"), not to
/// the directory the command runs in: a nightly job started from `/` must not write its runs there.
#[test]
fn output_dir_is_relative_to_the_config_file() {
    let fixture = demo_copy();
    let config = fixture.path().join("kafka-finops.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("output_dir = \"runs\"\n{text}")).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let out = run(&["run", "--config", config.to_str().unwrap()], cwd.path());
    assert!(matches!(out.code, 0 | 1), "{}", out.stderr);
    let run_dir = out.run_dir();
    assert!(run_dir.starts_with(fixture.path().join("runs")), "{} is not under the config's runs/", run_dir.display());
    assert!(run_dir.join("model.json").exists());
    assert!(!cwd.path().join("runs").exists(), "a runs/ was made where the command ran");
}

#[test]
fn every_card_is_reproduced_by_summing_the_csvs_and_docs_name_every_column() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", "runs"], work.path());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dir = work.path().join(out.run_dir());
    let model = read_model(&dir);
    let t = &model.totals;
    // The stdout line quotes today first, then the alternatives like for like.
    let usd = |d: Option<Decimal>| kafka_finops::format::usd(d.unwrap());
    let line = format!(
        "today {} / month as modelled; right-sized broker-local {}; if all moved: tiered {}, shared storage {}",
        usd(t.current_monthly_usd),
        usd(t.right_sized_monthly_usd),
        usd(t.tiered_storage_monthly_usd),
        usd(t.shared_storage_monthly_usd)
    );
    assert!(out.stdout.lines().next().unwrap().contains(&line), "{}", out.stdout);
    // cost_components.csv by scenario, topics.csv and owners.csv by column: each equals its card, to the digit.
    let (header, rows) = read_csv(&dir.join("cost_components.csv"));
    let (scenario, usd) = (column(&header, &rows, "scenario"), column(&header, &rows, "monthly_usd"));
    let (today, sized) = (column(&header, &rows, "today"), column(&header, &rows, "right_sized_monthly_usd"));
    let by_scenario = |name: &str| -> Decimal {
        let each = scenario.iter().zip(&usd).zip(today.iter().zip(&sized));
        match name {
            "current" => each.filter(|(_, (t, _))| **t == "true").map(|((_, u), _)| decimal(u)).sum(),
            "right_sized" => each.filter(|((s, _), _)| **s == "broker_local").map(|(_, (_, r))| decimal(r)).sum(),
            _ => each.filter(|((s, _), _)| **s == name).map(|((_, u), _)| decimal(u)).sum(),
        }
    };
    let cards = [
        ("current", "current_monthly_usd", t.current_monthly_usd),
        ("right_sized", "right_sized_monthly_usd", t.right_sized_monthly_usd),
        ("broker_local", "broker_local_monthly_usd", t.broker_local_monthly_usd),
        ("tiered_storage", "tiered_storage_monthly_usd", t.tiered_storage_monthly_usd),
        ("shared_storage", "shared_storage_monthly_usd", t.shared_storage_monthly_usd),
    ];
    for file in ["topics.csv", "owners.csv"] {
        let (header, rows) = read_csv(&dir.join(file));
        for (_, col, card) in cards {
            let sum: Decimal = column(&header, &rows, col).iter().map(|c| decimal(c)).sum();
            assert_eq!(Some(sum), card, "{file} {col}");
        }
    }
    for (name, _, card) in cards {
        assert_eq!(Some(by_scenario(name)), card, "cost_components.csv, scenario {name}");
    }
    // chargeback.csv adds up to the bill, to the cent.
    let (header, rows) = read_csv(&dir.join("chargeback.csv"));
    let charged: Decimal = column(&header, &rows, "billed_usd").iter().map(|c| decimal(c)).sum();
    assert_eq!(charged, t.billed_usd.unwrap().round_dp(2));
    // docs/outputs.md names every column of every table.
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/outputs.md")).unwrap();
    for file in ["cost_components.csv", "topics.csv", "owners.csv", "chargeback.csv", "prices.csv", "brokers.csv"] {
        let (header, _) = read_csv(&dir.join(file));
        for h in header {
            assert!(doc.contains(&format!("`{h}`")), "docs/outputs.md lacks {file}'s column `{h}`");
        }
    }
}

#[test]
fn demo_record_writes_a_template_that_runs_as_the_demo_does() {
    let work = tempfile::tempdir().unwrap();
    let demo = run(&["demo", "--out", "runs", "--record", "my-estate"], work.path());
    assert_eq!(demo.code, 0, "{}", demo.stderr);
    for file in ["kafka-finops.toml", "catalog.toml", "scenario.toml", "topics.csv", "partitions.csv"] {
        assert!(work.path().join("my-estate").join(file).is_file(), "the template has {file}");
    }
    let config = work.path().join("my-estate/kafka-finops.toml");
    let again = run(&["run", "--config", config.to_str().unwrap(), "--out", "mine"], work.path());
    assert_eq!(again.code, 0, "{}", again.stderr);
    let (a, b) = (read_model(&work.path().join(demo.run_dir())), read_model(&work.path().join(again.run_dir())));
    assert_eq!(a.totals, b.totals, "the template reproduces the demo's figures");
    // A second record into the same folder is refused: nothing the user edited is overwritten.
    let twice = run(&["demo", "--out", "runs", "--record", "my-estate"], work.path());
    assert_eq!(twice.code, 2, "{}", twice.stderr);
    assert!(twice.stderr.contains("already exists"), "{}", twice.stderr);
}

#[test]
fn a_reader_that_closes_the_pipe_early_does_not_crash_the_tool() {
    // `kafka-finops demo | head -1`: stdout closes after the first line; the run is written, the exit code is 0.
    use std::io::Read;
    let work = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(BIN)
        .args(["demo", "--out", "runs"])
        .current_dir(work.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(entries(&work.path().join("runs")).len(), 1, "the run is written");
}

#[test]
fn the_report_reads_as_prose_no_markdown_ticks_no_null_no_json() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", "runs"], work.path());
    let html = std::fs::read_to_string(work.path().join(out.run_dir()).join("index.html")).unwrap();
    // Text between tags: `ticked` words are code, never literal backticks.
    let mut text = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    assert_eq!(text.matches('`').count(), 0, "a literal backtick in the report's text");
    assert!(html.contains("slowest group <code>"), "evidence names its group as code");
    // Assumptions read as settings: no `null`, no raw JSON.
    let assumptions = html.split("id=\"assumptions\"").nth(1).unwrap();
    assert!(!assumptions.contains(">null<") && !assumptions.contains("{&quot;"), "assumptions show null or JSON");
    assert!(assumptions.contains("not set (the default applies)"), "an unset assumption says so");
}
