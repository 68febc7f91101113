//! The native (Rust) host of the conformance vectors: the same files, the same verdicts as
//! the Python and Node hosts, with the core called directly instead of through WebAssembly.

mod classify;
mod invocation;
mod retry;
mod step;

use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// What a suite returns for one case: the outcome, or the host's validation error.
pub type Outcome = Result<Value, String>;

/// Runs one case's `input`.
type Suite = fn(&Map<String, Value>) -> Outcome;

fn suite(name: &str) -> Option<Suite> {
    match name {
        "classify" => Some(classify::run),
        "retry" => Some(retry::run),
        "step" => Some(step::run),
        "operation-id" => Some(step::run_operation_id),
        "invocation" => Some(invocation::run),
        _ => None,
    }
}

/// The case's `profile` (absent: the default), named in the error like every host names it.
pub fn profile(input: &Map<String, Value>) -> Result<durable_core::Profile, String> {
    match input.get("profile") {
        None => Ok(durable_core::Profile::default()),
        Some(Value::String(s)) => durable_core::Profile::from_name(s).map_err(|e| e.to_string()),
        Some(other) => Err(format!("profile: expected a string, got {other}")),
    }
}

/// Every `*.json` file in the directories, sorted per directory.
pub fn vector_files(dirs: &[String]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for dir in dirs {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

pub fn run_dirs(dirs: &[String]) -> std::io::Result<Value> {
    let files: Vec<Value> = vector_files(dirs)?.iter().map(|p| run_file(p)).collect();
    Ok(json!({"host": "rust", "files": files}))
}

pub fn run_file(path: &Path) -> Value {
    let mut passed = 0;
    let mut failures = Vec::new();
    let document: Result<Value, String> = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()));
    let suite_name = document
        .as_ref()
        .ok()
        .and_then(|d| d.get("suite"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let cases = document
        .as_ref()
        .ok()
        .and_then(|d| d.get("cases"))
        .and_then(Value::as_array);
    match (suite_name.as_deref().map(|s| (s, suite(s))), cases) {
        (Some((_, Some(run))), Some(cases)) => {
            for case in cases {
                match judge(run, case) {
                    None => passed += 1,
                    Some(actual) => failures.push(json!({
                        "name": case.get("name"),
                        "expected": case.get("expected"),
                        "actual": actual,
                    })),
                }
            }
        }
        (Some((name, None)), _) => {
            failures.push(json!({"name": format!("<unknown suite {name}>")}))
        }
        _ => failures.push(json!({
            "name": "<unreadable vector file>",
            "actual": document.err().unwrap_or_else(|| "missing suite or cases".to_string()),
        })),
    }
    json!({"file": path.display().to_string(), "suite": suite_name, "passed": passed, "failures": failures})
}

/// `value` with every `{{repeat:N:UNIT}}` (a run of N copies of a 1-8 character UNIT) written out.
pub fn expand(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(expand_text(s)),
        Value::Array(items) => Value::Array(items.iter().map(expand).collect()),
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), expand(v))).collect())
        }
        other => other.clone(),
    }
}

fn expand_text(text: &str) -> String {
    const OPEN: &str = "{{repeat:";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        let (before, marker) = rest.split_at(at);
        out.push_str(before);
        let body = &marker[OPEN.len()..];
        let parsed = body.find(':').and_then(|colon| {
            let count: usize = body[..colon].parse().ok()?;
            let unit_and_rest = &body[colon + 1..];
            // The unit is the shortest run of 1 to 8 characters followed by "}}".
            let end = unit_and_rest
                .char_indices()
                .skip(1)
                .map(|(i, _)| i)
                .chain(std::iter::once(unit_and_rest.len()))
                .take(8)
                .find(|&i| unit_and_rest[i..].starts_with("}}"))?;
            Some((count, &unit_and_rest[..end], &unit_and_rest[end + 2..]))
        });
        match parsed {
            Some((count, unit, after)) => {
                out.push_str(&unit.repeat(count));
                rest = after;
            }
            None => {
                out.push_str(OPEN);
                rest = body;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `None` when the case passes, else the actual outcome.
fn judge(run: Suite, case: &Value) -> Option<Value> {
    let case = &expand(case);
    let empty = Map::new();
    let input = case
        .get("input")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let expected = case.get("expected").and_then(Value::as_object)?;
    match (run(input), expected.get("error").and_then(Value::as_str)) {
        (Err(message), Some(word)) if message.contains(word) => None,
        (Err(message), _) => Some(json!({"error": message})),
        (Ok(actual), None) => {
            let matches = Value::Object(expected.clone()) == actual;
            (!matches).then_some(actual)
        }
        (Ok(actual), Some(_)) => Some(actual),
    }
}
