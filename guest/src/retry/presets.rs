//! The SDKs' presets, as configurations. Python's `RetryPresets.*()` and JS's `retryPresets`
//! agree where both exist (default, no-retry, linear); the rest are Python's.

use super::config::{Backoff, ConfigSpec};
use crate::error::CoreError;
use crate::profile::Profile;

const PYTHON_ONLY: [&str; 4] = ["transient", "resource-availability", "critical", "fixed"];

/// `interval_seconds` is only for `fixed` (default 5 s).
pub fn preset(
    name: &str,
    profile: Profile,
    interval_seconds: Option<f64>,
) -> Result<ConfigSpec, CoreError> {
    if interval_seconds.is_some() && name != "fixed" {
        return Err(CoreError::invalid(
            "interval-seconds",
            interval_seconds.unwrap_or_default(),
            "only the fixed preset takes an interval",
        ));
    }
    if profile == Profile::Ts && PYTHON_ONLY.contains(&name) {
        return Err(CoreError::invalid(
            "preset",
            name,
            "@aws/durable-execution-sdk-js 2.4.0 has only default, no-retry and linear",
        ));
    }
    let exponential = |attempts: f64, initial: f64, max: f64, rate: f64, jitter: &str| ConfigSpec {
        backoff: Backoff::Exponential,
        max_attempts: Some(attempts),
        initial_delay_seconds: Some(initial),
        max_delay_seconds: Some(max),
        backoff_rate: Some(rate),
        jitter: Some(jitter.to_string()),
        ..ConfigSpec::default()
    };
    Ok(match name {
        "default" => exponential(6.0, 5.0, 60.0, 2.0, "FULL"),
        "no-retry" | "none" => ConfigSpec {
            max_attempts: Some(1.0),
            ..ConfigSpec::default()
        },
        "transient" => exponential(3.0, 5.0, 300.0, 2.0, "HALF"),
        "resource-availability" => exponential(5.0, 5.0, 300.0, 2.0, "FULL"),
        "critical" => exponential(10.0, 1.0, 60.0, 1.5, "NONE"),
        "linear" => ConfigSpec {
            backoff: Backoff::Linear,
            max_attempts: Some(6.0),
            initial_delay_seconds: Some(1.0),
            increment_seconds: Some(1.0),
            max_delay_seconds: Some(300.0),
            jitter: Some("NONE".to_string()),
            ..ConfigSpec::default()
        },
        "fixed" => {
            let interval = interval_seconds.unwrap_or(5.0);
            // Checked here so the error names the setting the user wrote.
            if !interval.is_finite() || !(0.0..=super::config::MAX_SECONDS).contains(&interval) {
                return Err(CoreError::out_of_range(
                    "interval-seconds",
                    interval,
                    "must be a finite number of seconds from 0 to 2^53-1",
                ));
            }
            exponential(5.0, interval, interval, 1.0, "NONE")
        }
        _ => {
            return Err(CoreError::invalid(
                "preset",
                name,
                "expected default, no-retry, transient, resource-availability, critical, linear or fixed",
            ))
        }
    })
}
