-- group_zones: where each consumer group's members say they run (`client.rack`), as the cluster reports them.
-- inputs:  consumer_group_members
-- output:  cluster, group_id, rack (null for members that report none), members
-- grain:   one row per (cluster, group_id, rack)
SELECT cluster, group_id, rack, COUNT(*) AS members
FROM consumer_group_members
GROUP BY cluster, group_id, rack
ORDER BY cluster, group_id, rack
