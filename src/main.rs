//! The `kafka-finops` command: parses arguments, calls the library, prints, and maps the outcome to an exit code.
//!
//! Exit codes: 0 = complete; 1 = report written but at least one source partial or failed, or an input warning
//! (flagged in the report);
//! 2 = bad usage, config or input, or a fatal error: nothing written; 130 / 143 = stopped by SIGINT / SIGTERM, the
//! run directory being written removed.

mod progress;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kafka_finops::error::Exit;
use kafka_finops::{Job, RunOutcome};

#[derive(Parser)]
#[command(
    name = "kafka-finops",
    version,
    about = "Who owns each Kafka topic, what it costs on broker-local disk vs shared storage, and what to do next.",
    long_about = "Who owns each Kafka topic, what it costs on broker-local disk vs shared storage, and what to do \
                  next.\n\nStart with `kafka-finops demo`: it runs the whole job on a scenario built into the binary \
                  and prints the run directory holding index.html, owners.csv, topics.csv and model.json.",
    after_help = "Exit codes: 0 complete · 1 report written, a source partial or failed · 2 bad input or fatal error, \
                  nothing written · 130 / 143 stopped by SIGINT / SIGTERM, the unfinished run removed.\nLogs go to \
                  stderr (RUST_LOG=debug for more); the last line on stdout is the run directory."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print only the run directory (stdout) and errors: no summary, no warnings (they are in run.json and the
    /// report).
    #[arg(long, global = true)]
    quiet: bool,
    /// How logs and warnings go to stderr: `text` for people, `json` (one object per line) for log shippers.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT")]
    log_format: LogFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Where the command's own warnings and errors go: plain lines on stderr, or log events in the chosen format.
#[derive(Clone, Copy)]
struct Say {
    quiet: bool,
    json: bool,
}

impl Say {
    fn warning(self, message: &str) {
        if self.quiet {
            return;
        }
        if self.json {
            tracing::warn!(target: "kafka_finops", "{message}");
        } else {
            eprintln!("warning: {message}");
        }
    }

    fn error(self, message: &str) {
        if self.json {
            tracing::error!(target: "kafka_finops", "{message}");
        } else {
            eprintln!("error: {message}");
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole job on the demo scenario compiled into the binary (no files or network needed).
    Demo {
        /// Directory that receives the run directory.
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
        /// Also write the demo as a folder to edit into your own: its recorded scenario, config and catalog
        /// (`run --config DIR/kafka-finops.toml` runs it). DIR must not exist.
        #[arg(long, value_name = "DIR")]
        record: Option<PathBuf>,
    },
    /// Run the job from a config file: collect, join, model, and write a new run directory.
    Run {
        /// The TOML config (see fixtures/demo/kafka-finops.toml for a commented example).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Directory that receives the run directory [default: the config's `output_dir`, else `out`].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also save what was collected as a recorded scenario in this new folder (replay it with a `scenario`
        /// source).
        #[arg(long, value_name = "DIR")]
        record: Option<PathBuf>,
    },
    /// Collect from the configured sources and save the result as a recorded scenario that `run` can replay.
    Collect {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// New folder to write the scenario into (scenario.toml + one CSV per table).
        #[arg(long, value_name = "DIR")]
        record: PathBuf,
    },
    /// Check a config, its ownership catalog and any recorded scenario; writes nothing.
    Validate {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// List the runs under an output directory with their totals, oldest first.
    History {
        /// The output directory holding the run directories.
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
    },
    /// List the MSK clusters of each region and write a starting config for them (merged into FILE when it
    /// exists: nothing already there is changed), with an ownership catalog beside it.
    Discover {
        /// A region to list (repeat it for more).
        #[arg(long = "region", value_name = "REGION", required = true)]
        regions: Vec<String>,
        /// A named AWS profile (shared config files, SSO included).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// A role to assume with the base credentials (the account the clusters are in).
        #[arg(long, value_name = "ARN")]
        role_arn: Option<String>,
        /// The external id the role's trust policy requires.
        #[arg(long, value_name = "ID", requires = "role_arn")]
        external_id: Option<String>,
        /// The config to write or merge into.
        #[arg(long, value_name = "FILE", default_value = "kafka-finops.toml")]
        out: PathBuf,
    },
    /// Work with the price book: `prices refresh` fetches regions' list prices from the AWS Price List Query API.
    Prices {
        #[command(subcommand)]
        action: PricesAction,
    },
    /// Redraw the HTML and CSV reports from a saved model.json, without collecting anything.
    Render {
        /// A run's model.json.
        #[arg(long, value_name = "RUN_DIR/model.json")]
        from: PathBuf,
        /// Directory that receives the redrawn report (`render-<id>/`, which `history` does not list as a run).
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum PricesAction {
    /// Fetch the list prices the model uses (MSK, EC2 and EBS, S3, data transfer) for each region from the AWS Price
    /// List Query API (`pricing:GetProducts`) into the cache ($XDG_CACHE_HOME/kafka-finops/prices/<region>.json), where
    /// runs with `[prices] refresh = true` take them. Credentials: the SDK's default chain; `AWS_ENDPOINT_URL` is honoured.
    Refresh {
        /// A region to refresh (repeat it for more) [default: every region of --config's clusters].
        #[arg(long = "region", value_name = "REGION")]
        regions: Vec<String>,
        /// A config whose clusters' regions are refreshed.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// A named AWS profile (shared config files, SSO included).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
    },
}

/// polars (like most columnar engines) allocates per chunk and per group; mimalloc is the allocator polars' own
/// builds use (figures, and how firm they are, in Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// polars' streaming group-by keeps this many groups in its "hot" table and buffers the rows of every other group
/// until the end; its default (4,096) is far below the groups of a billing-export rollup (one per resource-day and
/// usage type), which then buffered most of a 10-million-line export (1.5 GB peak instead of 1.0 GB, measured with
/// ci/bench-exports.sh). A user's own setting wins.
const POLARS_HOT_TABLE_SIZE: &str = "1048576";

/// A line on stdout. A reader that closed the pipe early (`| head -1`) stops the printing, not the tool: the run
/// directory is written by then, and the exit code still says how the run went.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    if std::env::var_os("POLARS_HOT_TABLE_SIZE").is_none() {
        // SAFETY: first statement of main, before any thread is started; nothing reads the environment concurrently.
        unsafe { std::env::set_var("POLARS_HOT_TABLE_SIZE", POLARS_HOT_TABLE_SIZE) };
    }
    let cli = Cli::parse();
    let say = Say { quiet: cli.quiet, json: cli.log_format == LogFormat::Json };
    init_logs(say);
    kafka_finops::output::clean_up_on_signals();
    let result = match cli.command {
        Command::Demo { out, record } => {
            kafka_finops::run(&Job::Demo, Some(&out), record.as_deref()).map(|o| finished(o, say))
        }
        Command::Run { config, out, record } => {
            kafka_finops::run(&Job::ConfigFile(config), out.as_deref(), record.as_deref()).map(|o| finished(o, say))
        }
        Command::Validate { config } => kafka_finops::validate(&Job::ConfigFile(config)).map(|v| {
            for line in v.lines.iter().filter(|_| !say.quiet) {
                outln!("ok: {line}");
            }
            // The warnings a run would flag, with the same words and the same exit code (1).
            warn_findings(&v.findings, say);
            Exit::written(v.findings.is_empty())
        }),
        Command::Discover { regions, profile, role_arn, external_id, out } => {
            let role = role_arn.map(|arn| kafka_finops::collect::aws::AssumeRole {
                arn,
                external_id,
                session_name: "kafka-finops-discover".into(),
            });
            let aws = kafka_finops::collect::aws::AwsSettings { profile, role, ..Default::default() };
            match kafka_finops::discover(&regions, &aws, &out) {
                Ok(found) => Ok(discovered(&found, &out, say)),
                Err(e) => {
                    say.error(&kafka_finops::problem::chain(&e));
                    Ok(Exit::Failed)
                }
            }
        }
        Command::Prices { action: PricesAction::Refresh { regions, config, profile } } => {
            refresh_prices(regions, config, profile, say)
        }
        Command::Render { from, out } => kafka_finops::render(&from, &out).map(|o| finished(o, say)),
        Command::History { out } => Ok(history(&out, say)),
        Command::Collect { config, record } => {
            kafka_finops::collect_and_record(&Job::ConfigFile(config), &record).map(|collected| {
                for s in collected.sources.iter().filter(|_| !say.quiet) {
                    let detail = s.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default();
                    eprintln!("source `{}`: {:?}, {} request(s){detail}", s.name, s.status, s.requests);
                }
                outln!("{}", record.display());
                Exit::written(collected.is_complete())
            })
        }
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            say.error(&kafka_finops::problem::chain(&e));
            e.exit().into()
        }
    }
}

/// Logs to stderr, as text or JSON lines, filtered by RUST_LOG (default: warnings; errors with --quiet); on a
/// terminal, and neither quiet nor JSON, a progress line per source beside them.
fn init_logs(say: Say) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let default = if say.quiet { "kafka_finops=error" } else { "kafka_finops=warn" };
    let filter = || tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let text = (!say.json).then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter()));
    let json =
        say.json.then(|| tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr).with_filter(filter()));
    let terminal = std::io::stderr().is_terminal() && !say.quiet && !say.json;
    let progress = terminal.then(|| {
        progress::Progress::default()
            .with_filter(tracing_subscriber::filter::filter_fn(|m| m.target() == kafka_finops::collect::PROGRESS))
    });
    tracing_subscriber::registry().with(progress).with(text).with(json).init();
}

