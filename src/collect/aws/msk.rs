//! `kafka-finops discover`: the MSK clusters of a region, as Amazon MSK's API describes them.
//!
//! ListClustersV2 (every page) gives each cluster's type, brokers, storage, tiered storage, authentication and tags;
//! GetBootstrapBrokers the bootstrap string of each authentication; ListNodes the brokers' client subnets (the zones
//! they sit in). A call the service (or an emulator) does not answer leaves its part unknown and says so in
//! [`Discovered::unread`]: the rest is still reported.

use std::collections::BTreeMap;

use super::{AwsCallError, AwsSettings};

/// An MSK cluster's kind, as its broker hours are priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterKind {
    /// Standard brokers with EBS storage (`kafka.m5.large`).
    Provisioned,
    /// Express brokers (`express.m7g.large`): storage is AWS's, priced per GB.
    Express,
    Serverless,
}

impl ClusterKind {
    pub fn word(self) -> &'static str {
        match self {
            ClusterKind::Provisioned => "Provisioned",
            ClusterKind::Express => "Express",
            ClusterKind::Serverless => "Serverless",
        }
    }
}

/// How clients authenticate, with MSK's port for it (the MSK Developer Guide, "Port information").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Auth {
    Iam,
    Scram,
    Tls,
    Plaintext,
}

impl Auth {
    pub fn port(self) -> u16 {
        match self {
            Auth::Iam => 9098,
            Auth::Scram => 9096,
            Auth::Tls => 9094,
            Auth::Plaintext => 9092,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Auth::Iam => "IAM",
            Auth::Scram => "SASL/SCRAM",
            Auth::Tls => "TLS",
            Auth::Plaintext => "plaintext",
        }
    }
}

/// One cluster as discovered. `None` is unknown (the API did not say), never zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredCluster {
    pub arn: String,
    pub name: String,
    pub region: String,
    pub kind: ClusterKind,
    pub state: Option<String>,
    pub instance_type: Option<String>,
    pub brokers: Option<i32>,
    /// The client subnets the brokers are spread over (one per zone), or the zone ids when MSK gives them.
    pub zones: Option<usize>,
    pub ebs_gib_per_broker: Option<i32>,
    /// Provisioned storage throughput per broker, MiB/s, when it is turned on.
    pub provisioned_throughput_mibps: Option<i32>,
    pub tiered_storage: Option<bool>,
    /// The authentications turned on, best first (IAM, SCRAM, TLS, plaintext).
    pub auth: Vec<Auth>,
    pub bootstrap: BTreeMap<Auth, String>,
    pub tags: BTreeMap<String, String>,
}

/// A region's clusters, what could not be read, and the requests made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovered {
    pub clusters: Vec<DiscoveredCluster>,
    pub unread: Vec<String>,
    pub requests: u64,
}

/// Pages of ListClustersV2 (100 clusters each) read at most.
const MAX_PAGES: usize = 100;

/// Lists `region`'s MSK clusters with everything discover reports of each.
pub async fn discover(settings: &AwsSettings, region: &str) -> Result<Discovered, AwsCallError> {
    let mut settings = settings.clone();
    settings.region = Some(region.to_string());
    let config = super::sdk_config(&settings).await?;
    let client = aws_sdk_kafka::Client::new(&config);
    let mut found = Discovered::default();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        found.requests += 1;
        let page = client
            .list_clusters_v2()
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsCallError::new("kafka:ListClustersV2", format!("ListClustersV2 ({region})"), &e))?;
        found.clusters.extend(page.cluster_info_list().iter().filter_map(|c| cluster(c, region)));
        token = page.next_token().filter(|t| !t.is_empty()).map(String::from);
        if token.is_none() {
            break;
        }
    }
    for c in &mut found.clusters {
        bootstrap(&client, c, &mut found.unread, &mut found.requests).await;
        if c.zones.is_none() && c.kind != ClusterKind::Serverless {
            nodes(&client, c, &mut found.unread, &mut found.requests).await;
        }
    }
    Ok(found)
}

