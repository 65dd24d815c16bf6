//! The Kafka source: reads a live cluster over the admin protocol into the normalized tables.
//!
//! Requests, batched rather than per topic: one Metadata (brokers with racks, every topic and partition) on the
//! bootstrap connection; then per broker, concurrently (at most 8 brokers at once, four connections each so the
//! broker works in parallel): one DescribeLogDirs (size of every replica it holds), two ListOffsets (earliest and
//! latest of the partitions it leads), one DescribeConfigs (the topics whose partition 0 it leads, only the keys
//! the model uses), one ListGroups and, for the groups it coordinates, one DescribeGroups (classic groups; each
//! member's `client.rack` from its subscription, KIP-881), one ConsumerGroupDescribe (KIP-848 groups, with each
//! member's `rackId`) and one OffsetFetch (many groups per request; a group that cannot be read is named and never
//! drops another). Results are kept per broker with an error slot: a broker that does not answer leaves its
//! partitions' sizes, offsets and configs unknown (never 0) and marks the source `partial`. Every request is
//! counted.

mod acls;
pub mod connection;
pub mod msk_iam;
pub mod settings;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::ResponseError;
use kafka_protocol::error::ParseResponseErrorCode;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_response::MetadataResponsePartition;
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::{
    BrokerId, ConsumerGroupDescribeRequest, DescribeConfigsRequest, DescribeGroupsRequest, DescribeLogDirsRequest,
    GroupId, ListGroupsRequest, ListOffsetsRequest, MetadataRequest, OffsetFetchRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::{CollectError, Collected, Source, SourceKindSpec};
use crate::completeness::{SourceReport, SourceStatus};
use crate::schema::{
    AclBinding, AclVisibility, Broker, ConsumerGroupMember, ConsumerGroupOffset, LogDir, OffsetSample, Partition,
    ReplicaLogDir, Table, Topic, TopicConfig,
};
use connection::{BrokerConnection, ConnectionError, Dialer};
use settings::ConnectionSettings;

/// How many brokers are asked at the same time.
const BROKER_CONCURRENCY: usize = 8;
/// Kafka's ListOffsets timestamps for "earliest" and "latest".
const EARLIEST: i64 = -2;
const LATEST: i64 = -1;
/// DescribeConfigs resource type for topics.
const TOPIC_RESOURCE: i8 = 2;
/// The topic configs the model and the reports use, by Kafka's names; asking only for these keeps DescribeConfigs
/// small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr)]
enum TopicConfigKey {
    #[strum(serialize = "cleanup.policy")]
    CleanupPolicy,
    #[strum(serialize = "local.retention.bytes")]
    LocalRetentionBytes,
    #[strum(serialize = "local.retention.ms")]
    LocalRetentionMs,
    #[strum(serialize = "min.insync.replicas")]
    MinInsyncReplicas,
    #[strum(serialize = "remote.storage.enable")]
    RemoteStorageEnable,
    #[strum(serialize = "retention.bytes")]
    RetentionBytes,
    #[strum(serialize = "retention.ms")]
    RetentionMs,
    #[strum(serialize = "segment.bytes")]
    SegmentBytes,
    #[strum(serialize = "segment.ms")]
    SegmentMs,
}

impl TopicConfigKey {
    fn name(self) -> &'static str {
        self.into()
    }
}

/// Where a config value comes from: DescribeConfigs' `config_source` (KIP-226), by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::FromRepr, strum::IntoStaticStr)]
#[repr(i8)]
#[strum(serialize_all = "snake_case")]
enum ConfigSource {
    Topic = 1,
    DynamicBroker = 2,
    DynamicDefaultBroker = 3,
    StaticBroker = 4,
    /// Kafka's own default: nobody set it.
    Default = 5,
    DynamicBrokerLogger = 6,
    ClientMetrics = 7,
    Group = 8,
}

pub struct KafkaSource {
    pub name: String,
    /// The `[[clusters]]` name rows are recorded under.
    pub cluster: String,
    pub settings: ConnectionSettings,
    pub timeout: Duration,
    /// The time between the two readings of the log-end offsets; zero reads them once.
    pub rate_sample: Duration,
}

/// Earliest and latest offset per (topic, partition).
type OffsetRange = HashMap<(String, i32), (i64, i64)>;

/// A broker's offsets connection kept for the second reading: its id, the connection and the partitions it leads.
type Kept = (i32, BrokerConnection, Vec<(String, i32)>);

/// The latest offsets one broker gave, and when it answered.
struct Offsets {
    range: OffsetRange,
    at: chrono::DateTime<chrono::Utc>,
}

/// The groups one broker coordinates: committed offsets, members, and one line per group it could not read.
#[derive(Default)]
struct GroupAnswers {
    offsets: Vec<ConsumerGroupOffset>,
    members: Vec<ConsumerGroupMember>,
    problems: Vec<String>,
}

/// Topic config rows and one line per kind of DescribeConfigs failure.
type ConfigAnswers = (Vec<TopicConfig>, Vec<String>);

