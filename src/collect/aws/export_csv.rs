//! CUR as CSV (gzip or plain), streamed: read once, in blocks, into the same id tables and sums as the Parquet
//! dictionary path (`export_dictionary.rs`), never held whole.
//!
//! This thread reads the file (inflating gzip on the way) and cuts it into blocks at record boundaries: a newline
//! with an even number of quotes before it, so a quoted field may hold newlines. Worker threads parse the blocks
//! (the `csv` crate) and sum them on their own ids; their sums are merged and made into lines as the Parquet path
//! makes them. Memory holds a few blocks and the sums, not the file's text: a 10M-line CUR is 4.8 GB of text.
//!
//! The rules are the polars path's (`exports.rs`), which a test compares line for line: `NULL` and an empty field
//! are null; money and quantities are parsed as polars casts text to Decimal(38,10)
//! (`polars_compute::decimal::str_to_dec128`, the function that cast calls); the day is the first ten characters
//! as `%Y-%m-%d`; the amortized cost follows `cur::AMORTIZATION`; owner tags come from legacy CUR's flat columns or
//! CUR 2.0's `resource_tags` JSON (`user:<key>`). Anything this path does not read the same way (a line without a
//! day or a readable cost, a tag that is not text, a missing column, a header it cannot match) is left to polars,
//! which names the problem.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use polars::polars_compute::decimal::str_to_dec128;
use rustc_hash::FxHashMap;

use super::cur::{self, Amortized};
use super::export_dictionary::{self as dict, Ids, Key, NULL_ID, NotCovered, Part, Sums};
use super::exports::ExportFormat;

/// Bytes read before a block is cut at its last record boundary.
const BLOCK: usize = 4 << 20;
/// Tag slots of a key (as in the Parquet path).
const TAG_SLOTS: usize = 8;

/// Where each part of a line is in the file's header.
struct Columns {
    width: usize,
    /// The 7 text parts of the key, then the owner tags' flat columns (`None`: no such column).
    keys: Vec<Option<usize>>,
    /// CUR 2.0's tags: the `resource_tags` JSON column and the key (`user:<key>`) per tag slot read from it.
    json_tags: Option<(usize, Vec<Option<String>>)>,
    day: usize,
    quantity: usize,
    amount: usize,
    line_type: Option<usize>,
    /// `cur::AMORTIZATION_INPUTS`, by position.
    inputs: Vec<Option<usize>>,
    reservation_arn: Option<usize>,
}

impl Columns {
    fn of(header: &csv::ByteRecord, owner_tag_keys: &[String]) -> Result<Columns, NotCovered> {
        let names: Vec<&[u8]> = header.iter().collect();
        let at = |name: &str| names.iter().position(|n| *n == name.as_bytes());
        // A missing required column is reported by the polars path, naming it.
        let need = |name: &str| at(name).ok_or_else(|| NotCovered(format!("no `{name}`")));
        if owner_tag_keys.len() > TAG_SLOTS {
            return Err(NotCovered(format!("more than {TAG_SLOTS} owner tag keys")));
        }
        let mut keys = Vec::new();
        for part in cur::TEXT_KEY {
            keys.push(Some(need(part.column)?));
        }
        let json = at(cur::RESOURCE_TAGS);
        let mut json_keys = vec![None; cur::TEXT_KEY.len()];
        for key in owner_tag_keys {
            let flat = at(&cur::tag_column(key));
            keys.push(flat);
            json_keys.push((flat.is_none() && json.is_some()).then(|| format!("user:{key}")));
        }
        let json_tags = json.filter(|_| json_keys.iter().any(Option::is_some)).map(|c| (c, json_keys));
        Ok(Columns {
            width: names.len(),
            keys,
            json_tags,
            day: need(cur::USAGE_START_DATE)?,
            quantity: need(cur::USAGE_AMOUNT)?,
            amount: need(cur::UNBLENDED_COST)?,
            line_type: at(cur::LINE_ITEM_TYPE),
            inputs: cur::AMORTIZATION_INPUTS.iter().map(|c| at(c)).collect(),
            reservation_arn: at(cur::RESERVATION_ARN),
        })
    }
}

