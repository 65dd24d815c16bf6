//! Join: the only stage that runs SQL. Runs `queries/*.sql` with polars' SQL context over the normalized tables.
//!
//! Before the SQL, the ownership catalog is applied in Rust (precedence rules do not belong in SQL) to produce
//! small tables the queries join on: `topic_owners`, `group_owners`, `principal_owners` (of the ACLs' principals), `tag_owners` and `owners`; the config adds
//! `cluster_resources`. Keys the SQL would otherwise spell again come as tables too: `topic_dimensions` (each
//! topic's metric dimensions, `schema::topic_dimensions`) and `sentinels` (one row: `unowned`, the catalog's owner of
//! what no rule matches). Queries run in the order of [`QUERIES`], and each result is registered under its file name
//! so later queries can read it.

use polars::prelude::*;
use polars::sql::SQLContext;

pub mod contract;

use crate::catalog::{Catalog, NameKind};
use crate::normalize::Tables;
use crate::problem::Problems;
use crate::schema::{AclBinding, Broker, ConsumerGroupOffset, CostAllocation, Table, Topic};
use crate::settings::ClusterConfig;

/// The queries in the order they run, each with its declared output (`contract.rs`). Each file's header comment gives
/// its inputs, output columns and grain.
pub use contract::QUERIES;

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(transparent)]
    Ownership(#[from] Problems),
    #[error("query `queries/{query}.sql`: {cause}")]
    Query { query: String, cause: PolarsError },
    #[error("building table `{table}`: {cause}")]
    Frame { table: &'static str, cause: PolarsError },
    #[error("query `queries/{query}.sql` breaks the join contract (join/contract.rs): {cause}")]
    Contract { query: String, cause: contract::ContractError },
}

/// Adds the ownership and cluster tables, then runs every query. Returns all tables, inputs and results.
/// `platform_owner` (a catalog owner) takes the internal topics no rule names: Kafka and MSK manage them, so the
/// platform pays for them.
pub fn run(
    mut tables: Tables,
    catalog: &Catalog,
    clusters: &[ClusterConfig],
    platform_owner: Option<&str>,
) -> Result<Tables, JoinError> {
    add_ownership(&mut tables, catalog, platform_owner)?;
    tables.insert("cluster_resources", cluster_resources(clusters).map_err(frame_err("cluster_resources"))?);
    tables
        .insert("topic_dimensions", topic_dimensions(tables.get(Topic::NAME)).map_err(frame_err("topic_dimensions"))?);
    tables.insert(
        "broker_dimensions",
        broker_dimensions(tables.get(Broker::NAME)).map_err(frame_err("broker_dimensions"))?,
    );
    tables.insert(
        "sentinels",
        DataFrame::new_infer_height(vec![Column::new("unowned".into(), [crate::catalog::UNOWNED])])
            .map_err(frame_err("sentinels"))?,
    );
    for contract::Query { name, sql, .. } in QUERIES {
        let result = run_query(&tables, sql).map_err(|cause| JoinError::Query { query: name.to_string(), cause })?;
        contract::check(name, &result).map_err(|cause| JoinError::Contract { query: name.to_string(), cause })?;
        tables.insert(name, result);
    }
    Ok(tables)
}

/// The stack a query is planned on. polars turns a query into its plan recursively, a frame per plan node, and a
/// query of a dozen CTEs joined to each other nests deep enough to overflow a 2 MiB thread (a test's, or a rayon
/// worker's) in a debug build; its own thread with room to spare keeps that from depending on who calls.
const QUERY_STACK_BYTES: usize = 64 << 20;

/// Runs one SQL text over `tables` (every table registered under its name), on a thread of its own with
/// [`QUERY_STACK_BYTES`] of stack.
pub fn run_query(tables: &Tables, sql: &str) -> PolarsResult<DataFrame> {
    let plan_and_run = || {
        let mut ctx = SQLContext::new();
        for (name, frame) in &tables.frames {
            ctx.register(name, frame.clone().lazy());
        }
        ctx.execute(sql)?.collect()
    };
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("query".into())
            .stack_size(QUERY_STACK_BYTES)
            .spawn_scoped(scope, plan_and_run)
        {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: plan on this one.
            Err(_) => plan_and_run(),
        }
    })
}

fn frame_err(table: &'static str) -> impl Fn(PolarsError) -> JoinError {
    move |source| JoinError::Frame { table, cause: source }
}

