-- group_lag: how far each consumer group is behind on each topic it reads, with both owners.
-- inputs:  consumer_group_offsets, group_owners, topic_owners, sentinels
-- output:  cluster, group_id, owner, state, topic, topic_owner, partitions, total_lag, max_partition_lag (both null
--          when any partition's lag is unknown: never the sum or maximum of the known ones)
-- grain:   one row per (cluster, group_id, topic)
WITH offsets AS (
    SELECT c.cluster, c.group_id, g.owner AS owner, c.state, c.topic, t.owner AS topic_owner, c.lag
    FROM consumer_group_offsets c
    JOIN group_owners g ON c.cluster = g.cluster AND c.group_id = g.group_id
    LEFT JOIN topic_owners t ON c.cluster = t.cluster AND c.topic = t.topic
)
SELECT o.cluster, o.group_id, o.owner, o.state, o.topic, COALESCE(o.topic_owner, s.unowned) AS topic_owner,
       COUNT(*) AS partitions,
       CASE WHEN COUNT(o.lag) = COUNT(*) THEN SUM(o.lag) END AS total_lag,
       CASE WHEN COUNT(o.lag) = COUNT(*) THEN MAX(o.lag) END AS max_partition_lag
FROM offsets o
CROSS JOIN sentinels s
GROUP BY o.cluster, o.group_id, o.owner, o.state, o.topic, o.topic_owner, s.unowned
ORDER BY cluster, group_id, topic
