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
    Broker, ConsumerGroupMember, ConsumerGroupOffset, CostAllocation, CostLine, MetricPoint, Partition, ReplicaLogDir,
    Table, Topic, TopicConfig,
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
    replica_log_dirs: ReplicaLogDir = Optional,
    consumer_group_offsets: ConsumerGroupOffset = Required,
    consumer_group_members: ConsumerGroupMember = Optional,
    cost_lines: CostLine = Required,
    cost_allocations: CostAllocation = Optional,
    metric_points: MetricPoint = Required,
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
