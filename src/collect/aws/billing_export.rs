//! The `billing-export` source: finds CUR / CUR 2.0 / FOCUS export files in S3 (or a local folder synced from
//! it), downloads them to a temporary folder (streamed to disk as they are; Parquet read in place), and hands them to
//! `exports` to be rolled up into cost lines.
//!
//! Which files: the ones a manifest names when `manifest` is set; otherwise every data file under the prefix, and
//! when the listing holds manifests (`*Manifest.json`, legacy CUR and Data Exports both write them), only the files
//! the newest manifest of each billing period names, so superseded report versions are not counted twice. With
//! `billing_periods`, only keys of those periods (`BILLING_PERIOD=2024-09`, `/20240901-20241001/` or
//! `year=2024/month=9`) are read.

use std::path::{Path, PathBuf};

use super::cur;
use super::export_cache::{Entry, ExportCache, How};
use super::exports::{ExportError, ExportFile, ExportFormat, ExportSummary, read_exports};
use super::in_place::{self, Transfer};
use super::{AwsCallError, AwsSettings, get_object, runtime, s3_client, sdk_config};
use crate::collect::{CollectError, Collected, Source, SourceKindSpec};
use crate::completeness::{DayWindow, SourceReport, SourceStatus};
use crate::schema::{CostAllocation, CostLine, Table};

/// Where the export lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportLocation {
    S3 {
        bucket: String,
        prefix: String,
        manifest: Option<String>,
    },
    /// A file or a folder on local disk (e.g. `aws s3 sync` output).
    Local {
        path: PathBuf,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingExportSettings {
    pub location: ExportLocation,
    pub aws: AwsSettings,
    /// `None` detects the format per file.
    pub format: Option<ExportFormat>,
    /// `YYYY-MM`; empty = every period found.
    pub billing_periods: Vec<String>,
    pub owner_tag_keys: Vec<String>,
    /// Each S3 object's rollup is kept under `<cache_dir>/<source>/` and reused while its ETag is the same.
    pub cache_dir: PathBuf,
}

pub struct BillingExportSource {
    pub name: String,
    pub settings: BillingExportSettings,
}

impl SourceKindSpec for BillingExportSource {
    const KIND: &'static str = "billing-export";
    type File = super::settings::BillingExportFile;
    type Settings = BillingExportSettings;
    fn check(
        file: super::settings::BillingExportFile,
        ctx: &crate::collect::SourceContext<'_>,
        here: std::ops::Range<usize>,
    ) -> Result<BillingExportSettings, Vec<crate::problem::SettingProblem>> {
        file.check(ctx, here)
    }
    fn collector(name: &str, settings: &BillingExportSettings) -> Box<dyn Source> {
        Box::new(BillingExportSource { name: name.to_string(), settings: settings.clone() })
    }
}

impl Source for BillingExportSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn collect(&self, into: &mut Collected) -> Result<(), CollectError> {
        let mut report = SourceReport::new(&self.name, Self::KIND, &[CostLine::NAME]);
        let staging = tempfile::Builder::new().prefix("kafka-finops-export-").tempdir().map_err(|source| {
            CollectError::Local { what: "creating a temporary folder for the exports", cause: source }
        })?;
        let fetched = match &self.settings.location {
            ExportLocation::Local { path } => local_files(path, &self.settings.billing_periods)
                .map(|files| files.into_iter().map(|f| Staged::Read(f, None)).collect()),
            ExportLocation::S3 { .. } => {
                let rt = runtime().map_err(CollectError::runtime)?;
                rt.block_on(self.fetch_s3(staging.path(), &mut report))
            }
        };
        let files = match fetched {
            Ok(files) => files,
            Err(e) => {
                report.status = SourceStatus::Failed;
                report.detail = Some(e.to_string());
                into.sources.push(report);
                return Ok(());
            }
        };
        if files.is_empty() {
            report.status = SourceStatus::Failed;
            report.detail = Some(format!("no export file found at {}", self.where_()));
            into.sources.push(report);
            return Ok(());
        }
        let source = match self.settings.format {
            Some(ExportFormat::Focus) => "focus",
            _ => "billing-export",
        };
        match self.read_staged(files, source) {
            Ok((mut lines, summary)) => {
                // Name the format each line came from, as the cost_lines table documents (`cur`, `focus`).
                if summary.formats.iter().all(|(_, f)| *f == summary.formats[0].1) {
                    let name = summary.formats[0].1.name();
                    let name = crate::schema::Text::from(name);
                    lines.iter_mut().filter(|l| l.source != name).for_each(|l| l.source = name.clone());
                }
                tracing::info!(
                    source = %self.name,
                    files = summary.formats.len(),
                    line_items = summary.lines,
                    cost_lines = summary.cost_lines,
                    requests = report.requests,
                    "billing export read"
                );
                let mut notes = vec![format!("{} file(s), {} line items", summary.formats.len(), summary.lines)];
                if summary.inferred_usage_types > 0 {
                    notes.push(format!(
                        "usage type inferred from the charge description for {} FOCUS line items (no x_UsageType)",
                        summary.inferred_usage_types
                    ));
                }
                report.detail = Some(notes.join("; "));
                report.window = window(&self.settings.billing_periods, &lines);
                into.cost_allocations.extend(allocations(&lines, &self.settings.owner_tag_keys));
                report.line_source = lines.first().map(|l| l.source.to_string());
                into.cost_lines.extend(lines);
            }
            Err(e) => {
                report.status = SourceStatus::Failed;
                report.detail = Some(e.to_string());
            }
        }
        into.sources.push(report);
        Ok(())
    }
}

