//! The queue of updates, how it is cut into CheckpointDurableExecution calls, the checkpoint
//! token, state paging, and what a failed or strange service answer means.
//!
//! One call is in flight at a time, so concurrent operations of one invocation can never reuse
//! a spent token. Batches follow each SDK: at most 250 updates and 750 KiB, the first update
//! always taken; Python sizes each update as `len(json.dumps(update))` with no base, JS as the
//! UTF-8 length of its queued item plus a base of the token's length + 100.

use super::{Invocation, Verdict};
use crate::classify::{classify_report, Api, ApiFailure, Category, Report};
use crate::error::CoreError;
use crate::json::{Json, Writer};
use crate::profile::Profile;
use crate::wire::{ErrorObject, OpType, Payload, Update};
use std::collections::VecDeque;

pub const MAX_BATCH_UPDATES: usize = 250;
pub const MAX_BATCH_BYTES: usize = 750 * 1024;
/// GetDurableExecutionState page size, as both SDKs ask.
pub const PAGE_SIZE: u32 = 1000;
/// A listing that never ends is a service fault, not a reason to loop forever.
const MAX_PAGES: u32 = 100_000;

struct Queued {
    seq: u64,
    /// None: a refresh, a checkpoint call with no update (JS 2.4.0 sends one to re-read a due
    /// timer's state).
    update: Option<Update>,
    /// The update's JSON (a held payload as `null`).
    json: String,
    size: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InFlight {
    Page,
    Checkpoint { last_seq: u64 },
}

pub struct Queue {
    profile: Profile,
    token: String,
    marker: Option<String>,
    pages: u32,
    items: VecDeque<Queued>,
    next_seq: u64,
    persisted: u64,
    in_flight: Option<InFlight>,
    execution_result_stored: bool,
}

/// The service call the host makes next.
#[derive(Clone, Debug, PartialEq)]
pub enum Io {
    GetState {
        token: String,
        marker: String,
    },
    /// `updates` are JSON texts; `held` lists the (update index, payload sequence number) pairs
    /// whose `Payload` the host fills in with the value it kept.
    Checkpoint {
        token: String,
        updates: Vec<String>,
        held: Vec<(usize, u64)>,
    },
}

/// How the service answered.
#[derive(Clone, Debug, PartialEq)]
pub enum IoResult<'a> {
    /// 200 with this (parsed) body.
    Ok(&'a Json<'a>),
    /// The call failed: what the host read from the raised error (as for classification), and
    /// `text`, the error as the SDK words it in a FAILED output (Python `str(error)`).
    Failed {
        report: Report<'a>,
        text: Option<&'a str>,
    },
    /// 200 with a body that is not JSON.
    Unreadable,
}

impl Queue {
    pub fn new(profile: Profile, token: String, marker: Option<String>) -> Queue {
        Queue {
            profile,
            token,
            marker,
            pages: 0,
            items: VecDeque::new(),
            next_seq: 1,
            persisted: 0,
            in_flight: None,
            execution_result_stored: false,
        }
    }

    pub fn persisted(&self) -> u64 {
        self.persisted
    }

    pub fn loading(&self) -> bool {
        self.marker.is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.in_flight.is_none()
    }

    /// The sequence number of the last queued update, if any is not yet stored.
    pub fn last_seq(&self) -> Option<u64> {
        self.items.back().map(|i| i.seq)
    }

    /// True once an EXECUTION result update was stored (the large-result fallback).
    pub fn sent_execution_result(&self) -> bool {
        self.execution_result_stored
    }

    /// Queue an update; returns its sequence number.
    pub fn push(&mut self, update: Update) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut w = Writer::new(self.profile == Profile::Python);
        let separators = update.write(&mut w);
        let json = w.finish();
        let held = match update.payload {
            Payload::Held { size } => size,
            _ => 0,
        };
        let size = match self.profile {
            // json.dumps(update) with its default separators: one space after each.
            Profile::Python => json.len() + separators + held,
            // JSON.stringify({stepId, data}): the update plus the wrapper (the unhashed step
            // id is at most as long as the hashed one for the ids the core writes).
            Profile::Ts | Profile::Unified => json.len() + held + 22 + update.id.len(),
        };
        self.items.push_back(Queued {
            seq,
            update: Some(update),
            json,
            size,
        });
        seq
    }

    /// Queue a checkpoint call with no update (a refresh of the operations' state).
    pub fn push_refresh(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.items.push_back(Queued {
            seq,
            update: None,
            json: String::new(),
            size: 0,
        });
        seq
    }
}

