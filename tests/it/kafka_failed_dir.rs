//! A broker with a failed log dir, on a one-node Kafka cluster of its own (the shared three-node cluster of
//! ci/kafka.sh must stay healthy for the other tests).
//!
//! The node is started from the jars ci/kafka.sh cached (`KAFKA_FINOPS_KAFKA_CLASSPATH`), on ports the OS hands
//! out, with two log dirs. After `kafka-storage format` the second one is replaced by a regular file: as root,
//! taking a directory's permissions away stops nothing, but a log dir that is a file cannot be read. Kafka 4.1 then
//! starts with that dir offline (KIP-858: a failed dir that does not hold the metadata log is taken offline, not
//! fatal), and DescribeLogDirs answers for it with KAFKA_STORAGE_ERROR and no sizes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::support::*;

/// One KRaft node (broker and controller) in a temporary dir; killed, by the PID it was started with, when dropped.
struct OneNode {
    child: Child,
    bootstrap: String,
    dir: tempfile::TempDir,
}

impl Drop for OneNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on 127.0.0.1 that nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn java(classpath: &str, dir: &Path) -> Command {
    let mut java = Command::new("java");
    java.args(["-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"])
        .arg(format!("-Dlog4j2.configurationFile={}/ci/kafka/log4j2.xml", env!("CARGO_MANIFEST_DIR")))
        .arg(format!("-Dkafka.logs.dir={}", dir.join("logs").display()))
        .args(["-cp", classpath]);
    java
}

impl OneNode {
    /// Formats two log dirs, turns the second into a file, starts the node and waits (at most 90 s) until it
    /// answers a Metadata request.
    fn with_a_failed_second_dir(classpath: &str) -> OneNode {
        let dir = tempfile::tempdir().unwrap();
        let (port, controller) = (free_port(), free_port());
        let (good, failed) = (dir.path().join("data"), dir.path().join("data2"));
        let properties = dir.path().join("server.properties");
        std::fs::write(
            &properties,
            format!(
                "process.roles=broker,controller\nnode.id=1\nbroker.rack=use1-az1\n\
                 controller.quorum.voters=1@127.0.0.1:{controller}\ncontroller.listener.names=CONTROLLER\n\
                 listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}\n\
                 advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n\
                 listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
                 inter.broker.listener.name=PLAINTEXT\nlog.dirs={},{}\nnum.partitions=1\n\
                 offsets.topic.replication.factor=1\noffsets.topic.num.partitions=1\n\
                 transaction.state.log.replication.factor=1\ntransaction.state.log.min.isr=1\n\
                 share.coordinator.state.topic.replication.factor=1\nshare.coordinator.state.topic.min.isr=1\n\
                 num.network.threads=1\nnum.io.threads=1\nbackground.threads=1\n",
                good.display(),
                failed.display()
            ),
        )
        .unwrap();
        let format = java(classpath, dir.path())
            .args(["kafka.tools.StorageTool", "format", "--config"])
            .arg(&properties)
            .args(["--cluster-id", "kafkafinopsfaileddir0"])
            .output()
            .unwrap();
        assert!(format.status.success(), "format: {}", String::from_utf8_lossy(&format.stdout));
        assert!(failed.join("meta.properties").exists(), "both dirs formatted");
        std::fs::remove_dir_all(&failed).unwrap();
        std::fs::write(&failed, "not a directory\n").unwrap();
        let child = java(classpath, dir.path())
            .arg("kafka.Kafka")
            .arg(&properties)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout.log")).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let node = OneNode { child, bootstrap: format!("127.0.0.1:{port}"), dir };
        node.wait_ready(Duration::from_secs(90));
        node
    }

