//! Suite `retry`: the vector's configuration is read by the core's own JSON reader (the same
//! one the step interface uses), then one decision.

use crate::Outcome;
use durable_core::json::{self, Json};
use durable_core::retry::{json::spec_from_json, Failure, Strategy};
use serde_json::{json, Map, Value};

pub fn run(input: &Map<String, Value>) -> Outcome {
    let profile = crate::profile(input)?;
    let text = Value::Object(input.clone()).to_string();
    let core_input = json::parse("input", &text).map_err(|e| e.to_string())?;
    let spec = spec_from_json(&core_input, profile).map_err(|e| e.to_string())?;
    let strategy = Strategy::new(&spec, profile).map_err(|e| e.to_string())?;
    let error_types: Vec<&str> = match input.get("error_types") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| {
                t.as_str()
                    .ok_or(format!("error_types: expected strings, got {t}"))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("error_types: expected a list, got {other}")),
    };
    let number = |key: &str| match core_input.field(key) {
        None => Ok(None),
        Some(Json::Number(n)) => Ok(Some(*n)),
        Some(_) => Err(format!("{}: expected a number", key.replace('_', "-"))),
    };
    let decision = strategy
        .decide(&Failure {
            attempts_made: number("attempts_made")?.ok_or("attempts-made: missing")?,
            random: number("random")?.unwrap_or(0.0),
            message: input.get("message").and_then(Value::as_str).unwrap_or(""),
            error_types: &error_types,
        })
        .map_err(|e| e.to_string())?;
    Ok(json!({"outcome": decision.outcome.id(), "delay_seconds": decision.delay_seconds}))
}