/// An export object ready to roll up: a staged file (with the S3 key and ETag it was read at, to keep its rollup),
/// or a rollup kept from an earlier run of the same object.
enum Staged {
    Read(ExportFile, Option<(String, String)>),
    Kept(Entry),
}

impl BillingExportSource {
    fn cache(&self) -> ExportCache {
        let how = How { format: self.settings.format, owner_tag_keys: self.settings.owner_tag_keys.clone() };
        ExportCache::new(&self.settings.cache_dir, &self.name, how)
    }

    /// Rolls the staged objects up. Local files are read together; S3 objects one by one, so each one's rollup
    /// can be kept, then merged with the kept ones (the same sums: a rollup of rollups).
    fn read_staged(&self, staged: Vec<Staged>, source: &str) -> Result<(Vec<CostLine>, ExportSummary), ExportError> {
        let (format, tags) = (self.settings.format, &self.settings.owner_tag_keys);
        let ExportLocation::S3 { bucket, .. } = &self.settings.location else {
            let files: Vec<ExportFile> =
                staged.into_iter().filter_map(|s| if let Staged::Read(f, _) = s { Some(f) } else { None }).collect();
            return read_exports(&files, format, tags, source);
        };
        let cache = self.cache();
        let (mut all, mut summary, mut keys) = (Vec::new(), ExportSummary::default(), Vec::new());
        for s in staged {
            let entry = match s {
                Staged::Kept(entry) => {
                    summary.formats.push((format!("s3://{bucket}/{} (kept, same ETag)", entry.key), entry.format));
                    entry
                }
                Staged::Read(file, at) => {
                    let (lines, read) = read_exports(std::slice::from_ref(&file), format, tags, source)?;
                    let found = read.formats.first().map(|(_, f)| *f).unwrap_or(ExportFormat::Cur);
                    summary.formats.push((file.display.clone(), found));
                    let (key, etag) = at.unwrap_or_default();
                    let entry =
                        Entry::new(&key, &etag, cache.how(), (found, read.lines, read.inferred_usage_types), lines);
                    if !etag.is_empty() {
                        cache.put(bucket, &entry);
                    }
                    entry
                }
            };
            summary.lines += entry.line_items;
            summary.inferred_usage_types += entry.inferred_usage_types;
            keys.push(entry.key);
            // Merged object by object: memory holds the merged lines and one object's, not every object's.
            all = if all.is_empty() { entry.lines } else { cur::merge_sorted(all, entry.lines) };
        }
        cache.keep_only(bucket, &keys);
        summary.cost_lines = all.len();
        Ok((all, summary))
    }
    fn where_(&self) -> String {
        match &self.settings.location {
            ExportLocation::S3 { bucket, prefix, manifest: Some(m) } => {
                format!("s3://{bucket}/{prefix} (manifest {m})")
            }
            ExportLocation::S3 { bucket, prefix, manifest: None } => format!("s3://{bucket}/{prefix}"),
            ExportLocation::Local { path } => path.display().to_string(),
        }
    }

