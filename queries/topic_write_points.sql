-- topic_write_points: each topic's write rate at each metric timestamp (CloudWatch `Average` of BytesInPerSec), the
--          points a capacity runway fits its trend to.
-- inputs:  metric_points, topic_dimensions
-- output:  cluster, topic, at, bytes_in_per_sec
-- grain:   one row per (cluster, topic, metric timestamp)
WITH keyed AS (
    SELECT cluster, topic, dimensions FROM topic_dimensions
)
SELECT k.cluster, k.topic, m."timestamp" AS at, m.value AS bytes_in_per_sec
FROM metric_points m
JOIN keyed k ON m.dimensions = k.dimensions
WHERE m.namespace = 'AWS/Kafka' AND m.metric = 'BytesInPerSec' AND m.stat = 'Average'
ORDER BY k.cluster, k.topic, at
