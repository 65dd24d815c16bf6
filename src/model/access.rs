//! Who may read and who may write each topic, from the cluster's ACL bindings as Kafka's authorizer reads them
//! (docs/handoff.md, "Access"): a binding applies to a topic when it is LITERAL with the topic's name or `*`, or
//! PREFIXED with a prefix of it; ALL covers READ and WRITE; a DENY for the principal (or `User:*`) on any host beats
//! every ALLOW. Write access by a principal of another team, by one without an owner, or by everyone is up for a
//! governance review. The answer may be incomplete: `super.users` and `allow.everyone.if.no.acl.found` are broker
//! settings the protocol does not show.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::UNOWNED;
use crate::join::contract::{AclBindingRow, AclScope};
use crate::report_model::{AccessIssue, AccessIssueKind, AclCoverage, Grant, TopicAccess};

use super::Topic;

/// The principal every binding for `User:*` names.
const EVERYONE: &str = "User:*";

/// Whether binding `b` applies to the topic `name`.
fn applies(b: &AclBindingRow, name: &str) -> bool {
    b.resource_type == "TOPIC"
        && match b.pattern_type.as_str() {
            "LITERAL" => b.resource_name == name || b.resource_name == "*",
            "PREFIXED" => name.starts_with(&b.resource_name),
            _ => false,
        }
}

/// Whether a binding's operation covers `wanted` (READ or WRITE).
fn covers(operation: &str, wanted: &str) -> bool {
    operation == wanted || operation == "ALL"
}

/// The principals that may do `wanted` on `topic`, from the bindings that apply to it.
fn grants(applying: &[&AclBindingRow], wanted: &str) -> Vec<Grant> {
    let denied = |principal: &str| {
        applying.iter().any(|b| {
            b.permission == "DENY"
                && covers(&b.operation, wanted)
                && b.host == "*"
                && (b.principal == principal || b.principal == EVERYONE)
        })
    };
    let mut by_principal: BTreeMap<&str, Grant> = BTreeMap::new();
    for b in applying.iter().filter(|b| b.permission == "ALLOW" && covers(&b.operation, wanted)) {
        if denied(&b.principal) {
            continue;
        }
        let g = by_principal.entry(b.principal.as_str()).or_insert_with(|| Grant {
            principal: b.principal.clone(),
            principal_owner: b.principal_owner.clone(),
            via: Vec::new(),
            hosts: Vec::new(),
        });
        g.via.push(format!("{} {} {}: ALLOW {}", b.resource_type, b.resource_name, b.pattern_type, b.operation));
        if b.host != "*" {
            g.hosts.push(b.host.clone());
        }
    }
    // A grant on any host makes the host-limited ones of the same principal moot.
    by_principal
        .into_values()
        .map(|mut g| {
            let any_host = applying.iter().any(|b| {
                b.permission == "ALLOW" && b.principal == g.principal && covers(&b.operation, wanted) && b.host == "*"
            });
            if any_host {
                g.hosts.clear();
            }
            g.hosts.sort();
            g.hosts.dedup();
            g
        })
        .collect()
}

/// What the ACLs say: each cluster's coverage, each topic's readers and writers, the write access to review.
pub struct Evaluated {
    pub coverage: Vec<AclCoverage>,
    pub access: Vec<TopicAccess>,
    pub issues: Vec<AccessIssue>,
}

/// Each cluster's coverage; each topic's readers and writers on clusters whose ACLs were visible; and the write
/// access a review should see (internal topics are the brokers' own and left out).
pub fn evaluate(bindings: &[AclBindingRow], scope: &[AclScope], topics: &[Topic]) -> Evaluated {
    let coverage: Vec<AclCoverage> = scope
        .iter()
        .map(|s| AclCoverage { cluster: s.cluster.clone(), visible: s.visible, reason: s.reason.clone() })
        .collect();
    let visible: BTreeSet<&str> = scope.iter().filter(|s| s.visible).map(|s| s.cluster.as_str()).collect();
    let mut by_cluster: BTreeMap<&str, Vec<&AclBindingRow>> = BTreeMap::new();
    for b in bindings.iter().filter(|b| b.resource_type == "TOPIC") {
        by_cluster.entry(b.cluster.as_str()).or_default().push(b);
    }
    let mut access = Vec::new();
    let mut issues = Vec::new();
    for t in topics.iter().filter(|t| visible.contains(t.cluster.as_str())) {
        let applying: Vec<&AclBindingRow> = by_cluster
            .get(t.cluster.as_str())
            .map(|bs| bs.iter().copied().filter(|b| applies(b, &t.topic)).collect())
            .unwrap_or_default();
        let writers = grants(&applying, "WRITE");
        if !t.is_internal {
            issues.extend(writers.iter().filter_map(|g| issue(t, g)));
        }
        access.push(TopicAccess {
            cluster: t.cluster.clone(),
            topic: t.topic.clone(),
            owner: t.owner.clone(),
            readers: grants(&applying, "READ"),
            writers,
        });
    }
    Evaluated { coverage, access, issues }
}

