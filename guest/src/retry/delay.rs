//! Delay arithmetic: base, cap, jitter and the profile's rounding.

use super::config::{Backoff, Jitter, Strategy};
use crate::profile::Profile;

/// The service's largest NextAttemptDelaySeconds; `unified` never exceeds it.
pub const SERVICE_MAX_DELAY_SECONDS: f64 = 31_622_400.0;

/// Whole seconds to wait before the next attempt, >= 1.
pub fn delay_seconds(strategy: &Strategy, attempts_made: f64, random: f64) -> u64 {
    let base = base_delay(strategy, attempts_made);
    let jittered = match strategy.jitter {
        Jitter::None => base,
        Jitter::Full => random * base,
        Jitter::Half => base / 2.0 + random * (base / 2.0),
    };
    let whole = match strategy.profile {
        Profile::Python => jittered.ceil(),
        Profile::Ts => round_half_up(jittered),
        Profile::Unified => round_half_up(jittered).min(SERVICE_MAX_DELAY_SECONDS),
    };
    // Both SDKs clamp to at least one second. `whole` is finite and <= 2^53, so the cast is exact.
    whole.max(1.0) as u64
}

/// Capped before jitter, as both SDKs do. Computed in f64 in the SDKs' order, so float effects
/// such as 100 * 1.1 = 110.00000000000001 (ceil 111 in python, round 110 in ts) are reproduced.
fn base_delay(strategy: &Strategy, attempts_made: f64) -> f64 {
    let steps = attempts_made - 1.0;
    let uncapped = match strategy.backoff {
        Backoff::Exponential => {
            // libm's pow, so native and wasm builds agree bit for bit.
            let growth = libm::pow(strategy.backoff_rate, steps);
            // 0 * inf would be NaN (JS sends it, Python raises); an initial delay of 0 stays 0.
            if strategy.initial_delay_seconds == 0.0 {
                0.0
            } else {
                strategy.initial_delay_seconds * growth
            }
        }
        Backoff::Linear => strategy.initial_delay_seconds + strategy.increment_seconds * steps,
    };
    // An overflow to infinity (Python raises OverflowError for float rates) caps cleanly.
    uncapped.min(strategy.max_delay_seconds)
}

/// JavaScript's Math.round for non-negative numbers: nearest, ties toward +infinity.
fn round_half_up(x: f64) -> f64 {
    let floor = x.floor();
    if x - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

#[cfg(test)]
#[allow(clippy::panic)] // a failed expectation in a test
mod tests {
    use super::*;
    use crate::retry::ConfigSpec;

    fn strategy(profile: Profile, spec: ConfigSpec) -> Strategy {
        match Strategy::new(&spec, profile) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn math_round_ties_up_and_keeps_the_largest_double_below_a_half() {
        assert_eq!(round_half_up(2.5), 3.0);
        assert_eq!(round_half_up(0.49999999999999994), 0.0);
        assert_eq!(round_half_up(1.45), 1.0);
    }

    #[test]
    fn float_products_round_differently_per_profile() {
        let spec = ConfigSpec {
            initial_delay_seconds: Some(100.0),
            backoff_rate: Some(1.1),
            max_attempts: Some(5.0),
            jitter: Some("NONE".into()),
            ..ConfigSpec::default()
        };
        assert_eq!(
            delay_seconds(&strategy(Profile::Python, spec.clone()), 2.0, 0.0),
            111
        );
        assert_eq!(delay_seconds(&strategy(Profile::Ts, spec), 2.0, 0.0), 110);
    }

    #[test]
    fn overflow_and_zero_initial_never_produce_nan() {
        let spec = ConfigSpec {
            initial_delay_seconds: Some(0.0),
            max_attempts: Some(100_000.0),
            jitter: Some("NONE".into()),
            ..ConfigSpec::default()
        };
        for profile in Profile::ALL {
            assert_eq!(
                delay_seconds(&strategy(profile, spec.clone()), 5000.0, 0.0),
                1
            );
        }
        let capped = ConfigSpec {
            initial_delay_seconds: Some(5.0),
            ..spec
        };
        assert_eq!(
            delay_seconds(&strategy(Profile::Ts, capped), 5000.0, 0.0),
            300
        );
    }

    #[test]
    fn unified_stays_within_the_service_maximum() {
        let spec = ConfigSpec {
            initial_delay_seconds: Some(1e9),
            max_delay_seconds: Some(1e12),
            jitter: Some("NONE".into()),
            ..ConfigSpec::default()
        };
        assert_eq!(
            delay_seconds(&strategy(Profile::Unified, spec.clone()), 1.0, 0.0),
            31_622_400
        );
        assert_eq!(
            delay_seconds(&strategy(Profile::Ts, spec), 1.0, 0.0),
            1_000_000_000
        );
    }
}
