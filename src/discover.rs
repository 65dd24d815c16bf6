//! `kafka-finops discover`: a starting config (and ownership catalog) written from the MSK clusters a region has.
//!
//! For each cluster: a `[[clusters]]` table (its ARN as `billing_resource_ids`, so its bill lines are its own), a
//! `kafka` source on the port of the best authentication it has (IAM 9098, SASL/SCRAM 9096, TLS 9094, plaintext
//! 9092), and a `cloudwatch` source; once per file a `cost-explorer` source; and a catalog skeleton with an owner for
//! each team the clusters' tags name. Every line comes with a comment saying what was found.
//!
//! Running it again merges: the new text is appended after everything already there, so no line the user edited
//! is ever changed or lost; a cluster already in the file (by ARN or name) is left as it is. Pure: the caller reads
//! and writes the files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::collect::aws::msk::{Auth, ClusterKind, DiscoveredCluster};

/// Tag keys whose value names the team that owns a cluster (compared without case).
const OWNER_TAGS: &[&str] = &["team", "owner", "owning-team", "owner-team", "squad"];
/// Tag keys whose value is the owner's cost center.
const COST_CENTER_TAGS: &[&str] = &["cost-center", "costcenter", "cost_center"];

/// What a merge added, and what it left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub added: Vec<String>,
    pub kept: Vec<String>,
}

/// Why discover wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{file} is not valid TOML ({why}); fix it or write to another file with --out, it was not changed")]
    Unreadable { file: String, why: String },
    #[error("listing the MSK clusters of {region}")]
    Call {
        region: String,
        #[source]
        source: crate::collect::aws::AwsCallError,
    },
    #[error("{}: {cause}", path.display())]
    Io { path: std::path::PathBuf, cause: std::io::Error },
}

/// A `[[clusters]]` name and a `[[sources]]` name safe in TOML and in file names: the cluster's name as MSK has it,
/// which allows letters, digits and hyphens.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// An owner id from a tag value: lower case, runs of anything but letters and digits made one hyphen.
fn owner_id(value: &str) -> String {
    let mut id = String::new();
    for c in value.trim().chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_string()
}

fn tag<'a>(c: &'a DiscoveredCluster, keys: &[&str]) -> Option<(&'a str, &'a str)> {
    c.tags.iter().find(|(k, _)| keys.contains(&k.to_ascii_lowercase().as_str())).map(|(k, v)| (k.as_str(), v.as_str()))
}

/// A file as it is (empty when there is none yet), or why it cannot be merged into.
fn parse(existing: Option<&str>, file: &str) -> Result<toml::Table, DiscoverError> {
    match existing {
        Some(text) => text.parse().map_err(|e: toml::de::Error| DiscoverError::Unreadable {
            file: file.to_string(),
            why: e.message().to_string(),
        }),
        None => Ok(toml::Table::new()),
    }
}

/// The config after discovering `clusters`: `existing` (the file as it is, if any) with what it lacks appended.
pub fn merge_config(
    existing: Option<&str>,
    file: &str,
    clusters: &[DiscoveredCluster],
    unread: &[String],
    stamp: &str,
) -> Result<Merged, DiscoverError> {
    let parsed = parse(existing, file)?;
    let tables = |key: &str| parsed.get(key).and_then(|v| v.as_array()).cloned().unwrap_or_default();
    let (have_clusters, have_sources) = (tables("clusters"), tables("sources"));
    let names: BTreeSet<String> =
        have_clusters.iter().filter_map(|c| c.get("name")?.as_str().map(String::from)).collect();
    let has_cost_explorer =
        have_sources.iter().any(|s| s.get("kind").and_then(|k| k.as_str()) == Some("cost-explorer"));

    let mut out = Merged { text: existing.unwrap_or_default().to_string(), ..Merged::default() };
    let mut add = String::new();
    if existing.is_none() {
        add.push_str(&header(clusters, stamp));
    }
    for c in clusters {
        // A cluster the file names anywhere (its ARN in `billing_resource_ids` or in a commented-out block, or its
        // name in [[clusters]]) is the user's to keep or drop.
        if names.contains(&c.name) || existing.is_some_and(|t| t.contains(&c.arn)) {
            out.kept.push(c.name.clone());
            continue;
        }
        out.added.push(c.name.clone());
        add.push_str(&cluster_block(c, stamp));
    }
    if !has_cost_explorer && !out.added.is_empty() {
        add.push_str(&cost_explorer_block(clusters));
    }
    if !unread.is_empty() && !add.is_empty() {
        add.push_str(&format!("\n# What discover could not read ({stamp}):\n"));
        for u in unread {
            let _ = writeln!(add, "#   {u}");
        }
    }
    if !add.is_empty() {
        if !out.text.is_empty() && !out.text.ends_with('\n') {
            out.text.push('\n');
        }
        if existing.is_some() {
            let _ = write!(out.text, "\n# --- added by `kafka-finops discover` on {stamp} ---\n");
        }
        out.text.push_str(&add);
    }
    Ok(out)
}

