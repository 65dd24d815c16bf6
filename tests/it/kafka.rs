//! The Kafka source against a real Apache Kafka cluster (three KRaft brokers with racks, started by ci/kafka.sh).
//!
//! Test data is written with rdkafka: topics with known configs and replication factors, records of known sizes
//! into known partitions, and consumer-group offsets committed at known positions. The tests then run the real
//! binary and check what it recorded. They share one cluster, so they take a lock and use their own topic names.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use crate::support::*;

pub static CLUSTER: Mutex<()> = Mutex::new(());

/// The cluster's environment (from `ci/kafka.sh env`), or None when no cluster runs. ci/test.sh sets
/// KAFKA_FINOPS_REQUIRE_KAFKA=1, so in CI a missing cluster fails instead of skipping.
pub(crate) struct Env {
    pub(crate) bootstrap: String,
    ssl_bootstrap: String,
    sasl_bootstrap: String,
    ca: String,
    client_cert: String,
    client_key: String,
    secrets: String,
    run_dir: String,
}

pub(crate) fn env() -> Option<Env> {
    let get = |k: &str| std::env::var(k).ok();
    let found = (|| {
        Some(Env {
            bootstrap: get("KAFKA_FINOPS_BOOTSTRAP")?,
            ssl_bootstrap: get("KAFKA_FINOPS_SSL_BOOTSTRAP")?,
            sasl_bootstrap: get("KAFKA_FINOPS_SASL_BOOTSTRAP")?,
            ca: get("KAFKA_FINOPS_CA")?,
            client_cert: get("KAFKA_FINOPS_CLIENT_CERT")?,
            client_key: get("KAFKA_FINOPS_CLIENT_KEY")?,
            secrets: get("KAFKA_FINOPS_SECRETS")?,
            run_dir: get("KAFKA_FINOPS_KAFKA_RUN")?,
        })
    })();
    if found.is_none() {
        crate::support::service_missing("KAFKA_FINOPS_REQUIRE_KAFKA", "Kafka test cluster");
    }
    found
}

pub(crate) fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{nanos}")
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

pub(crate) fn create_topic(bootstrap: &str, name: &str, partitions: i32, rf: i32, configs: &[(&str, &str)]) {
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", bootstrap).create().unwrap();
    let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(rf));
    for (k, v) in configs {
        topic = topic.set(k, v);
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = runtime().block_on(admin.create_topics(&[topic], &options)).unwrap();
    for r in results {
        r.unwrap_or_else(|(t, e)| panic!("creating {t}: {e}"));
    }
    wait_in_sync(bootstrap, name);
}

/// Waits (at most 30 s) until every replica of every partition of `topic` is in sync. Until then a broker may not
/// hold the partition's log yet, and a collection running meanwhile (another test's) reports its size unknown, as
/// it should for a real cluster caught mid-creation.
fn wait_in_sync(bootstrap: &str, topic: &str) {
    let consumer: BaseConsumer = ClientConfig::new().set("bootstrap.servers", bootstrap).create().unwrap();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let settled = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)).is_ok_and(|m| {
            m.topics().iter().all(|t| {
                t.error().is_none()
                    && !t.partitions().is_empty()
                    && t.partitions().iter().all(|p| p.isr().len() == p.replicas().len() && p.leader() >= 0)
            })
        });
        if settled {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{topic}: replicas not in sync after 30 s");
}

/// Creates a topic with an explicit replica assignment: `replicas[p]` lists partition p's brokers, its preferred
/// leader first.
fn create_topic_assigned(bootstrap: &str, name: &str, replicas: &[&[i32]]) {
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", bootstrap).create().unwrap();
    let topic = NewTopic::new(name, replicas.len() as i32, TopicReplication::Variable(replicas));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = runtime().block_on(admin.create_topics(&[topic], &options)).unwrap();
    for r in results {
        r.unwrap_or_else(|(t, e)| panic!("creating {t}: {e}"));
    }
    wait_in_sync(bootstrap, name);
}

