//! The service's wire shapes: the checkpointed Operation (read) and OperationUpdate (written).
//!
//! Updates are written byte for byte as each SDK sends them: Python builds
//! `OperationUpdate.to_dict()` (Id, Type, Action, ParentId, Name, SubType, Payload, Error,
//! StepOptions; falsy ParentId/Name dropped; ErrorMessage before ErrorType) and json.dumps escapes
//! non-ASCII; the JS SDK's batcher spreads `{Type, Action, ...data, Id}` (Type, Action, Id,
//! ParentId, SubType, Payload/Error, Name, StepOptions; only undefined dropped; ErrorData before
//! ErrorMessage before ErrorType) and JSON.stringify keeps UTF-8. `unified` writes like JS.

use super::{StepCall, UserError};
use crate::error::{CoreError, ErrorKind};
use crate::json::{Json, Writer};
use crate::profile::Profile;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Started,
    Pending,
    Ready,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
    Stopped,
}

impl Status {
    fn parse(name: &str) -> Option<Status> {
        Some(match name {
            "STARTED" => Status::Started,
            "PENDING" => Status::Pending,
            "READY" => Status::Ready,
            "SUCCEEDED" => Status::Succeeded,
            "FAILED" => Status::Failed,
            "CANCELLED" => Status::Cancelled,
            "TIMED_OUT" => Status::TimedOut,
            "STOPPED" => Status::Stopped,
            _ => return None,
        })
    }
}

/// `{ErrorType, ErrorMessage, ErrorData, StackTrace}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorObject {
    pub error_type: Option<String>,
    pub message: Option<String>,
    pub data: Option<String>,
    pub stack_trace: Option<Vec<String>>,
    /// JS: built by a DurableOperationError's `toErrorObject()`, which writes ErrorType first.
    pub durable: bool,
}

impl ErrorObject {
    pub fn message_only(message: &str) -> Self {
        ErrorObject {
            message: Some(message.to_string()),
            ..ErrorObject::default()
        }
    }

    pub fn message_and_type(message: String, error_type: &str) -> Self {
        ErrorObject {
            error_type: Some(error_type.to_string()),
            message: Some(message),
            ..ErrorObject::default()
        }
    }

    /// Python `ErrorObject.from_exception` keeps what the exception has; JS
    /// `createErrorObjectFromError` keeps data and drops the stack trace (STORE_STACK_TRACES is
    /// false in 2.4.0).
    pub fn from_user_error(profile: Profile, e: &UserError<'_>) -> Self {
        let owned = |s: Option<&str>| s.map(str::to_string);
        match profile {
            // Plain exceptions carry neither data nor a trace; the SDK's own operation errors
            // (StepError, ...) carry both, and Python keeps them.
            Profile::Python => ErrorObject {
                error_type: owned(e.error_type),
                message: owned(e.message),
                data: owned(e.data),
                stack_trace: e.stack_trace.clone(),
                durable: false,
            },
            Profile::Ts | Profile::Unified => ErrorObject {
                error_type: owned(e.error_type),
                // A thrown non-Error value has no name; JS records "Unknown error".
                message: if e.error_type.is_none() && e.message.is_none() {
                    Some("Unknown error".to_string())
                } else {
                    owned(e.message)
                },
                data: owned(e.data),
                stack_trace: None,
                durable: e.error_types.contains(&"DurableOperationError"),
            },
        }
    }

    /// The error the service would return for an oversized step payload, as each SDK reports
    /// the resulting EXECUTION-category checkpoint failure.
    pub fn payload_too_large(profile: Profile) -> Self {
        let service = "STEP output payload size must be less than or equal to 262144 bytes.";
        match profile {
            Profile::Python => ErrorObject::message_and_type(
                format!("An error occurred (InvalidParameterValueException) when calling the CheckpointDurableExecution operation: {service}"),
                "aws_durable_execution_sdk_python.exceptions.CheckpointError",
            ),
            Profile::Ts | Profile::Unified => ErrorObject::message_and_type(
                format!("[Unrecoverable Execution] Checkpoint failed: {service}"),
                "CheckpointUnrecoverableExecutionError",
            ),
        }
    }

