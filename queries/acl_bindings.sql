-- acl_bindings: every ACL binding the brokers showed, with its principal's owner (the catalog's `principal` rules).
-- inputs:  acls, principal_owners, sentinels
-- output:  cluster, resource_type, resource_name, pattern_type, principal, principal_owner (`unowned` when no rule
--          matches), principal_owner_rule, host, operation, permission
-- grain:   one row per binding
SELECT a.cluster, a.resource_type, a.resource_name, a.pattern_type, a.principal,
       COALESCE(p.owner, s.unowned) AS principal_owner, COALESCE(p.owner_rule, '') AS principal_owner_rule,
       a.host, a.operation, a.permission
FROM acls a
CROSS JOIN sentinels s
LEFT JOIN principal_owners p ON a.cluster = p.cluster AND a.principal = p.principal
ORDER BY cluster, resource_type, resource_name, pattern_type, principal, operation, permission, host