/// `discover`'s report: one line per cluster, what could not be read, what was written. Exit 1 when something could
/// not be read (the file is written all the same, with it noted).
fn discovered(found: &kafka_finops::DiscoverOutcome, out: &std::path::Path, say: Say) -> Exit {
    for c in &found.clusters {
        outln!("{} ({}) {}", c.name, c.region, kafka_finops::discover::describe(c));
    }
    for u in &found.unread {
        say.warning(u);
    }
    let config = &found.config;
    outln!(
        "{}: {} cluster(s) added, {} already there ({} request(s))",
        out.display(),
        config.added.len(),
        config.kept.len(),
        found.requests
    );
    if let Some((path, catalog)) = &found.catalog {
        outln!("{}: {} owner(s) added", path.display(), catalog.added.len());
    }
    Exit::written(found.unread.is_empty())
}

/// `prices refresh`: one line per region, what was cached or why not; exit 2 when a region failed.
fn refresh_prices(
    mut regions: Vec<String>,
    config: Option<PathBuf>,
    profile: Option<String>,
    say: Say,
) -> Result<Exit, kafka_finops::error::Error> {
    if let Some(path) = config {
        let config = kafka_finops::load_config(&Job::ConfigFile(path))?;
        regions.extend(config.model.clusters.iter().map(|c| c.region.clone()));
    }
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        say.error("no region to refresh: give --region REGION (repeatable) or --config FILE");
        return Ok(Exit::Failed);
    }
    let aws = kafka_finops::collect::aws::AwsSettings { profile, ..Default::default() };
    let mut failed = false;
    for (region, done) in kafka_finops::refresh_prices(&regions, &aws) {
        match done {
            Ok((prices, requests)) => outln!("{region}: {prices} price(s) cached from {requests} request(s)"),
            Err(e) => {
                failed = true;
                say.error(&kafka_finops::problem::chain(&e));
            }
        }
    }
    Ok(if failed { Exit::Failed } else { Exit::Complete })
}

