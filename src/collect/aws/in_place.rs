//! A Parquet export read in place: its footer, then only the column chunks the rollup reads, with ranged GETs, into
//! a sparse staged file of the object's size. The readers (`exports.rs`, `export_dictionary.rs`) then open it as
//! they open any Parquet file and touch only what was fetched: they project the same columns.
//!
//! Which columns: `exports::columns_read`, found from the very expressions the rollup reads the file with, so a
//! column a reader starts to use is fetched too (a column chunk left unfetched reads as zeros, which no Parquet
//! page decodes: an error, never a silent figure). Ranges closer than [`COALESCE`] are fetched as one, as arrow-rs'
//! object_store reader does.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use parquet::file::metadata::{FooterTail, ParquetMetaDataReader};

use super::exports::{ExportFormat, columns_read};
use super::{AwsCallError, get_object, send_get};

/// The tail read first: most footers fit in it, so one request finds the metadata.
const TAIL: u64 = 64 * 1024;
/// Ranges closer than this are fetched as one. arrow-rs' object_store reader merges within 1 MiB, which spends
/// bytes to save requests; an export's columns are interleaved per row group, so at 1 MiB a small row group's
/// unread columns come along too. On the real CUR sample (1.5 MB, tests/it/aws.rs) the fetch is 87 % of the
/// object at 1 MiB, 41 % at 64 KiB and 35 % with no merging (the columns read are that heavy in it). 64 KiB is
/// about a request's worth of time at S3's per-connection throughput.
const COALESCE: u64 = 64 * 1024;
/// Ranged GETs in flight at once (arrow-rs' object_store and DuckDB's httpfs also fetch column chunks in
/// parallel).
const PARALLEL: usize = 8;
/// Every Parquet file starts (and ends) with these four bytes.
const MAGIC: &[u8; 4] = b"PAR1";

pub use crate::completeness::Transfer;

#[derive(Debug, thiserror::Error)]
pub enum InPlaceError {
    #[error(transparent)]
    Call(#[from] AwsCallError),
    #[error("reading {what}: {cause}")]
    Body { what: String, cause: aws_sdk_s3::primitives::ByteStreamError },
    #[error("writing the staged copy {path}: {cause}")]
    Stage { path: String, cause: std::io::Error },
    #[error("{what}: not a Parquet file: {cause}")]
    Footer { what: String, cause: parquet::errors::ParquetError },
    #[error("reading {what}: a ranged GET stopped: {cause}")]
    Task { what: String, cause: tokio::task::JoinError },
    #[error("{what}: S3 answered a ranged GET without the object's size (Content-Range)")]
    NoSize { what: String },
}

/// Fetches `s3://bucket/key` into `to` (the object's size, holes where nothing was read): the footer, and the
/// column chunks of the columns the rollup reads. An object the readers do not know as an export is fetched whole,
/// so their message names what is wrong with it.
pub async fn fetch(
    client: &aws_sdk_s3::Client,
    (bucket, key): (&str, &str),
    to: &Path,
    (format, owner_tag_keys): (Option<ExportFormat>, &[String]),
    requests: &mut u64,
) -> Result<(Transfer, Option<String>), InPlaceError> {
    let what = format!("s3://{bucket}/{key}");
    let stage = |cause| InPlaceError::Stage { path: to.display().to_string(), cause };
    let mut file = std::fs::File::create(to).map_err(stage)?;
    let (size, tail, etag) = get_tail(client, (bucket, key), &what, requests).await?;
    let mut transfer = Transfer { fetched_bytes: tail.len() as u64, object_bytes: size };
    if tail.len() as u64 >= size {
        file.write_all(&tail).map_err(stage)?;
        return Ok((transfer, etag));
    }
    let footer_error = |cause| InPlaceError::Footer { what: what.clone(), cause };
    let end: &[u8; 8] = tail[tail.len() - 8..].try_into().expect("eight bytes");
    let metadata_len = FooterTail::try_new(end).map_err(footer_error)?.metadata_length() as u64;
    let footer_len = (metadata_len + 8).min(size);
    let mut footer = tail;
    if footer_len > footer.len() as u64 {
        let missing = size - footer_len..size - footer.len() as u64;
        let mut head = get_range(client, (bucket, key), missing.clone(), &what, requests).await?;
        transfer.fetched_bytes += missing.end - missing.start;
        head.extend_from_slice(&footer);
        footer = head;
    }
    file.set_len(size).map_err(stage)?;
    write_at(&mut file, 0, MAGIC).map_err(stage)?;
    write_at(&mut file, size - footer.len() as u64, &footer).map_err(stage)?;
    file.flush().map_err(stage)?;
    let footer = &footer[footer.len() - footer_len as usize..];
    let metadata = ParquetMetaDataReader::decode_metadata(&footer[..metadata_len as usize]).map_err(footer_error)?;
    // polars reads the footer on a thread of its own: it refuses to block inside this (current-thread) runtime.
    let columns = std::thread::scope(|s| s.spawn(|| columns_read(to, format, owner_tag_keys)).join().ok().flatten());
    let ranges = match columns {
        Some(columns) => chunks(&metadata, &columns),
        // Not an export the readers know: all of it, so they can say why.
        None => std::iter::once(MAGIC.len() as u64..size - footer_len).collect(),
    };
    tracing::debug!(object = %what, size, footer = footer_len, ranges = ranges.len(), "reading in place");
    // Up to PARALLEL ranges in flight: one after another, each request's round trip would add up (600 of them on
    // a 10M-line export).
    let mut pending = ranges.into_iter();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < PARALLEL
            && let Some(range) = pending.next()
        {
            *requests += 1;
            crate::collect::progress_requests(*requests);
            // (A handle: the client is shared, not copied.)
            let client = aws_sdk_s3::Client::clone(client);
            let (bucket, key, what) = (bucket.to_string(), key.to_string(), what.clone());
            running.spawn(async move {
                let header = format!("bytes={}-{}", range.start, range.end - 1);
                let object = send_get(&client, (&bucket, &key), Some(header)).await?;
                let body = object.body.collect().await.map_err(|cause| InPlaceError::Body { what, cause })?;
                Ok::<_, InPlaceError>((range.start, body.into_bytes()))
            });
        }
        let Some(done) = running.join_next().await else { break };
        let (start, bytes) = done.map_err(|cause| InPlaceError::Task { what: what.clone(), cause })??;
        write_at(&mut file, start, &bytes).map_err(stage)?;
        transfer.fetched_bytes += bytes.len() as u64;
        crate::collect::progress_bytes(transfer.fetched_bytes);
    }
    file.flush().map_err(stage)?;
    Ok((transfer, etag))
}