    fn parse(json: &Json) -> Result<Self, CoreError> {
        Ok(ErrorObject {
            error_type: text(json, "ErrorType", "Error.ErrorType")?,
            message: text(json, "ErrorMessage", "Error.ErrorMessage")?,
            data: text(json, "ErrorData", "Error.ErrorData")?,
            stack_trace: match json.field("StackTrace") {
                None => None,
                Some(Json::Array(items)) => Some(
                    items
                        .iter()
                        .map(|i| match i {
                            Json::String(s) => Ok(s.clone()),
                            other => Err(wrong("Error.StackTrace", other, "a list of strings")),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                Some(other) => return Err(wrong("Error.StackTrace", other, "a list of strings")),
            },
            durable: false,
        })
    }

    pub fn write(&self, w: &mut Writer, profile: Profile) {
        let mut fields: Vec<(&str, Json)> = Vec::new();
        let text = |v: &Option<String>| v.clone().map(Json::String);
        let stack = self
            .stack_trace
            .clone()
            .map(|t| Json::Array(t.into_iter().map(Json::String).collect()));
        let order: [(&str, Option<Json>); 4] = match profile {
            Profile::Python => [
                ("ErrorMessage", text(&self.message)),
                ("ErrorType", text(&self.error_type)),
                ("ErrorData", text(&self.data)),
                ("StackTrace", stack),
            ],
            Profile::Ts | Profile::Unified if self.durable => [
                ("ErrorType", text(&self.error_type)),
                ("ErrorMessage", text(&self.message)),
                ("ErrorData", text(&self.data)),
                ("StackTrace", stack),
            ],
            Profile::Ts | Profile::Unified => [
                ("ErrorData", text(&self.data)),
                ("ErrorMessage", text(&self.message)),
                ("ErrorType", text(&self.error_type)),
                ("StackTrace", stack),
            ],
        };
        for (key, value) in order {
            if let Some(v) = value {
                fields.push((key, v));
            }
        }
        w.value(&Json::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ));
    }
}

/// The operation as GetDurableExecutionState / the invocation input returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointedOperation {
    pub op_type: Option<String>,
    pub parent_id: Option<String>,
    pub name: Option<String>,
    pub sub_type: Option<String>,
    pub status: Status,
    /// Finished attempts (StepDetails.Attempt; 0 when absent).
    pub attempt: u32,
    pub next_attempt_ms: Option<f64>,
    pub result: Option<String>,
    pub error: Option<ErrorObject>,
}

impl CheckpointedOperation {
    pub fn parse(json: &Json) -> Result<Self, CoreError> {
        if !matches!(json, Json::Object(_)) {
            return Err(wrong("operation", json, "an object"));
        }
        let status_name = text(json, "Status", "operation.Status")?.ok_or_else(|| {
            CoreError::new(
                ErrorKind::Missing,
                "operation.Status",
                "(absent)",
                "required",
            )
        })?;
        let status = Status::parse(&status_name).ok_or_else(|| {
            CoreError::invalid(
                "operation.Status",
                &status_name,
                "expected STARTED, PENDING, READY, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT or STOPPED",
            )
        })?;
        let details = match json.field("StepDetails") {
            None => None,
            Some(d @ Json::Object(_)) => Some(d),
            Some(other) => return Err(wrong("operation.StepDetails", other, "an object")),
        };
        let detail = |key: &str| details.and_then(|d| d.field(key));
        let attempt = match detail("Attempt") {
            None => 0,
            Some(Json::Number(n))
                if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n) =>
            {
                *n as u32
            }
            Some(other) => {
                return Err(wrong(
                    "operation.StepDetails.Attempt",
                    other,
                    "a whole number >= 0",
                ))
            }
        };
        let next_attempt_ms = match detail("NextAttemptTimestamp") {
            None => None,
            Some(Json::Number(n)) if *n >= 0.0 => Some(*n),
            Some(other) => {
                return Err(wrong(
                    "operation.StepDetails.NextAttemptTimestamp",
                    other,
                    "epoch milliseconds (a number >= 0)",
                ))
            }
        };
        let result = match detail("Result") {
            None => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => return Err(wrong("operation.StepDetails.Result", other, "a string")),
        };
        let error = match detail("Error") {
            None => None,
            Some(e @ Json::Object(_)) => Some(ErrorObject::parse(e)?),
            Some(other) => return Err(wrong("operation.StepDetails.Error", other, "an object")),
        };
        Ok(CheckpointedOperation {
            op_type: text(json, "Type", "operation.Type")?,
            parent_id: text(json, "ParentId", "operation.ParentId")?,
            name: text(json, "Name", "operation.Name")?,
            sub_type: text(json, "SubType", "operation.SubType")?,
            status,
            attempt,
            next_attempt_ms,
            result,
            error,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateAction {
    Start,
    Succeed,
    Fail,
    Retry,
}

impl UpdateAction {
    fn name(self) -> &'static str {
        match self {
            UpdateAction::Start => "START",
            UpdateAction::Succeed => "SUCCEED",
            UpdateAction::Fail => "FAIL",
            UpdateAction::Retry => "RETRY",
        }
    }
}

/// One OperationUpdate for a step.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub profile: Profile,
    pub id: String,
    pub parent_id: Option<String>,
    pub name: Option<String>,
    pub action: UpdateAction,
    pub payload: Option<String>,
    pub error: Option<ErrorObject>,
    pub next_attempt_delay_seconds: Option<u64>,
}

impl Update {
    pub fn new(call: &StepCall<'_>, action: UpdateAction) -> Self {
        Update {
            profile: call.profile,
            id: call.id.to_string(),
            parent_id: call.parent_id.map(str::to_string),
            name: call.name.map(str::to_string),
            action,
            payload: None,
            error: None,
            next_attempt_delay_seconds: None,
        }
    }