fn add_ownership(tables: &mut Tables, catalog: &Catalog, platform_owner: Option<&str>) -> Result<(), JoinError> {
    let mut problems = Vec::new();
    let internal = internal_topics(tables.get(Topic::NAME)).map_err(frame_err("topic_owners"))?;
    let mut owned = |table: &str, key: &str, kind: NameKind| -> PolarsResult<DataFrame> {
        let names = distinct_pairs(tables.get(table), key)?;
        let (mut clusters, mut keys, mut owners, mut rules) = (vec![], vec![], vec![], vec![]);
        for (cluster, name) in names {
            let platform = platform_owner
                .filter(|_| kind == NameKind::Topic && internal.contains(&(cluster.clone(), name.clone())));
            match catalog.resolve(kind, &name) {
                Ok(r) if r.owner == crate::catalog::UNOWNED && platform.is_some() => {
                    clusters.push(cluster);
                    keys.push(name);
                    owners.push(platform.unwrap_or_default().to_string());
                    rules.push(
                        "internal topic, managed by Kafka: the platform owner ([readiness] platform_owner)".into(),
                    );
                }
                Ok(r) => {
                    clusters.push(cluster);
                    keys.push(name);
                    owners.push(r.owner);
                    rules.push(r.rule);
                }
                Err(p) => problems.push(p),
            }
        }
        DataFrame::new_infer_height(vec![
            Column::new("cluster".into(), clusters),
            Column::new(key.into(), keys),
            Column::new("owner".into(), owners),
            Column::new("owner_rule".into(), rules),
        ])
    };
    let topic_owners = owned(Topic::NAME, "topic", NameKind::Topic).map_err(frame_err("topic_owners"))?;
    let group_owners =
        owned(ConsumerGroupOffset::NAME, "group_id", NameKind::ConsumerGroup).map_err(frame_err("group_owners"))?;
    let principal_owners =
        owned(AclBinding::NAME, "principal", NameKind::Principal).map_err(frame_err("principal_owners"))?;
    if !problems.is_empty() {
        problems.dedup();
        return Err(Problems(problems).into());
    }
    let tag_owners =
        tag_owners(tables.get(CostAllocation::NAME), catalog, &mut problems).map_err(frame_err("tag_owners"))?;
    if !problems.is_empty() {
        problems.dedup();
        return Err(Problems(problems).into());
    }
    tables.insert("tag_owners", tag_owners);
    tables.insert("topic_owners", topic_owners);
    tables.insert("group_owners", group_owners);
    tables.insert("principal_owners", principal_owners);
    tables.insert("owners", owners_frame(catalog).map_err(frame_err("owners"))?);
    Ok(())
}

/// The owner of every (tag key, tag value) in `cost_allocations`: by the catalog's `tag` rules, else the declared
/// owner whose id is the value; a cost without the tag (empty value) belongs to `unowned`, rule `(untagged)`.
fn tag_owners(
    frame: Option<&DataFrame>,
    catalog: &Catalog,
    problems: &mut Vec<crate::problem::Problem>,
) -> PolarsResult<DataFrame> {
    let mut pairs: Vec<(String, String)> = match frame {
        Some(f) => {
            let keys = f.column("tag_key")?.str()?;
            let values = f.column("tag_value")?.str()?;
            keys.iter().zip(values.iter()).filter_map(|(k, v)| Some((k?.to_string(), v?.to_string()))).collect()
        }
        None => Vec::new(),
    };
    pairs.sort();
    pairs.dedup();
    let (mut keys, mut values, mut owners, mut rules) = (vec![], vec![], vec![], vec![]);
    for (key, value) in pairs {
        let (owner, rule) = if value.is_empty() {
            (crate::catalog::UNOWNED.to_string(), "(untagged)".to_string())
        } else {
            match catalog.resolve(NameKind::Tag, &value) {
                // A tag value that is itself a declared owner id needs no rule.
                Ok(r) if r.owner == crate::catalog::UNOWNED && catalog.owners().iter().any(|o| o.owner == value) => {
                    (value.clone(), "tag value is an owner id".to_string())
                }
                Ok(r) => (r.owner, r.rule),
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            }
        };
        keys.push(key);
        values.push(value);
        owners.push(owner);
        rules.push(rule);
    }
    DataFrame::new_infer_height(vec![
        Column::new("tag_key".into(), keys),
        Column::new("tag_value".into(), values),
        Column::new("owner".into(), owners),
        Column::new("owner_rule".into(), rules),
    ])
}

