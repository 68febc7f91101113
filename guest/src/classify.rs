//! Classification of failed CheckpointDurableExecution / GetDurableExecutionState calls.
//!
//! INVOCATION: fail the Lambda invocation so the service re-invokes it.
//! EXECUTION: permanent; the handler returns FAILED.
//! Sources: aws-durable-execution-sdk-python 3.0.0 `BotoClientError._classify_error_category`,
//! @aws/durable-execution-sdk-js 2.4.0 `CheckpointManager.classifyCheckpointError` and the
//! handler's catch of state-fetch errors.

use crate::profile::Profile;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Checkpoint,
    GetState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Invocation,
    Execution,
}

/// The rule that decided; the order matches the WIT `rule` enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    KmsCustomerError,
    StaleCheckpointToken,
    Throttled,
    ClientError,
    ClientErrorWithoutBody,
    ServerError,
    NoHttpResponse,
    OtherStatus,
    StateFetchUnclassified,
}

impl Rule {
    pub const ALL: [Rule; 9] = [
        Rule::KmsCustomerError,
        Rule::StaleCheckpointToken,
        Rule::Throttled,
        Rule::ClientError,
        Rule::ClientErrorWithoutBody,
        Rule::ServerError,
        Rule::NoHttpResponse,
        Rule::OtherStatus,
        Rule::StateFetchUnclassified,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::KmsCustomerError => "kms-customer-error",
            Rule::StaleCheckpointToken => "stale-checkpoint-token",
            Rule::Throttled => "throttled",
            Rule::ClientError => "client-error",
            Rule::ClientErrorWithoutBody => "client-error-without-body",
            Rule::ServerError => "server-error",
            Rule::NoHttpResponse => "no-http-response",
            Rule::OtherStatus => "other-status",
            Rule::StateFetchUnclassified => "state-fetch-unclassified",
        }
    }

    pub fn category(self) -> Category {
        match self {
            Rule::KmsCustomerError | Rule::ClientError => Category::Execution,
            _ => Category::Invocation,
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            Rule::KmsCustomerError => "a KMS customer error: retrying cannot fix the key",
            Rule::StaleCheckpointToken => {
                "a stale checkpoint token: the next invocation gets a fresh one"
            }
            Rule::Throttled => "HTTP 429: throttling is transient",
            Rule::ClientError => "a 4xx: the request is wrong and will stay wrong",
            Rule::ClientErrorWithoutBody => "a 4xx without an error body (python profile)",
            Rule::ServerError => "a 5xx: the service may recover",
            Rule::NoHttpResponse => "no HTTP response: network error or timeout",
            Rule::OtherStatus => "a status outside 4xx and 5xx",
            Rule::StateFetchUnclassified => {
                "a state-fetch error the ts SDK rethrows without classifying"
            }
        }
    }

    /// Position in `ALL`, which is the WIT discriminant.
    pub fn index(self) -> u32 {
        self as u32
    }
}

/// One failed call, normalised from botocore's `ClientError` or the AWS SDK v3 error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiFailure<'a> {
    pub api: Api,
    /// HTTP status; `None` or `Some(0)` means no HTTP response.
    pub status: Option<u16>,
    /// botocore `Error.Code` / AWS SDK v3 `name`.
    pub code: Option<&'a str>,
    pub message: Option<&'a str>,
}

const KMS_CUSTOMER_ERRORS: [&str; 4] = [
    "KMSAccessDeniedException",
    "KMSDisabledException",
    "KMSInvalidStateException",
    "KMSNotFoundException",
];
const INVALID_PARAMETER_VALUE: &str = "InvalidParameterValueException";
/// The service and the Python SDK spell it this way.
const STALE_TOKEN_PREFIX_PYTHON: &str = "Invalid checkpoint token";
/// @aws/durable-execution-sdk-js 2.4.0 spells it this way (so it misses the service's message).
const STALE_TOKEN_PREFIX_TS: &str = "Invalid Checkpoint Token";
const THROTTLED: u16 = 429;

/// Classify one failure under one profile.
pub fn classify(failure: &ApiFailure<'_>, profile: Profile) -> Rule {
    match profile {
        Profile::Python => classify_python(failure),
        Profile::Ts => classify_ts(failure),
        Profile::Unified => classify_unified(failure),
    }
}