    async fn fetch_s3(&self, staging: &Path, report: &mut SourceReport) -> Result<Vec<Staged>, FetchError> {
        let ExportLocation::S3 { bucket, prefix, manifest } = &self.settings.location else {
            return Ok(Vec::new());
        };
        let mut etags = std::collections::BTreeMap::new();
        let requests = &mut report.requests;
        let config = sdk_config(&self.settings.aws).await?;
        let client = s3_client(&config, &self.settings.aws);
        let keys = match manifest {
            Some(key) => {
                let text = get_text(&client, bucket, key, requests).await?;
                manifest_keys(&text, bucket).map_err(FetchError::manifest(format!("s3://{bucket}/{key}")))?
            }
            None => {
                let listed = list_keys(&client, bucket, prefix, requests).await?;
                let listed: Vec<String> = listed
                    .into_iter()
                    .map(|(key, etag)| {
                        etags.extend(etag.map(|e| (key.clone(), e)));
                        key
                    })
                    .collect();
                let mut chosen = Vec::new();
                let manifests = newest_manifests(&listed, &self.settings.billing_periods);
                if manifests.is_empty() {
                    chosen.extend(data_files(&listed, &self.settings.billing_periods));
                } else {
                    for key in manifests {
                        let text = get_text(&client, bucket, &key, requests).await?;
                        let at = format!("s3://{bucket}/{key}");
                        chosen.extend(manifest_keys(&text, bucket).map_err(FetchError::manifest(at))?);
                    }
                }
                chosen
            }
        };
        let cache = self.cache();
        let mut files = Vec::new();
        let mut downloaded = 0;
        let mut transfer = Transfer::default();
        for (i, key) in keys.iter().enumerate() {
            // A manifest names keys without their ETags: ask for one only when a rollup is kept for the key.
            let etag = match etags.get(key) {
                Some(e) => Some(e.clone()),
                None if cache.has(bucket, key) => head_etag(&client, bucket, key, requests).await?,
                None => None,
            };
            if let Some(kept) = etag.as_deref().and_then(|e| cache.get(bucket, key, e)) {
                files.push(Staged::Kept(kept));
                continue;
            }
            let (file, got, read_etag) = if key.ends_with(".parquet") {
                // Read in place: the footer and the rollup's columns only.
                let base = key.rsplit('/').next().unwrap_or("export.parquet");
                let path = staging.join(format!("{i:05}-{base}"));
                let read = (self.settings.format, self.settings.owner_tag_keys.as_slice());
                let (got, read_etag) = in_place::fetch(&client, (bucket, key), &path, read, requests).await?;
                (ExportFile { path, display: format!("s3://{bucket}/{key}") }, got, read_etag)
            } else {
                let before = downloaded;
                let (file, read_etag) = download(&client, bucket, key, staging, (i, &mut downloaded), requests).await?;
                let size = downloaded - before;
                (file, Transfer { fetched_bytes: size, object_bytes: size }, read_etag)
            };
            // The ETag the object was read at (a listing's may be older by a rewrite in between).
            let etag = read_etag.or(etag);
            transfer.fetched_bytes += got.fetched_bytes;
            transfer.object_bytes += got.object_bytes;
            files.push(Staged::Read(file, etag.map(|e| (key.clone(), e))));
        }
        report.transfer = Some(transfer);
        Ok(files)
    }
}

async fn list_keys(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    requests: &mut u64,
) -> Result<Vec<(String, Option<String>)>, AwsCallError> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        *requests += 1;
        crate::collect::progress_requests(*requests);
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| AwsCallError::new("s3:ListBucket", format!("listing s3://{bucket}/{prefix}"), &e))?;
        keys.extend(
            page.contents().iter().filter_map(|o| o.key().map(|k| (k.to_string(), o.e_tag().map(str::to_string)))),
        );
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    keys.sort();
    Ok(keys)
}

/// The object's current ETag (HeadObject, which `s3:GetObject` allows).
async fn head_etag(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    requests: &mut u64,
) -> Result<Option<String>, AwsCallError> {
    *requests += 1;
    crate::collect::progress_requests(*requests);
    let head = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsCallError::new("s3:GetObject", format!("reading s3://{bucket}/{key}'s ETag"), &e))?;
    Ok(head.e_tag().map(str::to_string))
}

async fn get_text(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    requests: &mut u64,
) -> Result<String, FetchError> {
    let what = || format!("reading s3://{bucket}/{key}");
    let object = get_object(client, (bucket, key), None, requests).await?;
    let bytes =
        object.body.collect().await.map_err(|source| FetchError::Body { what: what(), cause: source })?.into_bytes();
    String::from_utf8(bytes.to_vec()).map_err(|source| FetchError::NotText { what: what(), cause: source })
}

