//! Strategy configuration: the user's partial config, its defaults and its validation.

use super::pattern::{MessagePattern, PatternSpec, PatternSyntax, MAX_PROGRAM_SIZE};
use crate::error::CoreError;
use crate::profile::Profile;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backoff {
    #[default]
    Exponential,
    Linear,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    None,
    Full,
    Half,
}

impl Jitter {
    pub fn name(self) -> &'static str {
        match self {
            Jitter::None => "NONE",
            Jitter::Full => "FULL",
            Jitter::Half => "HALF",
        }
    }

    /// Both SDKs spell the values in upper case. The JS SDK treats any other value as NONE and
    /// Python cannot construct one; the core rejects it rather than silently not jittering.
    fn parse(name: &str) -> Result<Jitter, CoreError> {
        [Jitter::None, Jitter::Full, Jitter::Half]
            .into_iter()
            .find(|j| j.name() == name)
            .ok_or_else(|| CoreError::invalid("jitter", name, "expected NONE, FULL or HALF"))
    }
}

/// A strategy as the user wrote it; `None` takes the backoff's default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigSpec {
    pub backoff: Backoff,
    pub max_attempts: Option<f64>,
    pub initial_delay_seconds: Option<f64>,
    pub max_delay_seconds: Option<f64>,
    pub backoff_rate: Option<f64>,
    pub increment_seconds: Option<f64>,
    pub jitter: Option<String>,
    pub retryable_errors: Option<Vec<PatternSpec>>,
    pub retryable_error_types: Option<Vec<String>>,
}

/// A validated strategy with every default filled in and every regex compiled.
#[derive(Clone, Debug)]
pub struct Strategy {
    pub profile: Profile,
    pub backoff: Backoff,
    pub max_attempts: u32,
    pub initial_delay_seconds: f64,
    pub max_delay_seconds: f64,
    pub backoff_rate: f64,
    pub increment_seconds: f64,
    pub jitter: Jitter,
    /// True when neither filter was given, so every error is retried.
    pub retries_every_error: bool,
    pub(super) message_patterns: Vec<MessagePattern>,
    pub(super) error_types: Vec<String>,
}

/// The largest delay accepted: JS's Number.MAX_SAFE_INTEGER, so every delay is an exact integer.
pub const MAX_SECONDS: f64 = 9_007_199_254_740_991.0;

impl Strategy {
    pub fn new(spec: &ConfigSpec, profile: Profile) -> Result<Strategy, CoreError> {
        // The defaults are the same in both SDKs (RetryStrategyConfig / DEFAULT_CONFIG).
        let (attempts, initial) = match spec.backoff {
            Backoff::Exponential => (3.0, 5.0),
            Backoff::Linear => (6.0, 1.0),
        };
        match spec.backoff {
            Backoff::Exponential if spec.increment_seconds.is_some() => {
                return Err(not_a_field("increment-seconds", "exponential"))
            }
            Backoff::Linear if spec.backoff_rate.is_some() => {
                return Err(not_a_field("backoff-rate", "linear"))
            }
            _ => {}
        }
        let max_attempts =
            whole_number("max-attempts", spec.max_attempts.unwrap_or(attempts), 1.0)?;
        let backoff_rate = spec.backoff_rate.unwrap_or(2.0);
        if !backoff_rate.is_finite() || backoff_rate < 0.0 {
            return Err(CoreError::out_of_range(
                "backoff-rate",
                backoff_rate,
                "must be a finite number >= 0",
            ));
        }
        let (message_patterns, error_types) = resolve_filters(spec)?;
        Ok(Strategy {
            profile,
            backoff: spec.backoff,
            // whole_number bounds it to u32 below.
            max_attempts: max_attempts as u32,
            initial_delay_seconds: seconds(
                "initial-delay-seconds",
                spec.initial_delay_seconds.unwrap_or(initial),
            )?,
            max_delay_seconds: seconds(
                "max-delay-seconds",
                spec.max_delay_seconds.unwrap_or(300.0),
            )?,
            backoff_rate,
            increment_seconds: seconds("increment-seconds", spec.increment_seconds.unwrap_or(1.0))?,
            jitter: Jitter::parse(spec.jitter.as_deref().unwrap_or("FULL"))?,
            retries_every_error: spec.retryable_errors.is_none()
                && spec.retryable_error_types.is_none(),
            message_patterns,
            error_types,
        })
    }
}

/// Both SDKs: with neither list set, the message list is the match-all `.*`; otherwise an unset
/// list is empty and an explicitly empty list stays empty (so it retries nothing).
fn resolve_filters(spec: &ConfigSpec) -> Result<(Vec<MessagePattern>, Vec<String>), CoreError> {
    let match_all = PatternSpec {
        syntax: PatternSyntax::Substring,
        source: String::new(),
        flags: String::new(),
    };
    let patterns = match (&spec.retryable_errors, &spec.retryable_error_types) {
        (None, None) => vec![MessagePattern::compile(&match_all)?],
        (Some(list), _) => list
            .iter()
            .map(MessagePattern::compile)
            .collect::<Result<_, _>>()?,
        (None, Some(_)) => Vec::new(),
    };
    // One decision runs every pattern over the message, so the bound is on their sum.
    let total = patterns
        .iter()
        .map(MessagePattern::program_size)
        .fold(0u64, u64::saturating_add);
    if total > MAX_PROGRAM_SIZE {
        return Err(CoreError::invalid(
            "retryable-errors",
            total,
            &format!(
                "the regular expressions' program sizes add up to {total}, over the limit of \
                 {MAX_PROGRAM_SIZE} for one strategy (each decision searches the message with \
                 every pattern)"
            ),
        ));
    }
    let types = spec.retryable_error_types.clone().unwrap_or_default();
    if let Some(empty) = types.iter().find(|t| t.is_empty()) {
        return Err(CoreError::invalid(
            "retryable-error-types",
            format!("{empty:?}"),
            "class names must not be empty",
        ));
    }
    Ok((patterns, types))
}

fn not_a_field(field: &str, backoff: &str) -> CoreError {
    CoreError::invalid(
        field,
        "(set)",
        &format!("is not a setting of {backoff} strategies"),
    )
}

/// An integer >= `min` that fits in u32, given as f64 so fractions and NaN are caught here.
pub(super) fn whole_number(field: &str, value: f64, min: f64) -> Result<f64, CoreError> {
    if value.is_finite() && value.fract() == 0.0 && value >= min && value <= f64::from(u32::MAX) {
        Ok(value)
    } else {
        Err(CoreError::out_of_range(
            field,
            value,
            &format!(
                "must be a whole number from {} to {}",
                crate::error::number_text(min),
                u32::MAX
            ),
        ))
    }
}

fn seconds(field: &str, value: f64) -> Result<f64, CoreError> {
    if value.is_finite() && (0.0..=MAX_SECONDS).contains(&value) {
        Ok(value)
    } else {
        Err(CoreError::out_of_range(
            field,
            value,
            "must be a finite number of seconds from 0 to 2^53-1",
        ))
    }
}
