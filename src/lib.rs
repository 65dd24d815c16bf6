//! kafka-finops: who owns each Kafka topic, what it costs on broker-local disk vs shared storage, and what to do.
//!
//! The job flows one way: config → collect → normalize → join → model → report. See ARCHITECTURE.md for the map
//! from stages to paths. This file wires the stages together; `main.rs` only parses arguments and maps outcomes to
//! exit codes.

pub mod catalog;
pub mod collect;
pub mod completeness;
pub mod config;
pub mod discover;
pub mod error;
pub mod files;
pub mod format;
pub mod history;
pub mod join;
pub mod model;
pub mod normalize;
pub mod output;
pub mod prices;
pub mod problem;
pub mod report;
pub mod report_model;
pub mod schema;
pub mod settings;
pub mod validate;

use std::path::{Path, PathBuf};

use chrono::Utc;

use collect::{Collected, Source, SourceKind, SourceKindSpec, scenario::ScenarioSource};
use config::Config;
use error::Error;
use files::InputFiles;
use problem::Problems;
use report_model::ReportModel;

/// Which configuration a job runs with.
#[derive(Debug, Clone)]
pub enum Job {
    /// The demo scenario compiled into the binary.
    Demo,
    /// A config file on disk.
    ConfigFile(PathBuf),
}

impl Job {
    fn files_and_name(&self) -> (InputFiles, String) {
        match self {
            Job::Demo => (InputFiles::EmbeddedDemo, "kafka-finops.toml".into()),
            Job::ConfigFile(path) => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                (InputFiles::Disk(if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir }), name)
            }
        }
    }
}

/// How a run that wrote its report ended.
#[derive(Debug)]
pub struct RunOutcome {
    pub run_dir: PathBuf,
    /// False when at least one source was partial or failed (flagged in the report).
    pub complete: bool,
    pub model: ReportModel,
    /// Temporary run directories a crashed run had left under the output directory, removed by this one.
    pub stale: Vec<String>,
}

/// Reads and validates the config and catalog of a job.
pub fn load_config(job: &Job) -> Result<Config, Problems> {
    let (files, name) = job.files_and_name();
    config::load(&files, &name)
}

/// Runs every configured source.
pub fn collect(config: &Config) -> Result<Collected, Error> {
    Ok(collect::run(config.sources.iter().map(|s| s.kind.collector(&s.name)))?)
}

/// Everything after collection: normalize → join → model, compared with `history`'s earlier runs when given. Pure
/// with respect to the outside world.
pub fn build_model(
    config: &Config,
    collected: &Collected,
    history: Option<model::History<'_>>,
) -> Result<ReportModel, Error> {
    // Every input problem at once: the rules' errors and normalize's consistency checks together (side by side:
    // both only read what was collected).
    let (checked, normalized) = timed("validate + normalize", || {
        rayon::join(|| validate::check(collected), || normalize::normalize(collected))
    });
    let (mut findings, tables) = match (checked, normalized) {
        (Ok(findings), Ok(tables)) => (findings, tables),
        (Err(mut p), Err(normalize::NormalizeError::Inconsistent(more))) => {
            p.0.extend(more.0);
            return Err(Error::Invalid(p));
        }
        (Err(p), _) | (_, Err(normalize::NormalizeError::Inconsistent(p))) => return Err(Error::Invalid(p)),
        (_, Err(other)) => return Err(Error::Normalize(other)),
    };
    findings.extend(config_findings(config));
    findings.extend(timed("catalog rules", || catalog_findings(config, collected)));
    let platform = &config.model.readiness.platform_owner;
    let platform = config.model.owners.iter().any(|o| &o.owner == platform).then_some(platform.as_str());
    let joined = timed("join", || join::run(tables, &config.catalog, &config.model.clusters, platform))?;
    let run = model::Run {
        scenario_name: &collected.scenario_name,
        description: &collected.description,
        captured_at: collected.captured_at,
        sources: &collected.sources,
        findings: &findings,
        history,
    };
    Ok(timed("model", || model::build(&joined, &config.model, &run))?)
}

