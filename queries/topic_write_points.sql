-- topic_write_points: each topic's write-rate points (CloudWatch `Average` of BytesInPerSec at each timestamp) summed
--          for a least-squares line, which the capacity runway's trend is fitted from: the count, and the sums of x,
--          y, x·y and x², x being the point's time in days since 2024-01-01 (19,723 days after the Unix epoch) and y
--          its bytes/s.
-- inputs:  metric_points, topic_dimensions
-- output:  cluster, topic, points, sum_x, sum_y, sum_xy, sum_xx
-- grain:   one row per (cluster, topic) with a BytesInPerSec point
WITH keyed AS (
    SELECT cluster, topic, dimensions FROM topic_dimensions
),
p AS (
    SELECT k.cluster, k.topic, EXTRACT(EPOCH FROM m."timestamp") / 86400.0 - 19723.0 AS x, m.value AS y
    FROM metric_points m
    JOIN keyed k ON m.dimensions = k.dimensions
    WHERE m.namespace = 'AWS/Kafka' AND m.metric = 'BytesInPerSec' AND m.stat = 'Average'
)
SELECT cluster, topic, COUNT(*) AS points, SUM(x) AS sum_x, SUM(y) AS sum_y, SUM(x * y) AS sum_xy,
       SUM(x * x) AS sum_xx
FROM p
GROUP BY cluster, topic