/// One broker's log dirs: each dir with its volume's size or its error, the replicas on the dirs that answered, and
/// one line per dir that did not.
struct LogDirAnswers {
    dirs: Vec<LogDir>,
    replicas: Vec<ReplicaLogDir>,
    problems: Vec<String>,
}

/// What one broker answered; each request has its own error slot.
struct BrokerAnswers {
    log_dirs: Result<LogDirAnswers, RequestError>,
    /// (topic, partition) → (earliest, latest), and when the latest were read.
    offsets: Result<Offsets, RequestError>,
    groups: Result<GroupAnswers, RequestError>,
    configs: Result<ConfigAnswers, RequestError>,
    /// The connection the offsets were read on, kept for their second reading, and the partitions it leads.
    offsets_again: Option<(BrokerConnection, Vec<(String, i32)>)>,
}

/// Why one request to one broker gave no usable answer; the broker's other requests keep theirs.
#[derive(Debug, thiserror::Error)]
enum RequestError {
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The broker answered with an error code, for the whole request or for the part `context` names.
    #[error("{context}{error}{}", acl.map(|a| acl_hint(*code, a)).unwrap_or_default())]
    Refused {
        /// `ListGroups: `, `log dir /data: `, `orders partition 3: ` or empty.
        context: String,
        error: ResponseError,
        code: i16,
        /// The ACL the principal needs when the code says "not authorized".
        acl: Option<&'static str>,
    },
}

/// The broker's error for `code`, if it is one.
fn refused(code: i16, context: impl Into<String>, acl: Option<&'static str>) -> Option<RequestError> {
    code.err().map(|error| RequestError::Refused { context: context.into(), error, code, acl })
}

impl SourceKindSpec for KafkaSource {
    const KIND: &'static str = "kafka";
    type File = settings::KafkaSourceFile;
    type Settings = settings::KafkaSourceSettings;
    fn check(
        file: settings::KafkaSourceFile,
        ctx: &super::SourceContext<'_>,
        here: std::ops::Range<usize>,
    ) -> Result<settings::KafkaSourceSettings, Vec<crate::problem::SettingProblem>> {
        file.check(ctx, here)
    }
    fn collector(name: &str, k: &settings::KafkaSourceSettings) -> Box<dyn Source> {
        Box::new(KafkaSource {
            name: name.to_string(),
            cluster: k.cluster.clone(),
            settings: k.connection.clone(),
            timeout: k.timeout,
            rate_sample: k.rate_sample,
        })
    }
}

impl Source for KafkaSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn collect(&self, into: &mut Collected) -> Result<(), CollectError> {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(CollectError::runtime)?;
        runtime.block_on(self.collect_async(into))
    }
}

/// What the Metadata answer says: each broker's address and rack, and each readable topic's partitions.
struct ClusterMetadata {
    brokers: BTreeMap<i32, (String, Option<String>)>,
    /// (name, is internal, partitions), by name.
    topics: Vec<(String, bool, Vec<MetadataResponsePartition>)>,
}

/// What the brokers answered, merged: topic configs, replica sizes per (topic, partition, broker), offsets.
#[derive(Default)]
struct Gathered {
    configs: Vec<TopicConfig>,
    sizes: HashMap<(String, i32, i32), i64>,
    offsets: OffsetRange,
    /// When each broker's latest offsets were read, by broker.
    offsets_at: HashMap<i32, chrono::DateTime<chrono::Utc>>,
}

impl KafkaSource {
    /// One Metadata request, then every broker at once (`ask_brokers`), then the rows: what a broker did not
    /// deliver stays unknown and is named in the source's detail.
    async fn collect_async(&self, into: &mut Collected) -> Result<(), CollectError> {
        let dialer = Dialer::new(self.settings.clone(), self.timeout);
        let mut boot = self.bootstrap(&dialer).await?;
        let mut problems: Vec<String> = Vec::new();
        let cluster = self.metadata(&mut boot, &mut problems).await?;
        let (acls, acl_visibility) = acls::describe(&mut boot, &self.cluster).await;
        into.acls.extend(acls);
        into.acl_visibility.push(acl_visibility);
        let answers = self.ask_brokers(&cluster, &dialer, &mut problems).await;
        let groups_at = chrono::Utc::now();
        let gathered = gather(&answers, into, &mut problems);
        self.push_rows(&cluster, &gathered, into);
        let kept = answers.into_iter().filter_map(|(id, a)| a.ok()?.offsets_again.map(|(c, l)| (id, c, l)));
        let again = self.read_again(kept.collect(), &gathered.offsets_at).await;
        self.push_samples(&cluster, &gathered, &again, groups_at, into);
        // Lag needs the latest offsets, which come from the leaders, not the coordinators.
        for row in into.consumer_group_offsets.iter_mut().filter(|r| r.cluster == self.cluster) {
            let latest = gathered.offsets.get(&(row.topic.clone(), row.partition as i32)).map(|o| o.1);
            row.lag = match (latest, row.committed_offset) {
                (Some(l), Some(c)) => Some((l - c).max(0)),
                _ => None,
            };
        }
        let mut configs = gathered.configs;
        configs.sort_by(|a, b| (a.topic.as_str(), a.name.as_str()).cmp(&(b.topic.as_str(), b.name.as_str())));
        into.topic_configs.extend(configs);

        let count = dialer.requests();
        tracing::info!(source = %self.name, requests = count, brokers = cluster.brokers.len(), topics = cluster.topics.len(), "kafka collected");
        into.sources.push(SourceReport {
            name: self.name.clone(),
            kind: Self::KIND.into(),
            status: if problems.is_empty() { SourceStatus::Complete } else { SourceStatus::Partial },
            detail: (!problems.is_empty()).then(|| problems.join("; ")),
            tables: [
                Broker::NAME,
                Topic::NAME,
                TopicConfig::NAME,
                Partition::NAME,
                LogDir::NAME,
                ReplicaLogDir::NAME,
                ConsumerGroupOffset::NAME,
                ConsumerGroupMember::NAME,
                OffsetSample::NAME,
                AclBinding::NAME,
                AclVisibility::NAME,
            ]
            .map(String::from)
            .to_vec(),
            requests: count,
            window: None,
            line_source: None,
            transfer: None,
            queries: Vec::new(),
        });
        if into.captured_at.is_none() {
            into.captured_at = Some(chrono::Utc::now());
        }
        Ok(())
    }

