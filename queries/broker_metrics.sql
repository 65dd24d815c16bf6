-- broker_metrics: each MSK broker's own CloudWatch series over the window, beside what the inventory says: the mean
--          of its BytesInPerSec and BytesOutPerSec (bytes from and to clients; replication is not in them) and its
--          last KafkaDataLogsDiskUsed point (percent of its data volume used).
-- inputs:  metric_points, broker_dimensions
-- output:  cluster, broker_id, bytes_in_per_sec, bytes_out_per_sec (null without points), disk_used_percent (null
--          without a disk point)
-- grain:   one row per (cluster, broker_id) with any such point
WITH points AS (
    SELECT d.cluster, d.broker_id, m.metric, m."timestamp" AS at, m.value
    FROM metric_points m
    JOIN broker_dimensions d ON m.dimensions = d.dimensions
    WHERE m.namespace = 'AWS/Kafka' AND m.stat = 'Average'
      AND m.metric IN ('BytesInPerSec', 'BytesOutPerSec', 'KafkaDataLogsDiskUsed')
),
rates AS (
    SELECT cluster, broker_id,
           AVG(CASE WHEN metric = 'BytesInPerSec' THEN value END) AS bytes_in_per_sec,
           AVG(CASE WHEN metric = 'BytesOutPerSec' THEN value END) AS bytes_out_per_sec
    FROM points
    GROUP BY cluster, broker_id
),
disk_last AS (
    SELECT cluster, broker_id, MAX(at) AS at
    FROM points
    WHERE metric = 'KafkaDataLogsDiskUsed'
    GROUP BY cluster, broker_id
),
disk AS (
    SELECT p.cluster, p.broker_id, p.value AS disk_used_percent
    FROM points p
    JOIN disk_last l ON p.cluster = l.cluster AND p.broker_id = l.broker_id AND p.at = l.at
    WHERE p.metric = 'KafkaDataLogsDiskUsed'
)
SELECT r.cluster, r.broker_id, r.bytes_in_per_sec, r.bytes_out_per_sec, d.disk_used_percent
FROM rates r
LEFT JOIN disk d ON r.cluster = d.cluster AND r.broker_id = d.broker_id
ORDER BY r.cluster, r.broker_id
