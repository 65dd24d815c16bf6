-- broker_disks: every broker with each of its log dirs and the volume it is on (DescribeLogDirs v4+).
-- inputs:  brokers, log_dirs
-- output:  cluster, broker_id, rack, log_dir, total_bytes, usable_bytes, error (log_dir and the rest null for a
--          broker whose log dirs were not collected)
-- grain:   one row per (cluster, broker_id, log_dir); one row for a broker without log dirs
SELECT b.cluster, b.broker_id, b.rack, d.log_dir, d.total_bytes, d.usable_bytes, d.error
FROM brokers b
LEFT JOIN log_dirs d ON b.cluster = d.cluster AND b.broker_id = d.broker
ORDER BY b.cluster, b.broker_id, d.log_dir
