-- cost_lines_classified: each billed line with the cluster it belongs to and its cost class.
-- inputs:  cost_lines, cluster_resources
-- output:  billing_day, cluster ('(unattributed)' when no cluster lists its resource id), cost_class, service,
--          usage_type, usage_unit, usage_quantity, amount, currency, source
-- grain:   one row per cost line
-- cost_class: msk_broker_hours, msk_storage, msk_tiered_storage, msk_tiered_retrieval, ec2_instance_hours,
--             ebs_storage, ebs_iops, ebs_throughput, inter_az_transfer, s3_storage, s3_requests, other
SELECT c."date" AS billing_day,
       COALESCE(r.cluster, '(unattributed)') AS cluster,
       CASE
           WHEN c.usage_type LIKE '%DataTransfer-Regional-Bytes%' THEN 'inter_az_transfer'
           WHEN c.usage_type LIKE '%Kafka.Storage.Tiered%' THEN 'msk_tiered_storage'
           WHEN c.usage_type LIKE '%Kafka.DataRetrieval.Tiered%' THEN 'msk_tiered_retrieval'
           WHEN c.usage_type LIKE '%Kafka.Storage%' THEN 'msk_storage'
           WHEN c.usage_type LIKE '%Kafka.%' THEN 'msk_broker_hours'
           WHEN c.usage_type LIKE '%BoxUsage%' THEN 'ec2_instance_hours'
           WHEN c.usage_type LIKE '%EBS:VolumeUsage%' THEN 'ebs_storage'
           WHEN c.usage_type LIKE '%EBS:VolumeP-IOPS%' THEN 'ebs_iops'
           WHEN c.usage_type LIKE '%EBS:VolumeP-Throughput%' THEN 'ebs_throughput'
           WHEN c.usage_type LIKE '%TimedStorage%' THEN 's3_storage'
           WHEN c.usage_type LIKE '%Requests-%' THEN 's3_requests'
           ELSE 'other'
       END AS cost_class,
       c.service, c.usage_type, c.usage_unit, c.usage_quantity, c.amount, c.currency, c.source
FROM cost_lines c
LEFT JOIN cluster_resources r ON c.resource_id = r.resource_id