/// One line of what a cluster is: `Provisioned: 3 × kafka.m5.large, 3 zone(s), 1000 GiB EBS per broker, tiered
/// storage on, auth IAM 9098`; `?` where MSK did not say.
pub fn describe(c: &DiscoveredCluster) -> String {
    let or_q = |v: Option<String>| v.unwrap_or_else(|| "?".into());
    let zones = or_q(c.zones.map(|z| z.to_string()));
    let auth: Vec<String> = c.auth.iter().map(|a| format!("{} {}", a.word(), a.port())).collect();
    let auth = if auth.is_empty() { "not reported".to_string() } else { auth.join(", ") };
    let shape = match c.kind {
        ClusterKind::Serverless => format!("{zones} zone(s)"),
        kind => {
            let brokers = format!(
                "{} × {}, {zones} zone(s)",
                or_q(c.brokers.map(|b| b.to_string())),
                c.instance_type.as_deref().unwrap_or("?")
            );
            match kind {
                ClusterKind::Provisioned => format!(
                    "{brokers}, {} GiB EBS per broker, tiered storage {}",
                    or_q(c.ebs_gib_per_broker.map(|g| g.to_string())),
                    c.tiered_storage.map(|t| if t { "on" } else { "off" }).unwrap_or("?")
                ),
                _ => brokers,
            }
        }
    };
    format!("{}: {shape}, auth {auth}", c.kind.word())
}

fn header(clusters: &[DiscoveredCluster], stamp: &str) -> String {
    let regions: BTreeSet<&str> = clusters.iter().map(|c| c.region.as_str()).collect();
    format!(
        "# kafka-finops configuration written by `kafka-finops discover` on {stamp} from {} ({} MSK cluster(s)).\n\
         # Edit freely: running discover again appends clusters it has not written before and changes no line here.\n\
         # `kafka-finops validate --config <this file>` checks it; README.md explains every key.\n\n\
         # Who owns what: owners and the rules mapping topic, group and tag names to them.\n\
         catalog = \"catalog.toml\"\n",
        regions.into_iter().collect::<Vec<_>>().join(", "),
        clusters.len()
    )
}