/// Runs one stage, logging how long it took at debug level (`RUST_LOG=kafka_finops=debug`).
fn timed<T>(stage: &str, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let out = f();
    tracing::debug!(stage, ms = started.elapsed().as_millis() as u64, "stage done");
    out
}

/// Catalog rules that match no name of their kind in what was collected: a typo (`paymnets.`) or a team gone. Topic
/// and consumer-group rules are judged; principal and tag rules are not (their names are not always collected).
fn catalog_findings(config: &Config, collected: &Collected) -> Vec<problem::Finding> {
    use catalog::NameKind;
    let names = |kind: NameKind| -> Option<Vec<&str>> {
        match kind {
            NameKind::Topic => Some(collected.topics.iter().map(|t| t.topic.as_str()).collect()),
            NameKind::ConsumerGroup => {
                Some(collected.consumer_group_offsets.iter().map(|g| g.group_id.as_str()).collect())
            }
            NameKind::Principal | NameKind::Tag => None,
        }
    };
    config
        .catalog
        .unmatched_rules(names)
        .into_iter()
        .map(|(line, rule)| problem::Finding {
            rule: "catalog-rule-matches".into(),
            table: config.catalog.path.clone(),
            line: Some(line),
            column: "rules".into(),
            message: format!("{rule} matches no name collected this run; a typo, or an owner whose names are gone?"),
        })
        .collect()
}

/// How old a cached price refresh may be before a run with `[prices] refresh = true` fetches it again.
const REFRESH_MAX_AGE_DAYS: i64 = 7;

/// One region's `prices refresh`: how many prices were cached, in how many requests.
pub type RegionRefresh = Result<(usize, u64), collect::aws::price_list::RefreshError>;

/// `kafka-finops prices refresh`: fetches each region's prices from the AWS Price List Query API into the cache
/// (`<cache>/prices/<region>.json`). One region's failure does not stop the others.
pub fn refresh_prices(regions: &[String], aws: &collect::aws::AwsSettings) -> Vec<(String, RegionRefresh)> {
    let cache = collect::aws::settings::default_cache_dir();
    regions
        .iter()
        .map(|region| {
            let done = collect::aws::price_list::refresh(aws, region, &cache, Utc::now());
            (region.clone(), done.map(|(r, requests)| (r.prices.len(), requests)))
        })
        .collect()
}

/// What `discover` found and wrote.
pub struct DiscoverOutcome {
    pub clusters: Vec<collect::aws::msk::DiscoveredCluster>,
    pub unread: Vec<String>,
    pub requests: u64,
    pub config: discover::Merged,
    pub catalog: Option<(PathBuf, discover::Merged)>,
}

