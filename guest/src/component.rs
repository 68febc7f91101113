//! The WIT export layer: converts between the generated bindings and the rule modules.
//! No rule lives here.

wit_bindgen::generate!({
    world: "durable-core",
    path: "../wit",
});

use exports::durable::core::classify as wit_classify;
use exports::durable::core::info as wit_info;
use exports::durable::core::invocation as wit_invocation;
use exports::durable::core::retry as wit_retry;
use exports::durable::core::step as wit_step;
use exports::durable::core::types as wit_types;

use crate::classify::{self, Api, ApiFailure, Category, Report, Rule};
use crate::error::{CoreError, ErrorKind};
use crate::profile::{self, Profile, RELEASES};
use crate::retry::{
    self, Backoff, ConfigSpec, Failure, Outcome, PatternSpec, PatternSyntax, Strategy,
};
use std::cell::RefCell;

struct Component;

impl wit_info::Guest for Component {
    fn describe() -> wit_info::CoreInfo {
        wit_info::CoreInfo {
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            wit_version: crate::WIT_VERSION.to_string(),
            rules_version: crate::RULES_VERSION,
        }
    }

    fn profiles() -> Vec<wit_info::ProfileInfo> {
        RELEASES
            .iter()
            .map(|r| wit_info::ProfileInfo {
                name: r.name.to_string(),
                family: profile_to_wit(r.family),
                alias: r.alias().map(str::to_string),
                reproduces: r.reproduces.to_string(),
            })
            .collect()
    }
}

impl wit_classify::Guest for Component {
    fn classify(
        failure: wit_classify::ApiFailure,
        profile: wit_types::Profile,
    ) -> wit_classify::Classification {
        classify_with(&failure, profile_from_wit(profile).release())
    }

    fn classify_named(
        failure: wit_classify::ApiFailure,
        profile: String,
    ) -> Result<wit_classify::Classification, wit_types::Error> {
        let release = profile::release(&profile).map_err(error_to_wit)?;
        Ok(classify_with(&failure, release))
    }

    fn rules() -> Vec<wit_classify::RuleInfo> {
        Rule::ALL
            .iter()
            .map(|&rule| wit_classify::RuleInfo {
                rule: rule_to_wit(rule),
                category: category_to_wit(rule.category()),
                retryable: rule.category() == Category::Invocation,
                summary: rule.summary().to_string(),
            })
            .collect()
    }

    fn classify_packed(options: u32, status: u32, code: String, message: String) -> u32 {
        crate::packed::classify_packed(options, status, &code, &message)
    }
}

fn classify_with(
    failure: &wit_classify::ApiFailure,
    release: &profile::Release,
) -> wit_classify::Classification {
    let report = Report {
        failure: ApiFailure {
            api: match failure.api {
                wit_classify::Api::Checkpoint => Api::Checkpoint,
                wit_classify::Api::GetState => Api::GetState,
            },
            status: failure.status,
            code: failure.code.as_deref(),
            message: failure.message.as_deref(),
        },
        status_text: failure.status_text.as_deref(),
        stated_scope: failure.stated_scope.map(|c| match c {
            wit_classify::Category::Invocation => Category::Invocation,
            wit_classify::Category::Execution => Category::Execution,
        }),
        wrapped: failure.wrapped,
    };
    let rule = classify::classify_report(&report, &release.classify);
    wit_classify::Classification {
        category: category_to_wit(rule.category()),
        retryable: rule.category() == Category::Invocation,
        rule: rule_to_wit(rule),
    }
}

fn profile_to_wit(profile: Profile) -> wit_types::Profile {
    match profile {
        Profile::Unified => wit_types::Profile::Unified,
        Profile::Python => wit_types::Profile::Python,
        Profile::Ts => wit_types::Profile::Ts,
    }
}

fn profile_from_wit(profile: wit_types::Profile) -> Profile {
    match profile {
        wit_types::Profile::Unified => Profile::Unified,
        wit_types::Profile::Python => Profile::Python,
        wit_types::Profile::Ts => Profile::Ts,
    }
}