/// The review a writer calls for, if any.
fn issue(t: &Topic, g: &Grant) -> Option<AccessIssue> {
    let (kind, reason) = if g.principal == EVERYONE {
        (AccessIssueKind::EveryoneWrites, format!("every principal may write `{}` ({})", t.topic, g.via.join("; ")))
    } else if g.principal_owner == UNOWNED {
        let reason = format!(
            "`{}` may write `{}` ({}) and no catalog `principal` rule owns it",
            g.principal,
            t.topic,
            g.via.join("; ")
        );
        (AccessIssueKind::UnownedWriter, reason)
    } else if g.principal_owner != t.owner {
        let reason = format!(
            "`{}` ({}) may write `{}`, owned by {} ({})",
            g.principal,
            g.principal_owner,
            t.topic,
            t.owner,
            g.via.join("; ")
        );
        (AccessIssueKind::ForeignWriter, reason)
    } else {
        return None;
    };
    Some(AccessIssue {
        cluster: t.cluster.clone(),
        topic: t.topic.clone(),
        topic_owner: t.owner.clone(),
        principal: g.principal.clone(),
        principal_owner: g.principal_owner.clone(),
        kind,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(name: &str, pattern: &str, principal: &str, op: &str, perm: &str, host: &str) -> AclBindingRow {
        let owner = if principal.contains("payments") { "payments" } else { UNOWNED };
        AclBindingRow {
            cluster: "c".into(),
            resource_type: "TOPIC".into(),
            resource_name: name.into(),
            pattern_type: pattern.into(),
            principal: principal.into(),
            principal_owner: owner.into(),
            principal_owner_rule: String::new(),
            host: host.into(),
            operation: op.into(),
            permission: perm.into(),
        }
    }

    fn principals(gs: &[Grant]) -> Vec<&str> {
        gs.iter().map(|g| g.principal.as_str()).collect()
    }

    /// Hand cases of Kafka's matching for the topic `payments.tx`.
    #[test]
    fn literal_prefixed_and_wildcard_bindings_with_deny_beating_allow_and_all_covering_both() {
        let all = [
            b("payments.", "PREFIXED", "User:svc-payments", "WRITE", "ALLOW", "*"),
            b("payments.tx", "LITERAL", "User:auditor", "ALL", "ALLOW", "*"),
            b("*", "LITERAL", "User:reader", "READ", "ALLOW", "*"),
            // Denied on any host: its ALLOW below counts for nothing.
            b("payments.tx", "LITERAL", "User:blocked", "WRITE", "ALLOW", "*"),
            b("payments.", "PREFIXED", "User:blocked", "ALL", "DENY", "*"),
            // A DENY limited to one host leaves the grant (from other hosts).
            b("payments.tx", "LITERAL", "User:laptop", "WRITE", "ALLOW", "10.0.0.9"),
            b("payments.tx", "LITERAL", "User:laptop", "WRITE", "DENY", "10.0.0.8"),
            // Another topic's literal, and a prefix that is not one of this name.
            b("payments.txs", "LITERAL", "User:other", "WRITE", "ALLOW", "*"),
            b("orders.", "PREFIXED", "User:other", "WRITE", "ALLOW", "*"),
        ];
        let applying: Vec<&AclBindingRow> = all.iter().filter(|x| applies(x, "payments.tx")).collect();
        let writers = grants(&applying, "WRITE");
        assert_eq!(principals(&writers), vec!["User:auditor", "User:laptop", "User:svc-payments"]);
        assert_eq!(writers[1].hosts, vec!["10.0.0.9"]);
        let readers = grants(&applying, "READ");
        assert_eq!(principals(&readers), vec!["User:auditor", "User:reader"]);
        // `User:*` denied WRITE on the topic takes every writer away.
        let mut denied = all.to_vec();
        denied.push(b("payments.tx", "LITERAL", EVERYONE, "WRITE", "DENY", "*"));
        let applying: Vec<&AclBindingRow> = denied.iter().filter(|x| applies(x, "payments.tx")).collect();
        assert!(grants(&applying, "WRITE").is_empty());
        assert_eq!(principals(&grants(&applying, "READ")), vec!["User:auditor", "User:reader"]);
    }
}
