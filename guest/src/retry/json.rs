//! Strategy configurations written as JSON, in the conformance vectors' words (tests/README.md):
//! `{"backoff", "max_attempts", "initial_delay_seconds", ...}` or `{"preset": {"name", "interval_seconds"}}`.

use super::{preset, Backoff, ConfigSpec, PatternSpec, PatternSyntax};
use crate::error::CoreError;
use crate::json::Json;
use crate::profile::Profile;

/// `{"config": {...}}`, `{"preset": {...}}`, or neither (the backoff's defaults).
pub fn spec_from_json(json: &Json, profile: Profile) -> Result<ConfigSpec, CoreError> {
    match (json.field("config"), json.field("preset")) {
        (Some(config), None) => config_from_json(config),
        (None, Some(p)) => {
            let name = match p.field("name") {
                Some(Json::String(s)) => s.as_ref(),
                _ => {
                    return Err(CoreError::invalid(
                        "preset",
                        "(no name)",
                        "a preset needs a name",
                    ))
                }
            };
            preset(name, profile, number(p, "interval_seconds")?)
        }
        (None, None) => Ok(ConfigSpec::default()),
        (Some(_), Some(_)) => Err(CoreError::invalid(
            "config",
            "config and preset",
            "give a config or a preset, not both",
        )),
    }
}

pub fn config_from_json(c: &Json) -> Result<ConfigSpec, CoreError> {
    if !matches!(c, Json::Object(_)) {
        return Err(CoreError::invalid(
            "config",
            c.type_name(),
            "expected an object",
        ));
    }
    let backoff = match c.field("backoff") {
        None => Backoff::Exponential,
        Some(Json::String(s)) if s == "exponential" => Backoff::Exponential,
        Some(Json::String(s)) if s == "linear" => Backoff::Linear,
        Some(other) => {
            return Err(CoreError::invalid(
                "backoff",
                other.describe(),
                "expected exponential or linear",
            ))
        }
    };
    Ok(ConfigSpec {
        backoff,
        max_attempts: number(c, "max_attempts")?,
        initial_delay_seconds: number(c, "initial_delay_seconds")?,
        max_delay_seconds: number(c, "max_delay_seconds")?,
        backoff_rate: number(c, "backoff_rate")?,
        increment_seconds: number(c, "increment_seconds")?,
        jitter: match c.field("jitter") {
            None => None,
            Some(Json::String(s)) => Some(s.to_string()),
            Some(other) => {
                return Err(CoreError::invalid(
                    "jitter",
                    other.describe(),
                    "expected NONE, FULL or HALF",
                ))
            }
        },
        retryable_errors: match c.field("retryable_errors") {
            None => None,
            Some(Json::Array(items)) => Some(items.iter().map(pattern).collect::<Result<_, _>>()?),
            Some(other) => {
                return Err(CoreError::invalid(
                    "retryable-errors",
                    other.describe(),
                    "expected a list",
                ))
            }
        },
        retryable_error_types: match c.field("retryable_error_types") {
            None => None,
            Some(Json::Array(items)) => Some(
                items
                    .iter()
                    .map(|t| match t {
                        Json::String(s) => Ok(s.to_string()),
                        other => Err(CoreError::invalid(
                            "retryable-error-types",
                            other.describe(),
                            "expected class names",
                        )),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Some(other) => {
                return Err(CoreError::invalid(
                    "retryable-error-types",
                    other.describe(),
                    "expected a list",
                ))
            }
        },
    })
}

fn pattern(p: &Json) -> Result<PatternSpec, CoreError> {
    let text = |key: &str| match p.field(key) {
        Some(Json::String(s)) => s.to_string(),
        _ => String::new(),
    };
    let syntax = match text("syntax").as_str() {
        "substring" => PatternSyntax::Substring,
        "python-regex" => PatternSyntax::PythonRegex,
        "js-regex" => PatternSyntax::JsRegex,
        other => {
            return Err(CoreError::invalid(
                "retryable-errors",
                other,
                "syntax must be substring, python-regex or js-regex",
            ))
        }
    };
    Ok(PatternSpec {
        syntax,
        source: text("source"),
        flags: text("flags"),
    })
}

/// A number or absent/null; the field is named as in the WIT (`max-attempts`).
pub fn number(json: &Json, key: &str) -> Result<Option<f64>, CoreError> {
    match json.field(key) {
        None => Ok(None),
        Some(Json::Number(n)) => Ok(Some(*n)),
        Some(other) => Err(CoreError::invalid(
            &key.replace('_', "-"),
            other.describe(),
            "expected a number",
        )),
    }
}
