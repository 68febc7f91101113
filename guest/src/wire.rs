//! The service's wire shapes, for every operation type: the checkpointed Operation (read) and
//! the OperationUpdate (written).
//!
//! Updates are written byte for byte as each SDK sends them: Python builds
//! `OperationUpdate.to_dict()` (Id, Type, Action, ParentId, Name, SubType, Payload, Error, then
//! the options objects; falsy ParentId/Name dropped; ErrorMessage before ErrorType) and
//! json.dumps escapes non-ASCII; the JS SDK's batcher spreads `{Type, Action, ...data, Id}` (Type,
//! Action, Id, ParentId, SubType, Payload/Error, ContextOptions, Name, StepOptions/WaitOptions;
//! only undefined dropped; ErrorData before ErrorMessage before ErrorType) and JSON.stringify
//! keeps UTF-8. `unified` writes like JS.

use crate::error::{CoreError, ErrorKind};
use crate::json::{self, Json, Writer};
use crate::profile::Profile;
use crate::step::{StepCall, UserError};

/// The operation types the core runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpType {
    Execution,
    Context,
    Step,
    Wait,
}

impl OpType {
    pub fn name(self) -> &'static str {
        match self {
            OpType::Execution => "EXECUTION",
            OpType::Context => "CONTEXT",
            OpType::Step => "STEP",
            OpType::Wait => "WAIT",
        }
    }
}

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

    pub fn parse(json: &Json) -> Result<Self, CoreError> {
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
                            Json::String(s) => Ok(s.to_string()),
                            other => Err(wrong("Error.StackTrace", other, "a list of strings")),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                Some(other) => return Err(wrong("Error.StackTrace", other, "a list of strings")),
            },
            durable: false,
        })
    }

    /// Writes the object; returns its key/value separator count (see `Update::write`).
    pub fn write<'a>(&'a self, w: &mut Writer, profile: Profile) -> usize {
        let mut fields: Vec<(&str, Json)> = Vec::new();
        let text = |v: &'a Option<String>| v.as_deref().map(json::string);
        let stack = self
            .stack_trace
            .as_ref()
            .map(|t| Json::Array(t.iter().map(|s| json::string(s)).collect()));
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
        let separators = (fields.len() * 2).saturating_sub(1)
            + fields
                .iter()
                .map(|(_, v)| match v {
                    Json::Array(items) => items.len().saturating_sub(1),
                    _ => 0,
                })
                .sum::<usize>();
        w.value(&json::object(fields));
        separators
    }
}

