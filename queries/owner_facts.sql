-- owner_facts: the inventory each owner holds, for every declared owner and `unowned`, even with nothing.
-- inputs:  owners, topic_facts, group_lag
-- output:  owner, team, cost_center, escalation, channel, topics, partitions, retained_bytes (known bytes only),
--          bytes_in_per_sec (null when a workload topic of the owner has no rate: never a sum of part of them;
--          internal topics need none), consumer_groups (groups the owner runs),
--          max_group_lag (largest lag of any group on the owner's topics)
-- grain:   one row per owner
WITH topic_totals AS (
    SELECT owner,
           COUNT(*) AS topics,
           SUM(partitions) AS partitions,
           SUM(COALESCE(retained_bytes, 0)) AS retained_bytes,
           CASE WHEN SUM(CASE WHEN bytes_in_per_sec IS NULL AND NOT is_internal THEN 1 ELSE 0 END) = 0
                THEN SUM(COALESCE(bytes_in_per_sec, 0.0)) END AS bytes_in_per_sec,
           MAX(max_group_lag) AS max_group_lag
    FROM topic_facts
    GROUP BY owner
),
group_totals AS (
    SELECT owner, COUNT(DISTINCT group_id) AS consumer_groups
    FROM group_lag
    GROUP BY owner
)
SELECT o.owner, o.team, o.cost_center, o.escalation, o.channel,
       COALESCE(t.topics, 0) AS topics,
       COALESCE(t.partitions, 0) AS partitions,
       COALESCE(t.retained_bytes, 0) AS retained_bytes,
       CASE WHEN t.topics IS NULL THEN 0.0 ELSE t.bytes_in_per_sec END AS bytes_in_per_sec,
       COALESCE(g.consumer_groups, 0) AS consumer_groups,
       COALESCE(t.max_group_lag, 0) AS max_group_lag
FROM owners o
LEFT JOIN topic_totals t ON o.owner = t.owner
LEFT JOIN group_totals g ON o.owner = g.owner
ORDER BY o.owner
