-- partition_placement: where every replica of every partition sits, with what weighs the partition's share of its
--          topic's traffic (per-partition write rates are not collected: retained bytes, else retained offsets).
-- inputs:  partitions, replica_placements
-- output:  cluster, topic, partition, broker_id (null for a partition without replicas), rack (null when the
--          broker reports none), is_leader, size_bytes, messages_retained
-- grain:   one row per replica (one row for a partition without replicas)
SELECT p.cluster, p.topic, p.partition, r.broker_id, r.rack, COALESCE(r.is_leader, false) AS is_leader,
       p.size_bytes, p.latest_offset - p.earliest_offset AS messages_retained
FROM partitions p
LEFT JOIN replica_placements r ON p.cluster = r.cluster AND p.topic = r.topic AND p.partition = r.partition
ORDER BY p.cluster, p.topic, p.partition, r.broker_id
