//! Step orchestration as a sans-IO state machine (sdk-behaviour.md section 3).
//!
//! `begin` decides, from the checkpointed operation, what one step call does in this invocation;
//! `complete` turns the user function's outcome into the exact updates to send and what the host
//! does next. The host runs the user function, serializes, sends updates and sleeps/suspends.

pub mod api;
pub mod ids;

use crate::wire::Payload;
pub use crate::wire::{CheckpointedOperation, ErrorObject, Status, Update, UpdateAction};

use crate::error::CoreError;
use crate::profile::Profile;
use crate::retry::{Failure, Outcome, Strategy};

/// The service's limit on a step's checkpointed payload, in UTF-8 bytes.
pub const STEP_PAYLOAD_LIMIT: usize = 262_144;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Semantics {
    #[default]
    AtLeastOncePerRetry,
    AtMostOncePerRetry,
}

/// The step being called, as both SDKs identify it.
#[derive(Clone, Debug)]
pub struct StepCall<'a> {
    pub profile: Profile,
    /// The wire id (already hashed; see `ids`).
    pub id: &'a str,
    pub parent_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub semantics: Semantics,
    /// Epoch milliseconds, from the host's clock.
    pub now_ms: f64,
    /// The host keeps the serialized result (the invocation engine): a SUCCEED carries it as
    /// `Payload::Held` and `Return` carries none, so a large result is measured, never copied.
    pub holds_payload: bool,
}

/// What the host does next.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Run the user function as attempt `attempt` (1-based); send START first if `send_start`,
    /// and wait for it to be persisted before running if `await_start` (at-most-once).
    Execute {
        attempt: u32,
        send_start: bool,
        await_start: bool,
    },
    /// Return this serialized result (None: the SDK's "no payload", Python None / JS undefined).
    Return { payload: Option<String> },
    /// Raise the step's error. `error_class` is the SDK class to raise (StepError, InvokeError, ...).
    Raise {
        error_class: String,
        error: ErrorObject,
    },
    /// End the invocation as PENDING; resume at `until_ms` (None: no resume time known).
    Suspend { until_ms: Option<f64> },
    /// The checkpoint does not match this call: the code changed between invocations.
    NonDeterministic {
        field: &'static str,
        expected: Option<String>,
        actual: Option<String>,
    },
    /// Let the error escape untouched (Python ExecutionError, JS UnrecoverableError): no update.
    Propagate,
    /// The update would be rejected by the service with a permanent (EXECUTION) error; it was
    /// not sent. The handler fails the execution with `error`.
    FailExecution {
        rule: &'static str,
        error: ErrorObject,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub updates: Vec<Update>,
    pub action: Action,
}

impl Plan {
    fn just(action: Action) -> Plan {
        Plan {
            updates: Vec::new(),
            action,
        }
    }
}

/// The error the user function raised, as the host describes it.
#[derive(Clone, Debug, Default)]
pub struct UserError<'a> {
    /// The name the SDK records as ErrorType (Python: qualified class name for non-builtins).
    pub error_type: Option<&'a str>,
    /// The class chain the retry filter matches, most specific first.
    pub error_types: Vec<&'a str>,
    /// Python `str(error)`, JS `error.message`.
    pub message: Option<&'a str>,
    pub data: Option<&'a str>,
    pub stack_trace: Option<Vec<String>>,
    /// Python ExecutionError / JS UnrecoverableError: escapes without RETRY or FAIL.
    pub unrecoverable: bool,
}

