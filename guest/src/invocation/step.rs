//! STEP operations inside an invocation: the step state machine (`crate::step`) applied to
//! the invocation's table, ids and queue.

use super::replay::{mismatch, Identity};
use super::{check_now, Answer, Call, Invocation, Kind, Op, State, StrategyRef, Verdict};
use crate::error::CoreError;
use crate::profile::Profile;
use crate::retry::{Jitter, Strategy};
use crate::step::{self, Action, Plan, Semantics, StepCall, StepOutcome};
use crate::wire::Payload;
use crate::wire::{Status, UpdateAction};

/// Resolves a registered strategy handle (the component's registry; none natively).
pub type Lookup<'s> = dyn Fn(u32) -> Option<&'s Strategy> + 's;

impl Invocation {
    /// The user's code calls a step.
    /// `random`: the host's draw, needed only when the answer was NeedRandom.
    pub fn step(
        &mut self,
        call: &Call<'_>,
        semantics: Semantics,
        strategy: StrategyRef,
        random: Option<f64>,
        lookup: &Lookup<'_>,
    ) -> Result<Answer, CoreError> {
        check_now(call.now_ms)?;
        if self.stopped() {
            return Ok(Answer::Stop);
        }
        // Only an interrupted at-most-once step decides at begin; ask for a draw first if that
        // decision is a jittered retry, before anything is allocated.
        if random.is_none() && semantics == Semantics::AtMostOncePerRetry {
            let (id, _, parent_id) = self.peek_id(call)?;
            if let Some(op) = self
                .checkpointed(&id)
                .filter(|o| o.status == Status::Started)
            {
                let probe = Op {
                    kind: Kind::Step {
                        semantics,
                        strategy: strategy.clone(),
                    },
                    id: id.clone(),
                    parent_id,
                    name: call.name.map(str::to_string),
                    state: State::Running,
                    attempt: 0,
                };
                let step_call = self.step_call(&probe, semantics, call.now_ms);
                let plan = with_strategy(&probe, lookup, |s| {
                    needs_draw(s, step::begin(&step_call, Some(op), s, 0.0)?)
                })?;
                if plan.is_none() {
                    return Ok(Answer::NeedRandom);
                }
            }
        }
        let random = random.unwrap_or(0.0);
        let (id, step_id, parent_id) = self.next_id(call)?;
        let handle = self.add_op(Op {
            kind: Kind::Step {
                semantics,
                strategy,
            },
            id,
            parent_id,
            name: call.name.map(str::to_string),
            state: State::Running,
            attempt: 0,
        });
        let op = self.op(handle)?;
        let error = self.checkpointed(&op.id).and_then(|checkpoint| {
            let identity = Identity {
                step_id: &step_id,
                op_type: "STEP",
                sub_type: "Step",
                name: call.name,
                parent_id: op.parent_id.as_deref(),
            };
            mismatch(self.profile, &op.id, &identity, checkpoint)
        });
        if let Some(error) = error {
            return Ok(self.non_deterministic(error));
        }
        let step_call = self.step_call(op, semantics, call.now_ms);
        let plan = with_strategy(op, lookup, |s| {
            step::begin(&step_call, self.checkpointed(&op.id), s, random)
        })?;
        // JS 2.4.0 re-reads the state with an empty checkpoint when a retry timer is already due
        // but the operation is not READY yet, before it suspends.
        let due = self.checkpointed(&op.id).is_some_and(|c| {
            c.status == Status::Pending && c.next_attempt_ms.is_some_and(|t| t <= call.now_ms)
        });
        if due && self.profile == Profile::Ts {
            self.queue.push_refresh();
        }
        Ok(self.apply(handle, plan, None))
    }

