-- topic_facts: everything the cost model needs to know about one topic, with its owner.
-- inputs:  topics, partitions, replica_placements, metric_points, consumer_group_offsets, topic_owners,
--          topic_dimensions, offset_rates
-- output:  cluster, topic, owner, owner_rule, is_internal, partitions, replication_factor, retention_ms,
--          retention_bytes, cleanup_policy, min_insync_replicas, segment_bytes, segment_ms, remote_storage_enable,
--          local_retention_ms, retained_bytes (null if any partition size is
--          unknown or a declared partition is missing), partitions_size_unknown (both kinds), messages_retained, follower_replicas, followers_in_other_zone,
--          bytes_in_per_sec, messages_in_per_sec (the metric's window average, else measured from offsets: records
--          per second times the topic's average record size, its bytes over the records it retains; null when
--          neither; an internal topic takes none from offsets: its writes are the brokers' own),
--          bytes_out_per_sec (the metric's; null when none), offset_bytes_in_per_sec (the write rate the
--          offsets give, beside the metric's), write_rate_basis ('metric', 'offsets between runs', 'offsets within
--          the run', or why neither gives one), consumer_groups,
--          total_lag, max_group_lag
-- grain:   one row per (cluster, topic)
WITH part AS (
    SELECT cluster, topic,
           COUNT(*) AS partitions_present,
           SUM(size_bytes) AS known_bytes,
           SUM(CASE WHEN size_bytes IS NULL THEN 1 ELSE 0 END) AS partitions_size_unknown,
           SUM(latest_offset - earliest_offset) AS messages_retained
    FROM partitions
    GROUP BY cluster, topic
),
leaders AS (
    SELECT cluster, topic, partition, rack AS leader_rack
    FROM replica_placements
    WHERE is_leader
),
followers AS (
    SELECT f.cluster, f.topic,
           COUNT(*) AS follower_replicas,
           SUM(CASE WHEN f.rack <> l.leader_rack THEN 1 ELSE 0 END) AS followers_in_other_zone
    FROM replica_placements f
    JOIN leaders l ON f.cluster = l.cluster AND f.topic = l.topic AND f.partition = l.partition
    WHERE NOT f.is_leader
    GROUP BY f.cluster, f.topic
),
rates AS (
    SELECT dimensions, metric, AVG(value) AS avg_value
    FROM metric_points
    WHERE namespace = 'AWS/Kafka' AND metric IN ('BytesInPerSec', 'BytesOutPerSec', 'MessagesInPerSec')
      AND stat = 'Average'
    GROUP BY dimensions, metric
),
bytes_in AS (SELECT dimensions, avg_value AS bytes_in_per_sec FROM rates WHERE metric = 'BytesInPerSec'),
bytes_out AS (SELECT dimensions, avg_value AS bytes_out_per_sec FROM rates WHERE metric = 'BytesOutPerSec'),
messages_in AS (SELECT dimensions, avg_value AS messages_in_per_sec FROM rates WHERE metric = 'MessagesInPerSec'),
keyed AS (
    SELECT cluster, topic, dimensions FROM topic_dimensions
),
offset_in AS (
    SELECT cluster, topic, basis, records_per_sec, bytes_per_sec AS bytes_in_per_sec
    FROM offset_rates
    WHERE group_key = ''
),
group_topic_lag AS (
    SELECT cluster, topic, group_id, SUM(lag) AS lag
    FROM consumer_group_offsets
    GROUP BY cluster, topic, group_id
),
groups AS (
    SELECT cluster, topic, COUNT(*) AS consumer_groups, SUM(lag) AS total_lag, MAX(lag) AS max_group_lag
    FROM group_topic_lag
    GROUP BY cluster, topic
)
SELECT t.cluster, t.topic, o.owner, o.owner_rule, t.is_internal, t.partitions, t.replication_factor,
       t.retention_ms, t.retention_bytes, t.cleanup_policy, t.min_insync_replicas, t.segment_bytes, t.segment_ms,
       t.remote_storage_enable, t.local_retention_ms,
       CASE WHEN COALESCE(p.partitions_size_unknown, 0) = 0 AND COALESCE(p.partitions_present, 0) >= t.partitions
            THEN COALESCE(p.known_bytes, 0) END AS retained_bytes,
       COALESCE(p.partitions_size_unknown, 0)
           + CASE WHEN t.partitions > COALESCE(p.partitions_present, 0)
                  THEN t.partitions - COALESCE(p.partitions_present, 0) ELSE 0 END AS partitions_size_unknown,
       p.messages_retained,
       COALESCE(f.follower_replicas, 0) AS follower_replicas,
       COALESCE(f.followers_in_other_zone, 0) AS followers_in_other_zone,
       COALESCE(bi.bytes_in_per_sec, CASE WHEN NOT t.is_internal THEN r.bytes_in_per_sec END) AS bytes_in_per_sec,
       bo.bytes_out_per_sec,
       COALESCE(mi.messages_in_per_sec, CASE WHEN NOT t.is_internal THEN r.records_per_sec END)
           AS messages_in_per_sec,
       r.bytes_in_per_sec AS offset_bytes_in_per_sec,
       CASE WHEN bi.bytes_in_per_sec IS NOT NULL THEN 'metric'
            WHEN t.is_internal THEN 'internal: the brokers'' own traffic, priced by its storage'
            WHEN r.bytes_in_per_sec IS NOT NULL THEN r.basis
            WHEN r.records_per_sec IS NOT NULL THEN 'offsets, but the average record size is unknown'
            WHEN r.basis IS NOT NULL THEN r.basis
            ELSE 'no metric and no offset readings' END AS write_rate_basis,
       COALESCE(g.consumer_groups, 0) AS consumer_groups,
       COALESCE(g.total_lag, 0) AS total_lag,
       COALESCE(g.max_group_lag, 0) AS max_group_lag
FROM topics t
JOIN topic_owners o ON t.cluster = o.cluster AND t.topic = o.topic
LEFT JOIN part p ON t.cluster = p.cluster AND t.topic = p.topic
LEFT JOIN followers f ON t.cluster = f.cluster AND t.topic = f.topic
LEFT JOIN keyed k ON t.cluster = k.cluster AND t.topic = k.topic
LEFT JOIN bytes_in bi ON k.dimensions = bi.dimensions
LEFT JOIN bytes_out bo ON k.dimensions = bo.dimensions
LEFT JOIN messages_in mi ON k.dimensions = mi.dimensions
LEFT JOIN groups g ON t.cluster = g.cluster AND t.topic = g.topic
LEFT JOIN offset_in r ON t.cluster = r.cluster AND t.topic = r.topic
ORDER BY t.cluster, t.topic
