//! The cluster's ACLs: one DescribeAcls request with a filter that matches every binding (any resource type, name,
//! pattern, principal, host, operation and permission: what `kafka-acls --list` sends), read into rows in Kafka's
//! own words. A broker that will not show them (no authorizer; the collector's principal lacks DESCRIBE on the
//! cluster) is recorded as not visible, with why: a finding for the report, never a failed source.

use kafka_protocol::ResponseError;
use kafka_protocol::error::ParseResponseErrorCode;
use kafka_protocol::messages::DescribeAclsRequest;

use super::connection::BrokerConnection;
use crate::schema::{AclBinding, AclVisibility};

/// `ANY` in the filter enums (resource type, pattern type, operation, permission).
const ANY: i8 = 1;

fn resource_type(code: i8) -> &'static str {
    match code {
        2 => "TOPIC",
        3 => "GROUP",
        4 => "CLUSTER",
        5 => "TRANSACTIONAL_ID",
        6 => "DELEGATION_TOKEN",
        7 => "USER",
        _ => "UNKNOWN",
    }
}

fn pattern_type(code: i8) -> &'static str {
    match code {
        3 => "LITERAL",
        4 => "PREFIXED",
        _ => "UNKNOWN",
    }
}

fn operation(code: i8) -> &'static str {
    match code {
        2 => "ALL",
        3 => "READ",
        4 => "WRITE",
        5 => "CREATE",
        6 => "DELETE",
        7 => "ALTER",
        8 => "DESCRIBE",
        9 => "CLUSTER_ACTION",
        10 => "DESCRIBE_CONFIGS",
        11 => "ALTER_CONFIGS",
        12 => "IDEMPOTENT_WRITE",
        13 => "CREATE_TOKENS",
        14 => "DESCRIBE_TOKENS",
        15 => "TWO_PHASE_COMMIT",
        _ => "UNKNOWN",
    }
}

fn permission(code: i8) -> &'static str {
    match code {
        2 => "DENY",
        3 => "ALLOW",
        _ => "UNKNOWN",
    }
}

/// Every ACL binding of the cluster, sorted, and whether they were visible. A request the broker refuses (or a
/// broker too old to answer) is a visibility row saying why, and no bindings.
pub(super) async fn describe(conn: &mut BrokerConnection, cluster: &str) -> (Vec<AclBinding>, AclVisibility) {
    let request = DescribeAclsRequest::default()
        .with_resource_type_filter(ANY)
        .with_resource_name_filter(None)
        .with_pattern_type_filter(ANY)
        .with_principal_filter(None)
        .with_host_filter(None)
        .with_operation(ANY)
        .with_permission_type(ANY);
    let not_visible =
        |reason: String| AclVisibility { cluster: cluster.to_string(), visible: false, reason: Some(reason) };
    let response = match conn.send(request).await {
        Ok(r) => r,
        Err(e) => return (Vec::new(), not_visible(format!("DescribeAcls: {e}"))),
    };
    if let Some(e) = response.error_code.err() {
        let reason = match e {
            ResponseError::SecurityDisabled => {
                "no authorizer is configured (SECURITY_DISABLED): any principal may do what its listener lets it"
                    .to_string()
            }
            ResponseError::ClusterAuthorizationFailed => {
                "the collector's principal lacks DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED)".to_string()
            }
            other => format!("DescribeAcls: {other}"),
        };
        return (Vec::new(), not_visible(reason));
    }
    let mut rows: Vec<AclBinding> = response
        .resources
        .iter()
        .flat_map(|r| {
            r.acls.iter().map(move |a| AclBinding {
                cluster: cluster.to_string(),
                resource_type: resource_type(r.resource_type).into(),
                resource_name: r.resource_name.to_string(),
                pattern_type: pattern_type(r.pattern_type).into(),
                principal: a.principal.to_string(),
                host: a.host.to_string(),
                operation: operation(a.operation).into(),
                permission: permission(a.permission_type).into(),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        let key = |x: &AclBinding| {
            (x.resource_type.clone(), x.resource_name.clone(), x.pattern_type.clone(), x.principal.clone())
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| (&a.operation, &a.permission, &a.host).cmp(&(&b.operation, &b.permission, &b.host)))
    });
    (rows, AclVisibility { cluster: cluster.to_string(), visible: true, reason: None })
}