fn category_to_wit(category: Category) -> wit_classify::Category {
    match category {
        Category::Invocation => wit_classify::Category::Invocation,
        Category::Execution => wit_classify::Category::Execution,
    }
}

fn rule_to_wit(rule: Rule) -> wit_classify::Rule {
    match rule {
        Rule::KmsCustomerError => wit_classify::Rule::KmsCustomerError,
        Rule::StaleCheckpointToken => wit_classify::Rule::StaleCheckpointToken,
        Rule::Throttled => wit_classify::Rule::Throttled,
        Rule::ClientError => wit_classify::Rule::ClientError,
        Rule::ClientErrorWithoutBody => wit_classify::Rule::ClientErrorWithoutBody,
        Rule::ServerError => wit_classify::Rule::ServerError,
        Rule::NoHttpResponse => wit_classify::Rule::NoHttpResponse,
        Rule::OtherStatus => wit_classify::Rule::OtherStatus,
        Rule::StateFetchUnclassified => wit_classify::Rule::StateFetchUnclassified,
        Rule::StatedInvocation => wit_classify::Rule::StatedInvocation,
        Rule::StatedExecution => wit_classify::Rule::StatedExecution,
    }
}

impl wit_retry::Guest for Component {
    fn preset(
        name: String,
        profile: wit_types::Profile,
        interval_seconds: Option<f64>,
    ) -> Result<wit_retry::StrategyConfig, wit_types::Error> {
        retry::preset(&name, profile_from_wit(profile), interval_seconds)
            .map(config_to_wit)
            .map_err(error_to_wit)
    }

    fn resolve(
        config: wit_retry::StrategyConfig,
        profile: wit_types::Profile,
    ) -> Result<wit_retry::EffectiveConfig, wit_types::Error> {
        let s = Strategy::new(&config_from_wit(config), profile_from_wit(profile))
            .map_err(error_to_wit)?;
        Ok(wit_retry::EffectiveConfig {
            backoff: backoff_to_wit(s.backoff),
            max_attempts: s.max_attempts,
            initial_delay_seconds: s.initial_delay_seconds,
            max_delay_seconds: s.max_delay_seconds,
            backoff_rate: s.backoff_rate,
            increment_seconds: s.increment_seconds,
            jitter: s.jitter.name().to_string(),
            retries_every_error: s.retries_every_error,
        })
    }

    fn decide(
        config: wit_retry::StrategyConfig,
        profile: wit_types::Profile,
        attempts_made: f64,
        random: f64,
        message: String,
        error_types: Vec<String>,
    ) -> Result<wit_retry::Decision, wit_types::Error> {
        let strategy = Strategy::new(&config_from_wit(config), profile_from_wit(profile))
            .map_err(error_to_wit)?;
        decide_with(&strategy, attempts_made, random, &message, &error_types)
    }

    fn register(
        config: wit_retry::StrategyConfig,
        profile: wit_types::Profile,
    ) -> Result<u32, wit_types::Error> {
        let strategy = Strategy::new(&config_from_wit(config), profile_from_wit(profile))
            .map_err(error_to_wit)?;
        REGISTRY.with(|r| r.borrow_mut().insert(strategy))
    }

    fn release(strategy: u32) {
        REGISTRY.with(|r| r.borrow_mut().remove(strategy));
    }

    fn decide_registered(
        strategy: u32,
        attempts_made: f64,
        random: f64,
        message: String,
        error_types: Vec<String>,
    ) -> Result<wit_retry::Decision, wit_types::Error> {
        REGISTRY.with(|r| {
            let registry = r.borrow();
            let strategy = registry.get(strategy)?;
            decide_with(strategy, attempts_made, random, &message, &error_types)
        })
    }