/// Writes `counts[p]` records of `size` bytes into partition p.
pub(crate) fn produce(bootstrap: &str, topic: &str, counts: &[usize], size: usize) {
    let producer: BaseProducer =
        ClientConfig::new().set("bootstrap.servers", bootstrap).set("linger.ms", "5").create().unwrap();
    let payload = vec![b'x'; size];
    for (p, &n) in counts.iter().enumerate() {
        for i in 0..n {
            let key = format!("k{i}");
            let record = BaseRecord::to(topic).partition(p as i32).key(&key).payload(&payload);
            if let Err((e, _)) = producer.send(record) {
                panic!("producing to {topic}/{p}: {e}");
            }
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// Commits `offsets[p]` for `group` on `topic` (a group with no members, as after a consumer stopped).
pub(crate) fn commit(bootstrap: &str, group: &str, topic: &str, offsets: &[i64]) {
    let consumer: BaseConsumer =
        ClientConfig::new().set("bootstrap.servers", bootstrap).set("group.id", group).create().unwrap();
    let mut tpl = TopicPartitionList::new();
    for (p, &o) in offsets.iter().enumerate() {
        tpl.add_partition_offset(topic, p as i32, Offset::Offset(o)).unwrap();
    }
    consumer.commit(&tpl, CommitMode::Sync).unwrap();
}

/// Writes a config with one kafka source whose connection lines are `properties` (TOML inline-table body). The
/// log-end offsets are read twice a second apart (`rate_sample_seconds = 1`) unless `extra` says otherwise.
pub(crate) fn write_config(dir: &Path, properties: &str, extra: &str) -> std::path::PathBuf {
    std::fs::copy(demo_fixture().join("catalog.toml"), dir.join("catalog.toml")).unwrap();
    let sample = if extra.contains("rate_sample_seconds") { "" } else { "rate_sample_seconds = 1" };
    let text = format!(
        r#"catalog = "catalog.toml"

[[clusters]]
name = "local"
platform = "self-managed"
region = "us-east-1"
broker_instance_type = "m5.large"

[[sources]]
name = "kafka:local"
kind = "kafka"
cluster = "local"
timeout_seconds = 10
{sample}
{extra}
properties = {{ {properties} }}
"#
    );
    let path = dir.join("live.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A live `run` of the test cluster: the report written and every source complete. It is partial (exit 1) all the
/// same, for the model's and the catalog's own warnings only: a self-managed cluster without CloudWatch has no
/// write rates (its rate-driven costs are unknown), and the demo catalog's rules name topics this cluster lacks.
pub(crate) fn assert_live_run(out: &Output, work: &Path) {
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let model = read_model(&work.join(out.run_dir()));
    let complete = kafka_finops::report_model::SourceStatus::Complete;
    assert!(model.sources.iter().all(|s| s.status == complete), "{:?}", model.sources);
    for f in &model.findings {
        assert!(["write-rate-missing", "catalog-rule-matches"].contains(&f.rule.as_str()), "{f:?}");
    }
}

fn rows_where<'a>(h: &[String], rows: &'a [Vec<String>], column: &str, value: &str) -> Vec<&'a Vec<String>> {
    let i = h.iter().position(|c| c == column).unwrap();
    rows.iter().filter(|r| r[i] == value).collect()
}

fn get<'a>(h: &[String], row: &'a [String], column: &str) -> &'a str {
    &row[h.iter().position(|c| c == column).unwrap_or_else(|| panic!("no column {column}"))]
}

#[test]
fn collects_racks_placement_configs_offsets_lag_and_sizes() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (t3, t2, t1, group) =
        (unique("payments.rf3"), unique("orders.rf2"), unique("search.rf1"), unique("payments-g"));
    create_topic(&env.bootstrap, &t3, 3, 3, &[("retention.ms", "3600000")]);
    create_topic(&env.bootstrap, &t2, 2, 2, &[]);
    create_topic(&env.bootstrap, &t1, 1, 1, &[("cleanup.policy", "compact")]);
    produce(&env.bootstrap, &t3, &[100, 200, 300], 1000);
    produce(&env.bootstrap, &t1, &[10], 100);
    commit(&env.bootstrap, &group, &t3, &[50, 200, 0]);

    let work = tempfile::tempdir().unwrap();
    let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{}\"", env.bootstrap), "");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", "rec"], work.path());
    assert_eq!(out.code, 0, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let rec = work.path().join("rec");

    // Brokers and their racks, as broker.rack sets them.
    let (bh, brokers) = read_csv(&rec.join("brokers.csv"));
    let racks: BTreeMap<String, String> =
        brokers.iter().map(|r| (get(&bh, r, "broker_id").to_string(), get(&bh, r, "rack").to_string())).collect();
    let expected: BTreeMap<String, String> =
        [("1", "use1-az1"), ("2", "use1-az2"), ("3", "use1-az4")].map(|(a, b)| (a.into(), b.into())).into();
    assert_eq!(racks, expected);

    // Topics: replication factor, configs and where each value comes from.
    let (th, topics) = read_csv(&rec.join("topics.csv"));
    for (t, rf) in [(&t3, "3"), (&t2, "2"), (&t1, "1")] {
        let row = rows_where(&th, &topics, "topic", t);
        assert_eq!(get(&th, row[0], "replication_factor"), rf, "{t}");
    }
    assert_eq!(get(&th, rows_where(&th, &topics, "topic", &t3)[0], "retention_ms"), "3600000");
    assert_eq!(get(&th, rows_where(&th, &topics, "topic", &t1)[0], "cleanup_policy"), "compact");
    let (ch, configs) = read_csv(&rec.join("topic_configs.csv"));
    let config_row = |topic: &str, name: &str| {
        configs
            .iter()
            .find(|r| get(&ch, r, "topic") == topic && get(&ch, r, "name") == name)
            .unwrap_or_else(|| panic!("no {name} for {topic}"))
            .clone()
    };
    let retention = config_row(&t3, "retention.ms");
    assert_eq!((get(&ch, &retention, "source"), get(&ch, &retention, "is_default")), ("topic", "false"));
    let cleanup = config_row(&t3, "cleanup.policy");
    assert_eq!((get(&ch, &cleanup, "value"), get(&ch, &cleanup, "is_default")), ("delete", "true"));

    // Partitions: placement matches the brokers' racks, offsets match what was written.
    let (ph, partitions) = read_csv(&rec.join("partitions.csv"));
    for (t, rf) in [(&t3, 3), (&t2, 2), (&t1, 1)] {
        for row in rows_where(&ph, &partitions, "topic", t) {
            let replicas: Vec<&str> = get(&ph, row, "replicas").split(';').collect();
            let replica_racks: Vec<&str> = get(&ph, row, "replica_racks").split(';').collect();
            assert_eq!(replicas.len(), rf, "{t}");
            assert_eq!(replicas[0], get(&ph, row, "leader"), "leader first");
            for (id, rack) in replicas.iter().zip(&replica_racks) {
                assert_eq!(racks[*id], *rack, "{t}: rack of broker {id}");
            }
            let mut distinct = replica_racks.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), rf, "{t}: rack-aware placement puts each replica in its own zone");
        }
    }
    for (p, latest) in [("0", "100"), ("1", "200"), ("2", "300")] {
        let row =
            rows_where(&ph, &partitions, "topic", &t3).into_iter().find(|r| get(&ph, r, "partition") == p).unwrap();
        assert_eq!((get(&ph, row, "earliest_offset"), get(&ph, row, "latest_offset")), ("0", latest), "{t3}/{p}");
        let size: i64 = get(&ph, row, "size_bytes").parse().unwrap();
        let payload = latest.parse::<i64>().unwrap() * 1000;
        assert!(size > payload && size < payload * 2, "{t3}/{p}: {size} bytes on disk for {payload} bytes of payload");
    }

    // Lag per partition: latest − committed, exactly.
    let (gh, groups) = read_csv(&rec.join("consumer_group_offsets.csv"));
    let mine: BTreeMap<&str, (&str, &str)> = rows_where(&gh, &groups, "group_id", &group)
        .into_iter()
        .map(|r| (get(&gh, r, "partition"), (get(&gh, r, "committed_offset"), get(&gh, r, "lag"))))
        .collect();
    let expected: BTreeMap<&str, (&str, &str)> = [("0", ("50", "50")), ("1", ("200", "0")), ("2", ("0", "300"))].into();
    assert_eq!(mine, expected);

    // Sizes equal what the brokers report to Kafka's own tool (kafka-log-dirs --describe).
    let tool = std::process::Command::new("bash")
        .args([
            &format!("{}/ci/kafka.sh", env!("CARGO_MANIFEST_DIR")),
            "log-dirs",
            "--bootstrap-server",
            env.bootstrap.split(',').next().unwrap(),
            "--describe",
            "--topic-list",
            &format!("{t3},{t2},{t1}"),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&tool.stdout);
    let json_line =
        stdout.lines().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("no JSON from the tool: {stdout}"));
    let reported: serde_json::Value = serde_json::from_str(json_line).unwrap();
    let mut from_tool: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for broker in reported["brokers"].as_array().unwrap() {
        let id = broker["broker"].to_string();
        for dir in broker["logDirs"].as_array().unwrap() {
            for p in dir["partitions"].as_array().unwrap() {
                let name = p["partition"].as_str().unwrap();
                let (topic, partition) = name.rsplit_once('-').unwrap();
                from_tool.insert((topic.into(), partition.into(), id.clone()), p["size"].as_i64().unwrap());
            }
        }
    }
    let (lh, dirs) = read_csv(&rec.join("replica_log_dirs.csv"));
    let ours: BTreeMap<(String, String, String), i64> = dirs
        .iter()
        .filter(|r| [&t3, &t2, &t1].contains(&&get(&lh, r, "topic").to_string()))
        .map(|r| {
            let key = (get(&lh, r, "topic").into(), get(&lh, r, "partition").into(), get(&lh, r, "broker_id").into());
            (key, get(&lh, r, "size_bytes").parse().unwrap())
        })
        .collect();
    assert_eq!(ours.len(), 3 * 3 + 2 * 2 + 1, "one row per replica");
    assert_eq!(ours, from_tool);

    // The source reports itself complete, with its request count.
    let scenario = std::fs::read_to_string(rec.join("scenario.toml")).unwrap();
    assert!(scenario.contains("status = \"complete\""), "{scenario}");
    assert!(out.stderr.contains("request(s)"), "{}", out.stderr);
}

