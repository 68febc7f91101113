//! One Lambda invocation of a durable function, run by the core (sans-IO).
//!
//! The host creates an [`Invocation`] from the invocation envelope, then: runs the user's
//! handler, calling [`Invocation::step`], [`Invocation::wait`], [`Invocation::child`] (and
//! their `*_done` counterparts) whenever the user's code reaches an operation; performs every
//! service call the core asks for ([`Invocation::next_io`] / [`Invocation::io_done`]), one at a
//! time; and finally asks for the output ([`Invocation::finish`] then
//! [`Invocation::output`]). The core owns the operation table, ids, replay validation, the
//! queue of updates and its batching, the checkpoint token, what a failed service call means,
//! and the output. The host owns the user's code, serialization, the transport and the clock.
//!
//! Every answer that needs updates persisted first carries `sync`: the host pumps I/O until
//! [`Invocation::persisted`] reaches it before acting on the answer. Nothing computed is
//! reported as stored unless the service acknowledged it with a new token.

mod checkpoint;
mod context;
mod envelope;
mod output;
mod replay;
mod step;
mod wait;

pub mod api;

pub use checkpoint::{Io, IoResult};
pub use context::ChildOutcome;
pub use output::{Finish, Output, ResultField};
pub use step::Lookup;

use crate::error::CoreError;
use crate::profile::Profile;
use crate::retry::Strategy;
pub(crate) use crate::step::check_now;
use crate::step::ids::operation_id;
use crate::step::Semantics;
use crate::wire::{CheckpointedOperation, ErrorObject};
use checkpoint::Queue;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// What the host does after an operation call.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// Run the step's function as attempt `attempt`, after pumping to `sync` when given.
    Execute {
        op: usize,
        attempt: u32,
        sync: Option<u64>,
    },
    /// Run the child's function with the new context `context`.
    Child {
        op: usize,
        context: usize,
        /// The child is re-run only to rebuild a result too large to checkpoint.
        replaying: bool,
    },
    /// The operation's value is the one the host just produced (after pumping to `sync`);
    /// `held`: the sequence number under which the host keeps that value for the checkpoint.
    Done {
        sync: Option<u64>,
        held: Option<u64>,
    },
    /// The operation completed in an earlier invocation: this is its value.
    Replay { payload: Option<String> },
    /// Raise the operation's error as `error_class` (after pumping to `sync`).
    Raise {
        error_class: String,
        error: ErrorObject,
        sync: Option<u64>,
    },
    /// Let the user's own error escape untouched (Python ExecutionError, JS unrecoverable).
    Propagate,
    /// This operation cannot complete in this invocation: stop this branch; the invocation
    /// ends PENDING once nothing else runs.
    Suspend,
    /// The invocation is over (a failed service call, a non-deterministic replay, an update
    /// the service would reject): unwind the user's code and ask for the output.
    Stop,
    /// The retry decision needs the host's random draw (a jittered retry): make the same call
    /// again with `random`. Nothing changed. The draw is asked for only then, so a host draws
    /// exactly as often as the SDKs do (once per jittered retry).
    NeedRandom,
}

/// Why the invocation is over before its handler finished.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Fail the invocation; Lambda retries it (`rule` says why).
    Invocation { rule: String, message: String },
    /// Fail the execution with this error.
    Execution { rule: String, error: ErrorObject },
}

#[derive(Clone, Debug)]
struct Context {
    /// What this context's operations use as their id prefix (ts: the unhashed hierarchical id;
    /// python: the hashed id); None at the root.
    prefix: Option<String>,
    /// The wire id of the CONTEXT operation, the `ParentId` of this context's operations.
    parent_id: Option<String>,
    counter: u32,
}

#[derive(Clone, Debug)]
enum Kind {
    Step {
        semantics: Semantics,
        strategy: StrategyRef,
    },
    Wait,
    Child {
        replay_children: bool,
    },
}

/// A step's retry strategy: the host's registered one, or built from the request.
#[derive(Clone, Debug)]
pub enum StrategyRef {
    Registered(u32),
    Owned(Rc<Strategy>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Running,
    Blocked,
    Finished,
}

#[derive(Clone, Debug)]
struct Op {
    kind: Kind,
    id: String,
    parent_id: Option<String>,
    name: Option<String>,
    state: State,
    attempt: u32,
}

pub struct Invocation {
    profile: Profile,
    arn: String,
    operations: BTreeMap<String, CheckpointedOperation>,
    /// The EXECUTION operation's InputPayload, as the profile reads it.
    input: Option<String>,
    contexts: Vec<Context>,
    ops: Vec<Op>,
    queue: Queue,
    verdict: Option<Verdict>,
    finish: Option<Finish>,
}

/// The parts of an operation call every type shares.
#[derive(Clone, Debug, Default)]
pub struct Call<'a> {
    pub context: usize,
    pub name: Option<&'a str>,
    pub now_ms: f64,
}