    /// Brokers with racks, and every topic's partitions; a topic the answer marks with an error is named and left out.
    async fn metadata(
        &self,
        boot: &mut BrokerConnection,
        problems: &mut Vec<String>,
    ) -> Result<ClusterMetadata, CollectError> {
        let metadata = boot
            .send(MetadataRequest::default().with_topics(None).with_allow_auto_topic_creation(false))
            .await
            .map_err(|e| self.unreachable(e))?;
        let brokers = metadata
            .brokers
            .iter()
            .map(|b| (b.node_id.0, (format!("{}:{}", b.host, b.port), b.rack.as_ref().map(|r| r.to_string()))))
            .collect();
        let mut topics = Vec::new();
        for t in &metadata.topics {
            let Some(name) = t.name.as_ref().map(|n| n.0.to_string()) else { continue };
            if let Some(e) = t.error_code.err() {
                problems.push(format!("Metadata for topic `{name}`: {e}"));
                continue;
            }
            topics.push((name, t.is_internal, t.partitions.clone()));
        }
        topics.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(ClusterMetadata { brokers, topics })
    }

    /// Per broker, concurrently (at most `BROKER_CONCURRENCY` at once): log dirs, offsets of the partitions it
    /// leads, the groups it coordinates, and the configs of the topics whose partition 0 it leads (any broker can
    /// answer; spreading them spreads the work, one DescribeConfigs per broker).
    async fn ask_brokers(
        &self,
        cluster: &ClusterMetadata,
        dialer: &Dialer,
        problems: &mut Vec<String>,
    ) -> BTreeMap<i32, Result<BrokerAnswers, ConnectionError>> {
        let mut led: HashMap<i32, Vec<(String, i32)>> = HashMap::new();
        let mut config_topics: HashMap<i32, Vec<String>> = HashMap::new();
        let fallback = cluster.brokers.keys().next().copied().unwrap_or(-1);
        for (name, _, partitions) in &cluster.topics {
            for p in partitions {
                led.entry(p.leader_id.0).or_default().push((name.clone(), p.partition_index));
            }
            let first = partitions.iter().min_by_key(|p| p.partition_index).map(|p| p.leader_id.0);
            let asked = first.filter(|id| cluster.brokers.contains_key(id)).unwrap_or(fallback);
            config_topics.entry(asked).or_default().push(name.clone());
        }
        let semaphore = Arc::new(tokio::sync::Semaphore::new(BROKER_CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for (&id, (addr, _)) in &cluster.brokers {
            let (addr, dialer, semaphore) = (addr.clone(), dialer.clone(), semaphore.clone());
            let name = self.cluster.clone();
            let leading = led.remove(&id).unwrap_or_default();
            let configs_of = config_topics.remove(&id).unwrap_or_default();
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let asked = Asked { cluster: &name, id, leading, config_topics: configs_of };
                (id, ask_broker(&addr, &dialer, asked).await)
            });
        }
        let mut answers = BTreeMap::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((id, answer)) => {
                    answers.insert(id, answer);
                }
                Err(e) => problems.push(format!("a broker task failed: {e}")),
            }
        }
        answers
    }

    /// The brokers, topics and partitions rows: configs, sizes and offsets from `gathered`, racks from the metadata.
    fn push_rows(&self, cluster: &ClusterMetadata, gathered: &Gathered, into: &mut Collected) {
        for (&id, (addr, rack)) in &cluster.brokers {
            into.brokers.push(Broker {
                cluster: self.cluster.clone(),
                broker_id: i64::from(id),
                rack: rack.clone(),
                host: addr.clone(),
            });
        }
        let config_index: HashMap<(&str, &str), &Option<String>> =
            gathered.configs.iter().map(|c| ((c.topic.as_str(), c.name.as_str()), &c.value)).collect();
        let config_of =
            |topic: &str, key: TopicConfigKey| config_index.get(&(topic, key.name())).and_then(|v| (*v).clone());
        let int = |topic: &str, key: TopicConfigKey| config_of(topic, key).and_then(|v| v.parse::<i64>().ok());
        use TopicConfigKey::*;
        let rack_of = |id: &BrokerId| cluster.brokers.get(&id.0).and_then(|(_, r)| r.clone()).unwrap_or_default();
        for (name, internal, partitions) in &cluster.topics {
            let rf = partitions.iter().map(|p| p.replica_nodes.len()).max().unwrap_or(0) as i64;
            into.topics.push(Topic {
                cluster: self.cluster.clone(),
                topic: name.clone(),
                is_internal: *internal,
                partitions: partitions.len() as i64,
                replication_factor: rf,
                retention_ms: int(name, RetentionMs),
                retention_bytes: int(name, RetentionBytes),
                cleanup_policy: config_of(name, CleanupPolicy),
                min_insync_replicas: int(name, MinInsyncReplicas),
                segment_bytes: int(name, SegmentBytes),
                segment_ms: int(name, SegmentMs),
                remote_storage_enable: config_of(name, RemoteStorageEnable).map(|v| v == "true"),
                local_retention_ms: int(name, LocalRetentionMs),
                local_retention_bytes: int(name, LocalRetentionBytes),
            });
            let mut sorted = partitions.clone();
            sorted.sort_by_key(|p| p.partition_index);
            for p in &sorted {
                let leader = p.leader_id.0;
                let (earliest, latest) = gathered.offsets.get(&(name.clone(), p.partition_index)).copied().unzip();
                into.partitions.push(Partition {
                    cluster: self.cluster.clone(),
                    topic: name.clone(),
                    partition: i64::from(p.partition_index),
                    leader: (leader >= 0).then_some(i64::from(leader)),
                    replicas: join_ids(&p.replica_nodes),
                    isr: join_ids(&p.isr_nodes),
                    replica_racks: p.replica_nodes.iter().map(rack_of).collect::<Vec<_>>().join(";"),
                    size_bytes: gathered.sizes.get(&(name.clone(), p.partition_index, leader)).copied(),
                    earliest_offset: earliest,
                    latest_offset: latest,
                });
            }
        }
    }

    /// The second reading of the latest offsets, `rate_sample` after the first, on the connections the first was
    /// read on: one ListOffsets per broker, all at once. A partition that moved its leader in between, or a broker
    /// that does not answer, has no second reading (its topic then has no rate within the run); nothing else is lost.
    async fn read_again(&self, kept: Vec<Kept>, first_at: &HashMap<i32, chrono::DateTime<chrono::Utc>>) -> Gathered {
        let mut out = Gathered::default();
        if self.rate_sample.is_zero() || kept.is_empty() {
            return out;
        }
        let Some(last_first) = first_at.values().max() else { return out };
        let due = *last_first + chrono::Duration::from_std(self.rate_sample).unwrap_or_default();
        if let Ok(wait) = (due - chrono::Utc::now()).to_std() {
            tokio::time::sleep(wait).await;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (id, mut conn, leading) in kept {
            tasks.spawn(async move {
                let answer = offsets_at(&mut conn, &leading, LATEST).await;
                (id, answer, chrono::Utc::now())
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let Ok((id, Ok(partitions), at)) = joined else { continue };
            out.offsets_at.insert(id, at);
            for (key, offset) in partitions {
                if let Ok(offset) = offset {
                    out.offsets.insert(key, (offset, offset));
                }
            }
        }
        out
    }

    /// The offset readings: each topic's log-end offsets summed, once from the first reading and once from the
    /// second (a topic is read only when every partition was; its time is its last leader's answer), and each
    /// group's committed offsets per topic, summed.
    fn push_samples(
        &self,
        cluster: &ClusterMetadata,
        first: &Gathered,
        second: &Gathered,
        groups_at: chrono::DateTime<chrono::Utc>,
        into: &mut Collected,
    ) {
        let row = |topic: &str, group_id: Option<String>, sampled_at, offset_sum, partitions| OffsetSample {
            cluster: self.cluster.clone(),
            topic: topic.to_string(),
            group_id,
            sampled_at,
            offset_sum,
            partitions,
            taken: "this run".to_string(),
        };
        for (name, _, partitions) in &cluster.topics {
            for reading in [first, second] {
                let mut sum = 0i64;
                let mut at = None;
                let read = partitions.iter().all(|p| {
                    let offset = reading.offsets.get(&(name.clone(), p.partition_index)).map(|o| o.1);
                    let answered = reading.offsets_at.get(&p.leader_id.0).copied();
                    at = at.max(answered);
                    offset.zip(answered).map(|(o, _)| sum += o).is_some()
                });
                if let Some(at) = at.filter(|_| read && !partitions.is_empty()) {
                    into.offset_samples.push(row(name, None, at, sum, partitions.len() as i64));
                }
            }
        }
        let mut committed: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
        for c in into.consumer_group_offsets.iter().filter(|c| c.cluster == self.cluster) {
            if let Some(offset) = c.committed_offset.filter(|o| *o >= 0) {
                let slot = committed.entry((c.group_id.as_str(), c.topic.as_str())).or_default();
                *slot = (slot.0 + offset, slot.1 + 1);
            }
        }
        let groups: Vec<OffsetSample> = committed
            .into_iter()
            .map(|((group, topic), (sum, n))| row(topic, Some(group.to_string()), groups_at, sum, n))
            .collect();
        into.offset_samples.extend(groups);
    }

    /// The first bootstrap server that answers; none answering is fatal (exit 2), naming cluster and addresses.
    async fn bootstrap(&self, dialer: &Dialer) -> Result<BrokerConnection, CollectError> {
        let mut errors = Vec::new();
        for addr in dialer.bootstrap_servers() {
            match dialer.open(addr).await {
                Ok(conn) => return Ok(conn),
                Err(e @ ConnectionError::Auth { .. }) => return Err(self.unreachable(e)),
                Err(e) => errors.push(e),
            }
        }
        Err(CollectError::NoBootstrap { cluster: self.cluster.clone(), errors })
    }

    fn unreachable(&self, source: ConnectionError) -> CollectError {
        CollectError::Cluster { cluster: self.cluster.clone(), cause: source }
    }
}

/// Merges what each broker answered; each request that failed is named, and its rows stay unknown.
fn gather(
    answers: &BTreeMap<i32, Result<BrokerAnswers, ConnectionError>>,
    into: &mut Collected,
    problems: &mut Vec<String>,
) -> Gathered {
    let mut out = Gathered::default();
    for (&id, answer) in answers {
        let a = match answer {
            Ok(a) => a,
            Err(e) => {
                problems.push(format!("broker {id}: {e}"));
                continue;
            }
        };
        match &a.log_dirs {
            Ok(answers) => {
                for d in answers.replicas.iter().filter(|d| !d.is_future) {
                    out.sizes.insert((d.topic.clone(), d.partition as i32, id), d.size_bytes);
                }
                into.replica_log_dirs.extend(answers.replicas.iter().cloned());
                into.log_dirs.extend(answers.dirs.iter().cloned());
                problems.extend(answers.problems.iter().map(|p| format!("broker {id}: DescribeLogDirs: {p}")));
            }
            Err(e) => problems.push(format!("broker {id}: DescribeLogDirs: {e}")),
        }
        match &a.offsets {
            Ok(o) => {
                out.offsets.extend(o.range.iter().map(|(k, v)| (k.clone(), *v)));
                out.offsets_at.insert(id, o.at);
            }
            Err(e) => problems.push(format!("broker {id}: ListOffsets: {e}")),
        }
        match &a.configs {
            Ok((rows, denied)) => {
                out.configs.extend(rows.iter().cloned());
                problems.extend(denied.iter().map(|d| format!("broker {id}: {d}")));
            }
            Err(e) => problems.push(format!("broker {id}: DescribeConfigs: {e}")),
        }
        match &a.groups {
            Ok(g) => {
                into.consumer_group_offsets.extend(g.offsets.iter().cloned());
                into.consumer_group_members.extend(g.members.iter().cloned());
                problems.extend(g.problems.iter().map(|p| format!("broker {id}: consumer groups: {p}")));
            }
            Err(e) => problems.push(format!("broker {id}: consumer groups: {e}")),
        }
    }
    out
}

/// One DescribeConfigs for the given topics, asking only for the configs the model uses. Returns the rows and
/// one line per kind of failure.
async fn describe_configs(
    conn: &mut BrokerConnection,
    cluster: &str,
    topics: &[String],
) -> Result<ConfigAnswers, RequestError> {
    if topics.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let resources = topics
        .iter()
        .map(|t| {
            DescribeConfigsResource::default()
                .with_resource_type(TOPIC_RESOURCE)
                .with_resource_name(StrBytes::from_string(t.clone()))
                .with_configuration_keys(Some(
                    <TopicConfigKey as strum::IntoEnumIterator>::iter()
                        .map(|k| StrBytes::from_static_str(k.name()))
                        .collect(),
                ))
        })
        .collect();
    let response = conn.send(DescribeConfigsRequest::default().with_resources(resources)).await?;
    let mut rows = Vec::new();
    // Failures are grouped by error, so 2,000 denied topics make one line, not 2,000.
    let mut failed: BTreeMap<i16, Vec<String>> = BTreeMap::new();
    for r in response.results {
        if r.error_code != 0 {
            failed.entry(r.error_code).or_default().push(r.resource_name.to_string());
            continue;
        }
        for c in r.configs {
            rows.push(TopicConfig {
                cluster: cluster.to_string(),
                topic: r.resource_name.to_string(),
                name: c.name.to_string(),
                value: if c.is_sensitive { None } else { c.value.map(|v| v.to_string()) },
                source: ConfigSource::from_repr(c.config_source).map_or("unknown", <&str>::from).into(),
                is_default: ConfigSource::from_repr(c.config_source) == Some(ConfigSource::Default),
            });
        }
    }
    rows.sort_by(|a, b| (a.topic.as_str(), a.name.as_str()).cmp(&(b.topic.as_str(), b.name.as_str())));
    let denied = failed
        .into_iter()
        .map(|(code, topics)| {
            let error = code.err().map(|e| e.to_string()).unwrap_or_default();
            let examples: Vec<&str> = topics.iter().take(3).map(String::as_str).collect();
            format!(
                "DescribeConfigs failed for {} topic(s) (e.g. {}): {error}{}; their configs are unknown",
                topics.len(),
                examples.join(", "),
                acl_hint(code, "DESCRIBE_CONFIGS on TOPIC")
            )
        })
        .collect();
    Ok((rows, denied))
}

fn join_ids(ids: &[BrokerId]) -> String {
    ids.iter().map(|i| i.0.to_string()).collect::<Vec<_>>().join(";")
}

/// Names the ACL a user needs when the broker says "authorization failed" (for a topic, a group or the cluster).
fn acl_hint(code: i16, operation: &str) -> String {
    use kafka_protocol::error::ResponseError::*;
    match code.err() {
        Some(TopicAuthorizationFailed | GroupAuthorizationFailed | ClusterAuthorizationFailed) => {
            format!(" (the principal needs the {operation} ACL)")
        }
        _ => String::new(),
    }
}

/// What one broker is asked about: the partitions it leads and the topics whose configs it reports.
struct Asked<'a> {
    cluster: &'a str,
    id: i32,
    leading: Vec<(String, i32)>,
    config_topics: Vec<String>,
}

/// Everything asked of one broker, on four connections at once so the broker works on them in parallel. A failed
/// connection fails the whole broker; a failed request fills only its own slot.
async fn ask_broker(addr: &str, dialer: &Dialer, asked: Asked<'_>) -> Result<BrokerAnswers, ConnectionError> {
    let open = || dialer.open(addr);
    let (mut a, mut b, mut c, mut d) = tokio::try_join!(open(), open(), open(), open())?;
    let (log_dirs, offsets, groups, configs) = tokio::join!(
        log_dirs(&mut a, asked.cluster, asked.id),
        list_offsets(&mut b, &asked.leading),
        groups(&mut c, asked.cluster),
        describe_configs(&mut d, asked.cluster, &asked.config_topics),
    );
    let offsets_again = (offsets.is_ok() && !asked.leading.is_empty()).then_some((b, asked.leading));
    Ok(BrokerAnswers { log_dirs, offsets, groups, configs, offsets_again })
}

/// Every log dir of one broker: its volume's total and usable bytes (DescribeLogDirs v4+, KIP-827; -1 or an older
/// version gives unknown), and the replicas on it. A dir that answers with an error (an offline dir) is recorded
/// with that error and no size, and named as a problem; the other dirs keep their answers.
async fn log_dirs(conn: &mut BrokerConnection, cluster: &str, id: i32) -> Result<LogDirAnswers, RequestError> {
    let response = conn.send(DescribeLogDirsRequest::default().with_topics(None)).await?;
    if let Some(e) = refused(response.error_code, "", Some("DESCRIBE on CLUSTER")) {
        return Err(e);
    }
    let mut out = LogDirAnswers { dirs: Vec::new(), replicas: Vec::new(), problems: Vec::new() };
    let known = |bytes: i64| (bytes >= 0).then_some(bytes);
    for dir in response.results {
        let error = dir.error_code.err();
        if let Some(e) = &error {
            out.problems.push(format!("log dir {}: {e}", dir.log_dir));
        }
        out.dirs.push(LogDir {
            cluster: cluster.to_string(),
            broker: i64::from(id),
            log_dir: dir.log_dir.to_string(),
            total_bytes: known(dir.total_bytes).filter(|_| error.is_none()),
            usable_bytes: known(dir.usable_bytes).filter(|_| error.is_none()),
            error: error.map(|e| format!("{e:?}")),
        });
        for t in dir.topics {
            for p in t.partitions {
                out.replicas.push(ReplicaLogDir {
                    cluster: cluster.to_string(),
                    topic: t.name.0.to_string(),
                    partition: i64::from(p.partition_index),
                    broker_id: i64::from(id),
                    log_dir: dir.log_dir.to_string(),
                    size_bytes: p.partition_size,
                    offset_lag: p.offset_lag,
                    is_future: p.is_future_key,
                });
            }
        }
    }
    out.replicas.sort_by(|a, b| (a.topic.as_str(), a.partition).cmp(&(b.topic.as_str(), b.partition)));
    out.dirs.sort_by(|a, b| a.log_dir.cmp(&b.log_dir));
    Ok(out)
}

/// Earliest and latest offsets of the partitions this broker leads: two requests, each for all of them.
async fn list_offsets(conn: &mut BrokerConnection, leading: &[(String, i32)]) -> Result<Offsets, RequestError> {
    let mut at = chrono::Utc::now();
    if leading.is_empty() {
        return Ok(Offsets { range: HashMap::new(), at });
    }
    let mut found: HashMap<(String, i32), (Option<i64>, Option<i64>)> = HashMap::new();
    for timestamp in [EARLIEST, LATEST] {
        let mut answers = offsets_at(conn, leading, timestamp).await?;
        // A topic created (or deleted) between Metadata and ListOffsets is unknown to its leader for a moment
        // (UnknownTopicOrPartition, NotLeaderOrFollower: retriable in Kafka's protocol): the refused partitions are
        // asked once more after a short pause, as Kafka's admin client retries them, before they count as failed.
        let refused: Vec<(String, i32)> =
            answers.iter().filter(|(_, offset)| offset.is_err()).map(|(key, _)| key.clone()).collect();
        if !refused.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let mut again: HashMap<(String, i32), Result<i64, RequestError>> =
                offsets_at(conn, &refused, timestamp).await?.into_iter().collect();
            for (key, offset) in answers.iter_mut() {
                if offset.is_err()
                    && let Some(Ok(retried)) = again.remove(key)
                {
                    *offset = Ok(retried);
                }
            }
        }
        for (key, offset) in answers {
            let slot = found.entry(key).or_default();
            if timestamp == EARLIEST {
                slot.0 = Some(offset?);
            } else {
                slot.1 = Some(offset?);
            }
        }
        at = chrono::Utc::now();
    }
    let range = found.into_iter().filter_map(|(k, (e, l))| Some((k, (e?, l?)))).collect();
    Ok(Offsets { range, at })
}

