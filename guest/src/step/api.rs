//! The step interface's JSON calls: one request string in, one response string out, so each
//! step costs one boundary crossing per phase whatever the host's value conversion costs.
//!
//! Request (both calls): `profile`, `id`, `parent_id`, `name`, `semantics`
//! (`AT_LEAST_ONCE_PER_RETRY` | `AT_MOST_ONCE_PER_RETRY`), `now_ms`, `random`, and the retry
//! strategy as `strategy` (a handle from retry.register) or `retry` (`{"config": ...}` /
//! `{"preset": ...}`; neither: the `default` preset). `begin` adds `operation` (the checkpointed
//! Operation as the service returns it, or null); `complete` adds `attempt` and `outcome`
//! (`{"success": {"payload": string|null}}` or `{"failure": {"error_type", "error_types",
//! "message", "data", "stack_trace", "unrecoverable"}}`).
//!
//! Response: `{"updates": [<OperationUpdate JSON, as a string>...], "action": {"kind": ...}}`
//! or `{"error": {"kind", "field", "value", "message"}}`.

use super::{
    begin, complete, Action, CheckpointedOperation, Plan, Semantics, StepCall, StepOutcome,
    UserError,
};
use crate::error::{CoreError, ErrorKind};
use crate::json::{self, object, string, Json, Writer};
use crate::profile::Profile;
use crate::retry::{self, Strategy};

/// Resolves a registered strategy handle (the component's registry; none natively).
pub type Lookup<'s> = dyn Fn(u32) -> Option<&'s Strategy> + 's;

pub fn begin_json(request: &str, lookup: &Lookup<'_>) -> String {
    respond(|| {
        let req = json::parse("request", request)?;
        let call = step_call(&req)?;
        let operation = match req.field("operation") {
            None => None,
            Some(op) => Some(CheckpointedOperation::parse(op)?),
        };
        with_strategy(&req, call.profile, lookup, |strategy| {
            begin(&call, operation.as_ref(), strategy, random(&req)?)
        })
    })
}

pub fn complete_json(request: &str, lookup: &Lookup<'_>) -> String {
    respond(|| {
        let req = json::parse("request", request)?;
        let call = step_call(&req)?;
        let attempt = match retry::json::number(&req, "attempt")? {
            Some(n) if n.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&n) => n as u32,
            Some(n) => return Err(CoreError::out_of_range("attempt", n, "a whole number >= 1")),
            None => return Err(missing("attempt")),
        };
        let outcome_json = req.field("outcome").ok_or_else(|| missing("outcome"))?;
        let outcome = outcome(outcome_json)?;
        with_strategy(&req, call.profile, lookup, |strategy| {
            complete(&call, attempt, &outcome, strategy, random(&req)?)
        })
    })
}

fn respond(run: impl FnOnce() -> Result<Plan, CoreError>) -> String {
    let mut w = Writer::new(false);
    match run() {
        Ok(plan) => {
            w.raw("{\"updates\":[");
            for (i, update) in plan.updates.iter().enumerate() {
                if i > 0 {
                    w.raw(",");
                }
                w.string(&update.to_json());
            }
            w.raw("],\"action\":");
            w.value(&action_json(&plan.action));
            w.raw("}");
        }
        Err(e) => w.value(&core_error_json(e)),
    }
    w.finish()
}

/// `{"error": {"kind", "field", "value", "message"}}`, the JSON calls' rejection.
pub(crate) fn core_error_json(e: CoreError) -> Json<'static> {
    let kind = match e.kind {
        ErrorKind::InvalidValue => "invalid-value",
        ErrorKind::OutOfRange => "out-of-range",
        ErrorKind::Malformed => "malformed",
        ErrorKind::Missing => "missing",
    };
    object(vec![(
        "error",
        object(vec![
            ("kind", string(kind)),
            ("field", Json::String(e.field.into())),
            ("value", Json::String(e.value.into())),
            ("message", Json::String(e.message.into())),
        ]),
    )])
}

