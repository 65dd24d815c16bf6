//! `collect --record DIR`: writes what was collected as a recorded scenario that `run` replays offline.
//!
//! The same format as `fixtures/demo/`: `scenario.toml` plus one CSV per table, written in a temporary sibling
//! folder and renamed into place, so a failed recording leaves nothing half-written.

use std::path::Path;

use serde::Serialize;

use super::Collected;
use crate::schema::Table;

#[derive(Serialize)]
struct ScenarioMeta<'a> {
    name: &'a str,
    description: &'a str,
    captured_at: String,
    sources: &'a [super::SourceReport],
}

fn csv_bytes<T: Table>(rows: &[T]) -> Result<Vec<u8>, String> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(T::columns().iter().map(|c| c.name)).map_err(|e| e.to_string())?;
    for row in rows {
        w.serialize(row).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// Writes `collected` as a scenario folder at `dir`, which must not exist yet.
pub fn write_scenario(collected: &Collected, name: &str, dir: &Path) -> Result<(), String> {
    if dir.exists() {
        return Err(format!("{} already exists; record into a new folder", dir.display()));
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let tmp = parent.join(format!(
        ".tmp-record-{}-{}",
        dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    std::fs::create_dir(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let result = (|| {
        let meta = ScenarioMeta {
            name,
            description: &collected.description,
            captured_at: collected.captured_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            sources: &collected.sources,
        };
        let toml = toml::to_string_pretty(&meta).map_err(|e| e.to_string())?;
        let files: Vec<(String, Vec<u8>)> = vec![
            ("scenario.toml".into(), format!("# Recorded by kafka-finops collect --record.\n{toml}").into_bytes()),
            (file_name::<crate::schema::Broker>(), csv_bytes(&collected.brokers)?),
            (file_name::<crate::schema::Topic>(), csv_bytes(&collected.topics)?),
            (file_name::<crate::schema::TopicConfig>(), csv_bytes(&collected.topic_configs)?),
            (file_name::<crate::schema::Partition>(), csv_bytes(&collected.partitions)?),
            (file_name::<crate::schema::ReplicaLogDir>(), csv_bytes(&collected.replica_log_dirs)?),
            (file_name::<crate::schema::ConsumerGroupOffset>(), csv_bytes(&collected.consumer_group_offsets)?),
            (file_name::<crate::schema::ConsumerGroupMember>(), csv_bytes(&collected.consumer_group_members)?),
            (file_name::<crate::schema::CostLine>(), csv_bytes(&collected.cost_lines)?),
            (file_name::<crate::schema::CostAllocation>(), csv_bytes(&collected.cost_allocations)?),
            (file_name::<crate::schema::MetricPoint>(), csv_bytes(&collected.metric_points)?),
        ];
        for (name, bytes) in files {
            let path = tmp.join(&name);
            std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        std::fs::rename(&tmp, dir).map_err(|e| format!("{}: {e}", dir.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

fn file_name<T: Table>() -> String {
    format!("{}.csv", T::NAME)
}
