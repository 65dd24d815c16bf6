//! Where input files come from: a folder on disk, or the demo scenario compiled into the binary.
//!
//! Config, catalog and recorded scenarios are read through [`InputFiles`] so that `kafka-finops demo` runs the very
//! same code as `kafka-finops run --config fixtures/demo/kafka-finops.toml`, from any directory.

use std::path::{Path, PathBuf};

/// The demo scenario's files, relative to `fixtures/demo/`.
const DEMO_FILES: &[(&str, &str)] = &[
    ("kafka-finops.toml", include_str!("../fixtures/demo/kafka-finops.toml")),
    ("catalog.toml", include_str!("../fixtures/demo/catalog.toml")),
    ("scenario.toml", include_str!("../fixtures/demo/scenario.toml")),
    ("brokers.csv", include_str!("../fixtures/demo/brokers.csv")),
    ("topics.csv", include_str!("../fixtures/demo/topics.csv")),
    ("partitions.csv", include_str!("../fixtures/demo/partitions.csv")),
    ("consumer_group_offsets.csv", include_str!("../fixtures/demo/consumer_group_offsets.csv")),
    ("cost_lines.csv", include_str!("../fixtures/demo/cost_lines.csv")),
    ("cost_allocations.csv", include_str!("../fixtures/demo/cost_allocations.csv")),
    ("metric_points.csv", include_str!("../fixtures/demo/metric_points.csv")),
    ("offset_samples.csv", include_str!("../fixtures/demo/offset_samples.csv")),
    ("earlier_partition_offsets.csv", include_str!("../fixtures/demo/earlier_partition_offsets.csv")),
    ("acls.csv", include_str!("../fixtures/demo/acls.csv")),
    ("acl_visibility.csv", include_str!("../fixtures/demo/acl_visibility.csv")),
];

/// The demo's config and catalog as text, for `demo --record DIR`: beside the recorded scenario they make a folder
/// a new user edits into their own (`run --config DIR/kafka-finops.toml` runs it).
pub fn demo_config_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    DEMO_FILES.iter().copied().filter(|(name, _)| name.ends_with(".toml") && *name != "scenario.toml")
}

/// A file that could not be read, with the path as the user would write it.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {reason}")]
pub struct ReadError {
    pub path: String,
    pub reason: String,
}

/// `path` without its `.` components (`././topics.csv` is `topics.csv`), lexically: nothing is resolved on disk, and
/// `..` stays as written. An all-`.` path is `.`.
fn clean(path: &Path) -> PathBuf {
    let cleaned: PathBuf = path.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect();
    if cleaned.as_os_str().is_empty() { PathBuf::from(".") } else { cleaned }
}

/// A root that relative paths in config files are resolved against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputFiles {
    /// Paths relative to this folder (the folder holding the config file).
    Disk(PathBuf),
    /// The demo compiled into the binary; paths relative to `fixtures/demo/`.
    EmbeddedDemo,
}

impl InputFiles {
    /// Resolves `relative` (as written in a config file) into a path under this root.
    pub fn join(&self, relative: &str) -> String {
        match self {
            InputFiles::Disk(root) => {
                let p = Path::new(relative);
                clean(&if p.is_absolute() { p.to_path_buf() } else { root.join(p) }).display().to_string()
            }
            InputFiles::EmbeddedDemo => normalize_embedded(relative),
        }
    }

    /// A root for a sub-folder (a scenario folder named in the config).
    pub fn subdir(&self, relative: &str) -> InputFiles {
        match self {
            InputFiles::Disk(_) => InputFiles::Disk(PathBuf::from(self.join(relative))),
            InputFiles::EmbeddedDemo => InputFiles::EmbeddedDemo,
        }
    }

    /// How to name `relative` in messages.
    pub fn display(&self, relative: &str) -> String {
        match self {
            InputFiles::Disk(_) => self.join(relative),
            InputFiles::EmbeddedDemo => format!("<embedded demo>/{}", normalize_embedded(relative)),
        }
    }

    pub fn read(&self, relative: &str) -> Result<String, ReadError> {
        match self {
            InputFiles::Disk(_) => {
                let path = self.join(relative);
                let bytes =
                    std::fs::read(&path).map_err(|e| ReadError { path: path.clone(), reason: e.to_string() })?;
                String::from_utf8(bytes).map_err(|e| {
                    let at = e.utf8_error().valid_up_to();
                    let bytes = e.as_bytes();
                    let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
                    let column = at - bytes[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
                    ReadError {
                        path: format!("{path}:{line}"),
                        reason: format!(
                            "not UTF-8: byte 0x{:02x} at column {column} (files are read as UTF-8 text)",
                            bytes[at]
                        ),
                    }
                })
            }
            InputFiles::EmbeddedDemo => {
                let key = normalize_embedded(relative);
                DEMO_FILES.iter().find(|(name, _)| *name == key).map(|(_, text)| (*text).to_string()).ok_or_else(|| {
                    ReadError { path: self.display(relative), reason: "not part of the embedded demo".into() }
                })
            }
        }
    }
}

fn normalize_embedded(relative: &str) -> String {
    relative.trim_start_matches("./").trim_start_matches('.').trim_start_matches('/').to_string()
}

/// Turns a TOML syntax or shape error into a problem with the line it points at.
pub(crate) fn toml_problem(file: &str, text: &str, e: &toml::de::Error) -> crate::problem::Problem {
    let line = e.span().map(|s| line_of(text, s.start));
    crate::problem::Problem::new(file, line, None, e.message().trim().to_string())
}

/// Converts a byte offset in `text` into a 1-based line number.
pub fn line_of(text: &str, byte_offset: usize) -> usize {
    text[..byte_offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}