/// Distinct (cluster, name) pairs of a table, sorted.
/// The (cluster, topic) pairs of Kafka's internal topics (`is_internal`).
fn internal_topics(frame: Option<&DataFrame>) -> PolarsResult<std::collections::BTreeSet<(String, String)>> {
    let Some(frame) = frame else { return Ok(Default::default()) };
    let (cluster, topic, internal) =
        (frame.column("cluster")?.str()?, frame.column("topic")?.str()?, frame.column("is_internal")?.bool()?);
    Ok((0..frame.height())
        .filter(|&i| internal.get(i) == Some(true))
        .filter_map(|i| Some((cluster.get(i)?.to_string(), topic.get(i)?.to_string())))
        .collect())
}

fn distinct_pairs(frame: Option<&DataFrame>, key: &str) -> PolarsResult<Vec<(String, String)>> {
    let Some(frame) = frame else {
        return Ok(Vec::new());
    };
    let cluster = frame.column("cluster")?.str()?;
    let name = frame.column(key)?.str()?;
    let mut pairs: Vec<(String, String)> =
        cluster.iter().zip(name.iter()).filter_map(|(c, n)| Some((c?.to_string(), n?.to_string()))).collect();
    pairs.sort();
    pairs.dedup();
    Ok(pairs)
}

fn owners_frame(catalog: &Catalog) -> PolarsResult<DataFrame> {
    let owners = catalog.owners();
    DataFrame::new_infer_height(vec![
        Column::new("owner".into(), owners.iter().map(|o| o.owner.clone()).collect::<Vec<_>>()),
        Column::new("team".into(), owners.iter().map(|o| o.team.clone()).collect::<Vec<_>>()),
        Column::new("cost_center".into(), owners.iter().map(|o| o.cost_center.clone()).collect::<Vec<_>>()),
        Column::new("escalation".into(), owners.iter().map(|o| o.escalation.clone()).collect::<Vec<_>>()),
        Column::new("channel".into(), owners.iter().map(|o| o.channel.clone()).collect::<Vec<_>>()),
    ])
}

/// Every topic's metric dimensions, as the CloudWatch collector writes them.
fn topic_dimensions(topics: Option<&DataFrame>) -> PolarsResult<DataFrame> {
    let pairs = distinct_pairs(topics, "topic")?;
    DataFrame::new_infer_height(vec![
        Column::new("cluster".into(), pairs.iter().map(|p| p.0.clone()).collect::<Vec<_>>()),
        Column::new("topic".into(), pairs.iter().map(|p| p.1.clone()).collect::<Vec<_>>()),
        Column::new(
            "dimensions".into(),
            pairs.iter().map(|(c, t)| crate::schema::topic_dimensions(c, t)).collect::<Vec<_>>(),
        ),
    ])
}

/// Each broker's CloudWatch dimensions under the config's cluster name (`schema::broker_dimensions`).
fn broker_dimensions(brokers: Option<&DataFrame>) -> PolarsResult<DataFrame> {
    let rows: Vec<Broker> = match brokers {
        Some(frame) => Broker::from_frame(frame).map_err(|e| PolarsError::ComputeError(e.to_string().into()))?,
        None => Vec::new(),
    };
    DataFrame::new_infer_height(vec![
        Column::new("cluster".into(), rows.iter().map(|b| b.cluster.clone()).collect::<Vec<_>>()),
        Column::new("broker_id".into(), rows.iter().map(|b| b.broker_id).collect::<Vec<_>>()),
        Column::new(
            "dimensions".into(),
            rows.iter().map(|b| crate::schema::broker_dimensions(&b.cluster, b.broker_id)).collect::<Vec<_>>(),
        ),
    ])
}

fn cluster_resources(clusters: &[ClusterConfig]) -> PolarsResult<DataFrame> {
    let pairs: Vec<(String, String)> =
        clusters.iter().flat_map(|c| c.billing_resource_ids.iter().map(move |r| (c.name.clone(), r.clone()))).collect();
    DataFrame::new_infer_height(vec![
        Column::new("cluster".into(), pairs.iter().map(|p| p.0.clone()).collect::<Vec<_>>()),
        Column::new("resource_id".into(), pairs.iter().map(|p| p.1.clone()).collect::<Vec<_>>()),
    ])
}