    fn wait_ready(&self, within: Duration) {
        let consumer: BaseConsumer = ClientConfig::new().set("bootstrap.servers", &self.bootstrap).create().unwrap();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(m) = consumer.fetch_metadata(None, Duration::from_secs(2))
                && m.brokers().len() == 1
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let log = std::fs::read_to_string(self.dir.path().join("logs/server.log")).unwrap_or_default();
        panic!("the one-node cluster was not ready within {within:?}; its log ends:\n{}", tail(&log, 40));
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[test]
fn a_broker_whose_log_dir_failed_gives_the_error_code_not_a_size() {
    let Ok(classpath) = std::env::var("KAFKA_FINOPS_KAFKA_CLASSPATH") else {
        return service_missing("KAFKA_FINOPS_REQUIRE_KAFKA", "cached Kafka jars (KAFKA_FINOPS_KAFKA_CLASSPATH)");
    };
    // Not beside the shared cluster's tests: a JVM starting on this 2-core machine slows their brokers past their
    // timeouts.
    let _lock = crate::kafka::CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let node = OneNode::with_a_failed_second_dir(&classpath);
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(demo_fixture().join("catalog.toml"), work.path().join("catalog.toml")).unwrap();
    let config = work.path().join("live.toml");
    std::fs::write(
        &config,
        format!(
            "catalog = \"catalog.toml\"\n\n[[clusters]]\nname = \"local\"\nplatform = \"self-managed\"\n\
             region = \"us-east-1\"\nbroker_instance_type = \"m5.large\"\n\n[[sources]]\nname = \"kafka:local\"\n\
             kind = \"kafka\"\ncluster = \"local\"\ntimeout_seconds = 10\nrate_sample_seconds = 0\n\
             properties = {{ \"bootstrap.servers\" = \"{}\" }}\n",
            node.bootstrap
        ),
    )
    .unwrap();

    // The recording: the failed dir has its error code and no sizes (unknown, not 0); the healthy one has both.
    let out = run(&["collect", "--config", config.to_str().unwrap(), "--record", "rec"], work.path());
    assert_eq!(
        out.code, 1,
        "a failed log dir makes the source partial\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    let failed = node.path("data2");
    assert!(out.stderr.contains(&format!("log dir {}: KafkaStorageError", failed.display())), "{}", out.stderr);
    let (h, rows) = read_csv(&work.path().join("rec/log_dirs.csv"));
    assert_eq!(rows.len(), 2, "{rows:?}");
    let column = |row: &Vec<String>, name: &str| row[h.iter().position(|c| c == name).unwrap()].clone();
    let row_of = |dir: &Path| rows.iter().find(|r| Path::new(&column(r, "log_dir")) == dir).unwrap().clone();
    let bad = row_of(&failed);
    assert_eq!(column(&bad, "error"), "KafkaStorageError");
    assert_eq!((column(&bad, "total_bytes"), column(&bad, "usable_bytes")), (String::new(), String::new()));
    let good = row_of(&node.path("data"));
    assert_eq!(column(&good, "error"), "");
    assert!(column(&good, "total_bytes").parse::<u64>().unwrap() > 0);

    // This node has no authorizer: its ACLs are not visible, which is said, and is not what made the source partial.
    let (_, visibility) = read_csv(&work.path().join("rec/acl_visibility.csv"));
    assert_eq!(visibility.len(), 1, "{visibility:?}");
    assert_eq!(visibility[0][1], "false");
    assert!(
        visibility[0][2].contains("no authorizer") && visibility[0][2].contains("SECURITY_DISABLED"),
        "{visibility:?}"
    );
    assert!(!out.stderr.contains("DescribeAcls"), "{}", out.stderr);

    // The analysis: the broker's disk is unknown, saying which dir failed, never the healthy dir's size alone.
    let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    let (bh, brokers) = read_csv(&work.path().join(out.run_dir()).join("brokers.csv"));
    assert_eq!(brokers.len(), 1);
    let field = |name: &str| brokers[0][bh.iter().position(|c| c == name).unwrap()].clone();
    for unknown in ["disk_total_bytes", "disk_used_bytes", "disk_usable_bytes", "disk_used_share", "days_to_threshold"]
    {
        assert_eq!(field(unknown), "", "{unknown} of a broker with a failed log dir");
    }
    let model = read_model(&work.path().join(out.run_dir()));
    let coverage = &model.acl_coverage[0];
    assert!(
        !coverage.visible && coverage.reason.as_deref().is_some_and(|r| r.contains("no authorizer")),
        "{coverage:?}"
    );
    assert!(model.access.is_empty(), "no access is claimed from ACLs nobody could see");
    let basis = field("disk_basis");
    assert!(basis.starts_with("unknown") && basis.contains(&failed.display().to_string()), "{basis}");
    assert!(basis.contains("KafkaStorageError"), "{basis}");
}