/// Reads one CUR CSV file (`.gz` inflated on the way) into cost lines, or says why this path does not cover it.
pub fn read(path: &Path, owner_tag_keys: &[String], source: &str) -> Result<dict::Read, NotCovered> {
    let not = |e: &dyn std::fmt::Display| NotCovered(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| not(&e))?;
    let mut input: Box<dyn Read> = if path.to_string_lossy().ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, file)))
    } else {
        Box::new(file)
    };
    let mut blocks = Blocks::new(BLOCK);
    let Some(first) = blocks.next(&mut input).map_err(|e| not(&e))? else {
        return Err(NotCovered("an empty file".into()));
    };
    let mut header_reader = csv::ReaderBuilder::new().has_headers(true).from_reader(first.as_slice());
    let header = header_reader.byte_headers().map_err(|e| not(&e))?.clone();
    let body_start = usize::try_from(header_reader.position().byte()).unwrap_or(first.len()).min(first.len());
    let columns = Columns::of(&header, owner_tag_keys)?;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    let started = std::time::Instant::now();
    let stop = AtomicBool::new(false);
    let (parts, read) = std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<Vec<u8>>(threads * 2);
        let rx = Arc::new(Mutex::new(rx));
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let rx = Arc::clone(&rx);
                let (columns, stop) = (&columns, &stop);
                s.spawn(move || {
                    let worked = work(&rx, columns);
                    if worked.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    worked
                })
            })
            .collect();
        drop(rx);
        let read = feed(&tx, first[body_start..].to_vec(), (&mut blocks, &mut input), &stop);
        drop(tx);
        let parts: Vec<Result<(Part, u64), NotCovered>> = workers
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(NotCovered("a CSV worker panicked".into()))))
            .collect();
        (parts, read)
    });
    // A worker that stopped (a line this path leaves to polars) is the reason; else a read error is.
    let mut rows = 0;
    let mut summed = Vec::new();
    for part in parts {
        let (part, n) = part?;
        rows += n;
        summed.push(Ok(part));
    }
    read.map_err(|e| not(&e))?;
    let (ids, sums) = dict::merge(summed)?;
    let amortized = columns.line_type.is_some();
    let lines = dict::lines(amortized, &ids, sums, owner_tag_keys, source);
    tracing::debug!(file = %path.display(), rows, lines = lines.len(), ms = started.elapsed().as_millis() as u64,
        "export CSV streamed");
    Ok((lines, rows, ExportFormat::Cur))
}

/// Sends the first block's body, then every further block, to the workers; stops early when one of them has
/// stopped (a line it leaves to polars: the file will be read again there).
fn feed(
    tx: &SyncSender<Vec<u8>>,
    first: Vec<u8>,
    (blocks, input): (&mut Blocks, &mut dyn Read),
    stop: &AtomicBool,
) -> std::io::Result<()> {
    if !first.is_empty() && tx.send(first).is_err() {
        return Ok(());
    }
    while !stop.load(Ordering::Relaxed)
        && let Some(block) = blocks.next(input)?
    {
        if tx.send(block).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// The file cut into blocks of whole records.
struct Blocks {
    /// Bytes read before a block is cut.
    size: usize,
    /// Bytes read after the last cut (the start of a record).
    pending: Vec<u8>,
    /// Whether `pending` holds an odd number of quotes (inside a quoted field at its end).
    odd: bool,
    done: bool,
}

impl Blocks {
    fn new(size: usize) -> Blocks {
        Blocks { size, pending: Vec::new(), odd: false, done: false }
    }

    /// The next block of whole records, `None` at the end of the file.
    fn next(&mut self, mut input: &mut dyn Read) -> std::io::Result<Option<Vec<u8>>> {
        loop {
            if self.done {
                return Ok((!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending)));
            }
            let start = self.pending.len();
            let read = (&mut input).take(self.size as u64).read_to_end(&mut self.pending)?;
            if read < self.size {
                self.done = true;
            }
            self.odd ^= quotes(&self.pending[start..]) % 2 == 1;
            if self.done {
                continue;
            }
            if let Some(cut) = self.boundary() {
                let mut rest = Vec::with_capacity(self.size + self.size / 4);
                rest.extend_from_slice(&self.pending[cut + 1..]);
                self.pending.truncate(cut + 1);
                return Ok(Some(std::mem::replace(&mut self.pending, rest)));
            }
        }
    }

    /// The last newline with an even number of quotes before it; updates `odd` to the rest's parity.
    fn boundary(&mut self) -> Option<usize> {
        let mut after = 0usize;
        let mut end = self.pending.len();
        while let Some(nl) = self.pending[..end].iter().rposition(|b| *b == b'\n') {
            after += quotes(&self.pending[nl..end]);
            let before_odd = self.odd ^ (after % 2 == 1);
            if !before_odd {
                self.odd = after % 2 == 1;
                return Some(nl);
            }
            end = nl;
        }
        None
    }
}

fn quotes(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'"').count()
}