impl Invocation {
    /// The next service call, or None when nothing is due or a call is in flight.
    pub fn next_io(&mut self) -> Option<Io> {
        let q = &mut self.queue;
        if q.in_flight.is_some() || self.verdict.is_some() {
            return None;
        }
        if let Some(marker) = &q.marker {
            q.in_flight = Some(InFlight::Page);
            return Some(Io::GetState {
                token: q.token.clone(),
                marker: marker.clone(),
            });
        }
        let first = q.items.front()?;
        let mut size = match q.profile {
            Profile::Python => 0,
            Profile::Ts | Profile::Unified => q.token.len() + 100,
        } + first.size;
        let mut count = 1;
        for item in q.items.iter().skip(1) {
            if count >= MAX_BATCH_UPDATES || size + item.size > MAX_BATCH_BYTES {
                break;
            }
            size += item.size;
            count += 1;
        }
        let mut updates = Vec::with_capacity(count);
        let mut held = Vec::new();
        let mut last_seq = 0;
        for item in q.items.iter().take(count) {
            last_seq = item.seq;
            let Some(update) = &item.update else {
                continue; // a refresh adds no update to the call
            };
            if matches!(update.payload, Payload::Held { .. }) {
                held.push((updates.len(), item.seq));
            }
            updates.push(item.json.clone());
        }
        q.in_flight = Some(InFlight::Checkpoint { last_seq });
        Some(Io::Checkpoint {
            token: q.token.clone(),
            updates,
            held,
        })
    }

    /// The answer to the call `next_io` gave. A failure, a checkpoint answered without a token
    /// or an unreadable body ends the invocation (see `verdict`); nothing in the failed batch
    /// counts as stored.
    pub fn io_done(&mut self, result: IoResult<'_>) -> Result<(), CoreError> {
        let Some(in_flight) = self.queue.in_flight.take() else {
            return Err(CoreError::invalid(
                "io",
                "(no call in flight)",
                "io-done answers the call next-io gave",
            ));
        };
        let api = match in_flight {
            InFlight::Page => Api::GetState,
            InFlight::Checkpoint { .. } => Api::Checkpoint,
        };
        let body = match result {
            IoResult::Ok(body) => body,
            IoResult::Failed { mut report, text } => {
                report.failure.api = api;
                self.fail_call(&report, text);
                return Ok(());
            }
            IoResult::Unreadable => {
                self.stop(Verdict::Invocation {
                    rule: "unreadable-response".to_string(),
                    message: format!("{} answered with a body that is not JSON", api_name(api)),
                });
                return Ok(());
            }
        };
        match in_flight {
            InFlight::Page => self.page_done(body),
            InFlight::Checkpoint { last_seq } => self.checkpoint_done(body, last_seq),
        }
    }

    fn page_done(&mut self, body: &Json) -> Result<(), CoreError> {
        if let Some(ops) = body.field("Operations") {
            if let Err(e) = self.merge("GetDurableExecutionState.Operations", ops) {
                self.unreadable(Api::GetState, &e);
                return Ok(());
            }
        }
        let q = &mut self.queue;
        q.pages += 1;
        let asked = q.marker.take();
        q.marker = match body.field("NextMarker") {
            Some(Json::String(m)) if !m.is_empty() => Some(m.to_string()),
            _ => None,
        };
        // The page we asked for pointing at itself: the listing would go round for ever.
        if let (Some(next), Some(asked)) = (&q.marker, &asked) {
            if next == asked {
                let message = format!(
                    "GetDurableExecutionState answered NextMarker {next:?}, the marker it was given"
                );
                self.stop(Verdict::Invocation {
                    rule: "unending-state-listing".to_string(),
                    message,
                });
                return Ok(());
            }
        }
        if q.pages >= MAX_PAGES && q.marker.is_some() {
            self.stop(Verdict::Invocation {
                rule: "unending-state-listing".to_string(),
                message: format!("GetDurableExecutionState gave over {MAX_PAGES} pages"),
            });
        }
        Ok(())
    }