    /// The step's function returned (`payload`: its serialized value, None for the SDK's "no
    /// value") or raised.
    /// `random`: the host's draw, needed only when the answer was NeedRandom.
    pub fn step_done(
        &mut self,
        handle: usize,
        outcome: &StepOutcome<'_>,
        now_ms: f64,
        random: Option<f64>,
        lookup: &Lookup<'_>,
    ) -> Result<Answer, CoreError> {
        check_now(now_ms)?;
        let op = self.op(handle)?;
        let Kind::Step { semantics, .. } = op.kind else {
            return Err(CoreError::invalid("op", handle as u64, "not a step"));
        };
        if op.state != State::Running {
            return Err(CoreError::invalid(
                "op",
                handle as u64,
                "the step is not running",
            ));
        }
        if self.stopped() {
            self.set_state(handle, State::Finished);
            return Ok(Answer::Stop);
        }
        let step_call = self.step_call(op, semantics, now_ms);
        let plan = with_strategy(op, lookup, |s| match random {
            Some(r) => step::complete(&step_call, op.attempt, outcome, s, r).map(Some),
            None => needs_draw(s, step::complete(&step_call, op.attempt, outcome, s, 0.0)?),
        })?;
        let Some(plan) = plan else {
            return Ok(Answer::NeedRandom);
        };
        let held = match outcome {
            StepOutcome::Success {
                payload: Some(text),
            } => Some(*text),
            _ => None,
        };
        Ok(self.apply(handle, plan, held))
    }

    fn step_call<'a>(&self, op: &'a Op, semantics: Semantics, now_ms: f64) -> StepCall<'a> {
        StepCall {
            profile: self.profile,
            id: &op.id,
            parent_id: op.parent_id.as_deref(),
            name: op.name.as_deref(),
            semantics,
            now_ms,
            holds_payload: true,
        }
    }

    /// Queues the plan's updates (a SUCCEED's payload held by the host) and answers.
    fn apply(&mut self, handle: usize, plan: Plan, held: Option<&str>) -> Answer {
        let mut last = None;
        let mut held_seq = None;
        for update in plan.updates {
            // The rules hold a SUCCEED's payload already (`StepCall::holds_payload`).
            let keep = held.is_some() && matches!(update.payload, Payload::Held { .. });
            let seq = self.queue.push(update);
            if keep {
                held_seq = Some(seq);
            }
            last = Some(seq);
        }
        match plan.action {
            Action::Execute {
                attempt,
                await_start,
                ..
            } => {
                if let Some(op) = self.ops.get_mut(handle) {
                    op.attempt = attempt;
                    op.state = State::Running;
                }
                Answer::Execute {
                    op: handle,
                    attempt,
                    sync: last.filter(|_| await_start),
                }
            }
            Action::Return { payload } => {
                self.set_state(handle, State::Finished);
                if held.is_some() || last.is_some() {
                    Answer::Done {
                        sync: last,
                        held: held_seq,
                    }
                } else {
                    Answer::Replay { payload }
                }
            }
            Action::Raise { error_class, error } => {
                self.set_state(handle, State::Finished);
                Answer::Raise {
                    error_class,
                    error,
                    sync: last,
                }
            }
            Action::Suspend { .. } => {
                self.set_state(handle, State::Blocked);
                Answer::Suspend
            }
            Action::Propagate => {
                self.set_state(handle, State::Finished);
                Answer::Propagate
            }
            Action::NonDeterministic { .. } => {
                // Validated before begin; kept for completeness.
                self.set_state(handle, State::Finished);
                self.stop(Verdict::Invocation {
                    rule: "non-deterministic".to_string(),
                    message: "the checkpoint does not match this step".to_string(),
                })
            }
            Action::FailExecution { rule, error } => {
                self.set_state(handle, State::Finished);
                self.stop(Verdict::Execution {
                    rule: rule.to_string(),
                    error,
                })
            }
        }
    }
}

/// The plan, or None when it is a retry whose delay depends on the draw (jitter).
fn needs_draw(strategy: &Strategy, plan: Plan) -> Result<Option<Plan>, CoreError> {
    let retries = plan.updates.iter().any(|u| u.action == UpdateAction::Retry);
    Ok((!(retries && strategy.jitter != Jitter::None)).then_some(plan))
}

fn with_strategy<R>(
    op: &Op,
    lookup: &Lookup<'_>,
    run: impl FnOnce(&Strategy) -> Result<R, CoreError>,
) -> Result<R, CoreError> {
    match &op.kind {
        Kind::Step {
            strategy: StrategyRef::Owned(s),
            ..
        } => run(s),
        Kind::Step {
            strategy: StrategyRef::Registered(handle),
            ..
        } => match lookup(*handle) {
            Some(s) => run(s),
            None => Err(CoreError::invalid(
                "strategy",
                *handle,
                "no strategy is registered under this handle",
            )),
        },
        _ => Err(CoreError::invalid("op", op.id.as_str(), "not a step")),
    }
}
