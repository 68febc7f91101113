//! Classification of failed CheckpointDurableExecution / GetDurableExecutionState calls.
//!
//! INVOCATION: fail the Lambda invocation so the service re-invokes it.
//! EXECUTION: permanent; the handler returns FAILED.
//! Sources: aws-durable-execution-sdk-python 3.0.0 `BotoClientError._classify_error_category`,
//! @aws/durable-execution-sdk-js 2.4.0 `CheckpointManager.classifyCheckpointError` and the
//! handler's catch of state-fetch errors (and its `DurableExecutionClientError` scope).
//! The rule order is one function; what differs between SDK releases is data
//! ([`ClassifyRules`], one row per release in `crate::profile::RELEASES`).

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
    StatedInvocation,
    StatedExecution,
}

impl Rule {
    pub const ALL: [Rule; 11] = [
        Rule::KmsCustomerError,
        Rule::StaleCheckpointToken,
        Rule::Throttled,
        Rule::ClientError,
        Rule::ClientErrorWithoutBody,
        Rule::ServerError,
        Rule::NoHttpResponse,
        Rule::OtherStatus,
        Rule::StateFetchUnclassified,
        Rule::StatedInvocation,
        Rule::StatedExecution,
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
            Rule::StatedInvocation => "stated-invocation",
            Rule::StatedExecution => "stated-execution",
        }
    }

    pub fn category(self) -> Category {
        match self {
            Rule::KmsCustomerError | Rule::ClientError | Rule::StatedExecution => {
                Category::Execution
            }
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
            Rule::StatedInvocation => "the transport stated INVOCATION scope",
            Rule::StatedExecution => "the transport stated EXECUTION scope",
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

/// What a host read from a raised error: the [`ApiFailure`] fields plus what the transport said
/// about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report<'a> {
    pub failure: ApiFailure<'a>,
    /// The status when the transport gave something other than an integer 0..65535: a text
    /// status as given, or a number as JavaScript's `String(n)` writes it. Read as JavaScript's
    /// `Number(text)` reads it; when present, `failure.status` is ignored.
    pub status_text: Option<&'a str>,
    /// The scope the transport stated (JS `DurableExecutionClientError.scope`, Go `ClientError`,
    /// a Python SDK `BotoClientError.error_category` that carries no AWS response).
    pub stated_scope: Option<Category>,
    /// The fields came from an error that the raised one wraps (`cause`, `__cause__`), not from
    /// the raised error itself.
    pub wrapped: bool,
}

impl<'a> From<ApiFailure<'a>> for Report<'a> {
    fn from(failure: ApiFailure<'a>) -> Self {
        Report {
            failure,
            status_text: None,
            stated_scope: None,
            wrapped: false,
        }
    }
}

/// Which stated scopes a release acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatedScope {
    Both,
    /// Only a stated EXECUTION; a stated INVOCATION falls through to the other rules.
    ExecutionOnly,
}

/// The stale-checkpoint-token message test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaleToken {
    pub prefix: &'static str,
    /// Compare the prefix ignoring ASCII case.
    pub ignore_case: bool,
}

/// The parameters of the classification rules: one set per release profile
/// (`crate::profile::RELEASES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassifyRules {
    /// KMS customer errors before the 4xx rules (Python) or after them (JS, the reference order).
    pub kms_first: bool,
    pub stale_token: StaleToken,
    /// A 4xx with neither code nor message is retried (Python tests the body's truthiness).
    pub bodyless_4xx_retried: bool,
    /// GetDurableExecutionState failures take the checkpoint rules; otherwise only KMS names
    /// are classified and everything else is rethrown (`state-fetch-unclassified`).
    pub get_state_classified: bool,
    /// Stated scopes honoured on a checkpoint failure, before any other rule.
    pub stated_scope: StatedScope,
    /// Stated scopes honoured on a state-fetch failure, before any other rule.
    pub get_state_stated_scope: StatedScope,
    /// Fields found on a wrapped error count; otherwise the SDK reads the raised error only, so
    /// a wrapped failure is one without an HTTP response.
    pub reads_wrapped: bool,
    /// A text status "429" is throttling (false: JS 2.4.0's strict `!== 429`).
    pub text_429_throttles: bool,
}

