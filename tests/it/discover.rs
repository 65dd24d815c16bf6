//! `kafka-finops discover` against moto's Amazon MSK (started by ci/moto.sh): clusters made with CreateCluster and
//! CreateClusterV2, listed by ListClustersV2. moto answers neither GetBootstrapBrokers nor ListNodes: discover must
//! still write its config, and say what it could not read.

use std::path::Path;
use std::process::Command;

use aws_sdk_kafka::types::{
    BrokerNodeGroupInfo, ClientAuthentication, EbsStorageInfo, Iam, ProvisionedRequest, Sasl, Scram, ServerlessRequest,
    StorageInfo, StorageMode, VpcConfig,
};

use crate::support::*;

fn endpoint() -> Option<String> {
    let found = std::env::var("KAFKA_FINOPS_AWS_ENDPOINT").ok();
    if found.is_none() {
        service_missing("KAFKA_FINOPS_REQUIRE_AWS", "AWS emulator");
    }
    found
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{}", nanos % 1_000_000_000_000)
}

fn msk(endpoint: &str, region: &str) -> aws_sdk_kafka::Client {
    let config = aws_sdk_kafka::Config::builder()
        .behavior_version(aws_sdk_kafka::config::BehaviorVersion::latest())
        .http_client(kafka_finops::collect::aws::https_client())
        .region(aws_sdk_kafka::config::Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_kafka::config::Credentials::new("testing", "testing", None, None, "tests"))
        .build();
    aws_sdk_kafka::Client::from_conf(config)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn brokers(instance: &str, gib: i32) -> BrokerNodeGroupInfo {
    BrokerNodeGroupInfo::builder()
        .instance_type(instance)
        .client_subnets("subnet-a")
        .client_subnets("subnet-b")
        .client_subnets("subnet-c")
        .storage_info(
            StorageInfo::builder().ebs_storage_info(EbsStorageInfo::builder().volume_size(gib).build()).build(),
        )
        .build()
}

/// A Standard cluster (CreateCluster: moto keeps its authentication) with IAM and SCRAM, tagged with a team.
fn standard(client: &aws_sdk_kafka::Client, name: &str, instance: &str) -> String {
    let auth = ClientAuthentication::builder()
        .sasl(
            Sasl::builder()
                .iam(Iam::builder().enabled(true).build())
                .scram(Scram::builder().enabled(true).build())
                .build(),
        )
        .build();
    let out = runtime()
        .block_on(
            client
                .create_cluster()
                .cluster_name(name)
                .kafka_version("3.6.0")
                .number_of_broker_nodes(3)
                .broker_node_group_info(brokers(instance, 1000))
                .client_authentication(auth)
                .storage_mode(StorageMode::Tiered)
                .tags("team", "Payments Core")
                .tags("cost-center", "CC-PAY-100")
                .send(),
        )
        .unwrap();
    out.cluster_arn().unwrap().to_string()
}

/// An Express cluster and a Serverless one (CreateClusterV2).
fn express_and_serverless(client: &aws_sdk_kafka::Client, express: &str, serverless: &str) {
    let provisioned = ProvisionedRequest::builder()
        .broker_node_group_info(brokers("express.m7g.large", 1))
        .kafka_version("3.6.0")
        .number_of_broker_nodes(3)
        .build();
    let vpc = VpcConfig::builder().subnet_ids("subnet-a").subnet_ids("subnet-b").build();
    runtime().block_on(async {
        client.create_cluster_v2().cluster_name(express).provisioned(provisioned).send().await.unwrap();
        let serverless_request = ServerlessRequest::builder().vpc_configs(vpc).build();
        client.create_cluster_v2().cluster_name(serverless).serverless(serverless_request).send().await.unwrap();
    });
}

fn discover(endpoint: &str, region: &str, out: &Path) -> Output {
    Command::new(BIN)
        .args(["discover", "--region", region, "--out", out.to_str().unwrap()])
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
        .into()
}

#[test]
fn discover_writes_a_config_that_validates_says_what_it_could_not_read_and_merges_without_losing_an_edit() {
    let Some(endpoint) = endpoint() else { return };
    // moto's state is global: other tests reset it and switch its IAM enforcement on, one at a time.
    let _guard = crate::aws::MOTO.lock().unwrap_or_else(|e| e.into_inner());
    let region = "ap-southeast-2";
    let client = msk(&endpoint, region);
    let (payments, express, serverless) = (unique("payments"), unique("express"), unique("serverless"));
    let arn = standard(&client, &payments, "kafka.m5.large");
    express_and_serverless(&client, &express, &serverless);

    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("kafka-finops.toml");
    let out = discover(&endpoint, region, &config);
    // Written, but moto does not answer GetBootstrapBrokers or ListNodes: each is named, and the exit is 1.
    assert_eq!(out.code, 1, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    assert!(out.stderr.contains(&format!("GetBootstrapBrokers ({payments})")), "{}", out.stderr);
    assert!(out.stdout.contains(&format!(
        "{payments} ({region}) Provisioned: 3 × kafka.m5.large, 3 zone(s), 1000 GiB EBS per broker, tiered storage on, auth IAM 9098, SASL/SCRAM 9096"
    )), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("{express} ({region}) Express: 3 × express.m7g.large, 3 zone(s), auth")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("{serverless} ({region}) Serverless: 2 zone(s), auth IAM 9098")),
        "{}",
        out.stdout
    );

    let text = std::fs::read_to_string(&config).unwrap();
    let parsed: toml::Table = text.parse().unwrap();
    let clusters = parsed["clusters"].as_array().unwrap();
    let mine = clusters.iter().find(|c| c["name"].as_str() == Some(payments.as_str())).unwrap();
    assert_eq!(mine["billing_resource_ids"].as_array().unwrap()[0].as_str(), Some(arn.as_str()));
    assert_eq!(mine["broker_instance_type"].as_str(), Some("kafka.m5.large"));
    assert!(text.contains("# Commented out: its bootstrap servers (IAM) could not be read"), "{text}");
    assert!(text.contains("aws_msk_iam = true") && text.contains("<bootstrap servers, port 9098>"), "{text}");
    assert!(!clusters.iter().any(|c| c["name"].as_str() == Some(serverless.as_str())), "Serverless is not modelled");
    assert!(text.contains("owner_tag_keys = [\"team\"]"), "{text}");
    let catalog = std::fs::read_to_string(work.path().join("catalog.toml")).unwrap();
    assert!(
        catalog.contains("[owners.payments-core]") && catalog.contains("cost_center = \"CC-PAY-100\""),
        "{catalog}"
    );

    let validated = run(&["validate", "--config", config.to_str().unwrap()], work.path());
    assert_eq!(validated.code, 0, "the file as written validates:\n{}\n{text}", validated.stderr);

    // The user edits; a new cluster appears; discover again: the edit stays, only the new cluster is added.
    let edited = text.replace("days = 30", "days = 14  # mine");
    std::fs::write(&config, &edited).unwrap();
    let later = unique("later");
    standard(&client, &later, "kafka.m7g.large");
    let again = discover(&endpoint, region, &config);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stdout.contains("1 cluster(s) added"), "{}", again.stdout);
    let merged = std::fs::read_to_string(&config).unwrap();
    assert!(merged.starts_with(&edited), "every line the user had is kept, unchanged, first");
    assert_eq!(merged.matches(&format!("name = \"{payments}\"")).count(), 1, "no cluster twice");
    assert!(merged[edited.len()..].contains(&format!("name = \"{later}\"")));
    let validated = run(&["validate", "--config", config.to_str().unwrap()], work.path());
    assert_eq!(validated.code, 0, "{}", validated.stderr);
}