/// Streams one object to disk as it is (a `.gz` object is inflated as it is read: `exports.rs`).
/// `downloaded` counts the source's bytes so far, for the progress line.
async fn download(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    staging: &Path,
    (index, downloaded): (usize, &mut u64),
    requests: &mut u64,
) -> Result<(ExportFile, Option<String>), FetchError> {
    use tokio::io::AsyncWriteExt;
    let display = format!("s3://{bucket}/{key}");
    let mut object = get_object(client, (bucket, key), None, requests).await?;
    let etag = object.e_tag().map(str::to_string);
    let base = key.rsplit('/').next().unwrap_or("export");
    let raw = staging.join(format!("{index:05}-{base}"));
    let staged = |source| FetchError::Stage { path: raw.display().to_string(), cause: source };
    let mut out = tokio::fs::File::create(&raw).await.map_err(staged)?;
    while let Some(chunk) = object
        .body
        .try_next()
        .await
        .map_err(|source| FetchError::Body { what: format!("reading {display}"), cause: source })?
    {
        out.write_all(&chunk).await.map_err(staged)?;
        *downloaded += chunk.len() as u64;
        crate::collect::progress_bytes(*downloaded);
    }
    out.flush().await.map_err(staged)?;
    Ok((ExportFile { path: raw, display }, etag))
}

/// The lines' amounts per day, owner tag key and value, and service (an empty value: the line has no such tag).
/// The lines are first summed per day, tags, service, currency and source (few groups: a month's lines share a
/// few tag combinations), so each distinct tags text is parsed once, not once per line.
pub(super) fn allocations(lines: &[CostLine], tag_keys: &[String]) -> Vec<CostAllocation> {
    type Group<'a> = (chrono::NaiveDate, &'a str, &'a str, &'a str, &'a str);
    let mut groups: rustc_hash::FxHashMap<Group<'_>, rust_decimal::Decimal> = rustc_hash::FxHashMap::default();
    for line in lines {
        let group =
            (line.date, line.tags.as_str(), line.service.as_str(), line.currency.as_str(), line.source.as_str());
        *groups.entry(group).or_default() += line.amount;
    }
    let mut parsed: rustc_hash::FxHashMap<&str, std::collections::BTreeMap<String, String>> =
        rustc_hash::FxHashMap::default();
    let mut sums: std::collections::BTreeMap<
        (chrono::NaiveDate, &str, String, &str, &str, &str),
        rust_decimal::Decimal,
    > = std::collections::BTreeMap::new();
    for ((date, tags, service, currency, source), amount) in groups {
        let tags = parsed.entry(tags).or_insert_with(|| serde_json::from_str(tags).unwrap_or_default());
        for key in tag_keys {
            let value = tags.get(key).cloned().unwrap_or_default();
            *sums.entry((date, key.as_str(), value, service, currency, source)).or_default() += amount;
        }
    }
    sums.into_iter()
        .map(|((date, key, value, service, currency, source), amount)| CostAllocation {
            date,
            tag_key: key.to_string(),
            tag_value: value,
            service: service.to_string(),
            amount,
            currency: currency.to_string(),
            source: source.to_string(),
        })
        .collect()
}

/// The days an export should cover: its configured billing periods up to yesterday (UTC), else the days between
/// its first and last line, so a day missing inside is shown as missing.
fn window(periods: &[String], lines: &[CostLine]) -> Option<DayWindow> {
    if let Some(months) = first_and_last_month(periods) {
        return days_of_months(months, chrono::Utc::now().date_naive());
    }
    let first = lines.iter().map(|l| l.date).min()?;
    let last = lines.iter().map(|l| l.date).max()?;
    Some(DayWindow { first, last })
}

/// The first days of the earliest and the latest of `YYYY-MM` periods.
pub(super) fn first_and_last_month(periods: &[String]) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    let month = |p: &String| chrono::NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d").ok();
    Some((periods.iter().filter_map(month).min()?, periods.iter().filter_map(month).max()?))
}

/// The days from the first month's first day to the last month's last day, up to yesterday (UTC); `None` when no
/// day of them has ended.
pub(super) fn days_of_months(
    (first, last_start): (chrono::NaiveDate, chrono::NaiveDate),
    today: chrono::NaiveDate,
) -> Option<DayWindow> {
    let last = last_start.checked_add_months(chrono::Months::new(1))?.pred_opt()?.min(today.pred_opt()?);
    (last >= first).then_some(DayWindow { first, last })
}

