//! Collect: the only stage that does I/O on the outside world. Each source fills the normalized rows it knows.
//!
//! A source is one module behind [`Source`]: it gets a name, adds rows to [`Collected`] and returns a
//! [`SourceReport`] saying how complete its data is. A failing source is data (status `failed`, detail filled),
//! never an empty table taken as zero. Recorded scenarios (`scenario`) enter at this same seam as live collectors.

pub mod aws;
pub mod kafka;
pub mod record;
pub mod scenario;

use chrono::{DateTime, Utc};

use crate::completeness::SourceReport;

use crate::schema::{
    AclBinding, AclVisibility, Broker, ConsumerGroupMember, ConsumerGroupOffset, CostAllocation, CostLine,
    EarlierPartitionOffset, LogDir, MetricPoint, OffsetSample, Partition, ReplicaLogDir, Table, Topic, TopicConfig,
};

/// Whether a recorded scenario must have a table's file. Optional tables were added after the first format; a
/// missing file means "not collected".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InScenario {
    Required,
    Optional,
}

/// Something done to each collected table in turn, with its rows (normalizing, recording, counting).
pub trait EachTable {
    fn table<T: Table + Sync>(&mut self, rows: &[T], file: InScenario);
}

/// Something done to each collected table's rows in place (reading a recorded scenario).
pub trait EachTableMut {
    fn table<T: Table>(&mut self, rows: &mut Vec<T>, file: InScenario);
}