/// Prints one line per run under `out`: id, scenario, capture time, topics, today's monthly cost, bill, status.
fn history(out: &std::path::Path, say: Say) -> Exit {
    // A missing output directory or a file is a wrong `--out`, not an empty history.
    match std::fs::metadata(out) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            let message =
                format!("{} is a file; expected the output directory that holds the run directories", out.display());
            say.error(&message);
            return Exit::Failed;
        }
        Err(e) => {
            say.error(&format!("output directory {}: {e}", out.display()));
            return Exit::Failed;
        }
    }
    let runs = kafka_finops::history::runs(out);
    if runs.is_empty() {
        eprintln!("no runs under {}", out.display());
        return Exit::Complete;
    }
    let fmt = kafka_finops::format::usd;
    outln!(
        "{:<22} {:<16} {:<26} {:>7} {:>16} {:>16} {:>18}  status",
        "run",
        "scenario",
        "captured at",
        "topics",
        "today / month",
        "billed",
        "gaps (+new -closed)"
    );
    for (id, summary) in runs {
        match summary {
            Ok(s) => outln!(
                "{id:<22} {:<16} {:<26} {:>7} {:>16} {:>16} {:>18}  {}",
                s.scenario,
                s.captured_at,
                s.topics,
                kafka_finops::format::known_usd(s.current_monthly_usd),
                s.billed_usd.map(fmt).unwrap_or_else(|| "no billing data".into()),
                {
                    let g = s.gaps.values().fold((0, 0, 0), |a, c| (a.0 + c.open, a.1 + c.opened, a.2 + c.closed));
                    format!("{} (+{} -{})", g.0, g.1, g.2)
                },
                if s.complete { "complete" } else { "partial" }
            ),
            Err(why) => outln!("{id:<22} ({why})"),
        }
    }
    Exit::Complete
}

