-- group_lag: how far each consumer group is behind on each topic it reads, with both owners.
-- inputs:  consumer_group_offsets, group_owners, topic_owners, sentinels, offset_rates
-- output:  cluster, group_id, owner, state, topic, topic_owner, partitions, total_lag, max_partition_lag (both null
--          when any partition's lag is unknown: never the sum or maximum of the known ones), read_copies (how
--          many times over it reads what is written: its committed offsets' rate over the log end's, both from the
--          same pair of readings; null without one), read_basis (the pair's basis, or why there is none)
-- grain:   one row per (cluster, group_id, topic)
WITH log_end AS (
    SELECT cluster, topic, records_per_sec, basis FROM offset_rates WHERE group_key = ''
),
rates AS (
    SELECT g.cluster, g.topic, g.group_key AS group_id, g.basis,
           CASE WHEN g.basis = w.basis AND w.records_per_sec > 0 THEN g.records_per_sec / w.records_per_sec
                WHEN g.basis = w.basis AND w.records_per_sec = 0 AND g.records_per_sec = 0 THEN 0.0 END
               AS read_copies
    FROM offset_rates g
    LEFT JOIN log_end w ON g.cluster = w.cluster AND g.topic = w.topic
    WHERE g.group_key <> ''
),
offsets AS (
    SELECT c.cluster, c.group_id, g.owner AS owner, c.state, c.topic, t.owner AS topic_owner, c.lag
    FROM consumer_group_offsets c
    JOIN group_owners g ON c.cluster = g.cluster AND c.group_id = g.group_id
    LEFT JOIN topic_owners t ON c.cluster = t.cluster AND c.topic = t.topic
)
SELECT o.cluster, o.group_id, o.owner, o.state, o.topic, COALESCE(o.topic_owner, s.unowned) AS topic_owner,
       COUNT(*) AS partitions,
       CASE WHEN COUNT(o.lag) = COUNT(*) THEN SUM(o.lag) END AS total_lag,
       CASE WHEN COUNT(o.lag) = COUNT(*) THEN MAX(o.lag) END AS max_partition_lag,
       MAX(r.read_copies) AS read_copies,
       COALESCE(MAX(r.basis), 'no offset readings') AS read_basis
FROM offsets o
CROSS JOIN sentinels s
LEFT JOIN rates r ON o.cluster = r.cluster AND o.group_id = r.group_id AND o.topic = r.topic
GROUP BY o.cluster, o.group_id, o.owner, o.state, o.topic, o.topic_owner, s.unowned
ORDER BY cluster, group_id, topic