    fn decide_packed(
        strategy: u32,
        attempts_made: f64,
        random: f64,
        message: String,
        error_types: String,
    ) -> u64 {
        const REJECTED: u64 = 3;
        let types: Vec<&str> = error_types.split('\n').filter(|t| !t.is_empty()).collect();
        REGISTRY.with(|r| {
            let registry = r.borrow();
            let Ok(strategy) = registry.get(strategy) else {
                return REJECTED;
            };
            let failure = Failure {
                attempts_made,
                random,
                message: &message,
                error_types: &types,
            };
            match strategy.decide(&failure) {
                Ok(d) => (d.delay_seconds << 2) | outcome_bits(d.outcome),
                Err(_) => REJECTED,
            }
        })
    }
}

fn outcome_bits(outcome: Outcome) -> u64 {
    match outcome {
        Outcome::Retry => 0,
        Outcome::AttemptsExhausted => 1,
        Outcome::NotRetryable => 2,
    }
}

fn decide_with(
    strategy: &Strategy,
    attempts_made: f64,
    random: f64,
    message: &str,
    error_types: &[String],
) -> Result<wit_retry::Decision, wit_types::Error> {
    let types: Vec<&str> = error_types.iter().map(String::as_str).collect();
    let d = strategy
        .decide(&Failure {
            attempts_made,
            random,
            message,
            error_types: &types,
        })
        .map_err(error_to_wit)?;
    Ok(wit_retry::Decision {
        outcome: match d.outcome {
            Outcome::Retry => wit_retry::Outcome::Retry,
            Outcome::AttemptsExhausted => wit_retry::Outcome::AttemptsExhausted,
            Outcome::NotRetryable => wit_retry::Outcome::NotRetryable,
        },
        delay_seconds: d.delay_seconds,
    })
}

/// Registered strategies, by handle. Adapter state, not a rule: it lets hosts compile a
/// strategy (its regexes included) once and decide with four flat values.
#[derive(Default)]
struct Registry {
    slots: Vec<Option<Strategy>>,
}

impl Registry {
    fn insert(&mut self, strategy: Strategy) -> Result<u32, wit_types::Error> {
        let index = match self.slots.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        if let Some(slot) = self.slots.get_mut(index) {
            *slot = Some(strategy);
        }
        u32::try_from(index).map_err(|_| {
            error_to_wit(CoreError::out_of_range(
                "strategy",
                index,
                "too many registered strategies",
            ))
        })
    }

    fn remove(&mut self, handle: u32) {
        if let Some(slot) = self.slots.get_mut(handle as usize) {
            *slot = None;
        }
    }

    fn get(&self, handle: u32) -> Result<&Strategy, wit_types::Error> {
        self.slots
            .get(handle as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| {
                error_to_wit(CoreError::invalid(
                    "strategy",
                    handle,
                    "no strategy is registered under this handle",
                ))
            })
    }
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
}

fn config_from_wit(c: wit_retry::StrategyConfig) -> ConfigSpec {
    ConfigSpec {
        backoff: match c.backoff {
            wit_retry::Backoff::Exponential => Backoff::Exponential,
            wit_retry::Backoff::Linear => Backoff::Linear,
        },
        max_attempts: c.max_attempts,
        initial_delay_seconds: c.initial_delay_seconds,
        max_delay_seconds: c.max_delay_seconds,
        backoff_rate: c.backoff_rate,
        increment_seconds: c.increment_seconds,
        jitter: c.jitter,
        retryable_errors: c.retryable_errors.map(|list| {
            list.into_iter()
                .map(|p| PatternSpec {
                    syntax: match p.syntax {
                        wit_retry::PatternSyntax::Substring => PatternSyntax::Substring,
                        wit_retry::PatternSyntax::PythonRegex => PatternSyntax::PythonRegex,
                        wit_retry::PatternSyntax::JsRegex => PatternSyntax::JsRegex,
                    },
                    source: p.source,
                    flags: p.flags,
                })
                .collect()
        }),
        retryable_error_types: c.retryable_error_types,
    }
}