const KMS_CUSTOMER_ERRORS: [&str; 4] = [
    "KMSAccessDeniedException",
    "KMSDisabledException",
    "KMSInvalidStateException",
    "KMSNotFoundException",
];
const INVALID_PARAMETER_VALUE: &str = "InvalidParameterValueException";
const THROTTLED: f64 = 429.0;

/// Classify one failure under one profile family (its newest release).
pub fn classify(failure: &ApiFailure<'_>, profile: Profile) -> Rule {
    classify_report(&Report::from(*failure), &profile.release().classify)
}

/// The status as the rules see it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Status {
    /// No HTTP response (absent or 0).
    None,
    Number(f64),
    /// Given as text; the number JavaScript's `Number()` makes of it (NaN when none).
    Text(f64),
}

impl Status {
    fn of(report: &Report<'_>) -> Status {
        let status = match report.status_text {
            Some(text) => Status::Text(js_number(text)),
            None => match report.failure.status {
                None | Some(0) => Status::None,
                Some(s) => Status::Number(f64::from(s)),
            },
        };
        match status {
            Status::Text(v) | Status::Number(v) if v == 0.0 => Status::None,
            other => other,
        }
    }

    fn value(self) -> Option<f64> {
        match self {
            Status::None => None,
            Status::Number(v) | Status::Text(v) => Some(v),
        }
    }

    /// 400..500, the range both SDKs treat as client errors (fractions included, as both
    /// compare numbers).
    fn is_4xx(self) -> bool {
        self.value().is_some_and(|v| (400.0..500.0).contains(&v))
    }

    fn is_throttled(self, rules: &ClassifyRules) -> bool {
        match self {
            Status::Number(v) => v == THROTTLED,
            Status::Text(v) => v == THROTTLED && rules.text_429_throttles,
            Status::None => false,
        }
    }
}

/// Classify what a host read from an error under one release's rules.
pub fn classify_report(report: &Report<'_>, rules: &ClassifyRules) -> Rule {
    let honoured = !report.wrapped || rules.reads_wrapped;
    let api = report.failure.api;
    if let (true, Some(scope)) = (honoured, report.stated_scope) {
        let acts_on = match api {
            Api::Checkpoint => rules.stated_scope,
            Api::GetState => rules.get_state_stated_scope,
        };
        match (scope, acts_on) {
            (Category::Execution, _) => return Rule::StatedExecution,
            (Category::Invocation, StatedScope::Both) => return Rule::StatedInvocation,
            (Category::Invocation, StatedScope::ExecutionOnly) => {}
        }
    }
    let (status, code, message) = if honoured {
        (
            Status::of(report),
            report.failure.code,
            report.failure.message,
        )
    } else {
        (Status::None, None, None)
    };
    if api == Api::GetState && !rules.get_state_classified {
        return if is_kms(code) {
            Rule::KmsCustomerError
        } else {
            Rule::StateFetchUnclassified
        };
    }
    let stale = code == Some(INVALID_PARAMETER_VALUE)
        && starts_with(message.unwrap_or(""), rules.stale_token);
    if rules.kms_first {
        if is_kms(code) {
            return Rule::KmsCustomerError;
        }
        if status.is_4xx() && !status.is_throttled(rules) {
            if rules.bodyless_4xx_retried && code.is_none() && message.is_none() {
                return Rule::ClientErrorWithoutBody;
            }
            return if stale {
                Rule::StaleCheckpointToken
            } else {
                Rule::ClientError
            };
        }
    } else {
        if status.is_4xx() {
            if stale {
                return Rule::StaleCheckpointToken;
            }
            if !status.is_throttled(rules) {
                return Rule::ClientError;
            }
        }
        if is_kms(code) {
            return Rule::KmsCustomerError;
        }
    }
    by_status(status, rules)
}

