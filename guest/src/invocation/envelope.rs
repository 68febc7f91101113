//! The invocation envelope (DurableExecutionInvocationInput) and the operation table it seeds.

use super::checkpoint::Queue;
use super::{Context, Invocation};
use crate::error::{CoreError, ErrorKind};
use crate::json::Json;
use crate::profile::Profile;
use crate::wire::CheckpointedOperation;
use std::collections::BTreeMap;

/// Both SDKs' words for an event that is not a durable invocation.
const NOT_DURABLE: &str = "Unexpected payload provided to start the durable execution. Check your resource configurations to confirm the durability is set.";

impl Invocation {
    /// From the envelope exactly as Lambda passes it. The table is complete only once the
    /// pages behind `NextMarker` are fetched (`loading` is true until then).
    pub fn open(profile: Profile, envelope: &Json) -> Result<Invocation, CoreError> {
        if !matches!(envelope, Json::Object(_)) {
            return Err(CoreError::invalid(
                "envelope",
                envelope.type_name(),
                NOT_DURABLE,
            ));
        }
        let required = |key: &str| match envelope.field(key) {
            Some(Json::String(s)) if !s.is_empty() => Ok(s.to_string()),
            Some(other) => Err(CoreError::invalid(
                &format!("envelope.{key}"),
                other.type_name(),
                NOT_DURABLE,
            )),
            None => Err(CoreError::new(
                ErrorKind::Missing,
                &format!("envelope.{key}"),
                "(absent)",
                NOT_DURABLE,
            )),
        };
        let arn = required("DurableExecutionArn")?;
        let token = required("CheckpointToken")?;
        let state = match envelope.field("InitialExecutionState") {
            None => None,
            Some(s @ Json::Object(_)) => Some(s),
            Some(other) => {
                return Err(CoreError::invalid(
                    "envelope.InitialExecutionState",
                    other.type_name(),
                    "expected an object",
                ))
            }
        };
        let marker = match state.and_then(|s| s.field("NextMarker")) {
            None => None,
            Some(Json::String(m)) => Some(m.to_string()).filter(|m| !m.is_empty()),
            Some(other) => {
                return Err(CoreError::invalid(
                    "envelope.InitialExecutionState.NextMarker",
                    other.type_name(),
                    "expected a string",
                ))
            }
        };
        let mut invocation = Invocation {
            profile,
            arn,
            operations: BTreeMap::new(),
            input: None,
            contexts: vec![Context {
                prefix: None,
                parent_id: None,
                counter: 0,
            }],
            ops: Vec::new(),
            queue: Queue::new(profile, token, marker),
            verdict: None,
            finish: None,
        };
        if let Some(ops) = state.and_then(|s| s.field("Operations")) {
            invocation.merge("envelope.InitialExecutionState.Operations", ops)?;
        }
        Ok(invocation)
    }

    /// Adds operations (a page, or a checkpoint's NewExecutionState) to the table.
    pub(crate) fn merge(&mut self, field: &str, ops: &Json) -> Result<(), CoreError> {
        let Json::Array(items) = ops else {
            return Err(CoreError::invalid(
                field,
                ops.type_name(),
                "expected a list of operations",
            ));
        };
        for item in items {
            let op = CheckpointedOperation::parse(item)?;
            let Some(id) = op.id.clone() else {
                return Err(CoreError::new(
                    ErrorKind::Missing,
                    &format!("{field}.Id"),
                    "(absent)",
                    "every operation has an Id",
                ));
            };
            if op.op_type.as_deref() == Some("EXECUTION") && self.is_execution(&id) {
                self.input = Some(op.result.clone().unwrap_or_default());
            }
            self.operations.insert(id, op);
        }
        Ok(())
    }

    /// Python finds the EXECUTION operation by the ARN's last `/` segment; JS takes the first
    /// operation of the envelope (which is the EXECUTION operation the service lists first).
    fn is_execution(&self, id: &str) -> bool {
        match self.profile {
            Profile::Python => self.arn.rsplit('/').next() == Some(id),
            Profile::Ts | Profile::Unified => self.input.is_none(),
        }
    }

    /// The user's input as JSON text for the host to deserialize, once loading is done.
    /// python: absent, empty or blank is `{}`; ts: absent is `{}`, an empty string is passed
    /// on (JSON.parse rejects it, failing the invocation as the SDK does).
    pub fn input(&self) -> &str {
        match (&self.input, self.profile) {
            (None, _) => "{}",
            (Some(text), Profile::Python) if text.trim().is_empty() => "{}",
            (Some(text), _) => text,
        }
    }

    /// True when the invocation starts by replaying: python, any non-EXECUTION operation;
    /// ts, more than one operation.
    pub fn replaying_at_start(&self) -> bool {
        match self.profile {
            Profile::Python => self
                .operations
                .values()
                .any(|o| o.op_type.as_deref() != Some("EXECUTION")),
            Profile::Ts | Profile::Unified => self.operations.len() > 1,
        }
    }
}
