//! Seeds a Kafka cluster for `ci/bench-kafka.sh`: many topics, and consumer groups with committed offsets on
//! topics holding one record per partition. Uses rdkafka (the project's requested client) for all of it.
//!
//! Usage: cargo run --release --example seed_kafka -- BOOTSTRAP TOPICS PARTITIONS RF GROUPS

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

fn arg<T: std::str::FromStr>(args: &[String], i: usize, name: &str) -> T {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or_else(|| panic!("argument {i} ({name}) missing or invalid"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bootstrap: String = arg(&args, 1, "bootstrap");
    let (topics, partitions, rf, groups): (usize, i32, i32, usize) =
        (arg(&args, 2, "topics"), arg(&args, 3, "partitions"), arg(&args, 4, "rf"), arg(&args, 5, "groups"));
    let names: Vec<String> = (0..topics).map(|i| format!("bench.topic-{i:05}")).collect();

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", &bootstrap).create().unwrap();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(120)));
    for chunk in names.chunks(100) {
        let new: Vec<NewTopic> =
            chunk.iter().map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(rf))).collect();
        for result in runtime.block_on(admin.create_topics(&new, &options)).unwrap() {
            if let Err((topic, e)) = result
                && e != rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists
            {
                panic!("creating {topic}: {e}");
            }
        }
    }
    eprintln!("seed: {topics} topics × {partitions} partitions (RF {rf}) exist");

    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("linger.ms", "20")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .unwrap();
    // Records only where groups commit (one topic per group), so the seed does not wait on 12,000 leaders.
    let grouped = &names[..groups.min(names.len())];
    for name in grouped {
        for p in 0..partitions {
            producer.send(BaseRecord::to(name).partition(p).key("k").payload("v")).map_err(|(e, _)| e).unwrap();
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(300)).unwrap();
    eprintln!("seed: one record per partition of the {} grouped topics written", grouped.len());

    for g in 0..groups {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", format!("bench-group-{g:04}"))
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        let topic = &names[g % names.len()];
        for p in 0..partitions {
            tpl.add_partition_offset(topic, p, Offset::Offset(1)).unwrap();
        }
        // A young cluster is still moving group coordinators while `__consumer_offsets` loads: a commit may be told
        // NotCoordinator and succeed a moment later. At most ten tries, a second apart.
        let mut tries = 0;
        while let Err(e) = consumer.commit(&tpl, CommitMode::Sync) {
            tries += 1;
            assert!(tries < 10, "committing for bench-group-{g:04}: {e}");
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    eprintln!("seed: {groups} consumer groups with committed offsets");
}
