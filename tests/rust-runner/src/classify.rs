//! Suite `classify`: the host-side validation every host performs, then the core's rule.

use crate::Outcome;
use durable_core::classify::{classify_report, Api, ApiFailure, Category, Report};
use serde_json::{json, Map, Value};

pub fn run(input: &Map<String, Value>) -> Outcome {
    let api = match input.get("api") {
        None => Api::Checkpoint,
        Some(Value::String(s)) if s == "checkpoint" => Api::Checkpoint,
        Some(Value::String(s)) if s == "get-state" => Api::GetState,
        Some(other) => {
            return Err(format!(
                "api: expected checkpoint or get-state, got {other}"
            ))
        }
    };
    // Release names and family aliases alike: the release decides the classification rules.
    let release = match input.get("profile") {
        None => durable_core::Profile::default().release(),
        Some(Value::String(s)) => durable_core::profile::release(s).map_err(|e| e.to_string())?,
        Some(other) => return Err(format!("profile: expected a string, got {other}")),
    };
    // A status that is not an integer 0..65535 goes to the core as text, as the hosts send it.
    let number_text;
    let (status, status_text) = match input.get("status") {
        None | Some(Value::Null) => (None, None),
        Some(Value::Number(n)) => match n.as_u64().and_then(|s| u16::try_from(s).ok()) {
            Some(s) => (Some(s), None),
            None => {
                number_text = n.to_string();
                (None, Some(number_text.as_str()))
            }
        },
        Some(Value::String(s)) => (None, Some(s.as_str())),
        Some(other) => {
            return Err(format!(
                "status: expected a number, a string or null, got {other}"
            ))
        }
    };
    let stated_scope = match input.get("stated_scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "INVOCATION" => Some(Category::Invocation),
        Some(Value::String(s)) if s == "EXECUTION" => Some(Category::Execution),
        Some(other) => {
            return Err(format!(
                "stated_scope: expected INVOCATION, EXECUTION or null, got {other}"
            ))
        }
    };
    let wrapped = match input.get("wrapped") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(format!("wrapped: expected a boolean, got {other}")),
    };
    let code = optional_text(input, "code")?;
    let message = optional_text(input, "message")?;
    let report = Report {
        failure: ApiFailure {
            api,
            status,
            code,
            message,
        },
        status_text,
        stated_scope,
        wrapped,
    };
    let rule = classify_report(&report, &release.classify);
    let category = match rule.category() {
        Category::Invocation => "INVOCATION",
        Category::Execution => "EXECUTION",
    };
    Ok(json!({"category": category, "retryable": category == "INVOCATION", "rule": rule.id()}))
}

fn optional_text<'a>(
    input: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, String> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("{field}: expected a string or null, got {other}")),
    }
}