/// Python 3.0.0: KMS first; a 4xx needs an error body to be permanent; both APIs alike.
fn classify_python(f: &ApiFailure<'_>) -> Rule {
    if is_kms(f.code) {
        return Rule::KmsCustomerError;
    }
    if client_error_status(f.status).is_some_and(|s| s != THROTTLED) {
        // Python tests the body as a dict's truthiness: no code and no message means none.
        if f.code.is_none() && f.message.is_none() {
            return Rule::ClientErrorWithoutBody;
        }
        if is_stale_token(f, |m| m.starts_with(STALE_TOKEN_PREFIX_PYTHON)) {
            return Rule::StaleCheckpointToken;
        }
        return Rule::ClientError;
    }
    by_status(f.status)
}

/// JS 2.4.0: stale token, then 4xx, then KMS; state fetches only know KMS.
fn classify_ts(f: &ApiFailure<'_>) -> Rule {
    if f.api == Api::GetState {
        return if is_kms(f.code) {
            Rule::KmsCustomerError
        } else {
            Rule::StateFetchUnclassified
        };
    }
    reference_order(f, |m| m.starts_with(STALE_TOKEN_PREFIX_TS))
}

/// Unified: the reference (JS) order for both APIs, with the stale-token prefix matched
/// case-insensitively, so the service's lower-case message is retried.
fn classify_unified(f: &ApiFailure<'_>) -> Rule {
    reference_order(f, |m| {
        let prefix = STALE_TOKEN_PREFIX_PYTHON.as_bytes();
        m.as_bytes()
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    })
}

fn reference_order(f: &ApiFailure<'_>, stale_prefix: impl Fn(&str) -> bool) -> Rule {
    if let Some(status) = client_error_status(f.status) {
        if is_stale_token(f, stale_prefix) {
            return Rule::StaleCheckpointToken;
        }
        if status != THROTTLED {
            return Rule::ClientError;
        }
    }
    if is_kms(f.code) {
        return Rule::KmsCustomerError;
    }
    by_status(f.status)
}

fn is_kms(code: Option<&str>) -> bool {
    code.is_some_and(|c| KMS_CUSTOMER_ERRORS.contains(&c))
}

fn is_stale_token(f: &ApiFailure<'_>, stale_prefix: impl Fn(&str) -> bool) -> bool {
    f.code == Some(INVALID_PARAMETER_VALUE) && stale_prefix(f.message.unwrap_or(""))
}

/// The status when it is a 4xx (400..=499), the range both SDKs treat as client errors.
fn client_error_status(status: Option<u16>) -> Option<u16> {
    status.filter(|s| (400..500).contains(s))
}

/// What is left once the code-specific rules have passed.
fn by_status(status: Option<u16>) -> Rule {
    match status {
        None | Some(0) => Rule::NoHttpResponse,
        Some(THROTTLED) => Rule::Throttled,
        Some(s) if (500..600).contains(&s) => Rule::ServerError,
        Some(_) => Rule::OtherStatus,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure<'a>(status: u16, code: &'a str, message: &'a str) -> ApiFailure<'a> {
        ApiFailure {
            api: Api::Checkpoint,
            status: Some(status),
            code: Some(code),
            message: Some(message),
        }
    }

    #[test]
    fn service_spelling_of_stale_token_splits_the_sdks() {
        let f = failure(
            400,
            INVALID_PARAMETER_VALUE,
            "Invalid checkpoint token: gone",
        );
        assert_eq!(classify(&f, Profile::Python), Rule::StaleCheckpointToken);
        assert_eq!(classify(&f, Profile::Ts), Rule::ClientError);
        assert_eq!(classify(&f, Profile::Unified), Rule::StaleCheckpointToken);
    }

    #[test]
    fn kms_on_a_4xx_is_permanent_in_every_profile_but_for_different_reasons() {
        let f = failure(400, "KMSDisabledException", "disabled");
        assert_eq!(classify(&f, Profile::Python), Rule::KmsCustomerError);
        assert_eq!(classify(&f, Profile::Ts), Rule::ClientError);
        for p in Profile::ALL {
            assert_eq!(classify(&f, p).category(), Category::Execution);
        }
    }

    #[test]
    fn status_zero_means_no_response() {
        let f = failure(0, "ValidationException", "x");
        for p in Profile::ALL {
            assert_eq!(classify(&f, p), Rule::NoHttpResponse);
        }
    }

    #[test]
    fn a_multibyte_message_shorter_than_the_prefix_does_not_panic() {
        let f = failure(400, INVALID_PARAMETER_VALUE, "é");
        assert_eq!(classify(&f, Profile::Unified), Rule::ClientError);
    }

    #[test]
    fn every_rule_has_a_distinct_id_and_its_index() {
        for (i, rule) in Rule::ALL.iter().enumerate() {
            assert_eq!(rule.index() as usize, i);
            assert_eq!(Rule::ALL.iter().filter(|r| r.id() == rule.id()).count(), 1);
        }
    }
}