/// One ListOffsets for every partition in `leading` at `timestamp` (earliest or latest): each partition's offset or
/// the broker's error for it.
async fn offsets_at(
    conn: &mut BrokerConnection,
    leading: &[(String, i32)],
    timestamp: i64,
) -> Result<Vec<((String, i32), Result<i64, RequestError>)>, RequestError> {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (t, p) in leading {
        by_topic.entry(t.as_str()).or_default().push(*p);
    }
    let topics = by_topic
        .iter()
        .map(|(t, ps)| {
            ListOffsetsTopic::default().with_name(TopicName(StrBytes::from_string(t.to_string()))).with_partitions(
                ps.iter()
                    .map(|p| ListOffsetsPartition::default().with_partition_index(*p).with_timestamp(timestamp))
                    .collect(),
            )
        })
        .collect();
    let request = ListOffsetsRequest::default().with_replica_id(BrokerId(-1)).with_topics(topics);
    let response = conn.send(request).await?;
    let mut out = Vec::new();
    for t in response.topics {
        for p in t.partitions {
            let context = format!("{} partition {}: ", t.name.0, p.partition_index);
            let offset = match refused(p.error_code, context, Some("DESCRIBE on TOPIC")) {
                Some(e) => Err(e),
                None => Ok(p.offset),
            };
            out.push(((t.name.0.to_string(), p.partition_index), offset));
        }
    }
    Ok(out)
}