#[test]
fn a_recording_replays_to_the_same_report() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();
    let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{}\"", env.bootstrap), "");
    let live = run(&["run", "--config", config.to_str().unwrap(), "--record", "rec", "--out", "runs"], work.path());
    assert_live_run(&live, work.path());
    let replay_config = work.path().join("replay.toml");
    let live_text = std::fs::read_to_string(&config).unwrap();
    let head = live_text.split("[[sources]]").next().unwrap();
    std::fs::write(
        &replay_config,
        format!("{head}[[sources]]\nname = \"recorded\"\nkind = \"scenario\"\npath = \"rec\"\n"),
    )
    .unwrap();
    let replay = run(&["run", "--config", replay_config.to_str().unwrap(), "--out", "replays"], work.path());
    assert_eq!(replay.code, live.code, "stderr: {}", replay.stderr);
    let (a, b) = (work.path().join(live.run_dir()), work.path().join(replay.run_dir()));
    for f in ["model.json", "owners.csv", "topics.csv", "cost_components.csv"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs on replay");
    }
}

#[test]
fn tls_client_certificates_and_sasl_scram_and_plain_work_and_a_wrong_password_fails_clearly() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();

    let mtls = format!(
        "\"bootstrap.servers\" = \"{}\", \"security.protocol\" = \"SSL\", \"ssl.ca.location\" = \"{}\", \
         \"ssl.certificate.location\" = \"{}\", \"ssl.key.location\" = \"{}\"",
        env.ssl_bootstrap, env.ca, env.client_cert, env.client_key
    );
    let config = write_config(work.path(), &mtls, "");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", "mtls"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let (bh, brokers) = read_csv(&work.path().join("mtls/brokers.csv"));
    let first_ssl = env.ssl_bootstrap.split(',').next().unwrap();
    assert!(brokers.iter().any(|r| get(&bh, r, "host") == first_ssl), "brokers advertise the SSL listener");

    let sasl = |mechanism: &str, user: &str| {
        format!(
            "\"bootstrap.servers\" = \"{}\", \"security.protocol\" = \"SASL_SSL\", \"sasl.mechanism\" = \"{mechanism}\", \
             \"sasl.username\" = \"{user}\", \"ssl.ca.location\" = \"{}\"",
            env.sasl_bootstrap, env.ca
        )
    };
    let password_file = format!("password_file = \"{}/finops.password\"", env.secrets);
    for mechanism in ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] {
        let config = write_config(work.path(), &sasl(mechanism, "finops"), &password_file);
        let record = format!("sasl-{mechanism}");
        let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", &record], work.path());
        assert_eq!(out.code, 0, "{mechanism}: {}", out.stderr);
        let (bh, brokers) = read_csv(&work.path().join(&record).join("brokers.csv"));
        assert_eq!(brokers.len(), 3, "{mechanism}");
        assert!(get(&bh, &brokers[0], "host").starts_with("127.0.0.1:1919"), "{mechanism}: the SASL_SSL listener");
    }

    let wrong = "zz-not-the-password-zz";
    let config =
        write_config(work.path(), &sasl("SCRAM-SHA-512", "finops"), "password_env = \"KF_TEST_WRONG_PASSWORD\"");
    let out = std::process::Command::new(BIN)
        .args(["collect", "--config", config.to_str().unwrap(), "--record", "wrong"])
        .current_dir(work.path())
        .env("KF_TEST_WRONG_PASSWORD", wrong)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cluster `local`") && stderr.contains("authentication failed"), "{stderr}");
    assert!(!stderr.contains(wrong) && !String::from_utf8_lossy(&out.stdout).contains(wrong), "password leaked");
    assert!(!work.path().join("wrong").exists(), "nothing recorded");
}

