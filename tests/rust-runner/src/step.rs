//! Suites `step` and `operation-id`: the vectors already speak the core's JSON contract, so the
//! request goes to the core as written and the response is compared as the vector states it.

use crate::Outcome;
use durable_core::step::{api, ids};
use serde_json::{json, Map, Value};

pub fn run(input: &Map<String, Value>) -> Outcome {
    let request = input.get("request").ok_or("request: missing")?;
    // A string request is passed verbatim (malformed-JSON cases); an object is serialized.
    let text = match request {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let none = |_: u32| None;
    let response = match input.get("phase").and_then(Value::as_str) {
        Some("begin") => api::begin_json(&text, &none),
        Some("complete") => api::complete_json(&text, &none),
        other => return Err(format!("phase: expected begin or complete, got {other:?}")),
    };
    let response: Value =
        serde_json::from_str(&response).map_err(|e| format!("core answered with bad JSON: {e}"))?;
    match response.get("error") {
        Some(error) => Err(format!(
            "{}: {} (got {})",
            error["field"].as_str().unwrap_or(""),
            error["message"].as_str().unwrap_or(""),
            error["value"].as_str().unwrap_or("")
        )),
        None => Ok(response),
    }
}

pub fn run_operation_id(input: &Map<String, Value>) -> Outcome {
    let profile = crate::profile(input)?;
    let parent = match input.get("parent") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => return Err(format!("parent: expected a string or null, got {other}")),
    };
    let counter = input
        .get("counter")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or("counter: expected a whole number")?;
    let derived = ids::operation_id(profile, parent, counter).map_err(|e| e.to_string())?;
    Ok(json!({"step_id": derived.step_id, "id": derived.id}))
}