/// The files of a local export: the file itself, or every data file under the folder (manifests honoured as in S3).
fn local_files(path: &Path, periods: &[String]) -> Result<Vec<ExportFile>, FetchError> {
    if path.is_file() {
        return staged_local(path).map(|f| vec![f]);
    }
    if !path.is_dir() {
        return Err(FetchError::Missing { path: path.display().to_string(), what: "file or folder" });
    }
    let mut keys = Vec::new();
    walk(path, path, &mut keys)
        .map_err(|source| FetchError::Read { path: path.display().to_string(), cause: source })?;
    keys.sort();
    let manifests = newest_manifests(&keys, periods);
    let chosen: Vec<String> = if manifests.is_empty() {
        data_files(&keys, periods)
    } else {
        let mut out = Vec::new();
        for m in manifests {
            let at = path.join(&m).display().to_string();
            let text = std::fs::read_to_string(path.join(&m))
                .map_err(|source| FetchError::Read { path: at.clone(), cause: source })?;
            // Keys in a manifest are bucket keys; locally they are found under the folder by the same relative key.
            out.extend(manifest_keys(&text, "").map_err(FetchError::manifest(at))?);
        }
        out.into_iter().map(|k| keys.iter().find(|l| k.ends_with(l.as_str())).cloned().unwrap_or(k)).collect()
    };
    chosen.iter().map(|k| staged_local(&path.join(k))).collect()
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let p = entry.path();
        if p.is_dir() {
            walk(root, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// A local file is read where it is (a `.gz` one is inflated as it is read: `exports.rs`).
fn staged_local(path: &Path) -> Result<ExportFile, FetchError> {
    let display = path.display().to_string();
    if !path.is_file() {
        return Err(FetchError::Missing { path: display, what: "file (named by a manifest?)" });
    }
    Ok(ExportFile { path: path.to_path_buf(), display })
}

/// Data files among listed keys, in the given billing periods (all when none given).
fn data_files(keys: &[String], periods: &[String]) -> Vec<String> {
    keys.iter().filter(|k| is_data_file(k) && in_periods(k, periods)).cloned().collect()
}

fn is_data_file(key: &str) -> bool {
    let k = key.to_lowercase();
    [".parquet", ".csv", ".csv.gz"].iter().any(|ext| k.ends_with(ext))
}

/// The period a key belongs to (`YYYY-MM`), from the layouts AWS writes.
fn period_of(key: &str) -> Option<String> {
    if let Some(i) = key.find("BILLING_PERIOD=") {
        return key.get(i + 15..i + 22).map(str::to_string);
    }
    // legacy CUR: /20240901-20241001/
    for part in key.split('/') {
        let b = part.as_bytes();
        if b.len() == 17 && b[8] == b'-' && part[..8].bytes().all(|c| c.is_ascii_digit()) {
            return Some(format!("{}-{}", &part[..4], &part[4..6]));
        }
    }
    // Athena-integrated CUR: year=2024/month=9/
    let year = key.split('/').find_map(|p| p.strip_prefix("year="))?;
    let month: u32 = key.split('/').find_map(|p| p.strip_prefix("month="))?.parse().ok()?;
    Some(format!("{year}-{month:02}"))
}

fn in_periods(key: &str, periods: &[String]) -> bool {
    periods.is_empty() || period_of(key).is_some_and(|p| periods.contains(&p))
}

/// The newest manifest per billing period (keys sort by time within a period for both AWS layouts).
fn newest_manifests(keys: &[String], periods: &[String]) -> Vec<String> {
    let mut by_period: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for k in keys.iter().filter(|k| k.to_lowercase().ends_with("manifest.json") && in_periods(k, periods)) {
        let period = period_of(k).unwrap_or_default();
        // Legacy CUR writes a manifest per assembly too (under the assembly folder); the period-level one is the
        // current one. Prefer the shortest key of a period, then the last.
        let better = match by_period.get(&period) {
            None => true,
            Some(old) => k.matches('/').count() < old.matches('/').count(),
        };
        if better {
            by_period.insert(period, k.clone());
        }
    }
    by_period.into_values().collect()
}

/// The data-file keys a manifest names: legacy CUR (`reportKeys`, bucket keys) or Data Exports (`dataFiles`,
/// `s3://` URLs).
fn manifest_keys(text: &str, bucket: &str) -> Result<Vec<String>, ManifestError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(ManifestError::NotJson)?;
    if let Some(keys) = value.get("reportKeys").and_then(|v| v.as_array()) {
        return Ok(keys.iter().filter_map(|k| k.as_str().map(str::to_string)).collect());
    }
    if let Some(files) = value.get("dataFiles").and_then(|v| v.as_array()) {
        let prefix = format!("s3://{bucket}/");
        return Ok(files
            .iter()
            .filter_map(|f| f.as_str())
            .map(|f| f.strip_prefix(&prefix).map(str::to_string).unwrap_or_else(|| after_bucket(f)))
            .collect());
    }
    Err(ManifestError::NoFileList)
}

/// Why the export files could not be found or staged.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error(transparent)]
    Call(#[from] AwsCallError),
    #[error(transparent)]
    InPlace(#[from] in_place::InPlaceError),
    #[error("{what}: {cause}")]
    Body { what: String, cause: aws_sdk_s3::primitives::ByteStreamError },
    #[error("{what}: not UTF-8 text: {cause}")]
    NotText { what: String, cause: std::string::FromUtf8Error },
    #[error("writing the staged copy {path}: {cause}")]
    Stage { path: String, cause: std::io::Error },
    #[error("{path}: no such {what}")]
    Missing { path: String, what: &'static str },
    #[error("{path}: {cause}")]
    Read { path: String, cause: std::io::Error },
    #[error("{at}: {cause}")]
    Manifest { at: String, cause: ManifestError },
}

impl FetchError {
    fn manifest(at: String) -> impl FnOnce(ManifestError) -> FetchError {
        move |source| FetchError::Manifest { at, cause: source }
    }
}

#[derive(Debug, thiserror::Error)]
enum ManifestError {
    #[error("not a JSON manifest: {0}")]
    NotJson(serde_json::Error),
    #[error("a manifest lists its files in `reportKeys` (CUR) or `dataFiles` (Data Exports); found neither")]
    NoFileList,
}

fn after_bucket(url: &str) -> String {
    url.strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, key)| key.to_string())
        .unwrap_or_else(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_from_every_aws_layout() {
        assert_eq!(period_of("cur/data/BILLING_PERIOD=2024-09/x-00001.parquet").as_deref(), Some("2024-09"));
        assert_eq!(period_of("cur/r/20181101-20181201/abc/r-1.csv.gz").as_deref(), Some("2018-11"));
        assert_eq!(period_of("cur/r/r/year=2018/month=11/r-1.snappy.parquet").as_deref(), Some("2018-11"));
        assert_eq!(period_of("cur/other.parquet"), None);
    }

    #[test]
    fn newest_manifest_per_period_is_the_period_level_one() {
        let keys: Vec<String> = [
            "p/r/20181101-20181201/r-Manifest.json",
            "p/r/20181101-20181201/abc/r-Manifest.json",
            "p/r/20181201-20190101/r-Manifest.json",
            "p/r/20181101-20181201/abc/r-1.csv.gz",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            newest_manifests(&keys, &[]),
            vec!["p/r/20181101-20181201/r-Manifest.json", "p/r/20181201-20190101/r-Manifest.json"]
        );
        assert_eq!(newest_manifests(&keys, &["2018-12".into()]), vec!["p/r/20181201-20190101/r-Manifest.json"]);
    }

    #[test]
    fn manifests_of_both_generations() {
        let legacy = r#"{"reportKeys": ["p/r/20181101-20181201/abc/r-1.csv.gz"], "bucket": "b"}"#;
        assert_eq!(manifest_keys(legacy, "b").unwrap(), vec!["p/r/20181101-20181201/abc/r-1.csv.gz"]);
        let exports = r#"{"dataFiles": ["s3://b/e/data/BILLING_PERIOD=2024-09/e-00001.snappy.parquet"]}"#;
        assert_eq!(manifest_keys(exports, "b").unwrap(), vec!["e/data/BILLING_PERIOD=2024-09/e-00001.snappy.parquet"]);
        assert!(manifest_keys("{}", "b").unwrap_err().to_string().contains("reportKeys"));
    }

    #[test]
    fn data_files_skip_manifests_and_other_periods() {
        let keys: Vec<String> =
            ["a/BILLING_PERIOD=2024-09/x.parquet", "a/BILLING_PERIOD=2024-10/y.parquet", "a/m-Manifest.json"]
                .map(String::from)
                .to_vec();
        assert_eq!(data_files(&keys, &["2024-09".into()]), vec!["a/BILLING_PERIOD=2024-09/x.parquet"]);
        assert_eq!(data_files(&keys, &[]).len(), 2);
    }
}