/// The operation as GetDurableExecutionState / the invocation input returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointedOperation {
    pub id: Option<String>,
    pub op_type: Option<String>,
    pub parent_id: Option<String>,
    pub name: Option<String>,
    pub sub_type: Option<String>,
    pub status: Status,
    /// Finished attempts (StepDetails.Attempt; 0 when absent).
    pub attempt: u32,
    pub next_attempt_ms: Option<f64>,
    /// StepDetails / ContextDetails Result, or ExecutionDetails.InputPayload.
    pub result: Option<String>,
    pub error: Option<ErrorObject>,
    /// ContextDetails.ReplayChildren.
    pub replay_children: bool,
    /// WaitDetails.ScheduledEndTimestamp.
    pub scheduled_end_ms: Option<f64>,
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
        let op_type = text(json, "Type", "operation.Type")?;
        // Each type keeps its details under its own key; without a Type, a step's.
        let key = match op_type.as_deref() {
            Some("CONTEXT") => "ContextDetails",
            Some("WAIT") => "WaitDetails",
            Some("EXECUTION") => "ExecutionDetails",
            _ => "StepDetails",
        };
        let details = match json.field(key) {
            None => None,
            Some(d @ Json::Object(_)) => Some(d),
            Some(other) => return Err(wrong(&format!("operation.{key}"), other, "an object")),
        };
        let detail = |name: &str| details.and_then(|d| d.field(name));
        let field = |name: &str| format!("operation.{key}.{name}");
        let attempt = match detail("Attempt") {
            None => 0,
            Some(Json::Number(n))
                if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n) =>
            {
                *n as u32
            }
            Some(other) => return Err(wrong(&field("Attempt"), other, "a whole number >= 0")),
        };
        let timestamp = |name: &str| match detail(name) {
            None => Ok(None),
            Some(Json::Number(n)) if *n >= 0.0 => Ok(Some(*n)),
            Some(other) => Err(wrong(
                &field(name),
                other,
                "epoch milliseconds (a number >= 0)",
            )),
        };
        let result_key = if key == "ExecutionDetails" {
            "InputPayload"
        } else {
            "Result"
        };
        let result = match detail(result_key) {
            None => None,
            Some(Json::String(s)) => Some(s.to_string()),
            Some(other) => return Err(wrong(&field(result_key), other, "a string")),
        };
        let error = match detail("Error") {
            None => None,
            Some(e @ Json::Object(_)) => Some(ErrorObject::parse(e)?),
            Some(other) => return Err(wrong(&field("Error"), other, "an object")),
        };
        let replay_children = match detail("ReplayChildren") {
            None => false,
            Some(Json::Bool(b)) => *b,
            Some(other) => return Err(wrong(&field("ReplayChildren"), other, "a boolean")),
        };
        Ok(CheckpointedOperation {
            id: text(json, "Id", "operation.Id")?,
            op_type,
            parent_id: text(json, "ParentId", "operation.ParentId")?,
            name: text(json, "Name", "operation.Name")?,
            sub_type: text(json, "SubType", "operation.SubType")?,
            status,
            attempt,
            next_attempt_ms: timestamp("NextAttemptTimestamp")?,
            result,
            error,
            replay_children,
            scheduled_end_ms: timestamp("ScheduledEndTimestamp")?,
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

/// An update's `Payload`.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    Absent,
    Text(String),
    /// The user's serialized value, kept by the host: written as `null` for the host to fill
    /// in, so the core never escapes or copies it out again. `size` is what the value adds to
    /// the profile's batch-size measure.
    Held {
        size: usize,
    },
}

impl Payload {
    /// The host's value, measured as the profile's batcher measures it: its JSON string
    /// literal, ASCII-escaped for Python, UTF-8 for JS.
    pub fn held(profile: Profile, text: &str) -> Payload {
        let ascii_only = profile == Profile::Python;
        // One pass over the bytes: the quotes, one byte per plain byte, and the escapes' extra.
        let mut size = 2 + text.len();
        crate::json::each_special(text.as_bytes(), ascii_only, |b| {
            size += match b {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
                0..=0x1f => 5,
                // json.dumps(ensure_ascii=True): DEL becomes \u007f; a character above it
                // becomes one \uXXXX (two for a 4-byte character, a surrogate pair) in place of
                // its UTF-8 bytes, counted here at its lead byte.
                0x7f if ascii_only => 5,
                0xc0..=0xdf if ascii_only => 6 - 2,
                0xe0..=0xef if ascii_only => 6 - 3,
                0xf0..=0xff if ascii_only => 12 - 4,
                _ => 0,
            };
        });
        Payload::Held { size }
    }
}

/// The type-specific options object of an update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Options {
    None,
    /// StepOptions.NextAttemptDelaySeconds.
    Step {
        delay_seconds: u64,
    },
    /// WaitOptions.WaitSeconds.
    Wait {
        seconds: u64,
    },
    /// ContextOptions.ReplayChildren.
    Context {
        replay_children: bool,
    },
}

/// One OperationUpdate, of any operation type.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub profile: Profile,
    pub op_type: OpType,
    pub id: String,
    pub parent_id: Option<String>,
    pub name: Option<String>,
    pub sub_type: Option<&'static str>,
    pub action: UpdateAction,
    pub payload: Payload,
    pub error: Option<ErrorObject>,
    pub options: Options,
}

impl Update {
    /// A STEP update for the step call.
    pub fn new(call: &StepCall<'_>, action: UpdateAction) -> Self {
        Update {
            profile: call.profile,
            op_type: OpType::Step,
            id: call.id.to_string(),
            parent_id: call.parent_id.map(str::to_string),
            name: call.name.map(str::to_string),
            sub_type: Some("Step"),
            action,
            payload: Payload::Absent,
            error: None,
            options: Options::None,
        }
    }

    pub fn with_payload(mut self, payload: Option<&str>) -> Self {
        self.payload = payload.map_or(Payload::Absent, |p| Payload::Text(p.to_string()));
        self
    }

    pub fn with_error(mut self, error: ErrorObject) -> Self {
        self.error = Some(error);
        self
    }

    pub fn with_delay(mut self, seconds: u64) -> Self {
        self.options = Options::Step {
            delay_seconds: seconds,
        };
        self
    }

    /// The exact JSON the profile's SDK hands its transport (a held payload as `null`).
    pub fn to_json(&self) -> String {
        let mut w = Writer::new(self.profile == Profile::Python);
        self.write(&mut w);
        w.finish()
    }

