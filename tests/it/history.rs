//! History across runs: the second run compares with the first, flags owners whose cost jumped, lists new and
//! deleted topics, and never touches the first run's files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kafka_finops::report_model::ReportModel;
use rust_decimal::Decimal;

use crate::support::*;

/// Every file under `dir` (recursively) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn owner_cost(m: &ReportModel, owner: &str) -> Decimal {
    m.owners.iter().find(|o| o.owner == owner).unwrap().current_monthly_usd.expect("the demo's costs are known")
}

#[test]
fn a_second_run_compares_with_the_first_flags_jumps_and_leaves_it_untouched() {
    let fixture = demo_copy();
    let config = fixture.path().join("kafka-finops.toml");
    edit(&config, "anomaly_min_usd = 50", "anomaly_min_usd = 5");
    let work = tempfile::tempdir().unwrap();
    let run_once = || {
        let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
        assert_eq!(out.code, 0, "stderr: {}", out.stderr);
        work.path().join(out.run_dir())
    };
    let first = run_once();
    let first_model = read_model(&first);
    let first_history = first_model.history.as_ref().expect("every run has a history section");
    assert_eq!(first_history.previous_run, None, "nothing to compare the first run with");
    let before = snapshot(&first);

    // The data changes: payments.transactions keeps twice the bytes, and orders.dlq is renamed (one topic
    // deleted, one new).
    let partitions = fixture.path().join("partitions.csv");
    let (header, rows) = read_csv(&partitions);
    let (topic_at, size_at) =
        (header.iter().position(|h| h == "topic").unwrap(), header.iter().position(|h| h == "size_bytes").unwrap());
    let mut w = csv::Writer::from_path(&partitions).unwrap();
    w.write_record(&header).unwrap();
    for mut row in rows {
        if row[topic_at] == "payments.transactions" {
            row[size_at] = (row[size_at].parse::<i64>().unwrap() * 2).to_string();
        }
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    for name in ["topics.csv", "partitions.csv", "consumer_group_offsets.csv", "metric_points.csv"] {
        let p = fixture.path().join(name);
        std::fs::write(&p, std::fs::read_to_string(&p).unwrap().replace("orders.dlq", "orders.dead-letters")).unwrap();
    }
    let second = run_once();
    let second_model = read_model(&second);

    assert_eq!(snapshot(&first), before, "the first run's files are byte for byte what they were");
    let h = second_model.history.as_ref().expect("every run has a history section");
    assert_eq!(h.previous_run.as_deref(), first.file_name().unwrap().to_str());
    assert_eq!(h.new_topics, ["demo-msk/orders.dead-letters"]);
    assert_eq!(h.deleted_topics, ["demo-msk/orders.dlq"]);
    let delta = |owner: &str| h.owners.iter().find(|o| o.owner == owner).unwrap();
    let payments = delta("payments");
    let moved = owner_cost(&second_model, "payments") - owner_cost(&first_model, "payments");
    assert!(moved > Decimal::from(5), "doubling the biggest payments topic moves the owner: {moved}");
    assert_eq!(payments.delta_usd, moved);
    assert!(payments.anomaly, "{payments:?}");
    // Renaming a topic moves nothing for orders; every owner but payments is unflagged.
    for o in h.owners.iter().filter(|o| o.owner != "payments") {
        assert!(!o.anomaly, "{o:?}");
    }
    assert!(delta("orders").delta_usd.is_zero());
    assert_eq!(h.runs.len(), 2);
    // Growth: payments.transactions keeps twice its bytes; orders.events is unchanged; the same capture time in
    // both runs gives no per-day figure.
    let topic_bytes =
        |m: &ReportModel, topic: &str| m.topics.iter().find(|t| t.topic == topic).unwrap().retained_bytes.unwrap();
    let grown = &h.growth["demo-msk/payments.transactions"];
    assert_eq!(
        grown.bytes,
        topic_bytes(&second_model, "payments.transactions") - topic_bytes(&first_model, "payments.transactions")
    );
    assert_eq!(grown.bytes_per_day, None);
    assert_eq!(h.growth["demo-msk/orders.events"].bytes, 0);
    let pack = std::fs::read_to_string(second.join("owners/payments.csv")).unwrap();
    assert!(pack.lines().next().unwrap().contains("growth_bytes_since_last_run"));
    let html = std::fs::read_to_string(second.join("index.html")).unwrap();
    assert!(html.contains("anomaly") && html.contains("orders.dead-letters"));

    let listed = run(&["history", "--out", "runs"], work.path());
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let lines: Vec<&str> = listed.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two runs: {}", listed.stdout);
    assert!(lines[1].starts_with(first.file_name().unwrap().to_str().unwrap()), "oldest first: {}", listed.stdout);
}

#[test]
fn history_on_a_missing_directory_or_a_file_exits_2_naming_it() {
    let work = tempfile::tempdir().unwrap();
    let missing = run(&["history", "--out", "no-such-dir"], work.path());
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(missing.stderr.contains("output directory no-such-dir"), "{}", missing.stderr);
    std::fs::write(work.path().join("a-file"), "").unwrap();
    let file = run(&["history", "--out", "a-file"], work.path());
    assert_eq!(file.code, 2, "{}", file.stderr);
    assert!(file.stderr.contains("a-file is a file"), "{}", file.stderr);
    std::fs::create_dir(work.path().join("empty")).unwrap();
    let empty = run(&["history", "--out", "empty"], work.path());
    assert_eq!(empty.code, 0, "an existing directory without runs is an empty history: {}", empty.stderr);
}

/// A run of an earlier model version with the same summary (8, 7) is compared with; an older one (6) is listed as
/// skipped, with its version, and compared with nothing.
#[test]
fn runs_of_the_previous_model_version_are_compared_and_older_ones_skipped() {
    let fixture = demo_copy();
    let config = fixture.path().join("kafka-finops.toml");
    let work = tempfile::tempdir().unwrap();
    let run_once = || {
        let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
        assert_eq!(out.code, 0, "stderr: {}", out.stderr);
        work.path().join(out.run_dir())
    };
    let set_version = |dir: &Path, version: u32| {
        let path = dir.join("summary.json");
        let mut summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        summary["model_version"] = version.into();
        std::fs::write(&path, summary.to_string()).unwrap();
    };
    let first = run_once();
    for version in [7, 8] {
        set_version(&first, version);
        let second = run_once();
        let h = read_model(&second).history.unwrap();
        let previous = h.previous_run.as_deref();
        assert_eq!(previous, first.file_name().unwrap().to_str(), "version {version} is compared with");
        std::fs::remove_dir_all(second).unwrap();
    }
    let second = run_once();

    set_version(&first, 6);
    set_version(&second, 6);
    let third = run_once();
    let h = read_model(&third).history.unwrap();
    assert_eq!(h.previous_run, None, "nothing of version 6 is compared with");
    let skipped = serde_json::to_string(&h.skipped).unwrap();
    assert!(skipped.contains("model version 6, this build compares versions 7, 8, 9"), "{skipped}");
}

#[test]
/// Derived by hand: a run keeps its last offset readings (`offsets.json`), and the next run pairs its own last
/// reading with that one: a day's average, preferred over the run's own minute.
fn the_next_run_measures_write_rates_between_runs_from_the_offsets_the_last_one_kept() {
    // No per-topic metric: the offsets are the only rates.
    let fixture = demo_without_topic_metrics();
    let config = fixture.path().join("kafka-finops.toml");
    let work = tempfile::tempdir().unwrap();
    let run_once = || {
        let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
        assert_eq!(out.code, 0, "stderr: {}", out.stderr);
        work.path().join(out.run_dir())
    };
    let first = run_once();
    let carried = std::fs::read_to_string(first.join("offsets.json")).unwrap();
    assert!(carried.contains(r#""topic":"payments.transactions","group_id":null,"sampled_at":"2026-11-26T00:00:00Z","offset_sum":518400338"#), "{carried}");

    // A day later payments.transactions has written 5 records a second: 518,400,338 + 86,400 × 5 = 518,832,338,
    // read again a minute apart (+402 in the minute, 6.7/s, as before). Between runs: 5 records/s.
    let samples = fixture.path().join("offset_samples.csv");
    edit(
        &samples,
        "demo-msk,payments.transactions,,2026-11-25T23:59:00Z,518399936,12,this run\ndemo-msk,payments.transactions,,2026-11-26T00:00:00Z,518400338,12,this run\n",
        "demo-msk,payments.transactions,,2026-11-26T23:59:00Z,518831936,12,this run\ndemo-msk,payments.transactions,,2026-11-27T00:00:00Z,518832338,12,this run\n",
    );
    let second = read_model(&run_once());
    let t = second.topics.iter().find(|t| t.topic == "payments.transactions").unwrap();
    assert_eq!(t.write_rate_basis, "offsets between runs");
    let first_t = read_model(&first).topics.into_iter().find(|t| t.topic == "payments.transactions").unwrap();
    assert_eq!(first_t.write_rate_basis, "offsets within the run");
    // The same bytes per record both times: the rates stand as 5 to 6.7.
    let ratio = t.bytes_in_per_sec.unwrap() / first_t.bytes_in_per_sec.unwrap();
    assert!((ratio - 5.0 / 6.7).abs() < 1e-4, "{ratio}");
    // A topic whose readings did not move in time has no earlier reading before its own: within the run.
    let other = second.topics.iter().find(|t| t.topic == "orders.events").unwrap();
    assert_eq!(other.write_rate_basis, "offsets within the run");

    // A corrupt offsets.json is named in the history, and this run's rates come from its own readings.
    let newest = std::fs::read_dir(work.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("offsets.json").is_file())
        .max()
        .unwrap();
    std::fs::write(newest.join("offsets.json"), "{not json").unwrap();
    let third = read_model(&run_once());
    let skipped = &third.history.as_ref().unwrap().skipped;
    assert!(skipped.iter().any(|s| s.contains("offsets.json is malformed")), "{skipped:?}");
    let t = third.topics.iter().find(|t| t.topic == "payments.transactions").unwrap();
    assert_eq!(t.write_rate_basis, "offsets within the run");
}

/// The gap ledger across runs in one output directory (`[closure] watch_runs = 2`): the demo's unowned
/// `test-loadgen` is a gap opened in the first run, blocked in the second, closed in the third (a catalog rule
/// owns it), reopened in the fourth (the rule removed); a ledger that cannot be read is named, not silently reset.
#[test]
fn a_gap_is_opened_aged_closed_and_reopened_across_four_runs() {
    let fixture = demo_copy();
    let config = fixture.path().join("kafka-finops.toml");
    edit(&config, "watch_runs = 3", "watch_runs = 2");
    let work = tempfile::tempdir().unwrap();
    let id = "no_owner:demo-msk/test-loadgen";
    let run_once = || {
        let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
        assert!(out.code <= 1, "stderr: {}", out.stderr);
        let dir = work.path().join(out.run_dir());
        (dir.file_name().unwrap().to_string_lossy().into_owned(), read_model(&dir))
    };
    let gap = |m: &kafka_finops::report_model::ReportModel| m.gap_ledger.gaps.iter().find(|g| g.id == id).cloned();
    let closure = |m: &kafka_finops::report_model::ReportModel| {
        let unowned = m.owners.iter().find(|o| o.owner == "unowned").unwrap();
        let card = unowned.readiness.as_ref().unwrap();
        card.checks.iter().find(|c| c.dimension == kafka_finops::report_model::Dimension::Closure).unwrap().verdict
    };
    use kafka_finops::report_model::Verdict::*;
    let (r1, m1) = run_once();
    let g = gap(&m1).expect("opened");
    // The ledger numbers its runs: 1 is this output directory's first.
    assert_eq!((m1.gap_ledger.run, g.first_seen, g.runs_open, g.verdict), (1, 1, 1, Some(Watch)));
    assert_eq!(g.first_seen_at, "2026-11-26T00:00:00+00:00");
    assert_eq!(closure(&m1), Watch);
    assert!(work.path().join("runs").join(&r1).join("gaps.json").is_file());
    let (_, m2) = run_once();
    let g = gap(&m2).unwrap();
    assert_eq!((g.runs_open, g.verdict), (2, Some(Blocked)));
    assert_eq!(closure(&m2), Blocked);
    // A rule owns it now: the third run no longer finds the gap and closes it.
    let catalog = fixture.path().join("catalog.toml");
    let original = std::fs::read_to_string(&catalog).unwrap();
    std::fs::write(
        &catalog,
        format!("{original}\n[[rules]]\nowner = \"platform\"\nkind = \"topic\"\nexact = \"test-loadgen\"\n"),
    )
    .unwrap();
    let (r3, m3) = run_once();
    let g = gap(&m3).unwrap();
    assert_eq!((g.closed_in, g.verdict), (Some(3), Some(Ready)));
    // The run's summary counts it as closed for its owner, and `history` lists each run's gaps.
    let summary = std::fs::read_to_string(work.path().join("runs").join(&r3).join("summary.json")).unwrap();
    let summary: kafka_finops::model::trend::RunSummary = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary.gaps["unowned"].closed, 1, "{:?}", summary.gaps);
    let listed = run(&["history", "--out", "runs"], work.path());
    assert!(listed.stdout.contains("gaps (+new -closed)") && listed.stdout.contains(" -1)"), "{}", listed.stdout);
    // The rule goes: the gap is back, blocked at once as reopened, first seen in the first run still.
    std::fs::write(&catalog, &original).unwrap();
    let (r4, m4) = run_once();
    let g = gap(&m4).unwrap();
    assert_eq!((g.runs_open, g.reopened, g.closed_in, g.verdict), (1, 1, None, Some(Blocked)));
    assert_eq!((g.first_seen, g.last_seen), (1, 4));
    // A corrupt ledger: named in the next one's note, and the gap opened anew in that run.
    std::fs::write(work.path().join("runs").join(&r4).join("gaps.json"), "{ not json").unwrap();
    let (_, m5) = run_once();
    let note = m5.gap_ledger.note.clone().expect("the unreadable ledger is named");
    assert!(note.contains(&r4) && note.contains("malformed") && note.contains("starts again"), "{note}");
    assert_eq!((m5.gap_ledger.run, gap(&m5).unwrap().first_seen), (1, 1));
}
