//! Billing-export objects already rolled up, one file per S3 object under `<cache_dir>/<source>/`, reused while the
//! object's ETag is the same. A closed billing period's objects never change, so after the first run they cost a
//! listing and nothing else; an open period's are read again when AWS rewrites them (a new ETag). An entry also
//! records how it was rolled up (format, owner tag keys, the rollup's version): change any and it is read again.
//! Like the Cost Explorer cache, the folder keeps only what the last run read: entries for objects it no longer
//! reads are removed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::exports::ExportFormat;
use crate::schema::CostLine;

/// Bumped when the rollup of an object would come out differently for the same bytes.
const ROLLUP_VERSION: u32 = 1;

/// One object's rollup, as kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub version: u32,
    pub key: String,
    pub etag: String,
    /// How it was rolled up: the configured format and owner tag keys.
    pub how: How,
    pub format: ExportFormat,
    pub line_items: u64,
    pub inferred_usage_types: u64,
    pub lines: Vec<CostLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct How {
    pub format: Option<ExportFormat>,
    pub owner_tag_keys: Vec<String>,
}

/// The cache of one source.
pub struct ExportCache {
    dir: PathBuf,
    how: How,
}

impl ExportCache {
    pub fn new(cache_dir: &Path, source: &str, how: How) -> ExportCache {
        let name: String =
            source.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        ExportCache { dir: cache_dir.join(name), how }
    }

    pub fn how(&self) -> &How {
        &self.how
    }

    fn path(&self, bucket: &str, key: &str) -> PathBuf {
        use std::hash::{Hash, Hasher};
        // FxHash has no random seed: the same object names the same file in every run.
        let mut h = rustc_hash::FxHasher::default();
        (bucket, key).hash(&mut h);
        self.dir.join(format!("{:016x}.json", h.finish()))
    }

    /// The kept rollup of `s3://bucket/key` when it was made from the object at `etag`, the same way.
    pub fn get(&self, bucket: &str, key: &str, etag: &str) -> Option<Entry> {
        let path = self.path(bucket, key);
        let text = std::fs::read(&path).ok()?;
        match serde_json::from_slice::<Entry>(&text) {
            Ok(e) if e.version == ROLLUP_VERSION && e.key == key && e.etag == etag && e.how == self.how => Some(e),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "billing-export cache entry unreadable; reading the object again");
                None
            }
        }
    }

    /// Whether an entry exists for the object (whatever its ETag): worth asking S3 for the current one.
    pub fn has(&self, bucket: &str, key: &str) -> bool {
        self.path(bucket, key).is_file()
    }

    /// Keeps an object's rollup (written whole, then renamed: a crash never leaves half an entry). A failure to
    /// write only costs the next run a read, so it is logged, not raised.
    pub fn put(&self, bucket: &str, entry: &Entry) {
        let path = self.path(bucket, &entry.key);
        let written = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
            serde_json::to_writer(std::io::BufWriter::new(tmp.as_file()), entry)?;
            tmp.persist(&path).map_err(|e| e.error)?;
            Ok(())
        })();
        if let Err(e) = written {
            tracing::warn!(file = %path.display(), error = %e, "could not keep the billing-export rollup");
        }
    }

    /// Removes the entries of objects this run did not read.
    pub fn keep_only(&self, bucket: &str, keys: &[String]) {
        let kept: std::collections::BTreeSet<PathBuf> = keys.iter().map(|k| self.path(bucket, k)).collect();
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "json") && !kept.contains(&path) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

impl Entry {
    pub fn new(key: &str, etag: &str, how: &How, read: (ExportFormat, u64, u64), lines: Vec<CostLine>) -> Entry {
        let (format, line_items, inferred_usage_types) = read;
        Entry {
            version: ROLLUP_VERSION,
            key: key.to_string(),
            etag: etag.to_string(),
            how: how.clone(),
            format,
            line_items,
            inferred_usage_types,
            lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_reused_only_for_the_same_etag_and_rollup_and_pruned_when_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let how = How { format: None, owner_tag_keys: vec!["team".into()] };
        let cache = ExportCache::new(dir.path(), "cur", how.clone());
        let entry = Entry::new("a/1.parquet", "\"e1\"", &how, (ExportFormat::Cur, 10, 0), vec![]);
        cache.put("b", &entry);
        assert_eq!(cache.get("b", "a/1.parquet", "\"e1\""), Some(entry.clone()));
        assert_eq!(cache.get("b", "a/1.parquet", "\"e2\""), None, "a rewritten object is read again");
        let other = ExportCache::new(dir.path(), "cur", How { owner_tag_keys: vec![], ..how.clone() });
        assert_eq!(other.get("b", "a/1.parquet", "\"e1\""), None, "another rollup is read again");
        cache.put("b", &Entry { key: "a/2.parquet".into(), ..entry.clone() });
        cache.keep_only("b", &["a/2.parquet".to_string()]);
        assert!(!cache.has("b", "a/1.parquet") && cache.has("b", "a/2.parquet"));
    }
}
