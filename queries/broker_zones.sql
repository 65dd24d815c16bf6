-- broker_zones: the zones (racks) each cluster's brokers run in, and how many brokers run in each.
-- inputs:  brokers
-- output:  cluster, rack (null for brokers that report no broker.rack), brokers
-- grain:   one row per (cluster, rack)
SELECT cluster, rack, COUNT(*) AS brokers
FROM brokers
GROUP BY cluster, rack
ORDER BY cluster, rack