/// A ListClustersV2 entry as a discovered cluster (None without an ARN or a name: nothing to write).
fn cluster(c: &aws_sdk_kafka::types::Cluster, region: &str) -> Option<DiscoveredCluster> {
    let mut out = DiscoveredCluster {
        arn: c.cluster_arn()?.to_string(),
        name: c.cluster_name()?.to_string(),
        region: region.to_string(),
        kind: ClusterKind::Serverless,
        state: c.state().map(|s| s.as_str().to_string()),
        instance_type: None,
        brokers: None,
        zones: None,
        ebs_gib_per_broker: None,
        provisioned_throughput_mibps: None,
        tiered_storage: None,
        auth: Vec::new(),
        bootstrap: BTreeMap::new(),
        tags: c.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default(),
    };
    if let Some(p) = c.provisioned() {
        let group = p.broker_node_group_info();
        out.instance_type = group.and_then(|g| g.instance_type()).map(String::from);
        out.kind = if out.instance_type.as_deref().is_some_and(|t| t.starts_with("express.")) {
            ClusterKind::Express
        } else {
            ClusterKind::Provisioned
        };
        out.brokers = p.number_of_broker_nodes();
        out.zones = group.and_then(|g| {
            let zones = if g.zone_ids().is_empty() { g.client_subnets().len() } else { g.zone_ids().len() };
            (zones > 0).then_some(zones)
        });
        let ebs = group.and_then(|g| g.storage_info()).and_then(|s| s.ebs_storage_info());
        out.ebs_gib_per_broker = ebs.and_then(|e| e.volume_size());
        out.provisioned_throughput_mibps = ebs
            .and_then(|e| e.provisioned_throughput())
            .filter(|t| t.enabled() == Some(true))
            .and_then(|t| t.volume_throughput());
        out.tiered_storage = p.storage_mode().map(|m| m.as_str() == "TIERED");
        if let Some(a) = p.client_authentication() {
            let on = |b: Option<bool>| b == Some(true);
            let sasl = a.sasl();
            for (enabled, auth) in [
                (on(sasl.and_then(|s| s.iam()).and_then(|i| i.enabled())), Auth::Iam),
                (on(sasl.and_then(|s| s.scram()).and_then(|s| s.enabled())), Auth::Scram),
                (on(a.tls().and_then(|t| t.enabled())), Auth::Tls),
                (on(a.unauthenticated().and_then(|u| u.enabled())), Auth::Plaintext),
            ] {
                if enabled {
                    out.auth.push(auth);
                }
            }
        }
    } else if let Some(s) = c.serverless() {
        // MSK Serverless takes IAM authentication only.
        let iam = s.client_authentication().and_then(|a| a.sasl()).and_then(|s| s.iam()).and_then(|i| i.enabled());
        if iam != Some(false) {
            out.auth.push(Auth::Iam);
        }
        out.zones = s.vpc_configs().first().map(|v| v.subnet_ids().len()).filter(|n| *n > 0);
    }
    Some(out)
}

/// The bootstrap string of each authentication the cluster has.
async fn bootstrap(client: &aws_sdk_kafka::Client, c: &mut DiscoveredCluster, unread: &mut Vec<String>, n: &mut u64) {
    *n += 1;
    match client.get_bootstrap_brokers().cluster_arn(&c.arn).send().await {
        Ok(out) => {
            for (auth, text) in [
                (Auth::Iam, out.bootstrap_broker_string_sasl_iam()),
                (Auth::Scram, out.bootstrap_broker_string_sasl_scram()),
                (Auth::Tls, out.bootstrap_broker_string_tls()),
                (Auth::Plaintext, out.bootstrap_broker_string()),
            ] {
                if let Some(text) = text.filter(|t| !t.is_empty()) {
                    c.bootstrap.insert(auth, text.to_string());
                }
            }
        }
        Err(e) => {
            let e = AwsCallError::new("kafka:GetBootstrapBrokers", format!("GetBootstrapBrokers ({})", c.name), &e);
            unread.push(format!("{e}: its bootstrap servers are unknown"));
        }
    }
}

/// The zones from the brokers' client subnets, when the cluster's description gave none.
async fn nodes(client: &aws_sdk_kafka::Client, c: &mut DiscoveredCluster, unread: &mut Vec<String>, n: &mut u64) {
    *n += 1;
    match client.list_nodes().cluster_arn(&c.arn).max_results(100).send().await {
        Ok(out) => {
            let subnets: std::collections::BTreeSet<&str> =
                out.node_info_list().iter().filter_map(|n| n.broker_node_info()?.client_subnet()).collect();
            c.zones = (!subnets.is_empty()).then_some(subnets.len());
        }
        Err(e) => {
            let e = AwsCallError::new("kafka:ListNodes", format!("ListNodes ({})", c.name), &e);
            unread.push(format!("{e}: its zones are unknown"));
        }
    }
}
