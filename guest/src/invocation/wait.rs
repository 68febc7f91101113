//! WAIT operations: START with `WaitSeconds`, then the invocation suspends; a SUCCEEDED wait
//! replays as done. (Both SDKs: `WaitOperationExecutor`, `createWaitHandler`.)

use super::replay::{mismatch, Identity};
use super::{check_now, Answer, Call, Invocation, Kind, Op, State};
use crate::error::CoreError;
use crate::profile::Profile;
use crate::wire::{OpType, Options, Payload, Status, Update, UpdateAction};

/// The service's WaitSeconds range.
pub const MAX_WAIT_SECONDS: f64 = 31_622_400.0;

impl Invocation {
    /// The user's code waits `seconds`.
    pub fn wait(&mut self, call: &Call<'_>, seconds: f64) -> Result<Answer, CoreError> {
        check_now(call.now_ms)?;
        // Deliberate: every profile checks the range (Python rejects < 1 s itself; JS sends
        // what it is given and the service rejects it).
        if seconds.fract() != 0.0 || !(1.0..=MAX_WAIT_SECONDS).contains(&seconds) {
            return Err(CoreError::out_of_range(
                "seconds",
                seconds,
                "a wait lasts a whole number of seconds from 1 to 31622400",
            ));
        }
        if self.stopped() {
            return Ok(Answer::Stop);
        }
        let (id, step_id, parent_id) = self.next_id(call)?;
        let handle = self.add_op(Op {
            kind: Kind::Wait,
            id: id.clone(),
            parent_id: parent_id.clone(),
            name: call.name.map(str::to_string),
            state: State::Blocked,
            attempt: 0,
        });
        let Some(checkpoint) = self.checkpointed(&id) else {
            self.queue.push(Update {
                profile: self.profile,
                op_type: OpType::Wait,
                id,
                parent_id,
                name: call.name.map(str::to_string),
                sub_type: Some("Wait"),
                action: UpdateAction::Start,
                payload: Payload::Absent,
                error: None,
                options: Options::Wait {
                    seconds: seconds as u64,
                },
            });
            return Ok(Answer::Suspend);
        };
        let identity = Identity {
            step_id: &step_id,
            op_type: "WAIT",
            sub_type: "Wait",
            name: call.name,
            parent_id: parent_id.as_deref(),
        };
        if let Some(error) = mismatch(self.profile, &id, &identity, checkpoint) {
            return Ok(self.non_deterministic(error));
        }
        if checkpoint.status == Status::Succeeded {
            self.set_state(handle, State::Finished);
            return Ok(Answer::Replay { payload: None });
        }
        // JS 2.4.0 re-reads the state with an empty checkpoint when the wait is already due but
        // not yet SUCCEEDED, before it suspends.
        let due = checkpoint
            .scheduled_end_ms
            .is_some_and(|t| t <= call.now_ms);
        if due && self.profile == Profile::Ts {
            self.queue.push_refresh();
        }
        Ok(Answer::Suspend)
    }
}
