-- cluster_costs: what each cluster was billed over the window, per usage type.
-- inputs:  cost_lines_classified
-- output:  cluster, cost_class, service, usage_type, usage_unit, usage_quantity, amount, days, first_day, last_day
-- grain:   one row per (cluster, cost_class, service, usage_type, usage_unit)
SELECT cluster, cost_class, service, usage_type, usage_unit,
       SUM(usage_quantity) AS usage_quantity,
       SUM(amount) AS amount,
       COUNT(DISTINCT billing_day) AS days,
       MIN(billing_day) AS first_day,
       MAX(billing_day) AS last_day
FROM cost_lines_classified
GROUP BY cluster, cost_class, service, usage_type, usage_unit
ORDER BY cluster, cost_class, service, usage_type, usage_unit