fn config_to_wit(c: ConfigSpec) -> wit_retry::StrategyConfig {
    wit_retry::StrategyConfig {
        backoff: backoff_to_wit(c.backoff),
        max_attempts: c.max_attempts,
        initial_delay_seconds: c.initial_delay_seconds,
        max_delay_seconds: c.max_delay_seconds,
        backoff_rate: c.backoff_rate,
        increment_seconds: c.increment_seconds,
        jitter: c.jitter,
        // Presets carry no filters.
        retryable_errors: None,
        retryable_error_types: None,
    }
}

fn backoff_to_wit(b: Backoff) -> wit_retry::Backoff {
    match b {
        Backoff::Exponential => wit_retry::Backoff::Exponential,
        Backoff::Linear => wit_retry::Backoff::Linear,
    }
}

fn error_to_wit(e: CoreError) -> wit_types::Error {
    wit_types::Error {
        kind: match e.kind {
            ErrorKind::InvalidValue => wit_types::ErrorKind::InvalidValue,
            ErrorKind::OutOfRange => wit_types::ErrorKind::OutOfRange,
            ErrorKind::Malformed => wit_types::ErrorKind::Malformed,
            ErrorKind::Missing => wit_types::ErrorKind::Missing,
        },
        field: e.field,
        value: e.value,
        message: e.message,
    }
}

impl wit_step::Guest for Component {
    fn operation_id(
        profile: wit_types::Profile,
        parent: Option<String>,
        counter: u32,
    ) -> Result<wit_step::DerivedId, wit_types::Error> {
        crate::step::ids::operation_id(profile_from_wit(profile), parent.as_deref(), counter)
            .map(|d| wit_step::DerivedId {
                step_id: d.step_id,
                id: d.id,
            })
            .map_err(error_to_wit)
    }

    fn begin(request: String) -> String {
        REGISTRY.with(|r| {
            let registry = r.borrow();
            crate::step::api::begin_json(&request, &|h| registry.get(h).ok())
        })
    }

    fn complete(request: String) -> String {
        REGISTRY.with(|r| {
            let registry = r.borrow();
            crate::step::api::complete_json(&request, &|h| registry.get(h).ok())
        })
    }
}

thread_local! {
    static INVOCATIONS: RefCell<Invocations> = RefCell::new(Invocations::default());
}

/// Open invocations by handle. Handles are never reused within an instance, so a stale
/// handle is an error, never another invocation.
#[derive(Default)]
struct Invocations {
    next: u32,
    open: std::collections::BTreeMap<u32, crate::invocation::Invocation>,
}

impl wit_invocation::Guest for Component {
    fn open(request: String) -> String {
        match crate::invocation::api::open_json(&request) {
            Err(rejection) => rejection,
            Ok(invocation) => INVOCATIONS.with(|r| {
                let mut all = r.borrow_mut();
                all.next = all.next.wrapping_add(1).max(1);
                let handle = all.next;
                let mut w = crate::json::Writer::new(false);
                crate::invocation::api::write_input(&mut w, &invocation);
                all.open.insert(handle, invocation);
                format!("{{\"handle\":{handle},\"info\":{}}}", w.finish())
            }),
        }
    }

    fn call(handle: u32, request: String, payload: String) -> String {
        INVOCATIONS.with(|r| {
            let mut all = r.borrow_mut();
            let Some(invocation) = all.open.get_mut(&handle) else {
                return crate::invocation::api::render_error(CoreError::invalid(
                    "handle",
                    handle,
                    "no open invocation has this handle",
                ));
            };
            REGISTRY.with(|strategies| {
                let strategies = strategies.borrow();
                crate::invocation::api::call_json(invocation, &request, &payload, &|h| {
                    strategies.get(h).ok()
                })
            })
        })
    }

    fn close(handle: u32) -> u32 {
        INVOCATIONS.with(|r| {
            let mut all = r.borrow_mut();
            all.open.remove(&handle);
            all.open.len() as u32
        })
    }
}

export!(Component);
