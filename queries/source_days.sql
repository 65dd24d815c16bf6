-- source_days: what each cost source delivered per day, so a day of its window without lines shows as missing.
-- inputs:  cost_lines
-- output:  source, billing_day, lines, amount
-- grain:   one row per (source, billing_day) with at least one line
SELECT source, "date" AS billing_day, COUNT(*) AS lines, SUM(amount) AS amount
FROM cost_lines
GROUP BY source, "date"
ORDER BY source, billing_day