/// One cluster's `[[clusters]]` table and its sources, each commented with what MSK said.
fn cluster_block(c: &DiscoveredCluster, stamp: &str) -> String {
    let unknown = || "unknown".to_string();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n# {} ({}, {}), found {stamp}:",
        c.name,
        c.kind.word(),
        c.state.as_deref().unwrap_or("state unknown")
    );
    let tiered = match c.tiered_storage {
        Some(true) => "on",
        Some(false) => "off",
        None => "unknown",
    };
    let storage = match c.kind {
        ClusterKind::Provisioned => format!(
            "; EBS {} GiB per broker; provisioned throughput {}; tiered storage {tiered}",
            c.ebs_gib_per_broker.map(|g| g.to_string()).unwrap_or_else(unknown),
            c.provisioned_throughput_mibps.map(|t| format!("{t} MiB/s")).unwrap_or_else(|| "off".into()),
        ),
        ClusterKind::Express => "; storage is Express's own, priced per GB stored and written".to_string(),
        ClusterKind::Serverless => String::new(),
    };
    match c.kind {
        ClusterKind::Serverless => {
            let _ =
                writeln!(s, "#   serverless over {} zone(s)", c.zones.map(|z| z.to_string()).unwrap_or_else(unknown));
        }
        _ => {
            let _ = writeln!(
                s,
                "#   {} broker(s) of {} over {} zone(s){storage}",
                c.brokers.map(|b| b.to_string()).unwrap_or_else(unknown),
                c.instance_type.as_deref().unwrap_or("an unknown instance type"),
                c.zones.map(|z| z.to_string()).unwrap_or_else(unknown),
            );
        }
    }
    let auth: Vec<String> = c.auth.iter().map(|a| format!("{} ({})", a.word(), a.port())).collect();
    let _ =
        writeln!(s, "#   authentication: {}", if auth.is_empty() { "not reported".into() } else { auth.join(", ") });
    for (a, servers) in &c.bootstrap {
        let _ = writeln!(s, "#   bootstrap ({}): {servers}", a.word());
    }
    if c.kind == ClusterKind::Serverless {
        let _ = writeln!(
            s,
            "#   MSK Serverless is not modelled yet (it has no brokers to price per hour): left out, commented.\n\
             # [[clusters]]\n# name = {}\n# platform = \"msk\"\n# region = {}\n# billing_resource_ids = [{}]",
            quoted(&c.name),
            quoted(&c.region),
            quoted(&c.arn)
        );
        return s;
    }
    let _ = writeln!(
        s,
        "[[clusters]]\nname = {}\nplatform = \"msk\"\nregion = {}\nbroker_instance_type = {}\nbilling_resource_ids = [{}]",
        quoted(&c.name),
        quoted(&c.region),
        quoted(c.instance_type.as_deref().unwrap_or("unknown")),
        quoted(&c.arn)
    );
    s.push_str(&kafka_source(c));
    let _ = writeln!(
        s,
        "\n# CloudWatch AWS/Kafka metrics (per topic with PER_TOPIC_PER_BROKER monitoring) of {}.\n\
         [[sources]]\nname = {}\nkind = \"cloudwatch\"\ncluster = {}",
        c.name,
        quoted(&format!("cloudwatch:{}", c.name)),
        quoted(&c.name)
    );
    s
}

/// The cluster's `kafka` source on its best authentication; commented out when it needs a secret or a file only
/// the user has, or when its bootstrap servers are unknown.
fn kafka_source(c: &DiscoveredCluster) -> String {
    let Some(auth) = c.auth.first().copied() else {
        return "# No authentication was reported, so no kafka source is written: add one (README, \"Kafka\").\n"
            .to_string();
    };
    let servers = c.bootstrap.get(&auth).cloned();
    let (protocol, extra) = match auth {
        Auth::Iam => ("SASL_SSL", ", \"sasl.mechanism\" = \"OAUTHBEARER\""),
        Auth::Scram => ("SASL_SSL", ", \"sasl.mechanism\" = \"SCRAM-SHA-512\", \"sasl.username\" = \"<user>\""),
        Auth::Tls => {
            ("SSL", ", \"ssl.certificate.location\" = \"<client.pem>\", \"ssl.key.location\" = \"<client.key>\"")
        }
        Auth::Plaintext => ("PLAINTEXT", ""),
    };
    let bootstrap = servers.clone().unwrap_or_else(|| format!("<bootstrap servers, port {}>", auth.port()));
    let mut lines = vec![
        "[[sources]]".to_string(),
        format!("name = {}", quoted(&format!("kafka:{}", c.name))),
        "kind = \"kafka\"".to_string(),
        format!("cluster = {}", quoted(&c.name)),
    ];
    match auth {
        Auth::Iam => lines.push("aws_msk_iam = true".into()),
        Auth::Scram => lines.push(format!("password_env = {}", quoted(&password_env(&c.name)))),
        _ => {}
    }
    lines.push(format!(
        "properties = {{ \"bootstrap.servers\" = {}, \"security.protocol\" = \"{protocol}\"{extra} }}",
        quoted(&bootstrap)
    ));
    let why = match (auth, &servers) {
        (_, None) => Some(format!("its bootstrap servers ({}) could not be read", auth.word())),
        (Auth::Scram, _) => Some(format!("it needs the user and ${} set", password_env(&c.name))),
        (Auth::Tls, _) => Some("it needs the client certificate and key".to_string()),
        _ => None,
    };
    let mut s = format!("\n# The Kafka admin protocol over {} (port {}).\n", auth.word(), auth.port());
    match why {
        None => lines.iter().for_each(|l| {
            let _ = writeln!(s, "{l}");
        }),
        Some(why) => {
            let _ = writeln!(s, "# Commented out: {why}. Fill in the <...> parts and uncomment.");
            lines.iter().for_each(|l| {
                let _ = writeln!(s, "# {l}");
            });
        }
    }
    s
}