fn is_kms(code: Option<&str>) -> bool {
    code.is_some_and(|c| KMS_CUSTOMER_ERRORS.contains(&c))
}

fn starts_with(message: &str, stale: StaleToken) -> bool {
    let prefix = stale.prefix.as_bytes();
    match message.as_bytes().get(..prefix.len()) {
        Some(head) if stale.ignore_case => head.eq_ignore_ascii_case(prefix),
        Some(head) => head == prefix,
        None => false,
    }
}

/// What is left once the code-specific rules have passed.
fn by_status(status: Status, rules: &ClassifyRules) -> Rule {
    if status.is_throttled(rules) {
        return Rule::Throttled;
    }
    match status.value() {
        None => Rule::NoHttpResponse,
        Some(v) if (500.0..600.0).contains(&v) => Rule::ServerError,
        Some(_) => Rule::OtherStatus,
    }
}

/// JavaScript's `Number(text)` (StringToNumber): surrounding white space is ignored, empty text
/// is 0, then a decimal literal with optional sign, fraction and exponent, `Infinity`, or an
/// unsigned 0x / 0o / 0b integer; anything else is NaN.
pub fn js_number(text: &str) -> f64 {
    let t = text.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let (sign, body) = if let Some(rest) = t.strip_prefix('-') {
        (-1.0, rest)
    } else if let Some(rest) = t.strip_prefix('+') {
        (1.0, rest)
    } else {
        (1.0, t)
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    if body.len() == t.len() {
        for (prefixes, radix) in [(["0x", "0X"], 16), (["0o", "0O"], 8), (["0b", "0B"], 2)] {
            if let Some(digits) = prefixes.iter().find_map(|p| body.strip_prefix(p)) {
                return radix_number(digits, radix);
            }
        }
    }
    if is_decimal_literal(body) {
        body.parse::<f64>().map_or(f64::NAN, |v| sign * v)
    } else {
        f64::NAN
    }
}

fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}'..='\u{d}'
            | ' '
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
            | '\u{feff}'
    )
}

fn radix_number(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let mut value = 0.0_f64;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => value = value * f64::from(radix) + f64::from(d),
            None => return f64::NAN,
        }
    }
    value
}

