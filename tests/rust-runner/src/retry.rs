//! Suite `retry`: vector JSON onto the core's configuration, then one decision.

use crate::Outcome;
use durable_core::retry::{
    preset, Backoff, ConfigSpec, Failure, PatternSpec, PatternSyntax, Strategy,
};
use durable_core::Profile;
use serde_json::{json, Map, Value};

pub fn run(input: &Map<String, Value>) -> Outcome {
    let profile = match input.get("profile") {
        None => Profile::default(),
        Some(Value::String(s)) => Profile::from_name(s).map_err(|e| e.to_string())?,
        Some(other) => return Err(format!("profile: expected a string, got {other}")),
    };
    let spec = match (input.get("config"), input.get("preset")) {
        (Some(Value::Object(config)), None) => config_spec(config)?,
        (None, Some(Value::Object(p))) => {
            let name = p
                .get("name")
                .and_then(Value::as_str)
                .ok_or("preset: name missing")?;
            preset(name, profile, number(p, "interval_seconds")?).map_err(|e| e.to_string())?
        }
        (None, None) => ConfigSpec::default(),
        _ => return Err("config: give either config or preset, as an object".into()),
    };
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
    let decision = strategy
        .decide(&Failure {
            attempts_made: number(input, "attempts_made")?.ok_or("attempts-made: missing")?,
            random: number(input, "random")?.unwrap_or(0.0),
            message: input.get("message").and_then(Value::as_str).unwrap_or(""),
            error_types: &error_types,
        })
        .map_err(|e| e.to_string())?;
    Ok(json!({"outcome": decision.outcome.id(), "delay_seconds": decision.delay_seconds}))
}

fn config_spec(c: &Map<String, Value>) -> Result<ConfigSpec, String> {
    let backoff = match c.get("backoff").and_then(Value::as_str) {
        None | Some("exponential") => Backoff::Exponential,
        Some("linear") => Backoff::Linear,
        Some(other) => return Err(format!("backoff: unknown backoff {other:?}")),
    };
    Ok(ConfigSpec {
        backoff,
        max_attempts: number(c, "max_attempts")?,
        initial_delay_seconds: number(c, "initial_delay_seconds")?,
        max_delay_seconds: number(c, "max_delay_seconds")?,
        backoff_rate: number(c, "backoff_rate")?,
        increment_seconds: number(c, "increment_seconds")?,
        jitter: match c.get("jitter") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => return Err(format!("jitter: expected a string, got {other}")),
        },
        retryable_errors: match c.get("retryable_errors") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(items.iter().map(pattern).collect::<Result<_, _>>()?),
            Some(other) => return Err(format!("retryable-errors: expected a list, got {other}")),
        },
        retryable_error_types: match c.get("retryable_error_types") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|t| {
                        t.as_str()
                            .map(str::to_string)
                            .ok_or(format!("retryable-error-types: expected strings, got {t}"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Some(other) => {
                return Err(format!(
                    "retryable-error-types: expected a list, got {other}"
                ))
            }
        },
    })
}

fn pattern(p: &Value) -> Result<PatternSpec, String> {
    let text = |key: &str| p.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let syntax = match p.get("syntax").and_then(Value::as_str) {
        Some("substring") => PatternSyntax::Substring,
        Some("python-regex") => PatternSyntax::PythonRegex,
        Some("js-regex") => PatternSyntax::JsRegex,
        other => return Err(format!("retryable-errors: unknown syntax {other:?}")),
    };
    Ok(PatternSpec {
        syntax,
        source: text("source"),
        flags: text("flags"),
    })
}

/// A JSON number or null/absent; anything else names the field.
fn number(map: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .map(Some)
            .ok_or(format!("{}: not a number", key.replace('_', "-"))),
        Some(other) => Err(format!(
            "{}: expected a number, got {other}",
            key.replace('_', "-")
        )),
    }
}