    /// Writes the update; returns how many key/value separators it wrote (Python's size
    /// measure, `json.dumps` with its default `", "`/`": "`, adds one space per separator).
    pub fn write(&self, w: &mut Writer) -> usize {
        use UpdateField::*;
        let python = self.profile == Profile::Python;
        // Python: OperationUpdate.to_dict(); JS: the batcher's {Type, Action, ...data, Id},
        // where every operation's data literal keeps this relative order.
        const PYTHON: [UpdateField; 11] = [
            Id,
            Type,
            Action,
            ParentId,
            Name,
            SubType,
            Payload,
            Error,
            ContextOptions,
            StepOptions,
            WaitOptions,
        ];
        const JS: [UpdateField; 11] = [
            Type,
            Action,
            Id,
            ParentId,
            SubType,
            Payload,
            Error,
            ContextOptions,
            Name,
            StepOptions,
            WaitOptions,
        ];
        // Python drops falsy ParentId/Name; JS drops only undefined.
        let kept = |v: &Option<String>| v.as_deref().is_some_and(|s| !(python && s.is_empty()));
        let mut separators = 0usize;
        let mut first = true;
        w.raw("{");
        for field in if python { PYTHON } else { JS } {
            let written = match field {
                Id | Type | Action => true,
                SubType => self.sub_type.is_some(),
                ParentId => kept(&self.parent_id),
                Name => kept(&self.name),
                Payload => !matches!(self.payload, self::Payload::Absent),
                Error => self.error.is_some(),
                StepOptions => matches!(self.options, Options::Step { .. }),
                WaitOptions => matches!(self.options, Options::Wait { .. }),
                ContextOptions => matches!(self.options, Options::Context { .. }),
            };
            if !written {
                continue;
            }
            if !first {
                w.raw(",");
                separators += 1;
            }
            first = false;
            w.raw(field.key());
            separators += 1;
            match field {
                Id => w.string(&self.id),
                Type => w.name(self.op_type.name()),
                Action => w.name(self.action.name()),
                SubType => w.name(self.sub_type.unwrap_or_default()),
                ParentId => w.string(self.parent_id.as_deref().unwrap_or_default()),
                Name => w.string(self.name.as_deref().unwrap_or_default()),
                Payload => match &self.payload {
                    self::Payload::Text(p) => w.string(p),
                    _ => w.raw("null"),
                },
                Error => {
                    if let Some(e) = &self.error {
                        separators += e.write(w, self.profile);
                    }
                }
                StepOptions | WaitOptions | ContextOptions => {
                    separators += 1;
                    match self.options {
                        Options::Step { delay_seconds } => {
                            w.raw("{\"NextAttemptDelaySeconds\":");
                            w.unsigned(delay_seconds);
                            w.raw("}");
                        }
                        Options::Wait { seconds } => {
                            w.raw("{\"WaitSeconds\":");
                            w.unsigned(seconds);
                            w.raw("}");
                        }
                        Options::Context { replay_children } => w.raw(if replay_children {
                            "{\"ReplayChildren\":true}"
                        } else {
                            "{\"ReplayChildren\":false}"
                        }),
                        Options::None => {}
                    }
                }
            }
        }
        w.raw("}");
        separators
    }
}

/// The fields of an OperationUpdate, in neither SDK's order.
#[derive(Clone, Copy)]
enum UpdateField {
    Id,
    Type,
    Action,
    ParentId,
    Name,
    SubType,
    Payload,
    Error,
    ContextOptions,
    StepOptions,
    WaitOptions,
}

impl UpdateField {
    /// The key as written, with its colon.
    fn key(self) -> &'static str {
        match self {
            UpdateField::Id => "\"Id\":",
            UpdateField::Type => "\"Type\":",
            UpdateField::Action => "\"Action\":",
            UpdateField::ParentId => "\"ParentId\":",
            UpdateField::Name => "\"Name\":",
            UpdateField::SubType => "\"SubType\":",
            UpdateField::Payload => "\"Payload\":",
            UpdateField::Error => "\"Error\":",
            UpdateField::ContextOptions => "\"ContextOptions\":",
            UpdateField::StepOptions => "\"StepOptions\":",
            UpdateField::WaitOptions => "\"WaitOptions\":",
        }
    }
}

fn text(json: &Json, key: &str, field: &str) -> Result<Option<String>, CoreError> {
    match json.field(key) {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.to_string())),
        Some(other) => Err(wrong(field, other, "a string")),
    }
}

fn wrong(field: &str, value: &Json, expected: &str) -> CoreError {
    CoreError::invalid(field, value.type_name(), &format!("expected {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_payload_is_measured_as_the_profile_writes_it() {
        let samples = [
            "",
            "plain",
            "\"quoted\\\\\"",
            "tab\tnew\nline\r\u{1}\u{1f}\u{7f}",
            "é中😀 mixed",
            &"x".repeat(1000),
        ];
        for profile in Profile::ALL {
            for text in samples {
                let mut w = Writer::new(profile == Profile::Python);
                w.string(text);
                let written = w.finish().len();
                assert_eq!(
                    Payload::held(profile, text),
                    Payload::Held { size: written },
                    "{profile:?} {text:?}"
                );
            }
        }
    }
}