fn with_strategy(
    req: &Json,
    profile: Profile,
    lookup: &Lookup<'_>,
    run: impl FnOnce(&Strategy) -> Result<Plan, CoreError>,
) -> Result<Plan, CoreError> {
    match req.field("strategy") {
        Some(Json::Number(n)) => {
            let found = (n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n))
                .then(|| lookup(*n as u32))
                .flatten();
            match found {
                Some(strategy) => run(strategy),
                None => Err(CoreError::invalid(
                    "strategy",
                    *n,
                    "no strategy is registered under this handle",
                )),
            }
        }
        Some(other) => Err(CoreError::invalid(
            "strategy",
            other.type_name(),
            "expected a handle",
        )),
        None => {
            let spec = match req.field("retry") {
                Some(r) => retry::json::spec_from_json(r, profile)?,
                None => retry::preset("default", profile, None)?,
            };
            run(&Strategy::new(&spec, profile)?)
        }
    }
}

fn step_call<'b>(req: &'b Json<'_>) -> Result<StepCall<'b>, CoreError> {
    let profile = match req.field("profile") {
        None => Profile::default(),
        Some(Json::String(s)) => Profile::from_name(s)?,
        Some(other) => {
            return Err(CoreError::invalid(
                "profile",
                other.type_name(),
                "expected a string",
            ))
        }
    };
    let id = match req.field("id") {
        Some(Json::String(s)) if !s.is_empty() => s.as_ref(),
        Some(Json::String(_)) => {
            return Err(CoreError::invalid(
                "id",
                "\"\"",
                "an operation id cannot be empty",
            ))
        }
        Some(other) => {
            return Err(CoreError::invalid(
                "id",
                other.type_name(),
                "expected a string",
            ))
        }
        None => return Err(missing("id")),
    };
    let semantics = semantics(req)?;
    let now_ms = match req.field("now_ms") {
        Some(Json::Number(n)) => *n,
        Some(other) => {
            return Err(CoreError::invalid(
                "now-ms",
                other.describe(),
                "expected epoch milliseconds",
            ))
        }
        None => return Err(missing("now-ms")),
    };
    Ok(StepCall {
        profile,
        id,
        parent_id: optional_text(req, "parent_id", "parent-id")?,
        name: optional_text(req, "name", "name")?,
        semantics,
        now_ms,
        holds_payload: false,
    })
}

fn outcome<'b>(json: &'b Json<'_>) -> Result<StepOutcome<'b>, CoreError> {
    // Exactly one of the two keys, holding an object: `{"success": 5}` or both keys set is a
    // host defect, not a result to guess at.
    let (success, failure) = (json.get("success"), json.get("failure"));
    for (key, value) in [("success", success), ("failure", failure)] {
        if let Some(v) = value.filter(|v| !matches!(v, Json::Object(_))) {
            return Err(CoreError::invalid(
                &format!("outcome.{key}"),
                v.type_name(),
                "expected an object",
            ));
        }
    }
    let f = match (success, failure) {
        (Some(success), None) => {
            return Ok(StepOutcome::Success {
                payload: optional_text(success, "payload", "outcome.success.payload")?,
            })
        }
        (None, Some(f)) => f,
        (Some(_), Some(_)) => {
            return Err(CoreError::invalid(
                "outcome",
                "both success and failure",
                "expected exactly one of {\"success\": ...} and {\"failure\": ...}",
            ))
        }
        (None, None) => {
            return Err(CoreError::invalid(
                "outcome",
                json.type_name(),
                "expected {\"success\": ...} or {\"failure\": ...}",
            ))
        }
    };
    user_error(f).map(StepOutcome::Failure)
}