    pub fn with_payload(mut self, payload: Option<&str>) -> Self {
        self.payload = payload.map(str::to_string);
        self
    }

    pub fn with_error(mut self, error: ErrorObject) -> Self {
        self.error = Some(error);
        self
    }

    pub fn with_delay(mut self, seconds: u64) -> Self {
        self.next_attempt_delay_seconds = Some(seconds);
        self
    }

    /// The exact JSON the profile's SDK sends for this update.
    pub fn to_json(&self) -> String {
        let python = self.profile == Profile::Python;
        let mut w = Writer::new(python);
        w.raw("{");
        let mut first = true;
        let mut key = |w: &mut Writer, k: &str| {
            if !first {
                w.raw(",");
            }
            first = false;
            w.string(k);
            w.raw(":");
        };
        let present = |v: &Option<String>| {
            // Python drops falsy ParentId/Name; JS drops only undefined.
            v.as_deref()
                .filter(|s| !(python && s.is_empty()))
                .map(str::to_string)
        };
        let (parent, name) = (present(&self.parent_id), present(&self.name));
        let order: &[&str] = if python {
            &[
                "Id",
                "Type",
                "Action",
                "ParentId",
                "Name",
                "SubType",
                "Payload",
                "Error",
                "StepOptions",
            ]
        } else {
            &[
                "Type",
                "Action",
                "Id",
                "ParentId",
                "SubType",
                "Payload",
                "Error",
                "Name",
                "StepOptions",
            ]
        };
        for field in order {
            match *field {
                "Id" => {
                    key(&mut w, "Id");
                    w.string(&self.id);
                }
                "Type" => {
                    key(&mut w, "Type");
                    w.string("STEP");
                }
                "Action" => {
                    key(&mut w, "Action");
                    w.string(self.action.name());
                }
                "SubType" => {
                    key(&mut w, "SubType");
                    w.string("Step");
                }
                "ParentId" | "Name" | "Payload" => {
                    let value = match *field {
                        "ParentId" => &parent,
                        "Name" => &name,
                        _ => &self.payload,
                    };
                    if let Some(v) = value {
                        key(&mut w, field);
                        w.string(v);
                    }
                }
                "Error" => {
                    if let Some(e) = &self.error {
                        key(&mut w, "Error");
                        e.write(&mut w, self.profile);
                    }
                }
                _ => {
                    if let Some(delay) = self.next_attempt_delay_seconds {
                        key(&mut w, "StepOptions");
                        w.raw("{\"NextAttemptDelaySeconds\":");
                        w.raw(&delay.to_string());
                        w.raw("}");
                    }
                }
            }
        }
        w.raw("}");
        w.finish()
    }
}

fn text(json: &Json, key: &str, field: &str) -> Result<Option<String>, CoreError> {
    match json.field(key) {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong(field, other, "a string")),
    }
}

fn wrong(field: &str, value: &Json, expected: &str) -> CoreError {
    CoreError::invalid(field, value.type_name(), &format!("expected {expected}"))
}