/// The `rack_id` a classic consumer puts in its subscription (KIP-881, ConsumerProtocolSubscription v3+): the
/// metadata is a version (i16) and the message. A newer version only adds fields at the end, so it is read as the
/// newest this crate knows. `None` when absent (older clients, no `client.rack`) or unreadable.
fn subscription_rack(metadata: &bytes::Bytes) -> Option<String> {
    use kafka_protocol::messages::ConsumerProtocolSubscription;
    use kafka_protocol::protocol::Decodable;
    let mut buf = metadata.clone();
    if buf.len() < 2 {
        return None;
    }
    let version = i16::from_be_bytes([buf[0], buf[1]]);
    bytes::Buf::advance(&mut buf, 2);
    let subscription = ConsumerProtocolSubscription::decode(&mut buf, version.clamp(0, 3)).ok()?;
    subscription.rack_id.map(|r| r.to_string())
}

/// The consumer groups this broker coordinates, of both protocols: classic groups are described with DescribeGroups,
/// KIP-848 groups (`group.protocol=consumer`, type `consumer` in ListGroups v5+) with ConsumerGroupDescribe, which
/// they need (DescribeGroups answers GroupIdNotFound for them). One OffsetFetch reads the committed offsets of both
/// (lag is filled in later). A group that cannot be read is named in `problems` and never drops another group.
async fn groups(conn: &mut BrokerConnection, cluster: &str) -> Result<GroupAnswers, RequestError> {
    let listed = conn.send(ListGroupsRequest::default()).await?;
    if let Some(e) = refused(listed.error_code, "ListGroups: ", Some("DESCRIBE on CLUSTER")) {
        return Err(e);
    }
    let (mut classic, mut kip848) = (Vec::new(), Vec::new());
    for g in listed.groups.iter().filter(|g| g.protocol_type.is_empty() || &*g.protocol_type == "consumer") {
        // Brokers before ListGroups v5 send no type: every group there is classic.
        let kind = if &*g.group_type == "consumer" { &mut kip848 } else { &mut classic };
        kind.push(g.group_id.clone());
    }
    let mut answers = GroupAnswers::default();
    if classic.is_empty() && kip848.is_empty() {
        return Ok(answers);
    }
    let mut states: HashMap<String, String> = HashMap::new();
    describe_classic(conn, cluster, &classic, &mut states, &mut answers).await;
    describe_kip848(conn, cluster, &kip848, &mut states, &mut answers).await;
    answers
        .members
        .sort_by(|a, b| (a.group_id.as_str(), a.member_id.as_str()).cmp(&(b.group_id.as_str(), b.member_id.as_str())));
    let groups: Vec<GroupId> = classic.into_iter().chain(kip848).collect();
    fetch_offsets(conn, cluster, &groups, &states, &mut answers).await;
    Ok(answers)
}