#[test]
fn missing_describe_configs_permission_names_the_acl_and_marks_the_source_partial() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();
    let properties = format!(
        "\"bootstrap.servers\" = \"{}\", \"security.protocol\" = \"SASL_SSL\", \"sasl.mechanism\" = \"SCRAM-SHA-512\", \
         \"sasl.username\" = \"limited\", \"ssl.ca.location\" = \"{}\"",
        env.sasl_bootstrap, env.ca
    );
    let config =
        write_config(work.path(), &properties, &format!("password_file = \"{}/limited.password\"", env.secrets));
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    assert!(out.stderr.contains("DESCRIBE_CONFIGS on TOPIC"), "{}", out.stderr);
    let dir = work.path().join(out.run_dir());
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("Incomplete data") && html.contains("DESCRIBE_CONFIGS on TOPIC"));
    // Configs that could not be read are unknown, not Kafka's defaults.
    let (h, rows) = read_csv(&dir.join("topics.csv"));
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!((get(&h, row, "retention_ms"), get(&h, row, "cleanup_policy")), ("", ""), "{row:?}");
    }
}

/// Pauses a broker process (SIGSTOP) and resumes it when dropped, so a failing test never leaves it paused.
struct Paused(String);

impl Paused {
    fn broker(run_dir: &str, node: u32) -> Paused {
        let pid = std::fs::read_to_string(format!("{run_dir}/node-{node}/kafka.pid")).unwrap().trim().to_string();
        assert!(std::process::Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
        Paused(pid)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-CONT", &self.0]).status();
    }
}

#[test]
fn a_broker_that_stops_answering_gives_a_flagged_partial_report_and_exit_1() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let topic = unique("observability.paused");
    create_topic(&env.bootstrap, &topic, 3, 3, &[]);
    produce(&env.bootstrap, &topic, &[20, 20, 20], 200);

    let work = tempfile::tempdir().unwrap();
    let first = env.bootstrap.split(',').next().unwrap();
    let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{first}\""), "");
    let text = std::fs::read_to_string(&config).unwrap().replace("timeout_seconds = 10", "timeout_seconds = 2");
    std::fs::write(&config, text).unwrap();

    let out = {
        let _paused = Paused::broker(&env.run_dir, 3);
        run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path())
    };
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    assert!(out.stderr.contains("broker 3"), "{}", out.stderr);
    let dir = work.path().join(out.run_dir());
    let (h, rows) = read_csv(&dir.join("topics.csv"));
    let row = rows_where(&h, &rows, "topic", &topic)[0];
    // One of the three partitions is led by broker 3: its size is unknown, so the topic's size is unknown, not 0.
    assert_eq!(get(&h, row, "retained_bytes"), "", "{row:?}");
    assert_eq!(get(&h, row, "partitions_size_unknown"), "1");
    assert!(get(&h, row, "missing").contains("size on disk not collected"));
}

#[test]
fn members_of_a_live_group_are_recorded_with_client_id_and_host() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (topic, group) = (unique("identity.members"), unique("identity-live"));
    create_topic(&env.bootstrap, &topic, 2, 3, &[]);
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &env.bootstrap)
        .set("group.id", &group)
        .set("client.id", "finops-test-client")
        .create()
        .unwrap();
    consumer.subscribe(&[&topic]).unwrap();
    // Poll until the group has assigned the partitions (bounded: 60 × 0.5 s).
    for _ in 0..60 {
        let _ = consumer.poll(Duration::from_millis(500));
        if consumer.assignment().map(|a| a.count()).unwrap_or(0) > 0 {
            break;
        }
    }
    assert!(consumer.assignment().unwrap().count() > 0, "the consumer never joined its group");

    let work = tempfile::tempdir().unwrap();
    let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{}\"", env.bootstrap), "");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", "rec"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let (h, rows) = read_csv(&work.path().join("rec/consumer_group_members.csv"));
    let mine = rows_where(&h, &rows, "group_id", &group);
    assert_eq!(mine.len(), 1, "{rows:?}");
    assert_eq!(get(&h, mine[0], "client_id"), "finops-test-client");
    assert!(get(&h, mine[0], "client_host").contains("127.0.0.1"), "{:?}", mine[0]);
    drop(consumer);
}

#[test]
fn an_unreachable_or_silent_bootstrap_server_fails_within_the_timeout_naming_cluster_and_address() {
    // No cluster needed: a closed port, and a listener that accepts connections but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let closed_addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    for addr in [closed_addr, silent_addr] {
        let work = tempfile::tempdir().unwrap();
        let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{addr}\""), "");
        let text = std::fs::read_to_string(&config).unwrap().replace("timeout_seconds = 10", "timeout_seconds = 2");
        std::fs::write(&config, text).unwrap();
        let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
        assert_eq!(out.code, 2, "{addr}: {}", out.stderr);
        assert!(out.stderr.contains("cluster `local`") && out.stderr.contains(&addr), "{}", out.stderr);
        assert!(!work.path().join("runs").exists(), "nothing written");
    }
    drop(silent);
}

