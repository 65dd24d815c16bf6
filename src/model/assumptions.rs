//! What the model reads from its assumptions (`settings::Assumptions`, parsed by the config): which client rule
//! applies to a group or to producers, and where clients run by precedence.

pub use crate::settings::{Assumptions, ClientRule, WalKind};

use crate::model::zones::{ClientZones, Clients, ZoneSource};

impl ClientRule {
    fn group_matches(&self, group_id: &str) -> bool {
        match self.group.as_deref() {
            None => true,
            Some(p) => match p.strip_suffix('*') {
                Some(prefix) => group_id.starts_with(prefix),
                None => p == group_id,
            },
        }
    }

    fn owner_matches(&self, owner: &str) -> bool {
        self.owner.as_deref().is_none_or(|o| o == owner)
    }
}

impl Assumptions {
    /// The rule for a consumer group (owned by `owner`), if any.
    pub fn group_rule(&self, group_id: &str, owner: &str) -> Option<&ClientRule> {
        self.clients.iter().find(|r| r.owner_matches(owner) && r.group_matches(group_id))
    }

    /// The rule for producers to a topic owned by `owner`: the first rule for the owner that names no group.
    pub fn producer_rule(&self, owner: &str) -> Option<&ClientRule> {
        self.clients.iter().find(|r| r.group.is_none() && r.owner_matches(owner))
    }

    /// Where clients run, by precedence: the rule's zones, then what the cluster measured (`client.rack`), then
    /// `[model] client_zones`, then evenly over the brokers' zones.
    pub fn clients(&self, rule: Option<&ClientRule>, measured: Option<ClientZones>) -> Clients {
        if let Some(z) = rule.and_then(|r| r.zones.clone()) {
            return Clients { zones: Some(z), source: ZoneSource::Configured };
        }
        if let Some(z) = measured {
            return Clients { zones: Some(z), source: ZoneSource::Measured };
        }
        match self.client_zones {
            Some(n) => Clients { zones: Some(ClientZones::Spread(n)), source: ZoneSource::Configured },
            None => Clients::default(),
        }
    }
}
