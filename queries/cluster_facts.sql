-- cluster_facts: the size of each cluster: brokers, zones, topics, retained bytes and write rate.
-- inputs:  brokers, topic_facts
-- output:  cluster, brokers, zones (distinct broker racks), topics, retained_bytes (known bytes only),
--          bytes_in_per_sec
-- grain:   one row per cluster that has brokers
WITH b AS (
    SELECT cluster, COUNT(*) AS brokers, COUNT(DISTINCT rack) AS zones
    FROM brokers
    GROUP BY cluster
),
t AS (
    SELECT cluster, COUNT(*) AS topics,
           SUM(COALESCE(retained_bytes, 0)) AS retained_bytes,
           SUM(COALESCE(bytes_in_per_sec, 0.0)) AS bytes_in_per_sec
    FROM topic_facts
    GROUP BY cluster
)
SELECT b.cluster, b.brokers, b.zones,
       COALESCE(t.topics, 0) AS topics,
       COALESCE(t.retained_bytes, 0) AS retained_bytes,
       COALESCE(t.bytes_in_per_sec, 0.0) AS bytes_in_per_sec
FROM b
LEFT JOIN t ON b.cluster = t.cluster
ORDER BY b.cluster