#[test]
fn several_clusters_in_one_config_are_collected_under_their_own_names() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();
    let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{}\"", env.bootstrap), "");
    let text = std::fs::read_to_string(&config).unwrap();
    let second = format!(
        "\n[[clusters]]\nname = \"other\"\nplatform = \"msk\"\nregion = \"eu-west-1\"\nbroker_instance_type = \"kafka.m5.large\"\n\n\
         [[sources]]\nname = \"kafka:other\"\nkind = \"kafka\"\ncluster = \"other\"\nproperties = {{ \"bootstrap.servers\" = \"{}\" }}\n",
        env.bootstrap
    );
    std::fs::write(&config, text + &second).unwrap();
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", "rec"], work.path());
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let (h, brokers) = read_csv(&work.path().join("rec/brokers.csv"));
    for cluster in ["local", "other"] {
        assert_eq!(rows_where(&h, &brokers, "cluster", cluster).len(), 3, "{cluster}");
    }
    let scenario = std::fs::read_to_string(work.path().join("rec/scenario.toml")).unwrap();
    assert_eq!(scenario.matches("status = \"complete\"").count(), 2, "{scenario}");
}

/// The `requests = N` line of a recorded scenario.
fn recorded_requests(dir: &Path) -> u64 {
    let text = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
    let line = text.lines().find(|l| l.starts_with("requests = ")).unwrap_or_else(|| panic!("{text}"));
    line["requests = ".len()..].trim().parse().unwrap()
}

#[test]
fn the_request_count_does_not_grow_with_the_number_of_topics() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    // Before the first count every broker leads a partition 0 (DescribeConfigs goes to the leader of partition 0)
    // and some partition (ListOffsets goes to leaders), so more topics change no broker's request list. Explicit
    // assignments: on a young cluster the controller's own placement may leave a broker leading no partition 0.
    for first in [1, 2, 3] {
        let rotated: Vec<i32> = (0..3).map(|i| (first - 1 + i) % 3 + 1).collect();
        create_topic_assigned(&env.bootstrap, &unique(&format!("search.count-base-{first}")), &[rotated.as_slice()]);
    }
    let work = tempfile::tempdir().unwrap();
    let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{}\"", env.bootstrap), "");
    let first = run(&["collect", "--config", config.to_str().unwrap(), "--record", "before"], work.path());
    assert_eq!(first.code, 0, "{}", first.stderr);
    for i in 0..20 {
        create_topic(&env.bootstrap, &unique(&format!("search.count-{i}")), 6, 2, &[]);
    }
    let second = run(&["collect", "--config", config.to_str().unwrap(), "--record", "after"], work.path());
    assert_eq!(second.code, 0, "{}", second.stderr);
    let (before, after) =
        (recorded_requests(&work.path().join("before")), recorded_requests(&work.path().join("after")));
    let topics = |d: &str| read_csv(&work.path().join(d).join("topics.csv")).1.len();
    assert_eq!(topics("after"), topics("before") + 20);
    assert_eq!(after, before, "20 more topics must not mean more requests");
}

/// Joins `group` on `topic` as a KIP-848 consumer (`group.protocol=consumer`, the protocol new Kafka 4 clients choose),
/// waits until it owns every partition, and commits `offsets[p]`. The member stays while the consumer lives.
fn join_kip848(bootstrap: &str, group: &str, topic: &str, offsets: &[i64]) -> BaseConsumer {
    join_group(bootstrap, group, topic, offsets, &[("group.protocol", "consumer"), ("client.id", "finops-kip848")])
}

/// Joins `group` on `topic` with the given settings (classic protocol unless they say otherwise), waits until the
/// member owns every partition, and commits `offsets[p]`.
pub(crate) fn join_group(
    bootstrap: &str,
    group: &str,
    topic: &str,
    offsets: &[i64],
    settings: &[(&str, &str)],
) -> BaseConsumer {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap).set("group.id", group).set("enable.auto.commit", "false");
    for (k, v) in settings {
        config.set(*k, *v);
    }
    let consumer: BaseConsumer = config.create().unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while consumer.assignment().unwrap().count() < offsets.len() {
        assert!(std::time::Instant::now() < deadline, "{group}: no full assignment within 60 s");
        let _ = consumer.poll(Duration::from_millis(200));
    }
    let mut tpl = TopicPartitionList::new();
    for (p, &o) in offsets.iter().enumerate() {
        tpl.add_partition_offset(topic, p as i32, Offset::Offset(o)).unwrap();
    }
    consumer.commit(&tpl, CommitMode::Sync).unwrap();
    consumer
}

/// The `__consumer_offsets` partition, hence the coordinator, of a group: Java's `String.hashCode`, made
/// non-negative, modulo the 6 partitions of the test cluster (`offsets.topic.num.partitions`).
fn offsets_partition(group: &str) -> i32 {
    let hash = group.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    (hash & 0x7fff_ffff) % 6
}

/// (partition, committed, lag) per row of `kafka-consumer-groups --describe --group <group>`.
fn lag_from_kafkas_tool(bootstrap: &str, group: &str) -> BTreeMap<String, (String, String)> {
    let tool = std::process::Command::new("bash")
        .args([&format!("{}/ci/kafka.sh", env!("CARGO_MANIFEST_DIR")), "consumer-groups"])
        .args(["--bootstrap-server", bootstrap.split(',').next().unwrap(), "--describe", "--group", group])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&tool.stdout);
    // Columns: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
    let rows: BTreeMap<String, (String, String)> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() >= 6 && f[0] == group)
        .map(|f| (f[2].to_string(), (f[3].to_string(), f[5].to_string())))
        .collect();
    assert!(!rows.is_empty(), "no rows from kafka-consumer-groups for {group}: {stdout}");
    rows
}