/// `{request} `group`: error (ACL hint)`: one line per group that could not be read.
fn group_error(request: &str, group: &GroupId, code: i16, e: &dyn std::fmt::Display) -> String {
    format!("{request} `{}`: {e}{}", group.0, acl_hint(code, "DESCRIBE on GROUP"))
}

/// One member row; `rack` is the member's `client.rack` when it reports one.
fn member_row(
    cluster: &str,
    group: &GroupId,
    id: &StrBytes,
    instance: Option<&StrBytes>,
    client: &StrBytes,
    host: &StrBytes,
    rack: Option<String>,
) -> ConsumerGroupMember {
    ConsumerGroupMember {
        cluster: cluster.to_string(),
        group_id: group.0.to_string(),
        member_id: id.to_string(),
        group_instance_id: instance.map(|i| i.to_string()),
        client_id: client.to_string(),
        client_host: host.to_string(),
        rack: rack.filter(|r| !r.is_empty()),
    }
}

/// Classic groups: DescribeGroups gives state and members, each member's rack from its subscription (KIP-881).
async fn describe_classic(
    conn: &mut BrokerConnection,
    cluster: &str,
    groups: &[GroupId],
    states: &mut HashMap<String, String>,
    answers: &mut GroupAnswers,
) {
    if groups.is_empty() {
        return;
    }
    let described = match conn.send(DescribeGroupsRequest::default().with_groups(groups.to_vec())).await {
        Ok(d) => d,
        Err(e) => return answers.problems.push(format!("DescribeGroups: {e}")),
    };
    for g in &described.groups {
        if let Some(e) = g.error_code.err() {
            answers.problems.push(group_error("DescribeGroups", &g.group_id, g.error_code, &e));
            continue;
        }
        states.insert(g.group_id.0.to_string(), g.group_state.to_string());
        let consumer = &*g.protocol_type == "consumer";
        answers.members.extend(g.members.iter().map(|m| {
            let rack = if consumer { subscription_rack(&m.member_metadata) } else { None };
            member_row(
                cluster,
                &g.group_id,
                &m.member_id,
                m.group_instance_id.as_ref(),
                &m.client_id,
                &m.client_host,
                rack,
            )
        }));
    }
}

