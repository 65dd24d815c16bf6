-- cluster_write_rates: each cluster's write rate at each metric timestamp, the sum of its topics' BytesInPerSec, for
--          sizing at a percentile rather than the mean. Only timestamps with a point for every topic that has any
--          are kept, so a missing point never reads as a quiet moment.
-- inputs:  metric_points, topic_dimensions
-- output:  cluster, bytes_in_per_sec
-- grain:   one row per (cluster, metric timestamp)
WITH keyed AS (
    SELECT cluster, dimensions FROM topic_dimensions
),
points AS (
    SELECT k.cluster, m."timestamp" AS at, COUNT(*) AS topics, SUM(m.value) AS bytes_in_per_sec
    FROM metric_points m
    JOIN keyed k ON m.dimensions = k.dimensions
    WHERE m.namespace = 'AWS/Kafka' AND m.metric = 'BytesInPerSec' AND m.stat = 'Average'
    GROUP BY k.cluster, m."timestamp"
),
widest AS (
    SELECT cluster, MAX(topics) AS topics FROM points GROUP BY cluster
)
SELECT p.cluster, p.bytes_in_per_sec
FROM points p
JOIN widest w ON p.cluster = w.cluster AND p.topics = w.topics
ORDER BY p.cluster, p.at
