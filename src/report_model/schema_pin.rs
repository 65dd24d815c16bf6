//! `model.json`'s JSON schema, pinned per model version in `docs/model-schema/v<N>.json`.
//!
//! The schema is derived from the report model's types (schemars, test-only). A change in its shape (a field
//! added, removed, renamed or retyped; an enum's words) against the pinned file of the current [`MODEL_VERSION`]
//! fails, and no update flag rewrites it: bump the version, which readers of `model.json` (and `render --from`)
//! see, and pin the new version's file. A change of descriptions only (doc comments) is rewritten by
//! `KAFKA_FINOPS_UPDATE_GOLDEN=1 cargo test --lib schema_pin`. Earlier versions' files stay, for readers
//! validating older runs.

use std::path::PathBuf;

use serde_json::Value;

use super::{MODEL_VERSION, ReportModel};

const UPDATE: &str = "KAFKA_FINOPS_UPDATE_GOLDEN";

fn pinned_path(version: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("docs/model-schema/v{version}.json"))
}

fn current_schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(ReportModel)).unwrap();
    schema["$id"] = Value::String(format!("kafka-finops/model/v{MODEL_VERSION}"));
    schema
}

/// The schema without its descriptions: what a reader of the JSON would notice.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            map.iter().filter(|(k, _)| k.as_str() != "description").map(|(k, v)| (k.clone(), shape(v))).collect()
        }
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        other => other.clone(),
    }
}

/// JSON pointers where `a` and `b` differ, at most `limit`.
fn differences(a: &Value, b: &Value, at: &str, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (l, r) = (x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null));
                differences(l, r, &format!("{at}/{k}"), out, limit);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                differences(l, r, &format!("{at}/{i}"), out, limit);
            }
        }
        _ => out.push(format!("{at}: pinned {a}, now {b}")),
    }
}

/// What the pin says of a schema against the pinned one.
#[derive(Debug, PartialEq)]
enum Pin {
    Same,
    /// Only descriptions moved: rewrite the file, same version.
    Reworded,
    /// A reader would notice: the JSON pointers that differ.
    Reshaped(Vec<String>),
}

fn judge(pinned: &Value, now: &Value) -> Pin {
    if pinned == now {
        return Pin::Same;
    }
    if shape(pinned) == shape(now) {
        return Pin::Reworded;
    }
    let mut diffs = Vec::new();
    differences(&shape(pinned), &shape(now), "", &mut diffs, 20);
    Pin::Reshaped(diffs)
}

#[test]
fn model_json_keeps_the_shape_pinned_for_its_version() {
    let path = pinned_path(MODEL_VERSION);
    let now = current_schema();
    let text = serde_json::to_string_pretty(&now).unwrap() + "\n";
    let update = std::env::var_os(UPDATE).is_some();
    let Ok(pinned) = std::fs::read_to_string(&path) else {
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            return;
        }
        panic!("no schema pinned for model version {MODEL_VERSION}: write {} with {UPDATE}=1", path.display());
    };
    let pinned: Value = serde_json::from_str(&pinned).unwrap();
    match judge(&pinned, &now) {
        Pin::Same => {}
        Pin::Reworded if update => std::fs::write(&path, text).unwrap(),
        Pin::Reworded => {
            panic!("model.json's descriptions changed (its shape did not): rewrite {} with {UPDATE}=1", path.display())
        }
        Pin::Reshaped(diffs) => panic!(
            "model.json's shape changed against the schema pinned for version {MODEL_VERSION} ({}):\n{}\n\
             Readers of model.json would notice: bump MODEL_VERSION to {} and pin it with {UPDATE}=1, or undo \
             the change. (The update flag never rewrites a version's shape.)",
            path.display(),
            diffs.join("\n"),
            MODEL_VERSION + 1
        ),
    }
}

#[test]
fn a_renamed_field_or_a_new_word_fails_the_pin_and_a_reworded_comment_does_not() {
    let pinned = current_schema();
    let defs = |v: &mut Value| v["$defs"].as_object_mut().unwrap().clone();
    assert!(defs(&mut pinned.clone()).contains_key("TopicReport"), "the schema names its types");

    // A field renamed, as a rename in `TopicReport` would make it.
    let mut renamed = pinned.clone();
    let props = renamed["$defs"]["TopicReport"]["properties"].as_object_mut().unwrap();
    let moved = props.remove("retained_bytes").unwrap();
    props.insert("retained_size".into(), moved);
    let Pin::Reshaped(diffs) = judge(&pinned, &renamed) else { panic!("a renamed field must reshape the schema") };
    assert!(diffs.iter().any(|d| d.starts_with("/$defs/TopicReport/properties/retained_bytes:")), "{diffs:?}");

    // A new word in an enum (a placement added to `Scenario`).
    let mut worded = pinned.clone();
    let text = serde_json::to_string(&worded["$defs"]["Scenario"]).unwrap().replace("shared_storage", "diskless");
    worded["$defs"]["Scenario"] = serde_json::from_str(&text).unwrap();
    assert!(matches!(judge(&pinned, &worded), Pin::Reshaped(_)));

    // A doc comment reworded: the shape holds, only the descriptions move.
    let mut reworded = pinned.clone();
    reworded["$defs"]["TopicReport"]["description"] = Value::String("said another way".into());
    assert_eq!(judge(&pinned, &reworded), Pin::Reworded);
    assert_eq!(judge(&pinned, &pinned), Pin::Same);
}