/// Prints the summary and, last, the run directory; returns the exit code.
/// Each input warning on one stderr line: `table:line: `column`: message [rule]`.
fn warn_findings(findings: &[kafka_finops::report_model::Finding], say: Say) {
    for f in findings {
        let line = f.line.map(|l| format!(":{l}")).unwrap_or_default();
        say.warning(&format!("{}{line}: `{}`: {} [{}]", f.table, f.column, f.message, f.rule));
    }
}

fn finished(outcome: RunOutcome, say: Say) -> Exit {
    let m = &outcome.model;
    if say.quiet {
        outln!("{}", outcome.run_dir.display());
        return Exit::written(outcome.complete);
    }
    let fmt = kafka_finops::format::usd;
    let billed = match m.totals.billed_usd {
        Some(usd) => format!("billed {} over {} days", fmt(usd), m.totals.billed_days),
        None => "no billing data collected".to_string(),
    };
    // Each total, or `unknown (at least $…)` when a topic's cost in it misses a part: never the part alone.
    let total = |key: &str, usd: Option<rust_decimal::Decimal>| match usd {
        Some(usd) => fmt(usd),
        None => match m.totals.unknown.iter().find(|u| u.total == key) {
            Some(u) => format!("unknown (at least {}, {} topic(s) missing a part)", fmt(u.known_usd), u.topics.len()),
            None => "unknown".to_string(),
        },
    };
    let t = &m.totals;
    outln!(
        "{} topics, {} owners: today {} / month as modelled; right-sized broker-local {}; if all moved: tiered {}, \
         shared storage {}, MSK Express {}; {billed}",
        t.topics,
        t.owners,
        total("current", t.current_monthly_usd),
        total("right_sized", t.right_sized_monthly_usd),
        total("tiered_storage", t.tiered_storage_monthly_usd),
        total("shared_storage", t.shared_storage_monthly_usd),
        total("express", t.express_monthly_usd),
    );
    let got = &t.achievable;
    outln!(
        "achievable: {} / month from {} actions that do not overlap (right-sizing {}, architecture {}, operations {}, \
         volumes {})",
        fmt(got.monthly_saving_usd),
        got.actions,
        fmt(got.right_size_usd),
        fmt(got.architecture_usd),
        fmt(got.operations_usd),
        fmt(got.cluster_usd),
    );
    for s in m.sources.iter().filter(|s| s.status != kafka_finops::report_model::SourceStatus::Complete) {
        let detail = s.detail.as_deref().unwrap_or("no detail");
        say.warning(&format!("source `{}` is {:?}: {detail}", s.name, s.status));
    }
    for dir in &outcome.stale {
        say.warning(&format!("removed {dir}, a temporary run directory an interrupted run had left"));
    }
    warn_findings(&m.findings, say);
    outln!("report: {}", outcome.run_dir.join("index.html").display());
    outln!("{}", outcome.run_dir.display());
    Exit::written(outcome.complete)
}
