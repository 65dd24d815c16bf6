//! The ownership catalog: who owns which topic, consumer group and service principal, and who to escalate to.
//!
//! Rules match a name by `exact` name, `prefix` or `regex` (anchored: it must match the whole name). Precedence,
//! most specific first: exact > longest prefix > regex. Two rules of equal precedence that match the same name and
//! name different owners are a tie, and a tie is an error (statically for identical exact names and prefixes, at
//! match time for regexes). A name no rule matches belongs to the reserved owner [`UNOWNED`]. Pure: no I/O beyond
//! reading the catalog file through [`InputFiles`].

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::files::{InputFiles, line_of};
use crate::problem::{Problem, Problems};

/// The owner every unmatched name falls to. Shown in every report, never dropped.
pub const UNOWNED: &str = "unowned";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    owners: BTreeMap<String, Spanned<OwnerFile>>,
    #[serde(default)]
    rules: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnerFile {
    team: String,
    cost_center: String,
    escalation: String,
    channel: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    owner: Spanned<String>,
    kind: Spanned<String>,
    exact: Option<Spanned<String>>,
    prefix: Option<Spanned<String>>,
    regex: Option<Spanned<String>>,
}

/// A declared owner and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub owner: String,
    pub team: String,
    pub cost_center: String,
    pub escalation: String,
    pub channel: Option<String>,
}

/// What kind of name a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    Topic,
    ConsumerGroup,
    Principal,
    /// A cost-allocation tag value on the bill (the `owner_tag_keys` of the AWS sources).
    Tag,
}

impl NameKind {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "topic" => Some(NameKind::Topic),
            "consumer_group" => Some(NameKind::ConsumerGroup),
            "principal" => Some(NameKind::Principal),
            "tag" => Some(NameKind::Tag),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Topic => "topic",
            NameKind::ConsumerGroup => "consumer_group",
            NameKind::Principal => "principal",
            NameKind::Tag => "tag",
        }
    }
}

#[derive(Debug, Clone)]
enum Pattern {
    Exact(String),
    Prefix(String),
    Regex(Regex),
}

impl Pattern {
    fn matches(&self, name: &str) -> bool {
        match self {
            Pattern::Exact(e) => e == name,
            Pattern::Prefix(p) => name.starts_with(p.as_str()),
            Pattern::Regex(r) => r.is_match(name),
        }
    }
    /// Whether any of `sorted` (sorted, deduplicated) matches: by binary search for an exact name or a prefix, by a
    /// scan for a regex.
    fn matches_any(&self, sorted: &[&str]) -> bool {
        match self {
            Pattern::Exact(e) => sorted.binary_search(&e.as_str()).is_ok(),
            Pattern::Prefix(p) => {
                let first = sorted.partition_point(|n| *n < p.as_str());
                sorted.get(first).is_some_and(|n| n.starts_with(p.as_str()))
            }
            Pattern::Regex(r) => sorted.iter().any(|n| r.is_match(n)),
        }
    }

    /// Higher is more specific: exact beats any prefix, a longer prefix beats a shorter one, regexes rank last.
    fn specificity(&self) -> (u8, usize) {
        match self {
            Pattern::Exact(_) => (2, 0),
            Pattern::Prefix(p) => (1, p.len()),
            Pattern::Regex(_) => (0, 0),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Exact(e) => write!(f, "exact `{e}`"),
            Pattern::Prefix(p) => write!(f, "prefix `{p}`"),
            Pattern::Regex(r) => write!(f, "regex `{}`", r.as_str().trim_start_matches("^(?:").trim_end_matches(")$")),
        }
    }
}

#[derive(Debug, Clone)]
struct Rule {
    owner: String,
    kind: NameKind,
    pattern: Pattern,
    line: usize,
}

/// A validated catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// How the catalog file is named in messages.
    pub path: String,
    owners: Vec<Owner>,
    rules: Vec<Rule>,
}

/// Which owner a name resolved to, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub owner: String,
    /// The rule that decided, e.g. `catalog.toml:14 prefix `payments.``; `no rule matched` for [`UNOWNED`].
    pub rule: String,
}

impl Catalog {
    /// Declared owners, sorted by id, followed by [`UNOWNED`].
    pub fn owners(&self) -> Vec<Owner> {
        let mut owners = self.owners.clone();
        owners.push(Owner {
            owner: UNOWNED.into(),
            team: "(no owner declared)".into(),
            cost_center: String::new(),
            escalation: String::new(),
            channel: None,
        });
        owners
    }

