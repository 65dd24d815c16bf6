-- owner_tag_costs: billed cost per owner, from cost-allocation tags (Cost Explorer by tag, exports per tag value).
-- inputs:  cost_allocations, tag_owners
-- output:  owner, owner_rule, tag_key, tag_value, source, first_day, last_day, days, amount
-- grain:   one row per (owner, tag_key, tag_value, source)
-- note:    another view of the billed money, never added to cost_lines; `unowned` holds untagged and unmatched costs.
SELECT o.owner, o.owner_rule, a.tag_key, a.tag_value, a.source,
       MIN(a."date") AS first_day, MAX(a."date") AS last_day, COUNT(DISTINCT a."date") AS days,
       SUM(a.amount) AS amount
FROM cost_allocations a
JOIN tag_owners o ON a.tag_key = o.tag_key AND a.tag_value = o.tag_value
GROUP BY o.owner, o.owner_rule, a.tag_key, a.tag_value, a.source
ORDER BY amount DESC, o.owner, a.tag_key, a.tag_value
