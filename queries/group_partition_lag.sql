-- group_partition_lag: each consumer group's committed offset on each partition, now and at the newest earlier run,
--          beside the partition's log end at both and its leader now: what the lag classes compare (Burrow's rules,
--          docs/handoff.md).
-- inputs:  consumer_group_offsets, partitions, earlier_partition_offsets
-- output:  cluster, group_id, state, topic, partition, leader (null when it has none), committed, log_end (null
--          when not collected), committed_before, log_end_before (null when the earlier run did not read it),
--          before_run (the earlier run's id; null when it read neither)
-- grain:   one row per (cluster, group_id, topic, partition) with a committed-offset row this run
WITH committed_before AS (
    SELECT cluster, topic, partition, group_id, "offset" AS committed_before, run
    FROM earlier_partition_offsets
    WHERE group_id IS NOT NULL
),
log_end_before AS (
    SELECT cluster, topic, partition, "offset" AS log_end_before, run
    FROM earlier_partition_offsets
    WHERE group_id IS NULL
)
SELECT c.cluster, c.group_id, c.state, c.topic, c.partition, p.leader, c.committed_offset AS committed,
       p.latest_offset AS log_end, b.committed_before, e.log_end_before,
       COALESCE(b.run, e.run) AS before_run
FROM consumer_group_offsets c
LEFT JOIN partitions p ON c.cluster = p.cluster AND c.topic = p.topic AND c.partition = p.partition
LEFT JOIN committed_before b
       ON c.cluster = b.cluster AND c.topic = b.topic AND c.partition = b.partition AND c.group_id = b.group_id
LEFT JOIN log_end_before e ON c.cluster = e.cluster AND c.topic = e.topic AND c.partition = e.partition
ORDER BY cluster, group_id, topic, partition
