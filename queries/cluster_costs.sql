-- cluster_costs: what each cluster was billed over the window, per usage type.
-- inputs:  cost_lines_classified
-- output:  cluster, cost_class, service, usage_type, usage_unit, usage_quantity, amount, charged_quantity, charged_amount, days, first_day, last_day
-- grain:   one row per (cluster, cost_class, service, usage_type, usage_unit)
-- amount is the net bill (credits and refunds included); charged_amount and charged_quantity are the lines with a
-- non-negative amount only, so that a credit never lowers an effective unit price. Both quantities are null
-- (unknown) when a charged line has none, since SQL's SUM would quietly leave that line out; a credit without one
-- is no usage.
SELECT cluster, cost_class, service, usage_type, usage_unit,
       CASE WHEN SUM(CASE WHEN amount >= 0 AND usage_quantity IS NULL THEN 1 ELSE 0 END) = 0
            THEN COALESCE(SUM(usage_quantity), 0) END AS usage_quantity,
       SUM(amount) AS amount,
       CASE WHEN SUM(CASE WHEN amount >= 0 AND usage_quantity IS NULL THEN 1 ELSE 0 END) = 0
            THEN SUM(CASE WHEN amount >= 0 THEN COALESCE(usage_quantity, 0) ELSE 0 END) END AS charged_quantity,
       SUM(CASE WHEN amount >= 0 THEN amount ELSE 0 END) AS charged_amount,
       COUNT(DISTINCT billing_day) AS days,
       MIN(billing_day) AS first_day,
       MAX(billing_day) AS last_day
FROM cost_lines_classified
GROUP BY cluster, cost_class, service, usage_type, usage_unit
ORDER BY cluster, cost_class, service, usage_type, usage_unit
