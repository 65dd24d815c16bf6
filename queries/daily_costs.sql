-- daily_costs: the bill per day, per cluster and cost class (for trend charts and missing-day checks).
-- inputs:  cost_lines_classified
-- output:  cluster, billing_day, cost_class, amount
-- grain:   one row per (cluster, billing_day, cost_class)
-- note:    polars' SQL parser reads a bare `cluster` after a comma in ORDER BY as CLUSTER BY; quote it there.
SELECT cluster, billing_day, cost_class, SUM(amount) AS amount
FROM cost_lines_classified
GROUP BY cluster, billing_day, cost_class
ORDER BY billing_day, "cluster", cost_class