/// `kafka-finops discover`: lists the MSK clusters of each region and writes (or merges into) the config at `out`
/// and the catalog it names beside it. Nothing is written when a region cannot be listed or a file cannot be read.
pub fn discover(
    regions: &[String],
    aws: &collect::aws::AwsSettings,
    out: &Path,
) -> Result<DiscoverOutcome, discover::DiscoverError> {
    let runtime = collect::aws::runtime().map_err(|cause| discover::DiscoverError::Io { path: out.into(), cause })?;
    let mut found = collect::aws::msk::Discovered::default();
    for region in regions {
        let got = runtime
            .block_on(collect::aws::msk::discover(aws, region))
            .map_err(|source| discover::DiscoverError::Call { region: region.clone(), source })?;
        found.clusters.extend(got.clusters);
        found.unread.extend(got.unread);
        found.requests += got.requests;
    }
    let read = |path: &Path| match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(cause) => Err(discover::DiscoverError::Io { path: path.into(), cause }),
    };
    let stamp = Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let existing = read(out)?;
    let config = discover::merge_config(
        existing.as_deref(),
        &out.display().to_string(),
        &found.clusters,
        &found.unread,
        &stamp,
    )?;
    // The catalog the config names (a new config names catalog.toml beside it).
    let named = config.text.parse::<toml::Table>().ok().and_then(|t| t.get("catalog")?.as_str().map(String::from));
    let catalog_path = out.parent().unwrap_or(Path::new("")).join(named.unwrap_or_else(|| "catalog.toml".into()));
    let existing_catalog = read(&catalog_path)?;
    let catalog =
        discover::merge_catalog(existing_catalog.as_deref(), &catalog_path.display().to_string(), &found.clusters)?;
    let write = |path: &Path, text: &str| {
        let partial = path.with_extension("toml.partial");
        std::fs::write(&partial, text)
            .and_then(|_| std::fs::rename(&partial, path))
            .map_err(|cause| discover::DiscoverError::Io { path: path.into(), cause })
    };
    let catalog = if catalog.added.is_empty() && existing_catalog.is_some() {
        None
    } else {
        write(&catalog_path, &catalog.text)?;
        Some((catalog_path, catalog))
    };
    if existing.as_deref() != Some(config.text.as_str()) {
        write(out, &config.text)?;
    }
    Ok(DiscoverOutcome { clusters: found.clusters, unread: found.unread, requests: found.requests, config, catalog })
}

/// `[prices] refresh = true`: each cluster region's refreshed prices over the bundled book, from the cache when it
/// was fetched within [`REFRESH_MAX_AGE_DAYS`], else fetched now. A region that cannot be refreshed keeps the bundled
/// book and becomes a finding (the run is then flagged partial), never a silent fallback.
fn refresh_for_run(config: &mut Config, now: chrono::DateTime<Utc>) {
    use collect::aws::price_list;
    let cache = collect::aws::settings::default_cache_dir();
    let mut regions: Vec<String> = config.model.clusters.iter().map(|c| c.region.clone()).collect();
    regions.sort();
    regions.dedup();
    for region in regions {
        let fresh = |r: &prices::Refreshed| {
            chrono::DateTime::parse_from_rfc3339(&r.fetched)
                .is_ok_and(|t| now.signed_duration_since(t) < chrono::Duration::days(REFRESH_MAX_AGE_DAYS))
        };
        let cached = price_list::cached(&cache, &region);
        let got = match &cached {
            Ok(Some(r)) if fresh(r) => Ok(r.clone()),
            _ => price_list::refresh(&collect::aws::AwsSettings::default(), &region, &cache, now).map(|(r, _)| r),
        };
        let (refreshed, failed) = match (got, cached) {
            (Ok(r), _) => (Some(r), None),
            // A stale refresh is still newer than the bundled book: used, and said so.
            (Err(e), Ok(Some(stale))) => {
                let why =
                    format!("uses the prices refreshed {} (not fetched again: {})", stale.fetched, problem::chain(&e));
                (Some(stale), Some(why))
            }
            (Err(e), Ok(None)) => (None, Some(format!("keeps the bundled price book: {}", problem::chain(&e)))),
            (Err(e), Err(unusable)) => {
                let why =
                    format!("keeps the bundled price book: {}; {}", problem::chain(&e), problem::chain(&unusable));
                (None, Some(why))
            }
        };
        if let Some(refreshed) = refreshed {
            config.model.prices = config.model.prices.clone().with_refreshed(&refreshed);
        }
        if let Some(why) = failed {
            config.price_findings.push(problem::Finding {
                rule: "prices-refreshed".into(),
                table: config.path.clone(),
                line: None,
                column: "prices.refresh".into(),
                message: format!("{region} {why}"),
            });
        }
    }
}

