//! Bad input: each case exits 2, names the file, line and field, and creates no run directory.

use std::path::Path;

use crate::support::*;

/// Runs `run` on an edited copy of the demo and checks the failure contract. Returns stderr.
fn fails(edit_fixture: impl FnOnce(&Path)) -> String {
    let fixture = demo_copy();
    edit_fixture(fixture.path());
    let work = tempfile::tempdir().unwrap();
    let config = fixture.path().join("kafka-finops.toml");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 2, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    assert!(entries(work.path()).is_empty(), "nothing may be written: {:?}", entries(work.path()));
    assert!(out.stdout.is_empty(), "no run directory is printed: {}", out.stdout);
    // validate reports the same problem and writes nothing either.
    let v = run(&["validate", "--config", config.to_str().unwrap()], work.path());
    assert_eq!(v.code, 2, "validate: {}", v.stderr);
    assert!(entries(work.path()).is_empty());
    out.stderr
}

fn line_of(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle} not in {}", path.display())) + 1
}

#[test]
fn malformed_toml_names_file_and_line() {
    let mut line = 0;
    let err = fails(|dir| {
        let cfg = dir.join("kafka-finops.toml");
        edit(&cfg, "[[clusters]]", "[[clusters]");
        line = line_of(&cfg, "[[clusters]");
    });
    assert!(err.contains(&format!("kafka-finops.toml:{line}")), "{err}");
}

#[test]
fn unknown_key_names_the_key_and_its_line() {
    let mut line = 0;
    let err = fails(|dir| {
        let cfg = dir.join("kafka-finops.toml");
        edit(&cfg, "region = \"us-east-1\"", "region = \"us-east-1\"\nbroker_colour = \"blue\"");
        line = line_of(&cfg, "broker_colour");
    });
    assert!(err.contains(&format!("kafka-finops.toml:{line}")), "{err}");
    assert!(err.contains("broker_colour"), "{err}");
}

#[test]
fn invalid_regex_names_catalog_line_and_field() {
    let mut line = 0;
    let err = fails(|dir| {
        let cat = dir.join("catalog.toml");
        edit(&cat, "regex = \"(clickstream|analytics)\\\\..+\"", "regex = \"(clickstream|analytics\\\\..+\"");
        line = line_of(&cat, "regex = \"(clickstream|analytics\\\\");
    });
    assert!(err.contains(&format!("catalog.toml:{line}: `rules[3].regex`: invalid regex")), "{err}");
}

#[test]
fn two_rules_tying_for_the_same_topic_are_an_error() {
    let err = fails(|dir| {
        let cat = dir.join("catalog.toml");
        edit(
            &cat,
            "prefix = \"orders.\"",
            "prefix = \"orders.\"\n\n[[rules]]\nowner = \"search\"\nkind = \"topic\"\nprefix = \"orders.\"",
        );
    });
    assert!(err.contains("ties with the rule at line"), "{err}");
    assert!(err.contains("catalog.toml:"), "{err}");
}

#[test]
fn two_regexes_tying_on_a_real_topic_are_an_error() {
    let err = fails(|dir| {
        let cat = dir.join("catalog.toml");
        edit(
            &cat,
            "# --- consumer groups ---",
            "[[rules]]\nowner = \"observability\"\nkind = \"topic\"\nregex = \"clickstream\\\\.sess.*\"\n\n# --- consumer groups ---",
        );
    });
    assert!(err.contains("`clickstream.sessions` is matched by two rules of equal precedence"), "{err}");
}

#[test]
fn missing_scenario_file_is_named() {
    let err = fails(|dir| std::fs::remove_file(dir.join("topics.csv")).unwrap());
    assert!(err.contains("topics.csv"), "{err}");
}

#[test]
fn bad_csv_value_names_file_line_and_column() {
    let err = fails(|dir| {
        let p = dir.join("topics.csv");
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, text.replacen(",12,3,2592000000,", ",twelve,3,2592000000,", 1)).unwrap();
    });
    assert!(err.contains("topics.csv:"), "{err}");
    assert!(err.contains("`partitions`"), "{err}");
}

#[test]
fn negative_price_is_refused() {
    let mut line = 0;
    let err = fails(|dir| {
        let cfg = dir.join("kafka-finops.toml");
        edit(&cfg, "# \"ebs.gp3.storage\" = 0.08", "\"ebs.gp3.storage\" = -0.08");
        line = line_of(&cfg, "\"ebs.gp3.storage\" = -0.08");
    });
    assert!(
        err.contains(&format!("kafka-finops.toml:{line}: `prices.ebs.gp3.storage`: expected a price of 0 or more")),
        "{err}"
    );
}

#[test]
fn owner_referenced_but_not_declared() {
    let mut line = 0;
    let err = fails(|dir| {
        let cat = dir.join("catalog.toml");
        edit(&cat, "owner = \"search\"\nkind = \"topic\"", "owner = \"serch\"\nkind = \"topic\"");
        line = line_of(&cat, "owner = \"serch\"");
    });
    assert!(err.contains(&format!("catalog.toml:{line}: `rules[2].owner`: owner `serch` is not declared")), "{err}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = fails(|dir| {
        let cfg = dir.join("kafka-finops.toml");
        edit(&cfg, "platform = \"msk\"", "platform = \"mks\"");
        edit(&cfg, "target_disk_utilization = 0.6", "target_disk_utilization = 1.6");
        edit(&dir.join("catalog.toml"), "owner = \"search\"\nkind = \"topic\"", "owner = \"serch\"\nkind = \"topic\"");
    });
    assert!(err.contains("3 problems found"), "{err}");
    for needle in ["unknown platform `mks`", "model.target_disk_utilization", "owner `serch` is not declared"] {
        assert!(err.contains(needle), "{needle} missing in {err}");
    }
}

