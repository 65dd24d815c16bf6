//! ACLs on the real test cluster (ci/kafka.sh): read back exactly as Kafka's own `kafka-acls --list` prints them,
//! and evaluated into who may write a topic (docs/handoff.md, "Access").

use std::collections::BTreeSet;
use std::path::Path;

use kafka_finops::report_model::AccessIssueKind;

use crate::kafka::{CLUSTER, assert_live_run, create_topic, env, unique, write_config};
use crate::support::*;

/// One binding: resource type, name, pattern type, principal, host, operation, permission.
type Binding = (String, String, String, String, String, String, String);

/// `bash ci/kafka.sh acls ARGS` against the PLAINTEXT listener (its principal is a super user).
fn kafka_acls(bootstrap: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("bash")
        .arg(format!("{}/ci/kafka.sh", env!("CARGO_MANIFEST_DIR")))
        .args(["acls", "--bootstrap-server", bootstrap.split(',').next().unwrap()])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "kafka-acls {args:?}: {text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

/// What `kafka-acls --list` prints, as bindings: a `Current ACLs for resource `ResourcePattern(resourceType=T,
/// name=N, patternType=P)`:` line, then one `(principal=.., host=.., operation=.., permissionType=..)` per ACL.
fn parse_list(text: &str) -> BTreeSet<Binding> {
    let field = |s: &str, key: &str| -> String {
        let start = s.find(&format!("{key}=")).unwrap_or_else(|| panic!("no {key} in {s}")) + key.len() + 1;
        let rest = &s[start..];
        rest[..rest.find([',', ')']).unwrap()].trim().to_string()
    };
    let mut out = BTreeSet::new();
    let mut resource: Option<(String, String, String)> = None;
    for line in text.lines() {
        if line.starts_with("Current ACLs for resource") {
            resource = Some((field(line, "resourceType"), field(line, "name"), field(line, "patternType")));
        } else if line.trim_start().starts_with("(principal=") {
            let (t, n, p) = resource.clone().expect("an ACL under a resource line");
            let acl = line.trim();
            out.insert((
                t,
                n,
                p,
                field(acl, "principal"),
                field(acl, "host"),
                field(acl, "operation"),
                field(acl, "permissionType"),
            ));
        }
    }
    out
}

fn recorded(rec: &Path) -> BTreeSet<Binding> {
    let (h, rows) = read_csv(&rec.join("acls.csv"));
    let col = |r: &Vec<String>, c: &str| r[h.iter().position(|x| x == c).unwrap()].clone();
    rows.iter()
        .map(|r| {
            let words =
                ["resource_type", "resource_name", "pattern_type", "principal", "host", "operation", "permission"];
            let [a, b, c, d, e, f, g] = words.map(|w| col(r, w));
            (a, b, c, d, e, f, g)
        })
        .collect()
}

#[test]
fn the_acls_read_back_as_kafka_acls_lists_them_and_foreign_or_unowned_writers_are_for_review() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    // Beside the collector's own ACLs (ci/kafka.sh): on the prefix `payments.acl-`, payments' service may do
    // anything; orders' service (the catalog's `User:svc-orders` rule), a principal no rule owns and one denied
    // everything may write. Adding an ACL that exists is a no-op, so reruns on one cluster stay the same.
    let on_prefix = ["--topic", "payments.acl-", "--resource-pattern-type", "prefixed"];
    let writers = ["--allow-principal", "User:svc-orders-acl", "--allow-principal", "User:svc-stranger"];
    let denied = ["--allow-principal", "User:svc-denied"];
    kafka_acls(&env.bootstrap, &[&["--add", "--operation", "Write"][..], &writers, &denied, &on_prefix].concat());
    kafka_acls(
        &env.bootstrap,
        &[&["--add", "--allow-principal", "User:svc-payments-acl", "--operation", "All"][..], &on_prefix].concat(),
    );
    kafka_acls(
        &env.bootstrap,
        &[&["--add", "--deny-principal", "User:svc-denied", "--operation", "All"][..], &on_prefix].concat(),
    );
    let topic = unique("payments.acl-check");
    create_topic(&env.bootstrap, &topic, 1, 3, &[]);

    let work = tempfile::tempdir().unwrap();
    let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{}\"", env.bootstrap), "");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", "rec"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let listed = parse_list(&kafka_acls(&env.bootstrap, &["--list"]));
    assert!(listed.len() >= 13, "the collector's ACLs and these: {listed:?}");
    assert_eq!(recorded(&work.path().join("rec")), listed);
    let (_, visibility) = read_csv(&work.path().join("rec/acl_visibility.csv"));
    assert_eq!(visibility, vec![vec!["local".to_string(), "true".into(), String::new()]]);

    // Who may write the topic: payments' own service (no review), orders' service (another team's) and the
    // stranger (no owner); svc-denied's ALLOW is beaten by its DENY.
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_live_run(&out, work.path());
    let model = read_model(&work.path().join(out.run_dir()));
    let access = model.access.iter().find(|a| a.topic == topic).expect("the topic's access");
    let writers: Vec<&str> = access.writers.iter().map(|g| g.principal.as_str()).collect();
    assert_eq!(writers, vec!["User:svc-orders-acl", "User:svc-payments-acl", "User:svc-stranger"]);
    let mut issues: Vec<(&str, AccessIssueKind, &str)> = model
        .access_issues
        .iter()
        .filter(|i| i.topic == topic)
        .map(|i| (i.principal.as_str(), i.kind, i.principal_owner.as_str()))
        .collect();
    issues.sort();
    assert_eq!(
        issues,
        vec![
            ("User:svc-orders-acl", AccessIssueKind::ForeignWriter, "orders"),
            ("User:svc-stranger", AccessIssueKind::UnownedWriter, "unowned"),
        ]
    );
}