#[test]
fn kip848_and_classic_groups_on_one_coordinator_are_recorded_side_by_side_with_kafkas_lag() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (topic, classic) = (unique("orders.kip848"), unique("classic-g"));
    // The KIP-848 group on the classic group's coordinator: the broker that used to lose both.
    let kip848 = (0..1000)
        .map(|i| format!("{classic}-kip848-{i}"))
        .find(|g| offsets_partition(g) == offsets_partition(&classic))
        .unwrap();
    create_topic(&env.bootstrap, &topic, 3, 3, &[]);
    produce(&env.bootstrap, &topic, &[40, 50, 60], 100);
    commit(&env.bootstrap, &classic, &topic, &[10, 50, 0]);
    let member = join_kip848(&env.bootstrap, &kip848, &topic, &[40, 20, 30]);

    let work = tempfile::tempdir().unwrap();
    let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{}\"", env.bootstrap), "");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", "rec"], work.path());
    assert_eq!(out.code, 0, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let rec = work.path().join("rec");

    // Lag = latest − committed, by hand: latest offsets 40, 50, 60.
    // (group, [(partition, (committed, lag))])
    let by_hand = [
        (classic.as_str(), [("0", ("10", "30")), ("1", ("50", "0")), ("2", ("0", "60"))]),
        (kip848.as_str(), [("0", ("40", "0")), ("1", ("20", "30")), ("2", ("30", "30"))]),
    ];
    let (gh, groups) = read_csv(&rec.join("consumer_group_offsets.csv"));
    for (group, expected) in by_hand {
        let recorded: BTreeMap<String, (String, String)> = rows_where(&gh, &groups, "group_id", group)
            .into_iter()
            .map(|r| {
                let (committed, lag) = (get(&gh, r, "committed_offset"), get(&gh, r, "lag"));
                (get(&gh, r, "partition").to_string(), (committed.to_string(), lag.to_string()))
            })
            .collect();
        let expected: BTreeMap<String, (String, String)> =
            expected.iter().map(|(p, (c, l))| (p.to_string(), (c.to_string(), l.to_string()))).collect();
        assert_eq!(recorded, expected, "{group}: by hand");
        assert_eq!(recorded, lag_from_kafkas_tool(&env.bootstrap, group), "{group}: as kafka-consumer-groups says");
        let state = get(&gh, rows_where(&gh, &groups, "group_id", group)[0], "state");
        assert!(!state.is_empty(), "{group}: the state is recorded");
    }
    // The KIP-848 member, from ConsumerGroupDescribe.
    let (mh, members) = read_csv(&rec.join("consumer_group_members.csv"));
    let mine = rows_where(&mh, &members, "group_id", &kip848);
    assert_eq!(mine.len(), 1, "one member: {mine:?}");
    assert_eq!(get(&mh, mine[0], "client_id"), "finops-kip848");
    let scenario = std::fs::read_to_string(rec.join("scenario.toml")).unwrap();
    assert!(scenario.contains("status = \"complete\""), "{scenario}");
    drop(member);
}

#[test]
fn client_racks_of_classic_and_kip848_members_place_their_groups() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (topic, classic, kip848) = (unique("orders.racks"), unique("racks-classic"), unique("racks-kip848"));
    // Both partitions led from broker 2, whose rack is use1-az2 (ci/kafka.sh).
    create_topic_assigned(&env.bootstrap, &topic, &[&[2, 1, 3], &[2, 3, 1]]);
    produce(&env.bootstrap, &topic, &[20, 20], 100);
    // A classic consumer in use1-az4 (its rack travels in the subscription, KIP-881) and a KIP-848 consumer in
    // use1-az2 (its rack in the heartbeat, reported by ConsumerGroupDescribe).
    let a = join_group(&env.bootstrap, &classic, &topic, &[5, 5], &[("client.rack", "use1-az4")]);
    let b = join_group(
        &env.bootstrap,
        &kip848,
        &topic,
        &[10, 10],
        &[("group.protocol", "consumer"), ("client.rack", "use1-az2")],
    );

    let work = tempfile::tempdir().unwrap();
    let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{}\"", env.bootstrap), "");
    let out = run(&["run", "--config", config.to_str().unwrap(), "--record", "rec", "--out", "runs"], work.path());
    assert_live_run(&out, work.path());
    let (h, members) = read_csv(&work.path().join("rec/consumer_group_members.csv"));
    for (group, rack) in [(&classic, "use1-az4"), (&kip848, "use1-az2")] {
        let mine = rows_where(&h, &members, "group_id", group);
        assert_eq!(mine.len(), 1, "{group}: {members:?}");
        assert_eq!(get(&h, mine[0], "rack"), rack, "{group}");
    }
    // By hand: every leader is in use1-az2. The classic member (use1-az4) reads every byte across a zone; the
    // KIP-848 member (use1-az2) none.
    let model = read_model(&work.path().join(out.run_dir()));
    for (group, zones, crossing) in [
        (&classic, "use1-az4 100.0%", rust_decimal::Decimal::ONE),
        (&kip848, "use1-az2 100.0%", rust_decimal::Decimal::ZERO),
    ] {
        let g = model.consumer_groups.iter().find(|g| &g.group_id == group).unwrap();
        assert_eq!(g.zones_source, Some(kafka_finops::model::zones::ZoneSource::Measured), "{group}");
        assert_eq!(g.client_zones.as_deref(), Some(zones), "{group}");
        assert_eq!(g.crossing_share, Some(crossing), "{group}");
    }
    drop((a, b));
}

/// The IAM listener (ci/kafka/MskIamValidator.java, Amazon MSK's IAM authentication stood in for): its bootstrap
/// list and the one test key it accepts (id, secret, session token).
struct Iam {
    bootstrap: String,
    key_id: String,
    secret: String,
    session: String,
}

