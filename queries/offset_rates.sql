-- offset_rates: each topic's write rate (its log-end offsets) and each group's read rate on it (its committed
--          offsets), in records per second, from two readings that sum the same partitions: the last reading of
--          an earlier run and this run's last (between runs: a day's average when runs are daily), else this run's
--          first and last (within the run, `rate_sample_seconds` apart). A pair whose sums differ in partitions or
--          went back (a topic deleted and made again, offsets reset) is not a rate; the basis says why.
-- inputs:  offset_samples, partitions
-- output:  cluster, topic, group_key ('' for the topic's log end, else the group), records_per_sec (null when no
--          pair gives one), bytes_per_sec (records times the topic's bytes per record retained: its leaders' bytes
--          over its log-end minus log-start offsets; null when a size or offset is unknown or it retains no record,
--          0 when no record moved), seconds (between the pair's readings), basis ('offsets between runs', 'offsets
--          within the run', or why there is no rate)
-- grain:   one row per (cluster, topic, group_key) read in this run
WITH record_size AS (
    SELECT cluster, topic,
           CASE WHEN COUNT(size_bytes) = COUNT(*) AND COUNT(latest_offset) = COUNT(*)
                     AND COUNT(earliest_offset) = COUNT(*) AND SUM(latest_offset - earliest_offset) > 0
                THEN SUM(size_bytes) * 1.0 / SUM(latest_offset - earliest_offset) END AS bytes_per_record
    FROM partitions
    GROUP BY cluster, topic
),
s AS (
    SELECT cluster, topic, COALESCE(group_id, '') AS group_key, EXTRACT(EPOCH FROM sampled_at) AS at,
           offset_sum, partitions, taken = 'this run' AS this_run
    FROM offset_samples
),
bounds AS (
    SELECT cluster, topic, group_key, MIN(at) AS first_at, MAX(at) AS last_at
    FROM s
    WHERE this_run
    GROUP BY cluster, topic, group_key
),
last_now AS (
    SELECT s.cluster, s.topic, s.group_key, s.at, s.offset_sum, s.partitions, b.first_at
    FROM s
    JOIN bounds b ON s.cluster = b.cluster AND s.topic = b.topic AND s.group_key = b.group_key AND s.at = b.last_at
    WHERE s.this_run
),
first_now AS (
    SELECT s.cluster, s.topic, s.group_key, s.at, s.offset_sum, s.partitions
    FROM s
    JOIN bounds b ON s.cluster = b.cluster AND s.topic = b.topic AND s.group_key = b.group_key AND s.at = b.first_at
    WHERE s.this_run AND b.first_at < b.last_at
),
earlier_at AS (
    SELECT s.cluster, s.topic, s.group_key, MAX(s.at) AS at
    FROM s
    JOIN bounds b ON s.cluster = b.cluster AND s.topic = b.topic AND s.group_key = b.group_key
    WHERE NOT s.this_run AND s.at < b.first_at
    GROUP BY s.cluster, s.topic, s.group_key
),
earlier AS (
    SELECT s.cluster, s.topic, s.group_key, s.at, s.offset_sum, s.partitions
    FROM s
    JOIN earlier_at e ON s.cluster = e.cluster AND s.topic = e.topic AND s.group_key = e.group_key AND s.at = e.at
    WHERE NOT s.this_run
),
pairs AS (
    SELECT l.cluster, l.topic, l.group_key, l.at AS to_at, l.offset_sum AS to_sum,
           e.at AS e_at, e.offset_sum AS e_sum,
           CASE WHEN e.at IS NOT NULL AND e.partitions = l.partitions AND e.offset_sum <= l.offset_sum
                THEN 1 ELSE 0 END AS e_ok,
           f.at AS f_at, f.offset_sum AS f_sum,
           CASE WHEN f.at IS NOT NULL AND f.partitions = l.partitions AND f.offset_sum <= l.offset_sum
                THEN 1 ELSE 0 END AS f_ok
    FROM last_now l
    LEFT JOIN earlier e ON l.cluster = e.cluster AND l.topic = e.topic AND l.group_key = e.group_key
    LEFT JOIN first_now f ON l.cluster = f.cluster AND l.topic = f.topic AND l.group_key = f.group_key
),
rated AS (
    SELECT cluster, topic, group_key,
           CASE WHEN e_ok = 1 THEN (to_sum - e_sum) / (to_at - e_at)
                WHEN f_ok = 1 THEN (to_sum - f_sum) / (to_at - f_at) END AS records_per_sec,
           CASE WHEN e_ok = 1 THEN to_at - e_at WHEN f_ok = 1 THEN to_at - f_at END AS seconds,
           CASE WHEN e_ok = 1 THEN 'offsets between runs'
                WHEN f_ok = 1 THEN 'offsets within the run'
                WHEN e_at IS NULL AND f_at IS NULL THEN 'one offset reading'
                ELSE 'offset readings not comparable (partitions changed, or offsets went back)' END AS basis
    FROM pairs
)
SELECT r.cluster, r.topic, r.group_key, r.records_per_sec,
       CASE WHEN r.records_per_sec = 0 THEN 0.0 ELSE r.records_per_sec * z.bytes_per_record END AS bytes_per_sec,
       r.seconds, r.basis
FROM rated r
LEFT JOIN record_size z ON r.cluster = z.cluster AND r.topic = z.topic
ORDER BY r.cluster, r.topic, r.group_key