/// The user's error as hosts describe it (`outcome.failure`).
pub(crate) fn user_error<'b>(f: &'b Json<'_>) -> Result<UserError<'b>, CoreError> {
    let list = |key: &str, field: &str| -> Result<Option<Vec<&str>>, CoreError> {
        match f.field(key) {
            None => Ok(None),
            Some(Json::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Json::String(s) => Ok(s.as_ref()),
                    other => Err(CoreError::invalid(
                        field,
                        other.type_name(),
                        "expected strings",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(CoreError::invalid(
                field,
                other.type_name(),
                "expected a list of strings",
            )),
        }
    };
    let error_type = optional_text(f, "error_type", "outcome.failure.error-type")?;
    Ok(UserError {
        error_type,
        error_types: list("error_types", "outcome.failure.error-types")?
            .unwrap_or_else(|| error_type.into_iter().collect()),
        message: optional_text(f, "message", "outcome.failure.message")?,
        data: optional_text(f, "data", "outcome.failure.data")?,
        stack_trace: list("stack_trace", "outcome.failure.stack-trace")?
            .map(|t| t.into_iter().map(str::to_string).collect()),
        unrecoverable: match f.field("unrecoverable") {
            None => false,
            Some(Json::Bool(b)) => *b,
            Some(other) => {
                return Err(CoreError::invalid(
                    "outcome.failure.unrecoverable",
                    other.type_name(),
                    "expected a boolean",
                ))
            }
        },
    })
}

pub(crate) fn semantics(req: &Json) -> Result<Semantics, CoreError> {
    match req.field("semantics") {
        None => Ok(Semantics::AtLeastOncePerRetry),
        Some(Json::String(s)) if s == "AT_LEAST_ONCE_PER_RETRY" => {
            Ok(Semantics::AtLeastOncePerRetry)
        }
        Some(Json::String(s)) if s == "AT_MOST_ONCE_PER_RETRY" => Ok(Semantics::AtMostOncePerRetry),
        Some(other) => Err(CoreError::invalid(
            "semantics",
            other.describe(),
            "expected AT_LEAST_ONCE_PER_RETRY or AT_MOST_ONCE_PER_RETRY",
        )),
    }
}

pub(crate) fn random(req: &Json) -> Result<f64, CoreError> {
    Ok(retry::json::number(req, "random")?.unwrap_or(0.0))
}

pub(crate) fn optional_text<'a>(
    json: &'a Json,
    key: &str,
    field: &str,
) -> Result<Option<&'a str>, CoreError> {
    match json.field(key) {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.as_ref())),
        Some(other) => Err(CoreError::invalid(
            field,
            other.type_name(),
            "expected a string or null",
        )),
    }
}

fn action_json<'a>(action: &'a Action) -> Json<'a> {
    let kind = |k: &'a str, mut rest: Vec<(&'a str, Json<'a>)>| -> Json<'a> {
        rest.insert(0, ("kind", string(k)));
        object(rest)
    };
    let text = |s: &'a Option<String>| s.as_deref().map_or(Json::Null, string);
    match action {
        Action::Execute {
            attempt,
            send_start,
            await_start,
        } => kind(
            "execute",
            vec![
                ("attempt", Json::Number(f64::from(*attempt))),
                ("send_start", Json::Bool(*send_start)),
                ("await_start", Json::Bool(*await_start)),
            ],
        ),
        Action::Return { payload } => kind("return", vec![("payload", text(payload))]),
        Action::Raise { error_class, error } => kind(
            "raise",
            vec![
                ("error_class", string(error_class)),
                ("error", error_json(error)),
            ],
        ),
        Action::Suspend { until_ms } => kind(
            "suspend",
            vec![("until_ms", until_ms.map_or(Json::Null, Json::Number))],
        ),
        Action::NonDeterministic {
            field,
            expected,
            actual,
        } => kind(
            "non-deterministic",
            vec![
                ("field", string(field)),
                ("expected", text(expected)),
                ("actual", text(actual)),
            ],
        ),
        Action::Propagate => kind("propagate", vec![]),
        Action::FailExecution { rule, error } => kind(
            "fail-execution",
            vec![
                ("rule", string(rule)),
                ("category", string("EXECUTION")),
                ("error", error_json(error)),
            ],
        ),
    }
}

pub(crate) fn error_json(e: &super::ErrorObject) -> Json<'_> {
    let mut fields = Vec::new();
    for (key, value) in [
        ("ErrorType", &e.error_type),
        ("ErrorMessage", &e.message),
        ("ErrorData", &e.data),
    ] {
        if let Some(v) = value {
            fields.push((key, string(v)));
        }
    }
    if let Some(trace) = &e.stack_trace {
        fields.push((
            "StackTrace",
            Json::Array(trace.iter().map(|t| string(t)).collect()),
        ));
    }
    object(fields)
}

pub(crate) fn missing(field: &str) -> CoreError {
    CoreError::new(ErrorKind::Missing, field, "(absent)", "required")
}