#[derive(Clone, Debug)]
pub enum StepOutcome<'a> {
    Success { payload: Option<&'a str> },
    Failure(UserError<'a>),
}

/// Decide what this step call does, given its checkpointed operation (None: first run).
pub fn begin(
    call: &StepCall<'_>,
    checkpoint: Option<&CheckpointedOperation>,
    strategy: &Strategy,
    random: f64,
) -> Result<Plan, CoreError> {
    check_now(call.now_ms)?;
    check_random(random)?;
    let Some(op) = checkpoint else {
        return Ok(execute(call, 1, true));
    };
    if let Some(mismatch) = replay_mismatch(call, op) {
        return Ok(Plan::just(mismatch));
    }
    let attempt = op.attempt.saturating_add(1);
    Ok(match op.status {
        Status::Succeeded => Plan::just(Action::Return {
            payload: op.result.clone(),
        }),
        Status::Failed => Plan::just(raise(call.profile, op.error.clone())),
        Status::Pending => Plan::just(Action::Suspend {
            // A timer already past resumes now.
            until_ms: op.next_attempt_ms.map(|t| t.max(call.now_ms)),
        }),
        Status::Started if call.semantics == Semantics::AtMostOncePerRetry => {
            interrupted(call, attempt, strategy, random)?
        }
        Status::Started => execute(call, attempt, false),
        Status::Ready => execute(call, attempt, true),
        // Not expected for steps: Python runs without START, JS sends START (status != STARTED).
        Status::Cancelled | Status::TimedOut | Status::Stopped => {
            execute(call, attempt, call.profile != Profile::Python)
        }
    })
}

/// Turn the outcome of attempt `attempt` into updates and the next action.
pub fn complete(
    call: &StepCall<'_>,
    attempt: u32,
    outcome: &StepOutcome<'_>,
    strategy: &Strategy,
    random: f64,
) -> Result<Plan, CoreError> {
    check_now(call.now_ms)?;
    check_random(random)?;
    if attempt == 0 {
        return Err(CoreError::out_of_range(
            "attempt",
            0,
            "attempts are 1-based",
        ));
    }
    match outcome {
        StepOutcome::Success { payload } => Ok(succeed(call, *payload)),
        StepOutcome::Failure(e) if e.unrecoverable => Ok(Plan::just(Action::Propagate)),
        StepOutcome::Failure(e) => {
            let error = ErrorObject::from_user_error(call.profile, e);
            // The JS step handler hands a thrown non-Error to the strategy as
            // `new Error("Unknown Error")`, while it records "Unknown error".
            let non_error = call.profile != Profile::Python && e.error_type.is_none();
            let (message, types): (&str, &[&str]) = if non_error {
                ("Unknown Error", &["Error"])
            } else {
                (e.message.unwrap_or(""), &e.error_types)
            };
            retry_or_fail(call, attempt, error, message, types, strategy, random)
        }
    }
}

/// Run the user function; when START is due it is the plan's one update, sent before running
/// (and awaited first for at-most-once).
fn execute(call: &StepCall<'_>, attempt: u32, send_start: bool) -> Plan {
    Plan {
        updates: if send_start {
            vec![Update::new(call, UpdateAction::Start)]
        } else {
            Vec::new()
        },
        action: Action::Execute {
            attempt,
            send_start,
            await_start: send_start && call.semantics == Semantics::AtMostOncePerRetry,
        },
    }
}

fn succeed(call: &StepCall<'_>, payload: Option<&str>) -> Plan {
    // JS sends no Payload for undefined; Python sends whatever the serializer gave, "" included.
    if payload.is_some_and(|p| p.len() > STEP_PAYLOAD_LIMIT) {
        return Plan::just(Action::FailExecution {
            rule: "step-payload-too-large",
            error: ErrorObject::payload_too_large(call.profile),
        });
    }
    let update = Update::new(call, UpdateAction::Succeed);
    match payload {
        Some(text) if call.holds_payload => Plan {
            updates: vec![Update {
                payload: Payload::held(call.profile, text),
                ..update
            }],
            action: Action::Return { payload: None },
        },
        _ => Plan {
            updates: vec![update.with_payload(payload)],
            action: Action::Return {
                payload: payload.map(str::to_string),
            },
        },
    }
}

/// A STARTED at-most-once step was interrupted in an earlier invocation: decide retry or fail
/// for a StepInterruptedError, without running the user function.
fn interrupted(
    call: &StepCall<'_>,
    attempt: u32,
    strategy: &Strategy,
    random: f64,
) -> Result<Plan, CoreError> {
    let (error, types): (ErrorObject, &[&str]) = match call.profile {
        Profile::Python => (
            ErrorObject::message_and_type(
                format!(
                    "Step operation_id={} name={} was previously interrupted",
                    call.id,
                    call.name.filter(|n| !n.is_empty()).unwrap_or("None")
                ),
                "aws_durable_execution_sdk_python.exceptions.StepInterruptedError",
            ),
            &[
                "aws_durable_execution_sdk_python.exceptions.StepInterruptedError",
                "aws_durable_execution_sdk_python.exceptions.InvocationError",
                "aws_durable_execution_sdk_python.exceptions.UnrecoverableError",
                "aws_durable_execution_sdk_python.exceptions.DurableExecutionsError",
                "Exception",
                "BaseException",
            ],
        ),
        Profile::Ts | Profile::Unified => (
            ErrorObject::message_and_type(
                "The step execution process was initiated but failed to reach completion due to an interruption.".to_string(),
                "StepInterruptedError",
            ),
            &["StepInterruptedError", "Error"],
        ),
    };
    let message = error.message.clone().unwrap_or_default();
    retry_or_fail(call, attempt, error, &message, types, strategy, random)
}

fn retry_or_fail(
    call: &StepCall<'_>,
    attempt: u32,
    error: ErrorObject,
    message: &str,
    error_types: &[&str],
    strategy: &Strategy,
    random: f64,
) -> Result<Plan, CoreError> {
    let decision = strategy.decide(&Failure {
        attempts_made: f64::from(attempt),
        random,
        message,
        error_types,
    })?;
    if decision.outcome == Outcome::Retry {
        let delay = decision.delay_seconds;
        return Ok(Plan {
            updates: vec![Update::new(call, UpdateAction::Retry)
                .with_error(error)
                .with_delay(delay)],
            action: Action::Suspend {
                until_ms: Some(call.now_ms + delay as f64 * 1000.0),
            },
        });
    }
    Ok(Plan {
        updates: vec![Update::new(call, UpdateAction::Fail).with_error(error.clone())],
        action: raise(call.profile, Some(error)),
    })
}

/// The typed error a FAILED step raises, the same on first run and on replay.
fn raise(profile: Profile, error: Option<ErrorObject>) -> Action {
    let error = error.unwrap_or_else(|| {
        ErrorObject::message_only(match profile {
            Profile::Python => "Unknown error. No ErrorObject exists on the Checkpoint Operation.",
            Profile::Ts | Profile::Unified => "Unknown error",
        })
    });
    // Python raises StepError (error_type keeps the inner type) except for its own SerDesError;
    // JS rebuilds the durable error classes it knows and maps anything else to StepError.
    let error_class = match (profile, error.error_type.as_deref()) {
        (Profile::Python, Some("aws_durable_execution_sdk_python.exceptions.SerDesError")) => {
            "SerDesError"
        }
        (Profile::Python, _) => "StepError",
        (
            _,
            Some(
                known @ ("StepError"
                | "CallbackError"
                | "CallbackTimeoutError"
                | "CallbackExternalError"
                | "CallbackSubmitterError"
                | "InvokeError"
                | "ChildContextError"
                | "WaitForConditionError"
                | "PromiseCombinatorError"),
            ),
        ) => known,
        _ => "StepError",
    };
    Action::Raise {
        error_class: error_class.to_string(),
        error,
    }
}

/// Replay validation: the checkpoint must describe this call. JS 2.4.0 compares Type, Name
/// (strictly) and SubType when the checkpoint has a Type; Python 3.0.0
/// (`OperationIdentifier.validate_checkpoint`) compares Type, SubType, Name and ParentId, with
/// an empty Name or ParentId meaning none, and reports the first difference first.
fn replay_mismatch(call: &StepCall<'_>, op: &CheckpointedOperation) -> Option<Action> {
    fn blank_is_none(v: Option<&str>) -> Option<&str> {
        v.filter(|s| !s.is_empty())
    }
    let checks: Vec<(&'static str, Option<&str>, Option<&str>)> = match call.profile {
        Profile::Python => vec![
            ("Type", Some("STEP"), op.op_type.as_deref()),
            ("SubType", Some("Step"), op.sub_type.as_deref()),
            (
                "Name",
                blank_is_none(call.name),
                blank_is_none(op.name.as_deref()),
            ),
            // Only a checkpoint that records a parent can contradict it (measured: the SDK
            // replays a child's step whose checkpoint omits ParentId).
            (
                "ParentId",
                blank_is_none(call.parent_id).filter(|_| op.parent_id.is_some()),
                blank_is_none(op.parent_id.as_deref()),
            ),
        ],
        Profile::Ts | Profile::Unified => {
            op.op_type.as_ref()?;
            vec![
                ("Type", Some("STEP"), op.op_type.as_deref()),
                ("Name", call.name, op.name.as_deref()),
                ("SubType", Some("Step"), op.sub_type.as_deref()),
            ]
        }
    };
    checks
        .into_iter()
        .find(|(_, expected, actual)| expected != actual)
        .map(|(field, expected, actual)| Action::NonDeterministic {
            field,
            expected: expected.map(str::to_string),
            actual: actual.map(str::to_string),
        })
}

/// Checked up front, so a bad draw is caught even when no retry decision is needed.
fn check_random(random: f64) -> Result<(), CoreError> {
    if (0.0..1.0).contains(&random) {
        Ok(())
    } else {
        Err(CoreError::out_of_range(
            "random",
            random,
            "the host's draw must be in [0, 1)",
        ))
    }
}

/// Epoch milliseconds between 1970 and the year 10000.
pub(crate) fn check_now(now_ms: f64) -> Result<(), CoreError> {
    if now_ms.is_finite() && (0.0..253_402_300_800_000.0).contains(&now_ms) {
        Ok(())
    } else {
        Err(CoreError::out_of_range(
            "now-ms",
            now_ms,
            "must be epoch milliseconds between 1970 and 9999",
        ))
    }
}