impl Invocation {
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Updates up to and including this sequence number are stored.
    pub fn persisted(&self) -> u64 {
        self.queue.persisted()
    }

    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    /// The step strategy used when the call configures none: the profile's `default` preset.
    /// Built once per profile and thread: a preset never changes, and most steps use it.
    pub fn default_strategy(&self) -> Result<Rc<Strategy>, CoreError> {
        thread_local! {
            static DEFAULTS: RefCell<Vec<(Profile, Rc<Strategy>)>> = const { RefCell::new(Vec::new()) };
        }
        let profile = self.profile;
        let known = DEFAULTS.with_borrow(|d| {
            d.iter()
                .find(|(p, _)| *p == profile)
                .map(|(_, s)| Rc::clone(s))
        });
        if let Some(s) = known {
            return Ok(s);
        }
        let spec = crate::retry::preset("default", profile, None)?;
        let strategy = Rc::new(Strategy::new(&spec, profile)?);
        DEFAULTS.with_borrow_mut(|d| d.push((profile, Rc::clone(&strategy))));
        Ok(strategy)
    }

    /// True while state pages are still to be fetched (the handler may not start yet).
    pub fn loading(&self) -> bool {
        self.queue.loading()
    }

    /// True when any operation of this invocation is running its function.
    pub fn running(&self) -> bool {
        self.ops.iter().any(|o| o.state == State::Running)
    }

    /// True while the context's next operation is already checkpointed: its code is replaying
    /// what an earlier invocation did (both SDKs look ahead the same way for replay-aware logs).
    pub fn replaying(&self, context: usize) -> bool {
        let Some(c) = self.contexts.get(context) else {
            return false;
        };
        let Some(next) = c.counter.checked_add(1) else {
            return false;
        };
        // A first run has nothing checkpointed but its EXECUTION: no id to compute and look up.
        if self.operations.len() <= 1
            && self
                .operations
                .values()
                .all(|o| o.op_type.as_deref() == Some("EXECUTION"))
        {
            return false;
        }
        operation_id(self.profile, c.prefix.as_deref(), next)
            .is_ok_and(|id| self.operations.contains_key(&id.id))
    }

    /// Allocate the next operation of `context`: its wire id, step id and parent.
    fn next_id(&mut self, call: &Call<'_>) -> Result<(String, String, Option<String>), CoreError> {
        let next = self.peek_id(call)?;
        if let Some(context) = self.contexts.get_mut(call.context) {
            context.counter += 1;
        }
        Ok(next)
    }

    /// The id `next_id` would allocate, without allocating it.
    fn peek_id(&self, call: &Call<'_>) -> Result<(String, String, Option<String>), CoreError> {
        let context = self
            .contexts
            .get(call.context)
            .ok_or_else(|| CoreError::invalid("context", call.context as u64, "no such context"))?;
        let counter = context.counter.checked_add(1).ok_or_else(|| {
            CoreError::out_of_range("context", call.context as u64, "too many operations")
        })?;
        let id = operation_id(self.profile, context.prefix.as_deref(), counter)?;
        Ok((id.id, id.step_id, context.parent_id.clone()))
    }

    fn checkpointed(&self, id: &str) -> Option<&CheckpointedOperation> {
        self.operations.get(id)
    }

    fn add_op(&mut self, op: Op) -> usize {
        self.ops.push(op);
        self.ops.len() - 1
    }

    fn op(&self, handle: usize) -> Result<&Op, CoreError> {
        self.ops
            .get(handle)
            .ok_or_else(|| CoreError::invalid("op", handle as u64, "no such operation"))
    }

    fn set_state(&mut self, handle: usize, state: State) {
        if let Some(op) = self.ops.get_mut(handle) {
            op.state = state;
        }
    }

    /// Ends the invocation early; the first verdict stands.
    fn stop(&mut self, verdict: Verdict) -> Answer {
        if self.verdict.is_none() {
            self.verdict = Some(verdict);
        }
        Answer::Stop
    }

    /// Once stopped, every operation call answers Stop.
    fn stopped(&self) -> bool {
        self.verdict.is_some() || self.finish.is_some()
    }
}