fn iam(env: &Env) -> Iam {
    let secret = |name: &str| {
        let path = Path::new(&env.secrets).join(format!("{name}.password"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).trim().to_string()
    };
    Iam {
        bootstrap: std::env::var("KAFKA_FINOPS_IAM_BOOTSTRAP").expect("ci/kafka.sh env exports the IAM listener"),
        key_id: secret("iam-key-id"),
        secret: secret("iam-secret"),
        session: secret("iam-session"),
    }
}

/// `collect` of the IAM listener with MSK IAM authentication, the AWS credentials in the environment (the default
/// chain's first link), the cluster declared in `region`.
fn collect_with_msk_iam(work: &Path, iam: &Iam, region: &str, secret: &str, record: &str) -> Output {
    let properties = format!(
        "\"bootstrap.servers\" = \"{}\", \"security.protocol\" = \"SASL_PLAINTEXT\", \"sasl.mechanism\" = \"OAUTHBEARER\"",
        iam.bootstrap
    );
    let config = write_config(work, &properties, "aws_msk_iam = true");
    let text =
        std::fs::read_to_string(&config).unwrap().replace("region = \"us-east-1\"", &format!("region = \"{region}\""));
    std::fs::write(&config, text).unwrap();
    std::process::Command::new(BIN)
        .args(["collect", "--config", config.to_str().unwrap(), "--record", record])
        .current_dir(work)
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", &iam.key_id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_SESSION_TOKEN", &iam.session)
        .output()
        .unwrap()
        .into()
}

#[test]
fn msk_iam_authentication_collects_with_a_valid_token_and_a_refused_one_fails_naming_the_mechanism() {
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let iam = iam(&env);
    let topic = unique("payments.iam");
    create_topic(&env.bootstrap, &topic, 2, 3, &[]);
    let work = tempfile::tempdir().unwrap();

    let out = collect_with_msk_iam(work.path(), &iam, "us-east-1", &iam.secret, "iam");
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let (bh, brokers) = read_csv(&work.path().join("iam/brokers.csv"));
    assert_eq!(brokers.len(), 3);
    assert!(brokers.iter().all(|b| get(&bh, b, "host").starts_with("127.0.0.1:1949")), "the IAM listener: {brokers:?}");
    let (th, topics) = read_csv(&work.path().join("iam/partitions.csv"));
    assert_eq!(rows_where(&th, &topics, "topic", &topic).len(), 2, "User:finops's ACLs apply to the token's principal");

    // A token the broker refuses: signed with another secret, or for another region than the listener's.
    let wrong_secret = "zz-not-the-secret-zz";
    for (region, secret, record) in
        [("us-east-1", wrong_secret, "wrong-secret"), ("eu-west-1", iam.secret.as_str(), "wrong-region")]
    {
        let out = collect_with_msk_iam(work.path(), &iam, region, secret, record);
        assert_eq!(out.code, 2, "{record}: {}", out.stderr);
        for needle in ["cluster `local`", "SASL OAUTHBEARER authentication failed", "refused the MSK IAM token", region]
        {
            assert!(out.stderr.contains(needle), "{record}: {needle:?} missing from {}", out.stderr);
        }
        assert!(!out.stderr.contains(secret) && !out.stdout.contains(secret), "{record}: the secret leaked");
        assert!(!work.path().join(record).exists(), "{record}: nothing recorded");
    }
}

