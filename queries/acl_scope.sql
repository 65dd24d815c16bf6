-- acl_scope: per cluster, whether its ACLs were visible to the collector, and why not.
-- inputs:  acl_visibility
-- output:  cluster, visible, reason (null when visible)
-- grain:   one row per cluster whose ACLs were asked for
SELECT cluster, visible, reason
FROM acl_visibility
ORDER BY cluster
