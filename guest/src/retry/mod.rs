//! Step retry strategies: "should this failed attempt be retried, and after how many seconds".
//!
//! Sources: aws-durable-execution-sdk-python 3.0.0 `retries.py` / `config.py` (JitterStrategy),
//! @aws/durable-execution-sdk-js 2.4.0 `createRetryStrategy`, `createLinearRetryStrategy`,
//! `retryPresets`. The order of the decision is the same in both SDKs: attempts, then the
//! error filter, then the delay.

mod config;
mod delay;
pub mod json;
mod pattern;
mod presets;

pub use config::{Backoff, ConfigSpec, Jitter, Strategy};
pub use pattern::{MessagePattern, PatternSpec, PatternSyntax};
pub use presets::preset;

use crate::error::CoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Retry,
    AttemptsExhausted,
    NotRetryable,
}

impl Outcome {
    pub fn id(self) -> &'static str {
        match self {
            Outcome::Retry => "retry",
            Outcome::AttemptsExhausted => "attempts-exhausted",
            Outcome::NotRetryable => "not-retryable",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    /// Whole seconds (>= 1) when retrying, else 0.
    pub delay_seconds: u64,
}

/// What the host knows about the failed attempt.
#[derive(Clone, Copy, Debug)]
pub struct Failure<'a> {
    /// 1-based: the attempt that just failed. f64 so the core rejects fractions and NaN.
    pub attempts_made: f64,
    /// The host's draw in [0, 1).
    pub random: f64,
    /// Python `str(error)`, JS `error.message`.
    pub message: &'a str,
    /// The error's class chain, most specific first.
    pub error_types: &'a [&'a str],
}

impl Strategy {
    pub fn decide(&self, failure: &Failure<'_>) -> Result<Decision, CoreError> {
        let attempts = config::whole_number("attempts-made", failure.attempts_made, 1.0)?;
        if !(0.0..1.0).contains(&failure.random) {
            return Err(CoreError::out_of_range(
                "random",
                failure.random,
                "the host's draw must be in [0, 1)",
            ));
        }
        if attempts >= f64::from(self.max_attempts) {
            return Ok(Decision {
                outcome: Outcome::AttemptsExhausted,
                delay_seconds: 0,
            });
        }
        if !self.is_retryable(failure.message, failure.error_types) {
            return Ok(Decision {
                outcome: Outcome::NotRetryable,
                delay_seconds: 0,
            });
        }
        Ok(Decision {
            outcome: Outcome::Retry,
            delay_seconds: delay::delay_seconds(self, attempts, failure.random),
        })
    }

    fn is_retryable(&self, message: &str, error_types: &[&str]) -> bool {
        self.message_patterns.iter().any(|p| p.matches(message))
            || self
                .error_types
                .iter()
                .any(|wanted| error_types.contains(&wanted.as_str()))
    }
}
