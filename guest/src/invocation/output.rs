//! How the invocation ends: DurableExecutionInvocationOutput exactly as each profile's SDK
//! returns it, with the large-result fallback.

use super::{Invocation, State, Verdict};
use crate::error::CoreError;
use crate::profile::Profile;
use crate::step::ids::hash_step_id;
use crate::wire::{ErrorObject, OpType, Options, Payload, Update, UpdateAction};

/// Lambda's response limit less 50 bytes for the envelope (both SDKs).
pub const RESPONSE_LIMIT: usize = 6 * 1024 * 1024 - 50;

/// How the handler ended, as the host saw it.
pub enum Finish {
    /// It returned this serialized result (None: JS undefined).
    Return { result: Option<usize> },
    /// It raised this error.
    Throw(ErrorObject),
    /// An operation answered Suspend and the handler stopped there.
    Suspend,
    /// An operation answered Stop.
    Stopped,
    /// It raised an error too large to return (Python): the error was checkpointed instead.
    ThrowStored,
}

/// The handler's result field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultField {
    /// `Result` is the host's serialized value.
    Held,
    /// `Result` is "" (the value was checkpointed instead).
    Empty,
    /// No `Result` (JS undefined).
    Absent,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Succeeded(ResultField),
    Failed(ErrorObject),
    /// FAILED with no `Error`: it was checkpointed (an EXECUTION FAIL update) for being too large.
    FailedStored,
    Pending,
    /// The invocation fails (the handler raises); Lambda retries it.
    InvocationError {
        rule: String,
        message: String,
    },
}

impl Invocation {
    /// The handler is done. Returns the sequence number to pump to before `output`, and the
    /// one under which the host keeps its result when the result is checkpointed instead of
    /// returned (the large-result fallback).
    pub fn finish(
        &mut self,
        finish: Finish,
        result: Option<&str>,
        now_ms: f64,
    ) -> Result<(Option<u64>, Option<u64>), CoreError> {
        let mut held = None;
        super::check_now(now_ms)?;
        if self.finish.is_some() {
            return Err(CoreError::invalid(
                "finish",
                "(again)",
                "the invocation already finished",
            ));
        }
        let finish = match (finish, result) {
            (_, _) if self.verdict.is_some() => Finish::Stopped,
            (Finish::Return { .. }, Some(text)) if text.len() > RESPONSE_LIMIT => {
                let id = format!("execution-result-{}", now_ms as u64);
                let id = match self.profile {
                    Profile::Python => id,
                    Profile::Ts | Profile::Unified => hash_step_id(&id),
                };
                held = Some(self.queue.push(Update {
                    profile: self.profile,
                    op_type: OpType::Execution,
                    id,
                    parent_id: None,
                    name: None,
                    sub_type: None,
                    action: UpdateAction::Succeed,
                    payload: Payload::held(self.profile, text),
                    error: None,
                    options: Options::None,
                }));
                Finish::Return { result: None }
            }
            (Finish::Return { .. }, Some(text)) => Finish::Return {
                result: Some(text.len()),
            },
            // Python 3.0.0 checkpoints an error whose FAILED output would not fit the response
            // and returns FAILED without it (JS 2.4.0 has no such fallback).
            (Finish::Throw(error), _)
                if self.profile == Profile::Python
                    && failed_output_size(&error) > RESPONSE_LIMIT =>
            {
                self.queue.push(Update {
                    profile: self.profile,
                    op_type: OpType::Execution,
                    id: format!("execution-result-{}", now_ms as u64),
                    parent_id: None,
                    name: None,
                    sub_type: None,
                    action: UpdateAction::Fail,
                    payload: Payload::Absent,
                    error: Some(error),
                    options: Options::None,
                });
                Finish::ThrowStored
            }
            (other, _) => other,
        };
        self.finish = Some(finish);
        Ok((self.queue.last_seq(), held))
    }

    /// The invocation's output, once everything `finish` asked for is stored (or the
    /// invocation stopped).
    pub fn output(&self) -> Result<Output, CoreError> {
        if let Some(verdict) = &self.verdict {
            return Ok(match verdict {
                Verdict::Invocation { rule, message } => Output::InvocationError {
                    rule: rule.clone(),
                    message: message.clone(),
                },
                Verdict::Execution { error, .. } => Output::Failed(error.clone()),
            });
        }
        let Some(finish) = &self.finish else {
            return Err(CoreError::invalid(
                "output",
                "(not finished)",
                "call finish first",
            ));
        };
        if !self.queue.is_empty() {
            return Err(CoreError::invalid(
                "output",
                "(updates not stored)",
                "pump every checkpoint call before asking for the output",
            ));
        }
        Ok(match finish {
            Finish::Return { result: Some(_) } => Output::Succeeded(ResultField::Held),
            Finish::Return { result: None } if self.large_result_sent() => {
                Output::Succeeded(ResultField::Empty)
            }
            Finish::Return { result: None } => Output::Succeeded(ResultField::Absent),
            Finish::Throw(error) => Output::Failed(error.clone()),
            Finish::ThrowStored => Output::FailedStored,
            Finish::Suspend if self.ops.iter().any(|o| o.state == State::Blocked) => {
                Output::Pending
            }
            Finish::Suspend => Output::InvocationError {
                rule: "suspended-without-pending-operation".to_string(),
                message: "the handler suspended, but no operation is pending".to_string(),
            },
            Finish::Stopped => Output::InvocationError {
                rule: "stopped-without-verdict".to_string(),
                message: "the handler stopped, but no operation stopped it".to_string(),
            },
        })
    }

    fn large_result_sent(&self) -> bool {
        self.queue.sent_execution_result()
    }
}

/// `len(json.dumps(output))` of a FAILED output carrying `error` (Python's default separators
/// add a space after each `,` and `:`).
fn failed_output_size(error: &ErrorObject) -> usize {
    let mut w = crate::json::Writer::new(true);
    let separators = error.write(&mut w, Profile::Python);
    // {"Status": "FAILED", "Error": <error>}
    w.finish().len() + separators + r#"{"Status": "FAILED", "Error": }"#.len()
}

/// The error object of an operation error the core raised (StepError, ChildContextError, ...)
/// that escaped the handler: Python records the SDK class's qualified name with the carried
/// message, data and trace; JS its class name, written as its durable errors are.
pub fn escaped_error(profile: Profile, error_class: &str, error: &ErrorObject) -> ErrorObject {
    match profile {
        Profile::Python => ErrorObject {
            error_type: Some(format!(
                "aws_durable_execution_sdk_python.exceptions.{error_class}"
            )),
            ..error.clone()
        },
        Profile::Ts | Profile::Unified => ErrorObject {
            error_type: Some(error_class.to_string()),
            message: error.message.clone(),
            data: error.data.clone(),
            stack_trace: None,
            durable: true,
        },
    }
}