#[test]
fn a_missing_config_file_exits_2() {
    let work = tempfile::tempdir().unwrap();
    let out = run(&["run", "--config", "nope.toml"], work.path());
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nope.toml"), "{}", out.stderr);
    assert!(entries(work.path()).is_empty());
}

#[test]
fn bad_usage_exits_2() {
    let out = run(&["run"], Path::new("."));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--config"), "{}", out.stderr);
}

#[test]
fn a_billing_export_source_with_misplaced_or_missing_keys_names_each() {
    let err = fails(|dir| {
        let cfg = dir.join("kafka-finops.toml");
        let text = std::fs::read_to_string(&cfg).unwrap();
        let extra = "\n[[sources]]\nname = \"cur\"\nkind = \"billing-export\"\ntimeout_seconds = 5\n\
                     format = \"parquet\"\nbilling_periods = [\"2024-13\"]\nendpoint_url = \"localhost:5000\"\n";
        std::fs::write(&cfg, format!("{text}{extra}")).unwrap();
    });
    for needle in [
        "sources[1].timeout_seconds",
        "`timeout_seconds` does not apply to a `billing-export` source",
        "needs `bucket` (S3) or `path`",
        "unknown export format `parquet`",
        "`2024-13` is not a billing period",
        "expected an http:// or https:// URL",
    ] {
        assert!(err.contains(needle), "{needle} missing in {err}");
    }
}

#[test]
fn an_athena_source_with_missing_or_bad_keys_names_each() {
    let err = fails(|dir| {
        let cfg = dir.join("kafka-finops.toml");
        let text = std::fs::read_to_string(&cfg).unwrap();
        let extra = "\n[[sources]]\nname = \"cur\"\nkind = \"athena\"\ndatabase = \"cur\"\nbucket = \"b\"\n\
                     output_location = \"acme-results/\"\ntimeout_seconds = 0\nbilling_periods = [\"2026-1\"]\n";
        std::fs::write(&cfg, format!("{text}{extra}")).unwrap();
    });
    for needle in [
        "`bucket` does not apply to an `athena` source",
        "an `athena` source needs `table`",
        "expected an s3://bucket/prefix/ URL, found `acme-results/`",
        "expected 1 to 86400 seconds, found 0",
        "`2026-1` is not a billing period",
    ] {
        assert!(err.contains(needle), "{needle} missing in {err}");
    }
}

#[test]
fn a_cloudwatch_source_refuses_keys_of_other_kinds_and_needs_its_cluster() {
    let err = fails(|dir| {
        let cfg = dir.join("kafka-finops.toml");
        let text = std::fs::read_to_string(&cfg).unwrap();
        let extra = "\n[[sources]]\nname = \"cw\"\nkind = \"cloudwatch\"\nbucket = \"x\"\nperiod_seconds = 90\n";
        std::fs::write(&cfg, format!("{text}{extra}")).unwrap();
    });
    for needle in [
        "`bucket` does not apply to a `cloudwatch` source",
        "a `cloudwatch` source needs `cluster`",
        "expected a multiple of 60 from 60 to 86400, found 90",
    ] {
        assert!(err.contains(needle), "{needle} missing in {err}");
    }
}

#[test]
fn a_cost_line_in_another_currency_or_none_is_refused_never_added_to_dollars() {
    let err = fails(|dir| {
        let path = dir.join("cost_lines.csv");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| match i + 1 {
                3 => l.replace(",USD,scenario", ",EUR,scenario"),
                5 => l.replace(",USD,scenario", ",,scenario"),
                _ => l.to_string(),
            })
            .collect();
        assert_ne!(lines.join("\n") + "\n", text, "the edit applies");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    });
    assert!(err.contains("cost_lines:3: `currency`: expected `USD`") && err.contains("found `EUR`"), "{err}");
    assert!(err.contains("cost_lines:5: `currency`: expected `USD`") && err.contains("found no currency"), "{err}");
}

#[test]
fn a_bad_value_is_cited_at_its_own_line_whatever_the_line_endings_and_the_path_reads_plainly() {
    // The 4th line of topics.csv gets `partitions = y`; each variant moves it (or not) by a known number of lines.
    type Variant = (&'static str, fn(String) -> String, usize);
    let variants: [Variant; 5] = [
        ("LF", |t| t, 4),
        ("CRLF", |t| t.replace('\n', "\r\n"), 4),
        ("a blank line after the header", |t| t.replacen('\n', "\n\n", 1), 5),
        ("no final newline", |t| t.trim_end_matches('\n').to_string(), 4),
        // A quoted field with a line break in the 2nd line's record: the bad record starts one line further down.
        ("a quoted line break before it", |t| t.replacen(",delete,", ",\"del\nete\",", 1), 5),
    ];
    for (name, transform, want) in variants {
        let stderr = fails(|dir| {
            let path = dir.join("topics.csv");
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            let mut cells: Vec<&str> = lines[3].split(',').collect();
            cells[3] = "y";
            lines[3] = cells.join(",");
            std::fs::write(&path, transform(lines.join("\n") + "\n")).unwrap();
        });
        let cited =
            stderr.lines().find(|l| l.contains("`partitions`: `y`")).unwrap_or_else(|| panic!("{name}: {stderr}"));
        assert!(cited.contains(&format!("topics.csv:{want}: ")), "{name}: {cited}");
        assert!(!cited.contains("/./"), "{name}: the path reads plainly: {cited}");
    }
}