/// The collected tables, declared once: the field of [`Collected`], its row type (`schema`, which names the table)
/// and whether a recorded scenario must have its file. Recording, replay, validation, normalization and the join
/// all take their tables from this list ([`Collected::each_table`], [`COLLECTED_TABLES`]).
macro_rules! collected_tables {
    ($($(#[$meta:meta])* $field:ident: $row:ident = $file:ident,)*) => {
        /// Everything collected in one run, as rows of the normalized tables (see `schema`).
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Collected {
            pub scenario_name: String,
            pub description: String,
            pub captured_at: Option<DateTime<Utc>>,
            $($(#[$meta])* pub $field: Vec<$row>,)*
            pub sources: Vec<SourceReport>,
        }

        /// Every collected table's name, in declaration order.
        pub const COLLECTED_TABLES: &[&str] = &[$($row::NAME),*];

        impl Collected {
            /// Calls `each` with every collected table, in declaration order.
            pub fn each_table(&self, each: &mut impl EachTable) {
                $(each.table(&self.$field, InScenario::$file);)*
            }

            /// Calls `each` with every collected table's rows to change, in declaration order.
            pub fn each_table_mut(&mut self, each: &mut impl EachTableMut) {
                $(each.table(&mut self.$field, InScenario::$file);)*
            }
        }
    };
}

collected_tables! {
    brokers: Broker = Required,
    topics: Topic = Required,
    topic_configs: TopicConfig = Optional,
    partitions: Partition = Required,
    log_dirs: LogDir = Optional,
    replica_log_dirs: ReplicaLogDir = Optional,
    consumer_group_offsets: ConsumerGroupOffset = Required,
    consumer_group_members: ConsumerGroupMember = Optional,
    cost_lines: CostLine = Required,
    cost_allocations: CostAllocation = Optional,
    metric_points: MetricPoint = Required,
    offset_samples: OffsetSample = Optional,
    earlier_partition_offsets: EarlierPartitionOffset = Optional,
    acls: AclBinding = Optional,
    acl_visibility: AclVisibility = Optional,
}

impl Collected {
    pub fn is_complete(&self) -> bool {
        self.sources.iter().all(SourceReport::is_complete)
    }
}

/// The target of progress events: requests made and bytes downloaded by the source collecting now. `main` shows
/// them on a terminal, one line per source; elsewhere nothing listens.
pub const PROGRESS: &str = "kafka_finops::progress";

/// Requests made so far by the source collecting now.
pub fn progress_requests(total: u64) {
    tracing::trace!(target: PROGRESS, requests = total);
}

/// Bytes downloaded so far by the source collecting now.
pub fn progress_bytes(total: u64) {
    tracing::trace!(target: PROGRESS, bytes = total);
}

/// What a source's settings are checked against: where its relative paths start, and the clusters the config
/// declares (a source names the one its data belongs to).
pub struct SourceContext<'a> {
    pub files: &'a crate::files::InputFiles,
    pub clusters: &'a [DeclaredCluster],
}

/// A `[[clusters]]` table as declared, valid or not (a source naming it is not told it does not exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredCluster {
    pub name: String,
    pub region: String,
    /// `platform = "msk"`.
    pub msk: bool,
}

impl SourceContext<'_> {
    /// The declared cluster `name`, or the problem of naming one that is not (or none), at `here`.
    pub fn cluster(
        &self,
        name: Option<&toml::Spanned<String>>,
        kind: &str,
        here: std::ops::Range<usize>,
    ) -> Result<&DeclaredCluster, crate::problem::SettingProblem> {
        use crate::problem::SettingProblem;
        match name {
            Some(c) => self.clusters.iter().find(|k| &k.name == c.get_ref()).ok_or_else(|| {
                SettingProblem::new("cluster", c.span(), format!("no [[clusters]] table is named `{}`", c.get_ref()))
            }),
            None => Err(SettingProblem::new(
                "cluster",
                here,
                format!("a `{kind}` source needs `cluster`, a [[clusters]] name"),
            )),
        }
    }
}

/// A kind of source, Vector-style: how its `[[sources]]` table is spelled (the file struct, whose fields are the keys
/// it takes), the check that turns it into settings, and the collector those settings make. Implemented beside each
/// collector and registered once in [`source_kinds!`].
pub trait SourceKindSpec {
    /// The `kind = "…"` of its `[[sources]]` tables.
    const KIND: &'static str;
    /// Its keys as the config file spells them (besides `name` and `kind`).
    type File: serde::de::DeserializeOwned;
    /// What the check gives and the collector takes.
    type Settings: Clone + std::fmt::Debug + PartialEq;
    /// The settings, or every problem of the table; `here` is where the table starts (for a key that is missing).
    fn check(
        file: Self::File,
        ctx: &SourceContext<'_>,
        here: std::ops::Range<usize>,
    ) -> Result<Self::Settings, Vec<crate::problem::SettingProblem>>;
    /// The collector for a source named `name`.
    fn collector(name: &str, settings: &Self::Settings) -> Box<dyn Source>;
}

/// Reads one `[[sources]]` table as the file struct of the kind it names (the config does: it holds the TOML).
pub trait ReadSourceTable {
    type Out;
    /// Reads the table as `S::File`, checks it with `S::check` and wraps the settings with `wrap`.
    fn read<S: SourceKindSpec>(self, wrap: fn(S::Settings) -> SourceKind) -> Self::Out;
}

/// The source kinds, registered once: each one's variant of [`SourceKind`] and its [`SourceKindSpec`]. The config
/// reads a table by its kind through [`SourceKind::read`], the run builds collectors with [`SourceKind::collector`],
/// and the list of kinds a message offers is [`SOURCE_KINDS`].
macro_rules! source_kinds {
    ($($(#[$meta:meta])* $variant:ident: $spec:ty,)*) => {
        /// A checked source: its kind's settings.
        #[derive(Debug, Clone, PartialEq)]
        pub enum SourceKind {
            $($(#[$meta])* $variant(<$spec as SourceKindSpec>::Settings),)*
        }

        /// Every source kind's `kind = "…"`, in registration order.
        pub const SOURCE_KINDS: &[&str] = &[$(<$spec as SourceKindSpec>::KIND),*];

        impl SourceKind {
            /// Its `kind = "…"`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(SourceKind::$variant(_) => <$spec as SourceKindSpec>::KIND,)*
                }
            }

            /// The collector for a source of this kind named `name`.
            pub fn collector(&self, name: &str) -> Box<dyn Source> {
                match self {
                    $(SourceKind::$variant(settings) => <$spec as SourceKindSpec>::collector(name, settings),)*
                }
            }

            /// Reads a table of kind `kind` with `reader`; `None` when no kind is registered under that name.
            pub fn read<R: ReadSourceTable>(kind: &str, reader: R) -> Option<R::Out> {
                $(if kind == <$spec as SourceKindSpec>::KIND {
                    return Some(reader.read::<$spec>(SourceKind::$variant));
                })*
                None
            }
        }
    };
}

source_kinds! {
    /// A recorded scenario folder (`fixtures/demo` or the output of `collect --record`).
    Scenario: scenario::ScenarioSource,
    /// A live Kafka cluster, read over the admin protocol.
    Kafka: kafka::KafkaSource,
    /// CUR / CUR 2.0 / FOCUS billing exports, in S3 or on local disk.
    BillingExport: aws::billing_export::BillingExportSource,
    /// CUR / CUR 2.0 / FOCUS rolled up by Amazon Athena over the export's Glue table.
    Athena: aws::athena::AthenaSource,
    /// AWS Cost Explorer, daily by service and usage type, closed days cached.
    CostExplorer: aws::cost_explorer::CostExplorerSource,
    /// CloudWatch metrics of a cluster (MSK, EC2 brokers, storage buckets).
    CloudWatch: aws::cloudwatch::CloudWatchSource,
}

/// Runs each source in turn into one [`Collected`]. A cost source (one that fills `cost_lines`) that did not fail must
/// say which days it covers and what it writes in `cost_lines.source` (its report's `window` and `line_source`), or a
/// day it should have covered could not show as missing: such a report is made partial, naming what it lacks.
pub fn run(sources: impl IntoIterator<Item = Box<dyn Source>>) -> Result<Collected, CollectError> {
    let mut collected = Collected::default();
    for source in sources {
        tracing::info!(source = source.name(), "collecting");
        // The span a terminal's progress line follows (see PROGRESS).
        let span = tracing::info_span!(target: PROGRESS, "source", name = source.name());
        let _collecting = span.enter();
        let before = collected.sources.len();
        source.collect(&mut collected)?;
        collected.sources[before..].iter_mut().for_each(require_cost_coverage);
    }
    Ok(collected)
}

/// Marks a cost source's report partial when it lacks its window or its line source (see [`run`]).
fn require_cost_coverage(report: &mut SourceReport) {
    use crate::completeness::SourceStatus;
    let fills_cost_lines = report.tables.iter().any(|t| t == CostLine::NAME);
    if !fills_cost_lines || report.status == SourceStatus::Failed {
        return;
    }
    let lacking: Vec<&str> = [
        report.window.is_none().then_some("the days it covers (window)"),
        report.line_source.is_none().then_some("what it writes in cost_lines.source (line_source)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if lacking.is_empty() {
        return;
    }
    let note = format!("unknown: {}; a day it should cover cannot show as missing", lacking.join(" and "));
    report.status = SourceStatus::Partial;
    report.detail = Some(match report.detail.take() {
        Some(detail) => format!("{detail}; {note}"),
        None => note,
    });
}

/// A source of rows. Implementations do the I/O; everything after them is pure.
pub trait Source {
    fn name(&self) -> &str;
    /// Adds rows to `into` and the source's report(s) to `into.sources`. An `Err` means the run cannot go on
    /// (bad input the user must fix); a source that merely failed to reach its service reports `failed` instead.
    fn collect(&self, into: &mut Collected) -> Result<(), CollectError>;
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Input(#[from] crate::problem::Problems),
    /// Something on this machine the collectors need: the async runtime, a temporary folder.
    #[error("{what}: {cause}")]
    Local { what: &'static str, cause: std::io::Error },
    /// A Kafka cluster cannot be read at all (its bootstrap server refused us): nothing is written.
    #[error("cluster `{cluster}`: {cause}")]
    Cluster { cluster: String, cause: kafka::connection::ConnectionError },
    /// No bootstrap server of a Kafka cluster answered: nothing is written.
    #[error("cluster `{cluster}`: no bootstrap server answered ({})", joined(errors))]
    NoBootstrap { cluster: String, errors: Vec<kafka::connection::ConnectionError> },
}

impl CollectError {
    /// The async runtime a source runs its requests on could not start.
    pub(crate) fn runtime(source: std::io::Error) -> Self {
        CollectError::Local { what: "starting the async runtime", cause: source }
    }
}

fn joined(errors: &[impl std::fmt::Display]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completeness::{DayWindow, SourceStatus};

    #[test]
    fn a_cost_source_without_its_window_or_line_source_is_partial_naming_what_it_lacks() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let covered = |mut r: SourceReport| {
            r.window = Some(DayWindow { first: day, last: day });
            r.line_source = Some("cur".into());
            r
        };
        let cost = || SourceReport::new("bill", "billing-export", &[CostLine::NAME]);

        let mut complete = covered(cost());
        require_cost_coverage(&mut complete);
        assert_eq!((complete.status, complete.detail), (SourceStatus::Complete, None));

        let mut no_window = SourceReport { window: None, ..covered(cost()) };
        no_window.detail = Some("2 file(s)".into());
        require_cost_coverage(&mut no_window);
        assert_eq!(no_window.status, SourceStatus::Partial);
        let detail = no_window.detail.unwrap();
        assert!(detail.starts_with("2 file(s); unknown: the days it covers (window);"), "{detail}");

        let mut neither = cost();
        require_cost_coverage(&mut neither);
        assert!(neither.detail.unwrap().contains("(window) and what it writes in cost_lines.source"));

        // A failed source stays failed, and a source without cost lines needs no window.
        let mut failed = SourceReport { status: SourceStatus::Failed, ..cost() };
        require_cost_coverage(&mut failed);
        assert_eq!((failed.status, failed.detail), (SourceStatus::Failed, None));
        let mut metrics = SourceReport::new("cw", "cloudwatch", &[MetricPoint::NAME]);
        require_cost_coverage(&mut metrics);
        assert_eq!(metrics.status, SourceStatus::Complete);
    }

    #[test]
    fn every_registered_kind_reads_by_its_name_and_names_itself() {
        struct Kind;
        impl ReadSourceTable for Kind {
            type Out = &'static str;
            fn read<S: SourceKindSpec>(self, _: fn(S::Settings) -> SourceKind) -> &'static str {
                S::KIND
            }
        }
        for kind in SOURCE_KINDS {
            assert_eq!(SourceKind::read(kind, Kind), Some(*kind));
        }
        assert_eq!(SourceKind::read("scenarios", Kind), None);
        let files = crate::files::InputFiles::Disk(".".into());
        assert_eq!(SourceKind::Scenario(files).name(), "scenario");
    }
}

#[cfg(test)]
mod scenario_doc {
    use super::*;

    /// Every collected table's columns as docs/scenario.md lists them: name, type and the field's doc comment.
    struct Doc(String);

    impl EachTable for Doc {
        fn table<T: Table + Sync>(&mut self, _: &[T], file: InScenario) {
            use std::fmt::Write;
            let need = match file {
                InScenario::Required => "required",
                InScenario::Optional => "optional",
            };
            let _ = write!(self.0, "\n### `{}.csv` ({need})\n\n| column | type | meaning |\n|---|---|---|\n", T::NAME);
            for c in T::columns() {
                let _ = writeln!(self.0, "| `{}` | `{}` | {} |", c.name, c.dtype, c.doc().replace('|', "\\|"));
            }
        }
    }

    #[test]
    fn scenario_doc_lists_every_recorded_table_as_the_schema_declares_it() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario.md");
        let text = std::fs::read_to_string(&path).unwrap();
        let (start, end) = ("<!-- generated from src/schema.rs", "<!-- end of generated -->");
        let (head, rest) = text.split_at(text.find(start).expect("the generated block's start"));
        let open_end = rest.find('\n').unwrap() + 1;
        let close = rest.find(end).expect("the generated block's end");
        let mut doc = Doc(String::new());
        Collected::default().each_table(&mut doc);
        let now = format!("{head}{}\n{}\n\n{}", &rest[..open_end], doc.0.trim(), &rest[close..]);
        if std::env::var_os("KAFKA_FINOPS_UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &now).unwrap();
            return;
        }
        assert_eq!(
            text, now,
            "docs/scenario.md's tables differ from src/schema.rs: KAFKA_FINOPS_UPDATE_GOLDEN=1 cargo test --lib scenario_doc"
        );
    }
}
