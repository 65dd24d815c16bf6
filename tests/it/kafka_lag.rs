//! Lag classes on the real test cluster (ci/kafka.sh): two live runs into one output directory, the second
//! comparing each partition's committed offset and log end with what the first read (Burrow's rules,
//! docs/handoff.md "Lag classes"). Each test sets up a group by hand, so the expected class is derived from the
//! offsets it wrote, written out beside each assertion.

use std::path::Path;
use std::time::Duration;

use kafka_finops::report_model::{LagClass, LagStatus, LagSymptom};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use crate::kafka::{CLUSTER, assert_live_run, commit, create_topic, env, join_group, produce, unique, write_config};
use crate::support::*;

/// One live run into `work/runs`; returns its run directory.
fn live_run(work: &Path, config: &Path) -> std::path::PathBuf {
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work);
    assert_live_run(&out, work);
    work.join(out.run_dir())
}

/// The class of `group` on `topic` in the run's model.
fn class_of(run_dir: &Path, group: &str, topic: &str) -> LagClass {
    let model = read_model(run_dir);
    let g = model.consumer_groups.iter().find(|g| g.group_id == group && g.topic == topic);
    g.unwrap_or_else(|| panic!("{group} on {topic} not in the model")).lag_class.clone()
}

fn config(work: &Path, bootstrap: &str) -> std::path::PathBuf {
    write_config(work, &format!("\"bootstrap.servers\" = \"{bootstrap}\""), "")
}

#[test]
fn a_stopped_consumer_is_stop_and_one_falling_behind_is_warn_across_two_runs() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (topic, stopped, slow) = (unique("payments.lag"), unique("payments-stopped"), unique("payments-slow"));
    create_topic(&env.bootstrap, &topic, 2, 3, &[]);
    // 100 records in each partition; both groups commit 50 of each and have no members.
    produce(&env.bootstrap, &topic, &[100, 100], 100);
    commit(&env.bootstrap, &stopped, &topic, &[50, 50]);
    commit(&env.bootstrap, &slow, &topic, &[50, 50]);
    let work = tempfile::tempdir().unwrap();
    let config = config(work.path(), &env.bootstrap);
    let first = live_run(work.path(), &config);
    // A single run has nothing to compare with.
    assert_eq!(class_of(&first, &stopped, &topic).status, LagStatus::NeedsSecondRun);
    assert_eq!(class_of(&first, &stopped, &topic).symptom, LagSymptom::Unclassified);
    // 300 more in each partition. `stopped` commits nothing: committed 50 → 50, lag 50 → 350, no members: STOP.
    // `slow` commits 100 of each: committed +50, lag 50 → 300, which grew 250 ≥ 1 % of the 300 written: WARN.
    produce(&env.bootstrap, &topic, &[300, 300], 100);
    commit(&env.bootstrap, &slow, &topic, &[100, 100]);
    let second = live_run(work.path(), &config);
    let stop = class_of(&second, &stopped, &topic);
    assert_eq!((stop.status, stop.symptom), (LagStatus::Stop, LagSymptom::ClientProcessing), "{stop:?}");
    // The application team (the catalog's `payments-` rule) responds first.
    assert_eq!(stop.first_responder.as_deref(), Some("payments"), "{stop:?}");
    assert!(stop.reason.contains("no commit on partition(s) 0, 1"), "{}", stop.reason);
    assert!(stop.since_run.is_some_and(|r| first.ends_with(&r)), "compared with the first run");
    let warn = class_of(&second, &slow, &topic);
    assert_eq!((warn.status, warn.symptom), (LagStatus::Warn, LagSymptom::ClientProcessing), "{warn:?}");
    assert!(warn.reason.contains("lag 100 → 600 messages"), "{}", warn.reason);
}

#[test]
fn a_member_that_stops_committing_is_stall() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (topic, group) = (unique("payments.stall"), unique("payments-stuck"));
    create_topic(&env.bootstrap, &topic, 1, 3, &[]);
    produce(&env.bootstrap, &topic, &[100], 100);
    // A member that joins, commits 50 once, and never again (auto-commit off): stuck on a record.
    let consumer = join_group(&env.bootstrap, &group, &topic, &[50], &[]);
    let work = tempfile::tempdir().unwrap();
    let config = config(work.path(), &env.bootstrap);
    live_run(work.path(), &config);
    // 100 more; the member stays (its heartbeats run on librdkafka's own thread) and commits nothing: committed
    // 50 → 50 with lag 50 → 150 and members: STALL.
    produce(&env.bootstrap, &topic, &[100], 100);
    let second = live_run(work.path(), &config);
    let stall = class_of(&second, &group, &topic);
    assert_eq!((stall.status, stall.symptom), (LagStatus::Stall, LagSymptom::ClientProcessing), "{stall:?}");
    assert!(stall.reason.contains("with members"), "{}", stall.reason);
    drop(consumer);
}

#[test]
fn a_hot_key_is_partition_skew_for_the_group_with_the_platform() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (topic, group) = (unique("payments.hot"), unique("payments-reader"));
    create_topic(&env.bootstrap, &topic, 6, 3, &[]);
    // 10 records in each of 6 partitions; the group has read them all (lag 0 everywhere).
    produce(&env.bootstrap, &topic, &[10; 6], 100);
    commit(&env.bootstrap, &group, &topic, &[10; 6]);
    let work = tempfile::tempdir().unwrap();
    let config = config(work.path(), &env.bootstrap);
    live_run(work.path(), &config);
    // 600 records under one key: the default partitioner puts them all in one partition.
    let producer: BaseProducer = ClientConfig::new().set("bootstrap.servers", &env.bootstrap).create().unwrap();
    for _ in 0..600 {
        producer.send(BaseRecord::to(&topic).key("the-hot-key").payload("x")).unwrap();
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    let second = live_run(work.path(), &config);
    let skew = class_of(&second, &group, &topic);
    // Lag 0 at the first reading everywhere: Burrow's rule 1 calls each partition OK. Beside it, the hot
    // partition's lag (0 → 600, grew 600 ≥ 1 % of the 600 written to it) is ≥ 2 × the others' mean (0): skew, for
    // the application team with the platform team.
    assert_eq!((skew.status, skew.symptom), (LagStatus::Ok, LagSymptom::PartitionSkew), "{skew:?}");
    assert_eq!(skew.first_responder.as_deref(), Some("payments with platform"), "{skew:?}");
    let hot = skew.hot_partition.expect("the hot partition is named");
    assert!(skew.reason.contains(&format!("partition {hot} holds 600 of 600")), "{}", skew.reason);
}