/// Config that is valid but suspicious given the clusters it prices: prices for a region no cluster runs in; and
/// what the run's price refresh could not do.
fn config_findings(config: &Config) -> Vec<problem::Finding> {
    let mut regions: Vec<&str> = config
        .model
        .price_overrides
        .iter()
        .filter_map(|o| o.region.as_deref())
        .filter(|r| !config.model.clusters.iter().any(|c| c.region == *r))
        .collect();
    regions.sort();
    regions.dedup();
    regions
        .into_iter()
        .map(|r| problem::Finding {
            rule: "prices-region-used".into(),
            table: config.path.clone(),
            line: None,
            column: format!("prices_by_region.{r}"),
            message: format!(
                "prices for `{r}`, where no [[clusters]] runs ({}); a mistyped region?",
                config.model.clusters.iter().map(|c| c.region.as_str()).collect::<Vec<_>>().join(", ")
            ),
        })
        .chain(config.price_findings.iter().cloned())
        .collect()
}

/// The whole job: collect, model, write a new run directory under `out` (or the config's `output_dir`).
/// With `record`, what was collected is also saved there as a recorded scenario.
pub fn run(job: &Job, out: Option<&Path>, record: Option<&Path>) -> Result<RunOutcome, Error> {
    let started_at = Utc::now();
    let mut config = load_config(job)?;
    if config.refresh_prices {
        timed("prices refresh", || refresh_for_run(&mut config, Utc::now()));
    }
    let mut collected = timed("collect", || collect_named(job, &config))?;
    if let Some(dir) = record {
        record_to(&collected, dir)?;
        if matches!(job, Job::Demo) {
            // The demo's config and catalog beside its scenario: a template that runs as it is.
            for (name, text) in files::demo_config_files() {
                let path = dir.join(name);
                std::fs::write(&path, text).map_err(|cause| collect::record::RecordError::Io { path, cause })?;
            }
        }
    }
    let out = out.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(&config.output_dir));
    let stale = output::remove_stale(&out);
    let (earlier, mut skipped) = history::earlier(&out);
    // The last offset readings of the newest earlier run: this run's rates between runs.
    match history::earlier_offsets(&out) {
        Ok(readings) => {
            collected.offset_samples.extend(readings.samples);
            let now = collected.captured_at.unwrap_or(started_at);
            history::merge_earlier(&mut collected.earlier_partition_offsets, readings.partitions, now);
        }
        Err(note) => skipped.push(format!("{note}; rates between runs are unknown this run")),
    }
    // The gap ledger is carried on from the newest earlier run's.
    let ledger = history::earlier_ledger(&out).map_err(|e| e.to_string());
    let history = model::History {
        ledger: ledger.as_ref().map(Option::as_ref).map_err(String::as_str),
        earlier: &earlier,
        skipped: &skipped,
        rules: &config.history,
    };
    let model = build_model(&config, &collected, Some(history))?;
    let input = match job {
        Job::Demo => "<embedded demo>".to_string(),
        Job::ConfigFile(p) => p.display().to_string(),
    };
    let offsets = output::Readings {
        samples: &collected.offset_samples,
        partitions: &collected.partitions,
        committed: &collected.consumer_group_offsets,
        read_at: collected.captured_at.unwrap_or(started_at),
    };
    let run_dir =
        timed("report", || output::write_run(&out, started_at, &input, &model, output::Written::Run, offsets))?;
    Ok(RunOutcome { run_dir, complete: model.totals.complete, model, stale })
}

/// Collects, naming a live collection after its config file (a recorded scenario keeps its own name).
fn collect_named(job: &Job, config: &Config) -> Result<Collected, Error> {
    let mut collected = collect(config)?;
    if collected.scenario_name.is_empty() {
        collected.scenario_name = match job {
            Job::Demo => "demo".to_string(),
            Job::ConfigFile(p) => p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        };
    }
    Ok(collected)
}

fn record_to(collected: &Collected, dir: &Path) -> Result<(), Error> {
    Ok(collect::record::write_scenario(collected, &collected.scenario_name, dir)?)
}