    fn checkpoint_done(&mut self, body: &Json, last_seq: u64) -> Result<(), CoreError> {
        let token = match body.field("CheckpointToken") {
            Some(Json::String(t)) if !t.is_empty() => t.to_string(),
            // Deliberate divergence: JS 2.4.0 keeps the spent token and counts the batch as
            // stored; with no new token nothing proves the service stored it.
            _ => {
                self.stop(Verdict::Invocation {
                    rule: "checkpoint-without-token".to_string(),
                    message: "CheckpointDurableExecution answered without a CheckpointToken"
                        .to_string(),
                });
                return Ok(());
            }
        };
        if let Some(ops) = body
            .field("NewExecutionState")
            .and_then(|s| s.field("Operations"))
        {
            if let Err(e) = self.merge("NewExecutionState.Operations", ops) {
                self.unreadable(Api::Checkpoint, &e);
                return Ok(());
            }
        }
        let q = &mut self.queue;
        q.token = token;
        while let Some(item) = q.items.front().filter(|i| i.seq <= last_seq) {
            if item
                .update
                .as_ref()
                .is_some_and(|u| u.op_type == OpType::Execution)
            {
                q.execution_result_stored = true;
            }
            q.items.pop_front();
        }
        q.persisted = last_seq;
        Ok(())
    }

    fn unreadable(&mut self, api: Api, e: &CoreError) {
        self.stop(Verdict::Invocation {
            rule: "unreadable-response".to_string(),
            message: format!("{} answered with {e}", api_name(api)),
        });
    }

    /// A failed call, through the classifier: fail the invocation or the execution.
    fn fail_call(&mut self, report: &Report<'_>, text: Option<&str>) {
        let rule = classify_report(report, &self.profile.release().classify);
        let failure = &report.failure;
        let verdict = match rule.category() {
            Category::Invocation => Verdict::Invocation {
                rule: rule.id().to_string(),
                message: text.or(failure.message).unwrap_or_default().to_string(),
            },
            Category::Execution => Verdict::Execution {
                rule: rule.id().to_string(),
                error: failed_call_error(self.profile, failure, text),
            },
        };
        self.stop(verdict);
    }
}

fn api_name(api: Api) -> &'static str {
    match api {
        Api::Checkpoint => "CheckpointDurableExecution",
        Api::GetState => "GetDurableExecutionState",
    }
}

/// The error a permanently failed call leaves in the FAILED output, as each SDK words it:
/// Python's CheckpointError / GetExecutionStateError carry the client error's text (botocore's
/// `str(error)`, which the host passes as `text`); JS wraps a checkpoint failure's message in
/// its unrecoverable-execution error and fails a state read with the client error itself.
pub fn failed_call_error(
    profile: Profile,
    failure: &ApiFailure<'_>,
    text: Option<&str>,
) -> ErrorObject {
    let message = failure.message.unwrap_or_default();
    match (profile, failure.api) {
        (Profile::Python, api) => {
            let (class, operation) = match api {
                Api::Checkpoint => ("CheckpointError", "CheckpointDurableExecution"),
                Api::GetState => ("GetExecutionStateError", "GetDurableExecutionState"),
            };
            let code = failure.code.unwrap_or("Unknown");
            ErrorObject::message_and_type(
                text.map(str::to_string).unwrap_or_else(|| {
                    format!(
                        "An error occurred ({code}) when calling the {operation} operation: {message}"
                    )
                }),
                &format!("aws_durable_execution_sdk_python.exceptions.{class}"),
            )
        }
        (Profile::Ts, Api::GetState) => {
            ErrorObject::message_and_type(message.to_string(), failure.code.unwrap_or("Error"))
        }
        (Profile::Ts | Profile::Unified, _) => ErrorObject::message_and_type(
            format!("[Unrecoverable Execution] Checkpoint failed: {message}"),
            "CheckpointUnrecoverableExecutionError",
        ),
    }
}
