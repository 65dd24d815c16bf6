-- cluster_costs: what each cluster was billed over the window, per usage type.
-- inputs:  cost_lines_classified
-- output:  cluster, cost_class, service, usage_type, usage_unit, usage_quantity, amount, charged_quantity, charged_amount, days, first_day, last_day
-- grain:   one row per (cluster, cost_class, service, usage_type, usage_unit)
-- amount is the net bill (credits and refunds included); charged_amount and charged_quantity are the lines with a
-- non-negative amount only, so that a credit never lowers an effective unit price.
SELECT cluster, cost_class, service, usage_type, usage_unit,
       SUM(usage_quantity) AS usage_quantity,
       SUM(amount) AS amount,
       SUM(CASE WHEN amount >= 0 THEN usage_quantity ELSE 0 END) AS charged_quantity,
       SUM(CASE WHEN amount >= 0 THEN amount ELSE 0 END) AS charged_amount,
       COUNT(DISTINCT billing_day) AS days,
       MIN(billing_day) AS first_day,
       MAX(billing_day) AS last_day
FROM cost_lines_classified
GROUP BY cluster, cost_class, service, usage_type, usage_unit
ORDER BY cluster, cost_class, service, usage_type, usage_unit
