//! Child CONTEXT operations (`run_in_child_context` / `runInChildContext`): START (not
//! awaited), the child's operations under their own counter and ids, then SUCCEED or FAIL. A
//! completed child replays without running again, unless its result was too large to
//! checkpoint (`ReplayChildren`): then the child runs again and its operations replay.

use super::replay::{mismatch, Identity};
use super::{check_now, Answer, Call, Context, Invocation, Kind, Op, State};
use crate::error::CoreError;
use crate::profile::Profile;
use crate::step::UserError;
use crate::wire::{ErrorObject, OpType, Options, Payload, Status, Update, UpdateAction};

/// Above this a child's result is not checkpointed (Python counts characters, JS UTF-8 bytes).
pub const CONTEXT_PAYLOAD_LIMIT: usize = 262_144;
const SUB_TYPE: &str = "RunInChildContext";

/// How a child's function ended.
pub enum ChildOutcome<'a> {
    Success {
        payload: Option<&'a str>,
    },
    Failure(UserError<'a>),
    /// An operation error the core raised inside the child escaped it, already as the error
    /// object the profile's SDK records for it (see `output::escaped_error`).
    Raised(ErrorObject),
}

impl Invocation {
    /// The user's code runs a child context.
    pub fn child(&mut self, call: &Call<'_>) -> Result<Answer, CoreError> {
        check_now(call.now_ms)?;
        if self.stopped() {
            return Ok(Answer::Stop);
        }
        let (id, prefix, parent_id) = self.next_id(call)?;
        let step_id = prefix.clone();
        let checkpoint = self.checkpointed(&id).cloned();
        if let Some(checkpoint) = &checkpoint {
            let identity = Identity {
                step_id: &step_id,
                op_type: "CONTEXT",
                sub_type: SUB_TYPE,
                name: call.name,
                parent_id: parent_id.as_deref(),
            };
            if let Some(error) = mismatch(self.profile, &id, &identity, checkpoint) {
                return Ok(self.non_deterministic(error));
            }
        }
        let replay_children = checkpoint
            .as_ref()
            .is_some_and(|c| c.status == Status::Succeeded && c.replay_children);
        let handle = self.add_op(Op {
            kind: Kind::Child { replay_children },
            id: id.clone(),
            parent_id: parent_id.clone(),
            name: call.name.map(str::to_string),
            state: State::Running,
            attempt: 0,
        });
        match &checkpoint {
            Some(c) if c.status == Status::Succeeded && !c.replay_children => {
                self.set_state(handle, State::Finished);
                return Ok(Answer::Replay {
                    payload: c.result.clone(),
                });
            }
            Some(c) if c.status == Status::Failed => {
                self.set_state(handle, State::Finished);
                return Ok(Answer::Raise {
                    error_class: "ChildContextError".to_string(),
                    error: c
                        .error
                        .clone()
                        .unwrap_or_else(|| ErrorObject::message_only("Child context failed")),
                    sync: None,
                });
            }
            Some(_) => {}
            None => {
                self.queue.push(self.context_update(
                    &id,
                    &parent_id,
                    call.name,
                    UpdateAction::Start,
                ));
            }
        }
        self.contexts.push(Context {
            prefix: Some(prefix),
            parent_id: Some(id),
            counter: 0,
        });
        Ok(Answer::Child {
            op: handle,
            context: self.contexts.len() - 1,
            replaying: replay_children,
        })
    }

    /// The child's function returned or raised.
    pub fn child_done(
        &mut self,
        handle: usize,
        outcome: &ChildOutcome<'_>,
    ) -> Result<Answer, CoreError> {
        let op = self.op(handle)?.clone();
        let Kind::Child { replay_children } = op.kind else {
            return Err(CoreError::invalid(
                "op",
                handle as u64,
                "not a child context",
            ));
        };
        if op.state != State::Running {
            return Err(CoreError::invalid(
                "op",
                handle as u64,
                "the child context is not running",
            ));
        }
        self.set_state(handle, State::Finished);
        if self.stopped() {
            return Ok(Answer::Stop);
        }
        let python = self.profile == Profile::Python;
        let mut update = self.context_update(
            &op.id,
            &op.parent_id,
            op.name.as_deref(),
            UpdateAction::Succeed,
        );
        let answer_raise = match outcome {
            ChildOutcome::Success { .. } if replay_children => {
                return Ok(Answer::Done {
                    sync: None,
                    held: None,
                });
            }
            ChildOutcome::Success { payload } => {
                let size = payload.map_or(0, |p| if python { p.chars().count() } else { p.len() });
                let large = size > CONTEXT_PAYLOAD_LIMIT;
                update.payload = match payload {
                    _ if large => Payload::Text(String::new()),
                    Some(p) => Payload::held(self.profile, p),
                    None => Payload::Absent,
                };
                update.options = match (python, large) {
                    (true, _) => Options::Context {
                        replay_children: large,
                    },
                    (false, true) => Options::Context {
                        replay_children: true,
                    },
                    (false, false) => Options::None,
                };
                None
            }
            ChildOutcome::Failure(e) if e.unrecoverable => return Ok(Answer::Propagate),
            ChildOutcome::Failure(_) | ChildOutcome::Raised(_) => {
                let error = match outcome {
                    ChildOutcome::Failure(e) => ErrorObject::from_user_error(self.profile, e),
                    ChildOutcome::Raised(e) => e.clone(),
                    ChildOutcome::Success { .. } => ErrorObject::default(),
                };
                update.action = UpdateAction::Fail;
                update.error = Some(error.clone());
                Some(error)
            }
        };
        let keeps_payload = matches!(update.payload, Payload::Held { .. });
        let seq = self.queue.push(update);
        // Python checkpoints the outcome synchronously; JS does not await it.
        let sync = python.then_some(seq);
        Ok(match answer_raise {
            None => Answer::Done {
                sync,
                held: keeps_payload.then_some(seq),
            },
            Some(error) => Answer::Raise {
                error_class: "ChildContextError".to_string(),
                error,
                sync,
            },
        })
    }

    fn context_update(
        &self,
        id: &str,
        parent_id: &Option<String>,
        name: Option<&str>,
        action: UpdateAction,
    ) -> Update {
        Update {
            profile: self.profile,
            op_type: OpType::Context,
            id: id.to_string(),
            parent_id: parent_id.clone(),
            name: name.map(str::to_string),
            sub_type: Some(SUB_TYPE),
            action,
            payload: Payload::Absent,
            error: None,
            options: Options::None,
        }
    }
}