/// digits [. digits] | . digits, then an optional exponent; no sign (already taken).
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_digits = count_digits(b, &mut i);
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = count_digits(b, &mut i);
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if count_digits(b, &mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn count_digits(b: &[u8], i: &mut usize) -> usize {
    let start = *i;
    while b.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    *i - start
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

    fn report<'a>(failure: ApiFailure<'a>) -> Report<'a> {
        Report::from(failure)
    }

    /// The rules of a release; an unknown name gets rules no release has, so its asserts fail.
    fn rules(name: &str) -> ClassifyRules {
        crate::profile::release(name).map_or(
            ClassifyRules {
                kms_first: true,
                stale_token: StaleToken {
                    prefix: "",
                    ignore_case: false,
                },
                bodyless_4xx_retried: false,
                get_state_classified: false,
                stated_scope: StatedScope::ExecutionOnly,
                get_state_stated_scope: StatedScope::ExecutionOnly,
                reads_wrapped: false,
                text_429_throttles: false,
            },
            |r| r.classify,
        )
    }

    #[test]
    fn the_test_release_names_exist() {
        for name in ["unified", "python@3.0.0", "ts@2.4.0"] {
            assert!(crate::profile::release(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn a_stated_scope_wins_over_the_response_in_every_profile() {
        let mut r = report(failure(503, "ServiceException", "x"));
        r.stated_scope = Some(Category::Execution);
        for name in ["unified", "python@3.0.0", "ts@2.4.0"] {
            assert_eq!(classify_report(&r, &rules(name)), Rule::StatedExecution);
        }
        r.stated_scope = Some(Category::Invocation);
        r.failure = failure(400, "ValidationException", "x");
        for name in ["unified", "python@3.0.0", "ts@2.4.0"] {
            assert_eq!(classify_report(&r, &rules(name)), Rule::StatedInvocation);
        }
    }

    #[test]
    fn ts_state_fetch_acts_on_a_stated_execution_only() {
        let mut r = report(ApiFailure {
            api: Api::GetState,
            status: None,
            code: Some("KMSDisabledException"),
            message: None,
        });
        r.stated_scope = Some(Category::Invocation);
        assert_eq!(
            classify_report(&r, &rules("ts@2.4.0")),
            Rule::KmsCustomerError
        );
        r.failure.code = Some("DurableExecutionClientError");
        assert_eq!(
            classify_report(&r, &rules("ts@2.4.0")),
            Rule::StateFetchUnclassified
        );
        r.stated_scope = Some(Category::Execution);
        assert_eq!(
            classify_report(&r, &rules("ts@2.4.0")),
            Rule::StatedExecution
        );
    }

    #[test]
    fn wrapped_fields_count_only_where_the_sdk_reads_them() {
        let mut r = report(failure(502, "KMSDisabledException", "key"));
        r.wrapped = true;
        assert_eq!(
            classify_report(&r, &rules("unified")),
            Rule::KmsCustomerError
        );
        assert_eq!(
            classify_report(&r, &rules("python@3.0.0")),
            Rule::NoHttpResponse
        );
        assert_eq!(
            classify_report(&r, &rules("ts@2.4.0")),
            Rule::NoHttpResponse
        );
        r.stated_scope = Some(Category::Execution);
        assert_eq!(
            classify_report(&r, &rules("ts@2.4.0")),
            Rule::NoHttpResponse
        );
        assert_eq!(
            classify_report(&r, &rules("unified")),
            Rule::StatedExecution
        );
    }

    #[test]
    fn text_statuses_are_numbers_but_ts_2_4_0_compares_429_strictly() {
        let mut r = report(failure(0, "ThrottlingException", "slow down"));
        r.status_text = Some("429");
        assert_eq!(classify_report(&r, &rules("ts@2.4.0")), Rule::ClientError);
        assert_eq!(classify_report(&r, &rules("unified")), Rule::Throttled);
        assert_eq!(classify_report(&r, &rules("python@3.0.0")), Rule::Throttled);
        for (text, rule) in [
            ("503", Rule::ServerError),
            (" 404 ", Rule::ClientError),
            ("404.5", Rule::ClientError),
            ("0x1f4", Rule::ServerError),
            ("", Rule::NoHttpResponse),
            ("abc", Rule::OtherStatus),
            ("70000", Rule::OtherStatus),
            ("-1", Rule::OtherStatus),
            ("Infinity", Rule::OtherStatus),
        ] {
            r.status_text = Some(text);
            assert_eq!(classify_report(&r, &rules("unified")), rule, "{text:?}");
        }
    }

    #[test]
    fn js_number_follows_string_to_number() {
        assert_eq!(js_number("  42\n"), 42.0);
        assert_eq!(js_number("+1e3"), 1000.0);
        assert_eq!(js_number(".5"), 0.5);
        assert_eq!(js_number("5."), 5.0);
        assert_eq!(js_number("-Infinity"), f64::NEG_INFINITY);
        assert_eq!(js_number("0b101"), 5.0);
        assert_eq!(js_number("0o17"), 15.0);
        for nan in [
            "inf", "NaN", "1e", ".", "-0x10", "0x", "1_000", "12px", "\u{e9}",
        ] {
            assert!(js_number(nan).is_nan(), "{nan:?}");
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