/// One worker: blocks until the channel closes, summed on its own ids; the lines it read.
fn work(rx: &Mutex<Receiver<Vec<u8>>>, columns: &Columns) -> Result<(Part, u64), NotCovered> {
    let mut state = Worker::new(columns);
    loop {
        let block = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return Err(NotCovered("a CSV worker panicked".into())),
        };
        let Ok(block) = block else { break };
        state.block(&block)?;
    }
    Ok(((state.ids, state.sums), state.rows))
}

/// A worker's id tables, sums and caches of the last value seen per column (neighbouring lines repeat most
/// values, so most fields are compared, not hashed).
struct Worker<'a> {
    columns: &'a Columns,
    ids: Vec<Ids>,
    sums: FxHashMap<Key, Sums>,
    rows: u64,
    last: Vec<(Vec<u8>, u32)>,
    last_day: ([u8; 10], i32),
    last_type: (Vec<u8>, Amortized<usize>),
    json: FxHashMap<Vec<u8>, [u32; TAG_SLOTS]>,
}

fn is_null(field: &[u8]) -> bool {
    field.is_empty() || field == b"NULL"
}

fn money(field: &[u8]) -> Option<i128> {
    if is_null(field) { None } else { str_to_dec128(field, 38, 10, false) }
}

impl<'a> Worker<'a> {
    fn new(columns: &'a Columns) -> Worker<'a> {
        Worker {
            columns,
            ids: (0..cur::TEXT_KEY.len() + TAG_SLOTS).map(|_| Ids::default()).collect(),
            sums: FxHashMap::default(),
            rows: 0,
            last: vec![(Vec::new(), NULL_ID); cur::TEXT_KEY.len() + TAG_SLOTS],
            last_day: ([0; 10], i32::MIN),
            last_type: (Vec::new(), Amortized::Unblended),
            json: FxHashMap::default(),
        }
    }

    fn block(&mut self, block: &[u8]) -> Result<(), NotCovered> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(block);
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => self.row(&record)?,
                Err(e) => return Err(NotCovered(format!("CSV: {e}"))),
            }
        }
    }

    /// The id of a text field in key slot `slot`, `NULL_ID` for a null one.
    fn id(&mut self, slot: usize, field: &[u8]) -> Result<u32, NotCovered> {
        if is_null(field) {
            return Ok(NULL_ID);
        }
        let (last, id) = &mut self.last[slot];
        if last.as_slice() == field {
            return Ok(*id);
        }
        let text = std::str::from_utf8(field).map_err(|_| NotCovered("a field that is not UTF-8".into()))?;
        *id = self.ids[slot].id(text);
        last.clear();
        last.extend_from_slice(field);
        Ok(*id)
    }

    fn day(&mut self, field: &[u8]) -> Result<i32, NotCovered> {
        let head = field.get(..10).ok_or_else(|| NotCovered("a line without a usage day".into()))?;
        if head == self.last_day.0 {
            return Ok(self.last_day.1);
        }
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
        let day = std::str::from_utf8(head)
            .ok()
            .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
            .and_then(|d| i32::try_from((d - epoch).num_days()).ok())
            .ok_or_else(|| NotCovered("a line without a usage day".into()))?;
        self.last_day = (head.try_into().expect("ten bytes"), day);
        Ok(day)
    }

    /// The owner tags of a `resource_tags` JSON field, per tag slot (parsed once per distinct text).
    fn json_tags(&mut self, field: &[u8], keys: &[Option<String>]) -> Result<[u32; TAG_SLOTS], NotCovered> {
        if let Some(ids) = self.json.get(field) {
            return Ok(*ids);
        }
        let mut out = [NULL_ID; TAG_SLOTS];
        if !is_null(field) {
            let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(field)
                .map_err(|e| NotCovered(format!("`{}` is not a JSON object: {e}", cur::RESOURCE_TAGS)))?;
            for (slot, key) in keys.iter().enumerate() {
                let Some(key) = key else { continue };
                match map.get(key) {
                    None | Some(serde_json::Value::Null) => {}
                    Some(serde_json::Value::String(v)) => out[slot - cur::TEXT_KEY.len()] = self.ids[slot].id(v),
                    Some(_) => return Err(NotCovered(format!("tag `{key}` is not text"))),
                }
            }
        }
        self.json.insert(field.to_vec(), out);
        Ok(out)
    }

    fn row(&mut self, record: &csv::ByteRecord) -> Result<(), NotCovered> {
        let c = self.columns;
        if record.len() != c.width {
            return Err(NotCovered(format!("a line of {} fields under a header of {}", record.len(), c.width)));
        }
        let mut key = [NULL_ID; 15];
        for (slot, column) in c.keys.iter().enumerate() {
            if let Some(column) = column {
                key[slot] = self.id(slot, &record[*column])?;
            }
        }
        if let Some((column, keys)) = &c.json_tags {
            let tags = self.json_tags(&record[*column], keys)?;
            for (slot, k) in keys.iter().enumerate() {
                if k.is_some() {
                    key[slot] = tags[slot - cur::TEXT_KEY.len()];
                }
            }
        }
        let day = self.day(&record[c.day])?;
        let amount = money(&record[c.amount]).ok_or_else(|| NotCovered("a line without a readable cost".into()))?;
        let quantity = money(&record[c.quantity]);
        let amortized = self.amortized(record, amount);
        let sums = self.sums.entry(Key::new(&key, day)).or_default();
        sums.amount += amount;
        match quantity {
            Some(q) => sums.quantity += q,
            None if amount >= 0 => sums.quantity_unknown += 1,
            None => {}
        }
        match amortized {
            Some(a) => sums.amortized += a,
            None => sums.amortized_unknown += 1,
        }
        self.rows += 1;
        Ok(())
    }

    /// The line's amortized cost by `cur::AMORTIZATION` (unknown when a column its type needs is absent or null).
    fn amortized(&mut self, record: &csv::ByteRecord, amount: i128) -> Option<i128> {
        let c = self.columns;
        let Some(line_type) = c.line_type else { return Some(amount) };
        let field = &record[line_type];
        if self.last_type.0.as_slice() != field {
            let rule = if is_null(field) {
                Amortized::Unblended
            } else {
                let position = |i: &str| cur::AMORTIZATION_INPUTS.iter().position(|c| *c == i).expect("an input");
                Amortized::of(std::str::from_utf8(field).unwrap_or("")).map(position)
            };
            self.last_type = (field.to_vec(), rule);
        }
        let input = |i: usize| c.inputs[i].and_then(|column| money(&record[column]));
        match self.last_type.1 {
            Amortized::Unblended => Some(amount),
            Amortized::Column(i) => input(i),
            Amortized::Sum(i, j) => input(i).zip(input(j)).map(|(x, y)| x + y),
            Amortized::Difference(i, j) => input(i).zip(input(j)).map(|(x, y)| x - y),
            Amortized::Zero => Some(0),
            Amortized::ZeroIfReservation => {
                let arn = c.reservation_arn.map(|column| &record[column]).unwrap_or(b"");
                Some(if is_null(arn) { amount } else { 0 })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &[u8]) -> Vec<csv::ByteRecord> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
        reader.byte_records().map(Result::unwrap).collect()
    }

    /// Cut at every block size from 1 byte up, a CSV whose quoted fields hold commas, doubled quotes and newlines
    /// (LF and CRLF) parses, block by block, into exactly the records of the whole text.
    #[test]
    fn blocks_end_only_at_record_boundaries() {
        let text = b"a,b,c\r\n\"x,\ny\",2,\"he said \"\"hi\"\"\"\n\"\"\"\",\"\n\n\",3\nplain,1,\"a\r\nb\"\nlast,0,z";
        let whole = records(text);
        assert_eq!(whole.len(), 5);
        for size in 1..=text.len() + 1 {
            let mut blocks = Blocks::new(size);
            let mut input: &[u8] = text;
            let (mut got, mut joined) = (Vec::new(), Vec::new());
            while let Some(block) = blocks.next(&mut input).unwrap() {
                got.extend(records(&block));
                joined.extend_from_slice(&block);
            }
            assert_eq!(joined, text, "block size {size}");
            assert_eq!(got, whole, "block size {size}");
        }
    }
}