/// The byte ranges of the named columns' chunks in every row group, in order, those closer than [`COALESCE`]
/// merged.
pub fn chunks(metadata: &parquet::file::metadata::ParquetMetaData, columns: &[String]) -> Vec<std::ops::Range<u64>> {
    let ranges: Vec<std::ops::Range<u64>> = metadata
        .row_groups()
        .iter()
        .flat_map(|g| g.columns())
        .filter(|c| c.column_path().parts().first().is_some_and(|root| columns.contains(root)))
        .map(|c| {
            let (start, len) = c.byte_range();
            start..start + len
        })
        .collect();
    coalesce(ranges, COALESCE)
}

/// The ranges in order, those less than `gap` apart (or overlapping) merged into one.
fn coalesce(mut ranges: Vec<std::ops::Range<u64>>, gap: u64) -> Vec<std::ops::Range<u64>> {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<std::ops::Range<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start < last.end + gap => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

fn write_at(file: &mut std::fs::File, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}

/// The object's size, its last [`TAIL`] bytes (all of it when smaller) and its ETag.
async fn get_tail(
    client: &aws_sdk_s3::Client,
    (bucket, key): (&str, &str),
    what: &str,
    requests: &mut u64,
) -> Result<(u64, Vec<u8>, Option<String>), InPlaceError> {
    let object = get_object(client, (bucket, key), Some(format!("bytes=-{TAIL}")), requests).await?;
    let size = object
        .content_range()
        .and_then(|r| r.rsplit('/').next())
        .and_then(|total| total.parse::<u64>().ok())
        .or_else(|| {
            object.content_length().and_then(|n| u64::try_from(n).ok()).filter(|_| object.content_range().is_none())
        })
        .ok_or_else(|| InPlaceError::NoSize { what: what.to_string() })?;
    let etag = object.e_tag().map(str::to_string);
    let body = object
        .body
        .collect()
        .await
        .map_err(|cause| InPlaceError::Body { what: what.to_string(), cause })?
        .into_bytes()
        .to_vec();
    Ok((size, body, etag))
}

async fn get_range(
    client: &aws_sdk_s3::Client,
    (bucket, key): (&str, &str),
    range: std::ops::Range<u64>,
    what: &str,
    requests: &mut u64,
) -> Result<Vec<u8>, InPlaceError> {
    let header = format!("bytes={}-{}", range.start, range.end - 1);
    let object = get_object(client, (bucket, key), Some(header), requests).await?;
    let body = object.body.collect().await.map_err(|cause| InPlaceError::Body { what: what.to_string(), cause })?;
    Ok(body.into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_closer_than_the_gap_are_fetched_as_one_and_the_rest_apart() {
        // By hand, gap 10: 0..5 and 12..20 are 7 apart (one); 40..50 is 20 after 20 (apart); 45..48 lies inside
        // 40..50; 59..60 is 9 after 50 (one with it); 70..71 is 10 after 60 (apart: the gap is strict).
        let got = coalesce(vec![40..50, 0..5, 12..20, 45..48, 59..60, 70..71], 10);
        assert_eq!(got, vec![0..20, 40..60, 70..71]);
        assert_eq!(coalesce(vec![], 10), Vec::<std::ops::Range<u64>>::new());
    }
}
