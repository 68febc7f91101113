//! Replay validation for every operation type: a checkpointed operation at this id must be
//! the operation the code now calls, or the code changed between invocations.
//!
//! JS 2.4.0 (`validateReplayConsistency`) compares Type, Name (strictly) and SubType when the
//! checkpoint has a Type and reports the first difference; Python 3.0.0
//! (`OperationIdentifier.validate_checkpoint`) compares Type, SubType, Name and ParentId (empty
//! meaning none) and reports every difference in one message.

use super::{Answer, Invocation, Verdict};
use crate::profile::Profile;
use crate::wire::{CheckpointedOperation, ErrorObject};

impl Invocation {
    /// Fail the execution with the profile's NonDeterministicExecutionError.
    pub(super) fn non_deterministic(&mut self, error: ErrorObject) -> Answer {
        self.stop(Verdict::Execution {
            rule: "non-deterministic".to_string(),
            error,
        })
    }
}

/// What the code calls now.
pub struct Identity<'a> {
    /// The SDK's own name for the operation in its message: JS the hierarchical step id
    /// (`1-2`), Python the wire id.
    pub step_id: &'a str,
    pub op_type: &'static str,
    pub sub_type: &'static str,
    pub name: Option<&'a str>,
    pub parent_id: Option<&'a str>,
}

/// The NonDeterministicExecutionError the profile's SDK fails the execution with, if any.
pub fn mismatch(
    profile: Profile,
    id: &str,
    now: &Identity<'_>,
    op: &CheckpointedOperation,
) -> Option<ErrorObject> {
    match profile {
        Profile::Python => python(id, now, op),
        Profile::Ts | Profile::Unified => js(now.step_id, now, op),
    }
}

fn python(id: &str, now: &Identity<'_>, op: &CheckpointedOperation) -> Option<ErrorObject> {
    let checks = [
        ("type", op.op_type.as_deref(), Some(now.op_type)),
        ("subtype", op.sub_type.as_deref(), Some(now.sub_type)),
        ("name", blank(op.name.as_deref()), blank(now.name)),
        // Only a checkpoint that records a parent can contradict it (measured: the SDK
        // replays a child's step whose checkpoint omits ParentId).
        (
            "parent_id",
            blank(op.parent_id.as_deref()),
            blank(now.parent_id).filter(|_| op.parent_id.is_some()),
        ),
    ];
    let details: Vec<String> = checks
        .iter()
        .filter(|(_, was, is)| was != is)
        .map(|(field, was, is)| format!("{field} checkpoint={} current={}", repr(*was), repr(*is)))
        .collect();
    if details.is_empty() {
        return None;
    }
    Some(ErrorObject::message_and_type(
        format!(
            "Non-deterministic operation identity at id={}: {}",
            repr(Some(id)),
            details.join(", ")
        ),
        "aws_durable_execution_sdk_python.exceptions.NonDeterministicExecutionError",
    ))
}

fn js(id: &str, now: &Identity<'_>, op: &CheckpointedOperation) -> Option<ErrorObject> {
    let was_type = op.op_type.as_deref()?;
    let quoted = |v: Option<&str>| format!("\"{}\"", v.unwrap_or("undefined"));
    let (field, was, is) = if was_type != now.op_type {
        ("type", Some(was_type), Some(now.op_type))
    } else if op.name.as_deref() != now.name {
        ("name", op.name.as_deref(), now.name)
    } else if op.sub_type.as_deref() != Some(now.sub_type) {
        ("subtype", op.sub_type.as_deref(), Some(now.sub_type))
    } else {
        return None;
    };
    Some(ErrorObject::message_and_type(
        format!(
            "[Unrecoverable Execution] Non-deterministic execution detected: Operation {field} \
             mismatch for step \"{id}\". \
             Expected {field} {}, but got {}. This indicates non-deterministic control flow in \
             your workflow code.",
            quoted(was),
            quoted(is)
        ),
        "NonDeterministicExecutionError",
    ))
}

fn blank(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

/// Python's `repr` of an optional string (quotes chosen as Python chooses them).
fn repr(v: Option<&str>) -> String {
    match v {
        None => "None".to_string(),
        Some(s) if s.contains('\'') && !s.contains('"') => format!("\"{s}\""),
        Some(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
    }
}
