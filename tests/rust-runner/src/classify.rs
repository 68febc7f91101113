//! Suite `classify`: the host-side validation every host performs, then the core's rule.

use crate::Outcome;
use durable_core::classify::{classify, Api, ApiFailure};
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
    let profile = crate::profile(input)?;
    let status = match input.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64().and_then(|s| u16::try_from(s).ok()) {
            Some(s) => Some(s),
            None => return Err(format!("status: expected an integer 0..65535, got {n}")),
        },
        Some(other) => return Err(format!("status: expected an integer or null, got {other}")),
    };
    let code = optional_text(input, "code")?;
    let message = optional_text(input, "message")?;
    let rule = classify(
        &ApiFailure {
            api,
            status,
            code,
            message,
        },
        profile,
    );
    let category = match rule.category() {
        durable_core::classify::Category::Invocation => "INVOCATION",
        durable_core::classify::Category::Execution => "EXECUTION",
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