    /// Each rule that matches none of the names of its kind, for the kinds whose names are given (`names` returns
    /// None for a kind not collected: its rules cannot be judged). Line, and the rule as `kind pattern → owner`.
    pub fn unmatched_rules<'a>(&self, names: impl Fn(NameKind) -> Option<Vec<&'a str>>) -> Vec<(usize, String)> {
        // Each kind's names once (deduplicated: a group's id comes once per partition it commits on).
        let mut by_kind: std::collections::BTreeMap<NameKind, Option<Vec<&'a str>>> = Default::default();
        for r in &self.rules {
            by_kind.entry(r.kind).or_insert_with(|| {
                names(r.kind).map(|mut all| {
                    all.sort_unstable();
                    all.dedup();
                    all
                })
            });
        }
        self.rules
            .iter()
            .filter(|r| by_kind[&r.kind].as_ref().is_some_and(|all| !r.pattern.matches_any(all)))
            .map(|r| (r.line, format!("`{}` rule {} → `{}`", r.kind.as_str(), r.pattern, r.owner)))
            .collect()
    }

    /// The owner of `name`, by the most specific matching rule. A tie between equally specific rules naming
    /// different owners is an error naming both rules.
    pub fn resolve(&self, kind: NameKind, name: &str) -> Result<Resolution, Problem> {
        let mut best: Option<&Rule> = None;
        for rule in self.rules.iter().filter(|r| r.kind == kind && r.pattern.matches(name)) {
            match best {
                None => best = Some(rule),
                Some(b) if rule.pattern.specificity() > b.pattern.specificity() => best = Some(rule),
                Some(b) if rule.pattern.specificity() == b.pattern.specificity() && rule.owner != b.owner => {
                    return Err(Problem::new(
                        &self.path,
                        Some(rule.line),
                        Some("rules"),
                        format!(
                            "{} `{name}` is matched by two rules of equal precedence: line {} ({} → `{}`) and line {} \
                             ({} → `{}`); make one of them more specific",
                            kind.as_str(),
                            b.line,
                            b.pattern,
                            b.owner,
                            rule.line,
                            rule.pattern,
                            rule.owner
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(match best {
            Some(rule) => {
                Resolution { owner: rule.owner.clone(), rule: format!("{}:{} {}", self.path, rule.line, rule.pattern) }
            }
            None => Resolution { owner: UNOWNED.into(), rule: "no rule matched".into() },
        })
    }
}

/// Reads and validates a catalog file, reporting every problem at once.
pub fn load(files: &InputFiles, name: &str) -> Result<Catalog, Problems> {
    let path = files.display(name);
    let text = files.read(name).map_err(|e| Problems(vec![Problem::new(&path, None, None, e.reason)]))?;
    parse(&path, &text)
}

/// Validates catalog text; `path` is used in messages only.
pub fn parse(path: &str, text: &str) -> Result<Catalog, Problems> {
    let raw: CatalogFile =
        toml::from_str(text).map_err(|e| Problems(vec![crate::files::toml_problem(path, text, &e)]))?;
    let mut problems = Vec::new();
    let owners = owners(&raw, path, text, &mut problems);
    let rules = rules(&raw, path, text, &mut problems);
    if problems.is_empty() { Ok(Catalog { path: path.to_string(), owners, rules }) } else { Err(Problems(problems)) }
}

/// The `[owners.*]` tables: each with a team, a cost center and an escalation contact; `unowned` is reserved.
fn owners(raw: &CatalogFile, path: &str, text: &str, problems: &mut Vec<Problem>) -> Vec<Owner> {
    let line = |span: std::ops::Range<usize>| line_of(text, span.start);
    let mut owners = Vec::new();
    for (id, spanned) in &raw.owners {
        let o = spanned.get_ref();
        let at = Some(line(spanned.span()));
        if id == UNOWNED {
            problems.push(Problem::new(
                path,
                at,
                Some(&format!("owners.{id}")),
                format!("`{UNOWNED}` is reserved for names no rule matches; pick another owner id"),
            ));
        }
        for (field, value) in [("team", &o.team), ("cost_center", &o.cost_center), ("escalation", &o.escalation)] {
            if value.trim().is_empty() {
                problems.push(Problem::new(
                    path,
                    at,
                    Some(&format!("owners.{id}.{field}")),
                    "expected a non-empty value",
                ));
            }
        }
        owners.push(Owner {
            owner: id.clone(),
            team: o.team.clone(),
            cost_center: o.cost_center.clone(),
            escalation: o.escalation.clone(),
            channel: o.channel.clone(),
        });
    }

    owners
}

/// The `[[rules]]`: a declared owner, a known kind, one pattern, and no rule tying with another for a name.
fn rules(raw: &CatalogFile, path: &str, text: &str, problems: &mut Vec<Problem>) -> Vec<Rule> {
    let line = |span: std::ops::Range<usize>| line_of(text, span.start);
    let mut rules: Vec<Rule> = Vec::new();
    for (i, r) in raw.rules.iter().enumerate() {
        let field = |f: &str| format!("rules[{i}].{f}");
        let rule_line = line(r.owner.span());
        if !raw.owners.contains_key(r.owner.get_ref()) {
            problems.push(Problem::new(
                path,
                Some(rule_line),
                Some(&field("owner")),
                format!(
                    "owner `{}` is not declared; declare it under [owners.{}] or use one of: {}",
                    r.owner.get_ref(),
                    r.owner.get_ref(),
                    raw.owners.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let kind = NameKind::parse(r.kind.get_ref());
        if kind.is_none() {
            problems.push(Problem::new(
                path,
                Some(line(r.kind.span())),
                Some(&field("kind")),
                format!(
                    "unknown kind `{}`; expected `topic`, `consumer_group`, `principal` or `tag`",
                    r.kind.get_ref()
                ),
            ));
        }
        let pattern = pattern(r, i, path, text, problems);
        if let (Some(kind), Some(pattern)) = (kind, pattern) {
            let rule = Rule { owner: r.owner.get_ref().clone(), kind, pattern, line: rule_line };
            if let Some(other) = rules.iter().find(|o| static_tie(o, &rule)) {
                problems.push(Problem::new(
                    path,
                    Some(rule.line),
                    Some(&format!("rules[{i}]")),
                    format!(
                        "ties with the rule at line {}: both are {} for {}s but name different owners (`{}` and \
                         `{}`); keep one",
                        other.line,
                        rule.pattern,
                        kind.as_str(),
                        other.owner,
                        rule.owner
                    ),
                ));
            }
            rules.push(rule);
        }
    }

    rules
}

/// A rule's one pattern: `exact`, a non-empty `prefix`, or a `regex` that compiles (anchored at both ends).
fn pattern(r: &RuleFile, i: usize, path: &str, text: &str, problems: &mut Vec<Problem>) -> Option<Pattern> {
    let line = |span: std::ops::Range<usize>| line_of(text, span.start);
    let field = |f: &str| format!("rules[{i}].{f}");
    let rule_line = line(r.owner.span());
    let given: Vec<(&str, &Spanned<String>)> = [("exact", &r.exact), ("prefix", &r.prefix), ("regex", &r.regex)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
    match given.as_slice() {
        [("exact", v)] => Some(Pattern::Exact(v.get_ref().clone())),
        [("prefix", v)] if v.get_ref().is_empty() => {
            problems.push(Problem::new(
                path,
                Some(line(v.span())),
                Some(&field("prefix")),
                "expected a non-empty prefix",
            ));
            None
        }
        [("prefix", v)] => Some(Pattern::Prefix(v.get_ref().clone())),
        [("regex", v)] => match Regex::new(&format!("^(?:{})$", v.get_ref())) {
            Ok(re) => Some(Pattern::Regex(re)),
            Err(e) => {
                let reason = e.to_string().lines().last().unwrap_or_default().trim().to_string();
                problems.push(Problem::new(
                    path,
                    Some(line(v.span())),
                    Some(&field("regex")),
                    format!("invalid regex `{}`: {reason}", v.get_ref()),
                ));
                None
            }
        },
        _ => {
            problems.push(Problem::new(
                path,
                Some(rule_line),
                Some(&format!("rules[{i}]")),
                "expected exactly one of `exact`, `prefix` or `regex`",
            ));
            None
        }
    }
}

/// Two rules that would tie on every name they match: same kind, same exact name or same prefix, different owners.
fn static_tie(a: &Rule, b: &Rule) -> bool {
    a.kind == b.kind
        && a.owner != b.owner
        && match (&a.pattern, &b.pattern) {
            (Pattern::Exact(x), Pattern::Exact(y)) | (Pattern::Prefix(x), Pattern::Prefix(y)) => x == y,
            (Pattern::Regex(x), Pattern::Regex(y)) => x.as_str() == y.as_str(),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_rule_is_judged_against_sorted_names_as_a_scan_would() {
        let names = ["billing.invoices", "pay.tx", "pay.tx.dlq", "search.idx"];
        let cases = [
            (Pattern::Exact("pay.tx".into()), true),
            (Pattern::Exact("pay".into()), false),
            (Pattern::Prefix("pay.".into()), true),
            (Pattern::Prefix("paymnets.".into()), false),
            (Pattern::Prefix("search.idx".into()), true),
            (Pattern::Prefix("zzz".into()), false),
            (Pattern::Regex(Regex::new("^(?:.*dlq)$").unwrap()), true),
        ];
        for (pattern, want) in cases {
            assert_eq!(pattern.matches_any(&names), want, "{pattern}");
            assert_eq!(names.iter().any(|n| pattern.matches(n)), want, "{pattern}: the scan agrees");
        }
    }

    #[test]
    fn the_demo_catalogs_header_names_every_rule_kind() {
        let header: String = include_str!("../fixtures/demo/catalog.toml")
            .lines()
            .take_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        for kind in [NameKind::Topic, NameKind::ConsumerGroup, NameKind::Principal, NameKind::Tag] {
            // Each kind the parser takes, so a new one fails here until the header names it.
            assert_eq!(NameKind::parse(kind.as_str()), Some(kind));
            assert!(header.contains(&format!("`{}`", kind.as_str())), "the header omits `{}`", kind.as_str());
        }
    }

    use super::*;

    const OWNERS: &str = r#"
[owners.payments]
team = "Payments"
cost_center = "CC-1"
escalation = "pay@example.com"

[owners.ledger]
team = "Ledger"
cost_center = "CC-2"
escalation = "ledger@example.com"
"#;

    fn catalog(rules: &str) -> Result<Catalog, Problems> {
        parse("catalog.toml", &format!("{OWNERS}\n{rules}"))
    }

    fn owner_of(c: &Catalog, topic: &str) -> String {
        c.resolve(NameKind::Topic, topic).unwrap().owner
    }

    #[test]
    fn exact_beats_prefix_and_longer_prefix_beats_shorter() {
        let c = catalog(
            r#"
[[rules]]
owner = "payments"
kind = "topic"
prefix = "payments."

[[rules]]
owner = "ledger"
kind = "topic"
prefix = "payments.ledger."

[[rules]]
owner = "payments"
kind = "topic"
exact = "payments.ledger.audit"

[[rules]]
owner = "ledger"
kind = "topic"
regex = "payments\\..*"
"#,
        )
        .unwrap();
        assert_eq!(owner_of(&c, "payments.cards"), "payments");
        assert_eq!(owner_of(&c, "payments.ledger.entries"), "ledger");
        assert_eq!(owner_of(&c, "payments.ledger.audit"), "payments");
        assert_eq!(owner_of(&c, "orders.v1"), UNOWNED);
        let r = c.resolve(NameKind::Topic, "payments.cards").unwrap();
        assert_eq!(r.rule, "catalog.toml:14 prefix `payments.`");
    }

    #[test]
    fn rules_only_apply_to_their_kind() {
        let c = catalog("[[rules]]\nowner = \"payments\"\nkind = \"consumer_group\"\nprefix = \"pay-\"\n").unwrap();
        assert_eq!(c.resolve(NameKind::ConsumerGroup, "pay-ledger").unwrap().owner, "payments");
        assert_eq!(c.resolve(NameKind::Topic, "pay-ledger").unwrap().owner, UNOWNED);
    }

    #[test]
    fn regex_must_match_the_whole_name() {
        let c = catalog("[[rules]]\nowner = \"ledger\"\nkind = \"topic\"\nregex = \"ledger\"\n").unwrap();
        assert_eq!(owner_of(&c, "ledger"), "ledger");
        assert_eq!(owner_of(&c, "old-ledger-v2"), UNOWNED);
    }

    #[test]
    fn two_regexes_matching_one_name_for_different_owners_is_an_error() {
        let c = catalog(
            "[[rules]]\nowner = \"ledger\"\nkind = \"topic\"\nregex = \"a.*\"\n\n\
             [[rules]]\nowner = \"payments\"\nkind = \"topic\"\nregex = \".*z\"\n",
        )
        .unwrap();
        assert_eq!(owner_of(&c, "abc"), "ledger");
        let err = c.resolve(NameKind::Topic, "abz").unwrap_err();
        assert_eq!(err.line, Some(18));
        assert!(err.message.contains("line 13"), "{}", err.message);
    }

    #[test]
    fn identical_prefixes_for_different_owners_tie_at_load() {
        let err = catalog(
            "[[rules]]\nowner = \"ledger\"\nkind = \"topic\"\nprefix = \"p.\"\n\n\
             [[rules]]\nowner = \"payments\"\nkind = \"topic\"\nprefix = \"p.\"\n",
        )
        .unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].line, Some(18));
        assert!(err.0[0].message.contains("line 13"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = catalog(
            "[[rules]]\nowner = \"nobody\"\nkind = \"topic\"\nexact = \"x\"\n\n\
             [[rules]]\nowner = \"ledger\"\nkind = \"topic\"\nregex = \"(unclosed\"\n\n\
             [[rules]]\nowner = \"ledger\"\nkind = \"queue\"\nprefix = \"q\"\n",
        )
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|p| p.field.clone().unwrap()).collect();
        assert_eq!(fields, ["rules[0].owner", "rules[1].regex", "rules[2].kind"]);
        assert_eq!(err.0[1].line, Some(20));
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_line() {
        let err = catalog("[[rules]]\nowner = \"ledger\"\nkind = \"topic\"\nexact = \"x\"\nowner_team = \"y\"\n")
            .unwrap_err();
        assert_eq!(err.0[0].line, Some(16));
        assert!(err.0[0].message.contains("owner_team"), "{}", err.0[0].message);
    }
}