#[test]
fn a_discovered_cluster_run_on_recorded_kafka_data_has_every_msk_price_in_each_bundled_region() {
    let Some(endpoint) = endpoint() else { return };
    let _guard = crate::aws::MOTO.lock().unwrap_or_else(|e| e.into_inner());
    for region in ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"] {
        let name = unique("orders");
        standard(&msk(&endpoint, region), &name, "kafka.m5.2xlarge");
        let work = tempfile::tempdir().unwrap();
        let config = work.path().join("kafka-finops.toml");
        let out = discover(&endpoint, region, &config);
        assert!(out.code <= 1, "{}", out.stderr);
        // Keep the discovered cluster, and replace its live sources with the demo's recorded Kafka data (no bill:
        // every price comes from the book), renamed to the cluster.
        let mut parsed: toml::Table = std::fs::read_to_string(&config).unwrap().parse().unwrap();
        let clusters: Vec<toml::Value> = parsed["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"].as_str() == Some(name.as_str()))
            .cloned()
            .collect();
        parsed.insert("clusters".into(), toml::Value::Array(clusters));
        let scenario = work.path().join("recorded");
        std::fs::create_dir(&scenario).unwrap();
        for entry in std::fs::read_dir(demo_fixture()).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_str().unwrap().to_string();
            if file == "cost_lines.csv" || file == "cost_allocations.csv" {
                // No bill: every price comes from the book. (The header alone: a scenario has every table's file.)
                let header = std::fs::read_to_string(&path).unwrap().lines().next().unwrap().to_string();
                std::fs::write(scenario.join(&file), header + "\n").unwrap();
            } else if file.ends_with(".csv") {
                let text = std::fs::read_to_string(&path).unwrap().replace("demo-msk", &name);
                std::fs::write(scenario.join(&file), text).unwrap();
            } else if file == "scenario.toml" {
                std::fs::copy(&path, scenario.join(&file)).unwrap();
            }
        }
        let source: toml::Table = "name = \"recorded\"\nkind = \"scenario\"\npath = \"recorded\"".parse().unwrap();
        parsed.insert("sources".into(), toml::Value::Array(vec![toml::Value::Table(source)]));
        std::fs::write(&config, toml::to_string(&parsed).unwrap()).unwrap();
        std::fs::copy(demo_fixture().join("catalog.toml"), work.path().join("catalog.toml")).unwrap();
        let out = run(&["run", "--config", config.to_str().unwrap(), "--out", "runs"], work.path());
        assert!(out.code <= 1, "{region}: {}\n{}", out.stderr, std::fs::read_to_string(&config).unwrap());
        // Not one MSK price missing: today's cost, broker-local right-sized and tiered storage are all priced.
        // (Shared storage's S3 request and storage prices are not in the bundled book for eu-west-1: that region
        // names them, with `prices refresh`, and only them.)
        assert!(!out.stderr.contains("no price `msk."), "{region}: {}", out.stderr);
        let model = read_model(&work.path().join(out.run_dir()));
        let missing: Vec<&str> = model
            .findings
            .iter()
            .filter(|f| f.rule == "price-missing")
            .filter_map(|f| f.message.split('`').nth(3))
            .collect();
        let expected: &[&str] =
            if region == "eu-west-1" { &["s3.standard.get", "s3.standard.put", "s3.standard.storage"] } else { &[] };
        assert_eq!(missing, expected, "{region}");
        let t = &model.totals;
        assert!(t.current_monthly_usd.is_some() && t.right_sized_monthly_usd.is_some(), "{region}: priced");
        assert!(t.tiered_storage_monthly_usd.is_some(), "{region}: tiered storage priced");
        let broker = model.clusters[0].prices.iter().find(|p| p.key == "msk.broker.kafka.m5.2xlarge").unwrap();
        assert!(broker.source.contains("msk.json") && broker.region == region, "{broker:?}");
    }
}