#[test]
fn an_msk_iam_session_is_renewed_before_the_broker_ends_it() {
    use kafka_finops::collect::aws::AwsSettings;
    use kafka_finops::collect::kafka::connection::Dialer;
    use kafka_finops::collect::kafka::msk_iam::Signer;
    use kafka_finops::collect::kafka::settings::from_properties;

    let Some(env) = env() else { return };
    let iam = iam(&env);
    let first = iam.bootstrap.split(',').next().unwrap();
    let properties =
        [("bootstrap.servers", first), ("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanism", "OAUTHBEARER")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
    let aws = AwsSettings { region: Some("us-east-1".into()), ..AwsSettings::default() };
    let settings = from_properties(&properties, None, Some(aws)).unwrap();
    let credentials =
        aws_credential_types::Credentials::new(&iam.key_id, &iam.secret, Some(iam.session.clone()), None, "test");
    let provider = aws_credential_types::provider::SharedCredentialsProvider::new(credentials);
    let signer = std::sync::Arc::new(Signer::from_provider(provider, "us-east-1".into()));
    let dialer = Dialer::with_signer(settings, Duration::from_secs(10), signer);

    // The IAM listener ends sessions after 4 s (connections.max.reauth.ms, ci/kafka/server.properties.template);
    // a request after that on a session not renewed makes the broker close the connection.
    runtime().block_on(async {
        let mut conn = dialer.open(first).await.expect("authenticated");
        let opened = dialer.requests(); // ApiVersions, SaslHandshake, SaslAuthenticate
        for round in 1..=2 {
            tokio::time::sleep(Duration::from_millis(2_600)).await;
            let metadata = kafka_protocol::messages::MetadataRequest::default().with_topics(Some(vec![]));
            let answer = conn.send(metadata).await.unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert_eq!(answer.brokers.len(), 3, "round {round}");
        }
        // 5.2 s after opening: one renewal (SaslHandshake + SaslAuthenticate) happened before the second Metadata.
        assert_eq!(dialer.requests() - opened, 2 + 2, "two Metadata requests and one renewal");
    });
}

/// `df` of a path: (total, available) bytes of the volume holding it.
fn df(path: &Path) -> (f64, f64) {
    let out = std::process::Command::new("df").args(["-B1", "--output=size,avail"]).arg(path).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let numbers: Vec<f64> = text.lines().nth(1).unwrap().split_whitespace().map(|n| n.parse().unwrap()).collect();
    (numbers[0], numbers[1])
}

#[test]
fn each_brokers_log_dir_reports_its_volume_as_df_does() {
    // DescribeLogDirs v4+ (KIP-827) gives each log dir's TotalBytes and UsableBytes: the size of the volume holding
    // it and the space still free, as the filesystem reports them. Checked against `df` of each node's log dir
    // (ci/kafka.sh: `log.dirs=<run>/node-N/data`, and node 3's second, `data2`, on the same filesystem), within 1 %.
    let Some(env) = env() else { return };
    let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();
    let config = write_config(work.path(), &format!("\"bootstrap.servers\" = \"{}\"", env.bootstrap), "");
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", "rec"], work.path());
    assert_eq!(out.code, 0, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let (h, rows) = read_csv(&work.path().join("rec").join("log_dirs.csv"));
    assert_eq!(rows.len(), 4, "one log dir per broker, two on broker 3: {rows:?}");
    for (node, name) in [(1, "data"), (2, "data"), (3, "data"), (3, "data2")] {
        let dir = Path::new(&env.run_dir).join(format!("node-{node}")).join(name);
        let mine = rows_where(&h, &rows, "broker", &node.to_string());
        let row = *mine.iter().find(|r| Path::new(get(&h, r, "log_dir")) == dir.as_path()).expect("each dir apart");
        assert_eq!(get(&h, row, "error"), "", "node {node} {name}");
        let (total, avail) = df(&dir);
        let (reported_total, reported_usable): (f64, f64) =
            (get(&h, row, "total_bytes").parse().unwrap(), get(&h, row, "usable_bytes").parse().unwrap());
        assert!((reported_total - total).abs() <= total * 0.01, "node {node}: {reported_total} vs df {total}");
        assert!((reported_usable - avail).abs() <= avail * 0.01, "node {node}: {reported_usable} vs df {avail}");
    }
    // The capacity analysis takes each broker's disk from its log dir: brokers.csv carries the same total.
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_live_run(&out, work.path());
    let (bh, brokers) = read_csv(&work.path().join(out.run_dir()).join("brokers.csv"));
    assert_eq!(brokers.len(), 3);
    for b in &brokers {
        assert!(get(&bh, b, "disk_basis").contains("log dir"), "{b:?}");
        let dir = rows_where(&h, &rows, "broker", get(&bh, b, "broker"))[0];
        // Broker 3's two dirs share one filesystem: its disk is that volume, once, not twice.
        assert_eq!(get(&bh, b, "disk_total_bytes"), get(&h, dir, "total_bytes"));
    }
    let third = rows_where(&bh, &brokers, "broker", "3")[0];
    assert!(get(&bh, third, "disk_basis").contains("counted once (1 volume(s))"), "{third:?}");
}

#[test]
/// A producer at a known rate (Kafka's own `kafka-producer-perf-test --throughput`: 200 records/s of 5,000 bytes,
/// 1 MB/s of payload) is measured from the log-end offsets read twice 30 s apart, times the bytes per record on disk
/// (a record batch's header and each record's framing add under 1 % here), within 10 %. Few large records keep the
/// producer's own pace on a busy machine: its throttle makes up a stall in a burst, which a short window would count.
fn a_producer_at_a_known_rate_is_measured_from_its_offsets_within_ten_percent() {
    let Some(env) = env() else { return };
    let topic = unique("perf-rate");
    // Its megabytes a second must not stay on the shared test cluster for a week: a minute's retention lets the
    // broker drop them. (Deleting the topic instead raced with the other live tests' collections.) This test runs
    // beside them, so it creates its topic under their lock: none of them collects a topic half made.
    {
        let _lock = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
        create_topic(&env.bootstrap, &topic, 3, 3, &[("retention.ms", "60000")]);
    }
    let mut perf = std::process::Command::new("bash")
        .args([&format!("{}/ci/kafka.sh", env!("CARGO_MANIFEST_DIR")), "producer-perf"])
        .args(["--topic", &topic, "--num-records", "30000", "--record-size", "5000", "--throughput", "200"])
        .args(["--producer-props", &format!("bootstrap.servers={}", env.bootstrap.split(',').next().unwrap())])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The producer's JVM starts and then keeps its average since it started at 200 records/s: a slow start on a
    // busy machine is made up in a burst. Wait (at most 60 s) until three seconds in a row write within 10 % of
    // 200 a second, so the run reads a steady producer.
    let consumer: BaseConsumer = ClientConfig::new().set("bootstrap.servers", &env.bootstrap).create().unwrap();
    let log_end = || -> i64 {
        (0..3).map(|p| consumer.fetch_watermarks(&topic, p, Duration::from_secs(5)).map_or(0, |w| w.1)).sum()
    };
    let started = std::time::Instant::now();
    let mut steady = 0;
    let mut last = (std::time::Instant::now(), log_end());
    while steady < 3 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_secs(1));
        let now = (std::time::Instant::now(), log_end());
        let rate = (now.1 - last.1) as f64 / (now.0 - last.0).as_secs_f64();
        steady = if (rate - 200.0).abs() < 20.0 { steady + 1 } else { 0 };
        last = now;
    }
    assert_eq!(steady, 3, "the producer never wrote a steady 200 records/s");
    let work = tempfile::tempdir().unwrap();
    let config = write_config(
        work.path(),
        &format!("\"bootstrap.servers\" = \"{}\"", env.bootstrap),
        "rate_sample_seconds = 30",
    );
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    // The producer was still writing when the offsets were read the second time; it has done its part.
    assert!(perf.try_wait().unwrap().is_none(), "the producer stopped before the run's second reading");
    perf.kill().unwrap();
    perf.wait().unwrap();
    assert!(out.code <= 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let (h, rows) = read_csv(&work.path().join(out.run_dir()).join("topics.csv"));
    let row = rows_where(&h, &rows, "topic", &topic);
    assert_eq!(get(&h, row[0], "write_rate_basis"), "offsets within the run");
    let measured: f64 = get(&h, row[0], "bytes_in_per_sec").parse().unwrap();
    let known = 200.0 * 5_000.0;
    eprintln!("write rate from offsets: {measured} B/s against the producer's {known} B/s");
    assert!((measured - known).abs() / known < 0.10, "measured {measured} B/s against the producer's {known} B/s");
}