/// What `validate` found: a one-line summary per check, and the warnings a run would flag.
pub struct Validated {
    pub lines: Vec<String>,
    pub findings: Vec<report_model::Finding>,
}

/// Checks config, catalog and recorded inputs without writing anything, and reports the same warnings a run would:
/// the config's (prices for a region no cluster runs in) and, for recorded scenarios, the input rules'.
pub fn validate(job: &Job) -> Result<Validated, Error> {
    let config = match load_config(job) {
        Ok(config) => config,
        Err(mut problems) => {
            // One pass shows everything: the recorded scenarios the config names are still read and checked.
            problems.0.extend(scenario_problems(job));
            return Err(problems.into());
        }
    };
    let mut lines = vec![
        format!(
            "config {}: {} cluster(s), {} source(s)",
            config.path,
            config.model.clusters.len(),
            config.sources.len()
        ),
        format!("catalog {}: {} owner(s) besides `unowned`", config.catalog.path, config.catalog.owners().len() - 1),
    ];
    // The config's own; a recorded scenario's model carries those and the input rules'.
    let mut findings = config_findings(&config).into_iter().map(Into::into).collect();
    if config.sources.iter().all(|s| matches!(s.kind, SourceKind::Scenario(_))) {
        let collected = collect(&config)?;
        let model = build_model(&config, &collected, None)?;
        findings = model.findings;
        lines.push(format!(
            "recorded scenario `{}`: {} topic(s), {} partition(s), {} cost line(s) read and joined",
            collected.scenario_name,
            collected.topics.len(),
            collected.partitions.len(),
            collected.cost_lines.len()
        ));
    }
    Ok(Validated { lines, findings })
}

/// The problems of every recorded scenario a config names, read from the config's TOML leniently (the config itself
/// has problems): unreadable files and rows, normalize's consistency checks and the input rules' errors.
fn scenario_problems(job: &Job) -> Vec<problem::Problem> {
    let (files, name) = job.files_and_name();
    let Ok(text) = files.read(&name) else { return Vec::new() };
    let Ok(doc) = text.parse::<toml::Table>() else { return Vec::new() };
    let paths: Vec<String> = doc
        .get("sources")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
        .filter(|s| s.get("kind").and_then(|k| k.as_str()) == Some(ScenarioSource::KIND))
        .filter_map(|s| s.get("path").and_then(|p| p.as_str()).map(str::to_string))
        .collect();
    let mut problems = Vec::new();
    for path in paths {
        let source = ScenarioSource { name: path.clone(), files: files.subdir(&path) };
        let mut collected = Collected::default();
        match source.collect(&mut collected) {
            Err(collect::CollectError::Input(p)) => problems.extend(p.0),
            Err(_) => {}
            Ok(()) => {
                if let Err(p) = validate::check(&collected) {
                    problems.extend(p.0);
                }
                if let Err(normalize::NormalizeError::Inconsistent(p)) = normalize::normalize(&collected) {
                    problems.extend(p.0);
                }
            }
        }
    }
    problems
}

/// Collects from every configured source and writes the result as a recorded scenario folder at `dir`.
pub fn collect_and_record(job: &Job, dir: &Path) -> Result<Collected, Error> {
    let config = load_config(job)?;
    let collected = collect_named(job, &config)?;
    record_to(&collected, dir)?;
    Ok(collected)
}

/// Redraws every report file from a saved `model.json` into a new run directory, without collecting anything.
pub fn render(model_path: &Path, out: &Path) -> Result<RunOutcome, Error> {
    let started_at = Utc::now();
    let model = report::read_model(model_path)?;
    let stale = output::remove_stale(out);
    let input = format!("render --from {}", model_path.display());
    let run_dir = output::write_run(out, started_at, &input, &model, output::Written::Render, output::Readings::NONE)?;
    Ok(RunOutcome { run_dir, complete: model.totals.complete, model, stale })
}
