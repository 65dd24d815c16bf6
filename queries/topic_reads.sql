-- topic_reads: each topic's write and read rate at each metric timestamp (CloudWatch `Average` of BytesInPerSec and
--          BytesOutPerSec), for the reads a topic has had over the window: none at all (an unused topic), or a day
--          that read far more than the usual (a replay or backfill, which retention must keep room for).
-- inputs:  metric_points, topic_dimensions
-- output:  cluster, topic, at, bytes_in_per_sec (null when that timestamp has no write point), bytes_out_per_sec
-- grain:   one row per (cluster, topic, metric timestamp) with a BytesOutPerSec point
WITH keyed AS (
    SELECT cluster, topic, dimensions FROM topic_dimensions
),
reads AS (
    SELECT dimensions, "timestamp" AS at, value AS bytes_out_per_sec
    FROM metric_points
    WHERE namespace = 'AWS/Kafka' AND metric = 'BytesOutPerSec' AND stat = 'Average'
),
writes AS (
    SELECT dimensions, "timestamp" AS at, value AS bytes_in_per_sec
    FROM metric_points
    WHERE namespace = 'AWS/Kafka' AND metric = 'BytesInPerSec' AND stat = 'Average'
)
SELECT k.cluster, k.topic, r.at, w.bytes_in_per_sec, r.bytes_out_per_sec
FROM reads r
JOIN keyed k ON r.dimensions = k.dimensions
LEFT JOIN writes w ON r.dimensions = w.dimensions AND r.at = w.at
ORDER BY k.cluster, k.topic, r.at