/// KIP-848 groups: ConsumerGroupDescribe gives state and members with their `rackId`.
async fn describe_kip848(
    conn: &mut BrokerConnection,
    cluster: &str,
    groups: &[GroupId],
    states: &mut HashMap<String, String>,
    answers: &mut GroupAnswers,
) {
    if groups.is_empty() {
        return;
    }
    let described = match conn.send(ConsumerGroupDescribeRequest::default().with_group_ids(groups.to_vec())).await {
        Ok(d) => d,
        Err(e) => return answers.problems.push(format!("ConsumerGroupDescribe: {e}")),
    };
    for g in &described.groups {
        if let Some(e) = g.error_code.err() {
            answers.problems.push(group_error("ConsumerGroupDescribe", &g.group_id, g.error_code, &e));
            continue;
        }
        states.insert(g.group_id.0.to_string(), g.group_state.to_string());
        answers.members.extend(g.members.iter().map(|m| {
            let rack = m.rack_id.as_ref().map(|r| r.to_string());
            member_row(cluster, &g.group_id, &m.member_id, m.instance_id.as_ref(), &m.client_id, &m.client_host, rack)
        }));
    }
}

/// One OffsetFetch for the committed offsets of every group (lag is filled in later, from the leaders' offsets).
async fn fetch_offsets(
    conn: &mut BrokerConnection,
    cluster: &str,
    groups: &[GroupId],
    states: &HashMap<String, String>,
    answers: &mut GroupAnswers,
) {
    let request = OffsetFetchRequest::default().with_groups(
        groups.iter().map(|g| OffsetFetchRequestGroup::default().with_group_id(g.clone()).with_topics(None)).collect(),
    );
    let fetched = match conn.send(request).await {
        Ok(fetched) => fetched,
        Err(e) => return answers.problems.push(format!("OffsetFetch: {e}")),
    };
    for g in fetched.groups {
        let group = g.group_id.0.to_string();
        if let Some(e) = g.error_code.err() {
            answers.problems.push(group_error("OffsetFetch for group", &g.group_id, g.error_code, &e));
            continue;
        }
        for t in g.topics {
            for p in t.partitions {
                answers.offsets.push(ConsumerGroupOffset {
                    cluster: cluster.to_string(),
                    group_id: group.clone(),
                    state: states.get(&group).cloned().unwrap_or_default(),
                    topic: t.name.0.to_string(),
                    partition: i64::from(p.partition_index),
                    committed_offset: (p.committed_offset >= 0).then_some(p.committed_offset),
                    lag: None,
                });
            }
        }
    }
    answers.offsets.sort_by(|a, b| {
        (a.group_id.as_str(), a.topic.as_str(), a.partition).cmp(&(b.group_id.as_str(), b.topic.as_str(), b.partition))
    });
}