fn password_env(cluster: &str) -> String {
    format!("KAFKA_FINOPS_{}_PASSWORD", cluster.to_ascii_uppercase().replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
}

fn cost_explorer_block(clusters: &[DiscoveredCluster]) -> String {
    let keys: BTreeSet<&str> = clusters.iter().filter_map(|c| tag(c, OWNER_TAGS).map(|(k, _)| k)).collect();
    let keys: Vec<String> = keys.into_iter().map(quoted).collect();
    format!(
        "\n# The bill: Cost Explorer, daily, by service and usage type (each request costs $0.01; closed days are cached).\n\
         [[sources]]\nname = \"cost-explorer\"\nkind = \"cost-explorer\"\ndays = 30\n{}",
        if keys.is_empty() {
            "# owner_tag_keys = [\"team\"]   # cost-allocation tags whose values name owners\n".to_string()
        } else {
            format!("owner_tag_keys = [{}]   # the clusters' tags that name teams\n", keys.join(", "))
        }
    )
}

/// The catalog after discovering `clusters`: `existing` with an owner appended for each team the clusters' tags name
/// that it lacks (and a tag rule mapping the tag's value to it), or a new skeleton.
pub fn merge_catalog(
    existing: Option<&str>,
    file: &str,
    clusters: &[DiscoveredCluster],
) -> Result<Merged, DiscoverError> {
    let parsed = parse(existing, file)?;
    let have: BTreeSet<String> =
        parsed.get("owners").and_then(|o| o.as_table()).map(|t| t.keys().cloned().collect()).unwrap_or_default();
    let mut owners: BTreeMap<String, (String, Option<String>, Vec<String>)> = BTreeMap::new();
    for c in clusters {
        let Some((_, team)) = tag(c, OWNER_TAGS) else { continue };
        let id = owner_id(team);
        if id.is_empty() {
            continue;
        }
        let entry = owners.entry(id).or_insert_with(|| (team.to_string(), None, Vec::new()));
        entry.1 = entry.1.take().or_else(|| tag(c, COST_CENTER_TAGS).map(|(_, v)| v.to_string()));
        entry.2.push(c.name.clone());
    }
    let mut out = Merged { text: existing.unwrap_or_default().to_string(), ..Merged::default() };
    let mut add = String::new();
    if existing.is_none() {
        add.push_str(
            "# Ownership catalog written by `kafka-finops discover`: one owner per team the clusters' tags name.\n\
             # Fill in each owner's cost center and escalation, then add [[rules]] mapping topic and consumer-group\n\
             # names (exact, prefix or regex) to owners: names no rule matches belong to `unowned` in every report.\n",
        );
    }
    for (id, (team, cost_center, tagged)) in &owners {
        if have.contains(id) {
            out.kept.push(id.clone());
            continue;
        }
        out.added.push(id.clone());
        let _ = write!(
            add,
            "\n# Tagged on {}.\n[owners.{}]\nteam = {}\ncost_center = {}\nescalation = \"TODO: the on-call address of {}\"\n\
             \n# Bill lines carrying the tag value {} belong to {} (Cost Explorer's owner_tag_keys).\n\
             [[rules]]\nowner = {}\nkind = \"tag\"\nexact = {}\n",
            tagged.join(", "),
            id,
            quoted(team),
            quoted(cost_center.as_deref().unwrap_or("TODO: the cost center")),
            team,
            quoted(team),
            id,
            quoted(id),
            quoted(team)
        );
    }
    if existing.is_none() && owners.is_empty() {
        add.push_str(
            "\n# No cluster is tagged with a team: declare owners like this one.\n[owners.platform]\n\
             team = \"Streaming platform\"\ncost_center = \"TODO: the cost center\"\n\
             escalation = \"TODO: the platform team's on-call address\"\n",
        );
        out.added.push("platform".into());
    }
    if !add.is_empty() {
        if existing.is_some() {
            add.insert_str(0, "\n# --- added by `kafka-finops discover` ---");
        }
        out.text.push_str(&add);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(name: &str, arn: &str, auth: &[Auth]) -> DiscoveredCluster {
        DiscoveredCluster {
            arn: arn.into(),
            name: name.into(),
            region: "eu-west-1".into(),
            kind: ClusterKind::Provisioned,
            state: Some("ACTIVE".into()),
            instance_type: Some("kafka.m7g.large".into()),
            brokers: Some(3),
            zones: Some(3),
            ebs_gib_per_broker: Some(500),
            provisioned_throughput_mibps: None,
            tiered_storage: Some(false),
            auth: auth.to_vec(),
            bootstrap: auth.iter().map(|a| (*a, format!("b-1.example:{}", a.port()))).collect(),
            tags: BTreeMap::from([("Team".to_string(), "Data & Analytics".to_string())]),
        }
    }

    #[test]
    fn each_authentication_gets_its_port_and_only_what_needs_no_secret_is_left_active() {
        let iam =
            merge_config(None, "k.toml", &[cluster("a", "arn:a", &[Auth::Iam, Auth::Scram])], &[], "now").unwrap();
        assert!(
            iam.text.contains("\"bootstrap.servers\" = \"b-1.example:9098\"")
                && iam.text.contains("aws_msk_iam = true")
        );
        assert!(!iam.text.contains("# [[sources]]"), "IAM needs no secret: active\n{}", iam.text);
        let scram = merge_config(None, "k.toml", &[cluster("b", "arn:b", &[Auth::Scram])], &[], "now").unwrap();
        assert!(scram.text.contains("# password_env = \"KAFKA_FINOPS_B_PASSWORD\""), "{}", scram.text);
        assert!(scram.text.contains("port 9096") && scram.text.contains("# Commented out: it needs the user"));
        let plain = merge_config(None, "k.toml", &[cluster("c", "arn:c", &[Auth::Plaintext])], &[], "now").unwrap();
        assert!(plain.text.contains("\"b-1.example:9092\", \"security.protocol\" = \"PLAINTEXT\""), "{}", plain.text);
        // Whatever discover writes is TOML a config can be read from.
        for merged in [iam, scram, plain] {
            assert!(merged.text.parse::<toml::Table>().is_ok(), "{}", merged.text);
        }
    }

    #[test]
    fn a_merge_keeps_the_file_byte_for_byte_and_skips_clusters_it_names_even_in_a_comment() {
        let mine = "catalog = \"owners.toml\"\n# my note\n[[clusters]]\nname = \"kept\"\nplatform = \"msk\"\n\
                    region = \"eu-west-1\"\nbroker_instance_type = \"kafka.m5.large\"\n# gone: arn:dropped\n";
        let found = [cluster("kept", "arn:kept", &[Auth::Iam]), cluster("dropped", "arn:dropped", &[Auth::Iam])];
        let merged = merge_config(Some(mine), "k.toml", &found, &[], "now").unwrap();
        assert_eq!((merged.text.as_str(), merged.kept.len()), (mine, 2), "nothing to add: the file is unchanged");
        let new = cluster("new", "arn:new", &[Auth::Iam]);
        let merged = merge_config(Some(mine), "k.toml", &[new], &[], "now").unwrap();
        assert!(merged.text.starts_with(mine) && merged.text.contains("name = \"new\""));
        assert_eq!(merged.added, ["new"]);
        let broken = merge_config(Some("[[clusters"), "k.toml", &found, &[], "now").unwrap_err().to_string();
        assert!(broken.starts_with("k.toml is not valid TOML"), "{broken}");
    }

    #[test]
    fn teams_in_tags_become_owners_once() {
        let found = [cluster("a", "arn:a", &[Auth::Iam]), cluster("b", "arn:b", &[Auth::Iam])];
        let catalog = merge_catalog(None, "catalog.toml", &found).unwrap();
        assert_eq!(catalog.added, ["data-analytics"]);
        assert!(catalog.text.contains("[owners.data-analytics]\nteam = \"Data & Analytics\""), "{}", catalog.text);
        assert!(catalog.text.contains("# Tagged on a, b."));
        let again = merge_catalog(Some(&catalog.text), "catalog.toml", &found).unwrap();
        assert_eq!((again.text, again.kept), (catalog.text, vec!["data-analytics".to_string()]));
    }
}
