//! The invocation interface's JSON calls: one request string in (plus the user's serialized
//! value, where the call carries one), one response string out.
//!
//! `open`: `{"profile", "envelope"}` (the DurableExecutionInvocationInput as Lambda passed it).
//! `call`: `{"call": <name>, ...}`:
//!
//! | call | request | response |
//! |---|---|---|
//! | `next-io` | | `{"io": null}` or `{"io": "get-state", "arn", "token", "marker", "max_items"}` or `{"io": "checkpoint", "arn", "token", "updates": [OperationUpdate...], "held": [[update index, payload seq]...]}` |
//! | `io-done` | `{"ok": <response body>}` / `{"failure": {"status", "code", "message"}}` / `{"unreadable": true}` | `{"persisted", "stopped"}` |
//! | `input` | | `{"input": <JSON text>, "replaying", "loading"}` |
//! | `step` | `context`, `name`, `semantics`, `strategy` (retry.register handle) or `retry` (`{"config"}`/`{"preset"}`), `now_ms`, `random` | answer |
//! | `step-done` | `op`, `outcome` (`{"success": {"payload": bool}}` / `{"failure": {...}}`), `now_ms`, `random` | answer |
//! | `wait` | `context`, `name`, `seconds`, `now_ms` | answer |
//! | `child` | `context`, `name`, `now_ms` | answer |
//! | `child-done` | `op`, `outcome` | answer |
//! | `finish` | `outcome`: `return` (`payload`: bool) / `throw` (`error`) / `suspend` / `stopped`, `now_ms` | `{"sync"}` |
//! | `output` | | `{"output": {...}, "result_held": bool}` or `{"invocation_error": {"rule", "message"}}` |
//! | `persisted` | | `{"persisted"}`: every update up to this sequence number is stored |
//! | `replaying` | `context` | `{"replaying"}`: the context's next operation is checkpointed |
//!
//! An answer is `{"kind": "execute", "op", "attempt", "sync"}`, `{"kind": "child", "op",
//! "context", "replaying"}`, `{"kind": "done", "sync"}`, `{"kind": "replay", "payload"}`,
//! `{"kind": "raise", "error_class", "error", "sync"}`, `{"kind": "propagate"}`,
//! `{"kind": "suspend"}`, `{"kind": "stop"}` or `{"kind": "need-random"}` (a jittered retry
//! decision: repeat the call with `random`, the host's draw in [0, 1); nothing changed, so a
//! host draws exactly when the SDKs do); operation calls add `replaying` (the context's
//! next operation is checkpointed, so its code replays: replay-aware logs stay quiet). `sync`: pump I/O until `persisted` reaches it
//! before acting. A held payload (`"payload": true`) is the call's second argument; in a
//! checkpoint request its `Payload` is `null` for the host to fill in from the value it kept
//! under that sequence number (the `sync`/`seq` the answer named), so the user's value is
//! never escaped by the core. Rejections: `{"error": {"kind", "field", "value", "message"}}`.

use super::checkpoint::PAGE_SIZE;
use super::output::escaped_error;
use super::{Answer, Call, ChildOutcome, Finish, Invocation, Io, IoResult, Lookup, Output};
use super::{ResultField, StrategyRef};
use crate::classify::{Api, ApiFailure, Category, Report};
use crate::error::{CoreError, ErrorKind};
use crate::json::{self, object, string, Json, Writer};
use crate::profile::Profile;
use crate::retry::{self, Strategy};
use crate::step::api::{
    core_error_json, error_json, missing, optional_text, random, semantics, user_error,
};
use crate::step::{Semantics, StepOutcome};
use crate::wire::ErrorObject;
use std::rc::Rc;

/// Opens an invocation, or says why the envelope is not one.
pub fn open_json(request: &str) -> Result<Invocation, String> {
    let run = || {
        let req = json::parse("request", request)?;
        let profile = profile(&req)?;
        let envelope = req.field("envelope").ok_or_else(|| missing("envelope"))?;
        Invocation::open(profile, envelope)
    };
    run().map_err(render_error)
}

/// One call on an open invocation.
pub fn call_json(
    inv: &mut Invocation,
    request: &str,
    payload: &str,
    lookup: &Lookup<'_>,
) -> String {
    // The calls without arguments, spelled as the hosts spell them, and the pump's next-io: no
    // parse. (The checkpoint request is written as text, its updates spliced byte for byte.)
    match request {
        r#"{"call":"next-io"}"# => return io_json(inv, None),
        r#"{"call":"input"}"# => return input_text(inv),
        r#"{"call":"output"}"# => return output_call(inv).unwrap_or_else(render_error),
        _ => {}
    }
    if let Some(until) = next_io_until(request) {
        return io_json(inv, Some(until));
    }
    let mut run = || -> Result<Reply, CoreError> {
        if let Some(spelled) = spelled(request) {
            return spelled_call(inv, spelled, payload, lookup);
        }
        let req = json::parse("request", request)?;
        let name = match req.field("call") {
            Some(Json::String(s)) if s == "next-io" => {
                let until = match req.field("until") {
                    None => None,
                    Some(_) => Some(index(&req, "until")? as u64),
                };
                return Ok(Reply::NextIo(until));
            }
            Some(Json::String(s)) => s.as_ref(),
            Some(other) => {
                return Err(CoreError::invalid(
                    "call",
                    other.type_name(),
                    "expected a string",
                ))
            }
            None => return Err(missing("call")),
        };
        let held = match req.field("payload") {
            None | Some(Json::Bool(false)) => None,
            Some(Json::Bool(true)) => Some(payload),
            Some(other) => {
                return Err(CoreError::invalid(
                    "payload",
                    other.type_name(),
                    "expected a boolean",
                ))
            }
        };
        match name {
            "io-done" => io_done(inv, &req).map(Reply::Text),
            "input" => Ok(Reply::Text(input_text(inv))),
            "step" => {
                let call = call(&req)?;
                let strategy = strategy(&req, inv, lookup)?;
                let answer = inv.step(&call, semantics(&req)?, strategy, draw(&req)?, lookup)?;
                Ok(Reply::Answer(answer, Some(inv.replaying(call.context))))
            }
            "step-done" => {
                let op = index(&req, "op")?;
                let outcome = match req.field("outcome") {
                    Some(o) if o.get("success").is_some() => StepOutcome::Success { payload: held },
                    Some(o) => StepOutcome::Failure(failure(o)?),
                    None => return Err(missing("outcome")),
                };
                let answer = inv.step_done(op, &outcome, now(&req)?, draw(&req)?, lookup)?;
                Ok(Reply::Answer(answer, None))
            }
            "wait" => {
                let seconds = retry::json::number(&req, "seconds")?.ok_or_else(|| missing("seconds"))?;
                let call = call(&req)?;
                let answer = inv.wait(&call, seconds)?;
                Ok(Reply::Answer(answer, Some(inv.replaying(call.context))))
            }
            "child" => {
                let call = call(&req)?;
                let answer = inv.child(&call)?;
                Ok(Reply::Answer(answer, Some(inv.replaying(call.context))))
            }
            "child-done" => {
                let op = index(&req, "op")?;
                let outcome = match req.field("outcome") {
                    Some(o) if o.get("success").is_some() => ChildOutcome::Success { payload: held },
                    Some(o) if o.get("raised").is_some() => {
                        ChildOutcome::Raised(thrown(inv.profile(), o)?)
                    }
                    Some(o) => ChildOutcome::Failure(failure(o)?),
                    None => return Err(missing("outcome")),
                };
                Ok(Reply::Answer(inv.child_done(op, &outcome)?, None))
            }
            "finish" => {
                let finish = match req.field("outcome") {
                    Some(Json::String(s)) if s == "return" => Finish::Return { result: None },
                    Some(Json::String(s)) if s == "throw" => Finish::Throw(thrown(inv.profile(), &req)?),
                    Some(Json::String(s)) if s == "suspend" => Finish::Suspend,
                    Some(Json::String(s)) if s == "stopped" => Finish::Stopped,
                    Some(other) => {
                        return Err(CoreError::invalid(
                            "outcome",
                            other.describe(),
                            "expected return, throw, suspend or stopped",
                        ))
                    }
                    None => return Err(missing("outcome")),
                };
                finish_call(inv, finish, held, now(&req)?)
            }
            "output" => output_call(inv).map(Reply::Text),
            "persisted" => Ok(Reply::Text(text(&object(vec![("persisted", number(inv.persisted()))])))),
            "replaying" => {
                let context = index(&req, "context")?;
                Ok(Reply::Text(text(&object(vec![("replaying", Json::Bool(inv.replaying(context)))]))))
            }
            other => Err(CoreError::invalid(
                "call",
                string(other).describe(),
                "expected next-io, io-done, input, step, step-done, wait, child, child-done, finish, output, persisted or replaying",
            )),
        }
    };
    let mut w = Writer::new(false);
    match run() {
        // Spelled another way, or with `until`: the same call.
        Ok(Reply::NextIo(until)) => return io_json(inv, until),
        Ok(Reply::Answer(answer, replaying)) => write_answer(&mut w, &answer, replaying),
        Ok(Reply::Text(t)) => return t,
        Err(e) => w.value(&core_error_json(e)),
    }
    w.finish()
}

/// `finish`'s answer: `{"sync", "held"}`.
fn finish_call(
    inv: &mut Invocation,
    finish: Finish,
    held: Option<&str>,
    now_ms: f64,
) -> Result<Reply, CoreError> {
    let (sync, held) = inv.finish(finish, held, now_ms)?;
    let mut w = Writer::new(false);
    write_seq(&mut w, "{\"sync\":", sync);
    write_seq(&mut w, ",\"held\":", held);
    w.raw("}");
    Ok(Reply::Text(w.finish()))
}

/// A first run's operation calls as the Node host writes them, read without a parse.
enum Spelled<'r> {
    Step(Call<'r>, Semantics),
    /// A step's success; `held`: its payload is the call's second argument.
    StepDone {
        op: usize,
        now_ms: f64,
        held: bool,
    },
    /// The handler returned; `held` as above.
    FinishReturn {
        now_ms: f64,
        held: bool,
    },
}

/// `step` (no retry configuration), a step's success and `finish` with a return, spelled
/// exactly as the Node host writes them (compact, these keys in this order, a name with nothing
/// escaped, whole numbers as JSON writes them): read without a parse, as `next_io_until` reads
/// the pump's request. Any other spelling goes through the parser to the same call, with any
/// rejection it has.
fn spelled(request: &str) -> Option<Spelled<'_>> {
    if let Some(rest) = request.strip_prefix(r#"{"call":"step","context":"#) {
        let (context, rest) = whole(rest, u64::from(u32::MAX))?;
        let rest = rest.strip_prefix(r#","name":"#)?;
        let (name, rest) = match rest.strip_prefix("null") {
            Some(rest) => (None, rest),
            None => {
                let (name, rest) = plain_string(rest)?;
                (Some(name), rest)
            }
        };
        let rest = rest.strip_prefix(r#","semantics":"#)?;
        let (semantics, rest) =
            if let Some(rest) = rest.strip_prefix(r#""AT_LEAST_ONCE_PER_RETRY""#) {
                (Semantics::AtLeastOncePerRetry, rest)
            } else {
                let rest = rest.strip_prefix(r#""AT_MOST_ONCE_PER_RETRY""#)?;
                (Semantics::AtMostOncePerRetry, rest)
            };
        let (now_ms, rest) = whole(rest.strip_prefix(r#","now_ms":"#)?, EXACT_WHOLE)?;
        let call = Call {
            context: usize::try_from(context).ok()?,
            name,
            now_ms: now_ms as f64,
        };
        return (rest == "}").then_some(Spelled::Step(call, semantics));
    }
    if let Some(rest) = request.strip_prefix(r#"{"call":"step-done","op":"#) {
        let (op, rest) = whole(rest, u64::from(u32::MAX))?;
        let (now_ms, rest) = whole(rest.strip_prefix(r#","now_ms":"#)?, EXACT_WHOLE)?;
        let held = payload_flag(rest.strip_prefix(r#","outcome":{"success":{}}"#)?)?;
        return Some(Spelled::StepDone {
            op: usize::try_from(op).ok()?,
            now_ms: now_ms as f64,
            held,
        });
    }
    let rest = request.strip_prefix(r#"{"call":"finish","now_ms":"#)?;
    let (now_ms, rest) = whole(rest, EXACT_WHOLE)?;
    let held = payload_flag(rest.strip_prefix(r#","outcome":"return""#)?)?;
    Some(Spelled::FinishReturn {
        now_ms: now_ms as f64,
        held,
    })
}

/// The largest whole number every integer up to which an f64 holds exactly (2^53 - 1).
const EXACT_WHOLE: u64 = (1 << 53) - 1;

/// A whole number up to `max` as JSON writes it (no sign, no leading zero), and what follows.
fn whole(text: &str, max: u64) -> Option<(u64, &str)> {
    let len = text.bytes().take_while(u8::is_ascii_digit).count();
    let (digits, rest) = text.split_at_checked(len)?;
    if len > 16 || (len > 1 && digits.starts_with('0')) {
        return None;
    }
    let n = digits.parse::<u64>().ok()?;
    (n <= max).then_some((n, rest))
}

/// A JSON string with nothing escaped (its text is its value), and what follows.
fn plain_string(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_prefix('"')?;
    let end = body.find(['"', '\\'])?;
    let (value, rest) = body.split_at_checked(end)?;
    if value.bytes().any(|b| b < 0x20) {
        return None;
    }
    Some((value, rest.strip_prefix('"')?))
}

/// The end of a call that may carry a payload: whether it does.
fn payload_flag(rest: &str) -> Option<bool> {
    match rest {
        "}" => Some(false),
        r#","payload":true}"# => Some(true),
        _ => None,
    }
}

/// A call read by `spelled`, made as the parsed spelling makes it.
fn spelled_call(
    inv: &mut Invocation,
    spelled: Spelled<'_>,
    payload: &str,
    lookup: &Lookup<'_>,
) -> Result<Reply, CoreError> {
    match spelled {
        Spelled::Step(call, semantics) => {
            let strategy = StrategyRef::Owned(inv.default_strategy()?);
            let answer = inv.step(&call, semantics, strategy, None, lookup)?;
            Ok(Reply::Answer(answer, Some(inv.replaying(call.context))))
        }
        Spelled::StepDone { op, now_ms, held } => {
            let outcome = StepOutcome::Success {
                payload: held.then_some(payload),
            };
            let answer = inv.step_done(op, &outcome, now_ms, None, lookup)?;
            Ok(Reply::Answer(answer, None))
        }
        Spelled::FinishReturn { now_ms, held } => finish_call(
            inv,
            Finish::Return { result: None },
            held.then_some(payload),
            now_ms,
        ),
    }
}

/// What a call answers.
enum Reply {
    /// Written already (its JSON may borrow from the invocation).
    Text(String),
    /// An operation's answer (the hot path: written straight out), with `replaying` for the
    /// calls that start an operation.
    Answer(Answer, Option<bool>),
    /// The checkpoint or state request (`next-io`), written as text.
    NextIo(Option<u64>),
}

/// A rejection as the JSON calls write it.
pub fn render_error(e: CoreError) -> String {
    let mut w = Writer::new(false);
    w.value(&core_error_json(e));
    w.finish()
}

fn input_text(inv: &Invocation) -> String {
    let mut w = Writer::new(false);
    write_input(&mut w, inv);
    w.finish()
}

fn output_call(inv: &Invocation) -> Result<String, CoreError> {
    Ok(output_text(inv.profile(), &inv.output()?))
}

/// What `input` answers (and `open`, beside the handle): the user's input as JSON text, whether
/// the invocation starts by replaying, whether state pages are still to be fetched (then ask
/// again after pumping) and whether it already stopped.
pub fn write_input(w: &mut Writer, inv: &Invocation) {
    w.raw("{\"input\":");
    w.string(inv.input());
    w.raw(",\"replaying\":");
    w.boolean(inv.replaying_at_start());
    w.raw(",\"loading\":");
    w.boolean(inv.loading());
    w.raw(",\"stopped\":");
    w.boolean(inv.verdict().is_some());
    w.raw("}");
}

/// `until`: nothing is due once updates up to that sequence number are stored.
fn io_json(inv: &mut Invocation, until: Option<u64>) -> String {
    let mut w = Writer::new(false);
    let persisted = inv.persisted();
    let due = if until.is_some_and(|u| persisted >= u) {
        None
    } else {
        inv.next_io()
    };
    match due {
        None => {
            w.raw("{\"io\":null,\"persisted\":");
            w.unsigned(persisted);
            w.raw("}");
        }
        Some(Io::GetState { token, marker }) => w.value(&object(vec![
            ("io", string("get-state")),
            ("arn", string(&inv.arn)),
            ("token", Json::String(token.into())),
            ("marker", Json::String(marker.into())),
            ("max_items", number(u64::from(PAGE_SIZE))),
            ("persisted", number(persisted)),
        ])),
        Some(Io::Checkpoint {
            token,
            updates,
            held,
        }) => {
            w.raw("{\"io\":\"checkpoint\",\"arn\":");
            w.string(&inv.arn);
            w.raw(",\"token\":");
            w.string(&token);
            // The updates are already the profile's JSON: spliced, not re-encoded.
            w.raw(",\"updates\":[");
            for (i, update) in updates.iter().enumerate() {
                if i > 0 {
                    w.raw(",");
                }
                w.raw(update);
            }
            w.raw("],\"held\":[");
            for (i, (index, seq)) in held.iter().enumerate() {
                if i > 0 {
                    w.raw(",");
                }
                w.raw("[");
                w.unsigned(*index as u64);
                w.raw(",");
                w.unsigned(*seq);
                w.raw("]");
            }
            w.raw("],\"persisted\":");
            w.unsigned(persisted);
            w.raw("}");
        }
    }
    w.finish()
}

fn io_done(inv: &mut Invocation, req: &Json) -> Result<String, CoreError> {
    let result = if let Some(body) = req.get("ok") {
        IoResult::Ok(body)
    } else if let Some(f) = req.field("failure") {
        let status = match f.field("status") {
            None => None,
            Some(Json::Number(n)) if n.fract() == 0.0 && (0.0..=65535.0).contains(n) => {
                Some(*n as u16).filter(|s| *s != 0)
            }
            Some(other) => {
                return Err(CoreError::invalid(
                    "failure.status",
                    other.describe(),
                    "expected an HTTP status 0..65535 or null (a status_text otherwise)",
                ))
            }
        };
        let stated_scope = match f.field("stated_scope") {
            None => None,
            Some(Json::String(s)) if s == "INVOCATION" => Some(Category::Invocation),
            Some(Json::String(s)) if s == "EXECUTION" => Some(Category::Execution),
            Some(other) => {
                return Err(CoreError::invalid(
                    "failure.stated-scope",
                    other.describe(),
                    "expected INVOCATION, EXECUTION or null",
                ))
            }
        };
        let wrapped = match f.field("wrapped") {
            None => false,
            Some(Json::Bool(b)) => *b,
            Some(other) => {
                return Err(CoreError::invalid(
                    "failure.wrapped",
                    other.describe(),
                    "expected a boolean",
                ))
            }
        };
        IoResult::Failed {
            report: Report {
                failure: ApiFailure {
                    api: Api::Checkpoint, // the call in flight decides
                    status,
                    code: optional_text(f, "code", "failure.code")?,
                    message: optional_text(f, "message", "failure.message")?,
                },
                status_text: optional_text(f, "status_text", "failure.status-text")?,
                stated_scope,
                wrapped,
            },
            text: optional_text(f, "text", "failure.text")?,
        }
    } else if req.field("unreadable") == Some(&Json::Bool(true)) {
        IoResult::Unreadable
    } else {
        return Err(CoreError::invalid(
            "io-done",
            "(no result)",
            "expected ok, failure or unreadable",
        ));
    };
    inv.io_done(result)?;
    let mut w = Writer::new(false);
    w.raw("{\"persisted\":");
    w.unsigned(inv.persisted());
    w.raw(",\"stopped\":");
    w.boolean(inv.verdict().is_some());
    w.raw("}");
    Ok(w.finish())
}

/// An answer (the shapes above), written straight out: every operation call ends here.
fn write_answer(w: &mut Writer, answer: &Answer, replaying: Option<bool>) {
    let number = |w: &mut Writer, key: &str, n: usize| {
        w.raw(key);
        w.unsigned(n as u64);
    };
    let kind = match answer {
        Answer::Execute { .. } => "execute",
        Answer::Child { .. } => "child",
        Answer::Done { .. } => "done",
        Answer::Replay { .. } => "replay",
        Answer::Raise { .. } => "raise",
        Answer::Propagate => "propagate",
        Answer::Suspend => "suspend",
        Answer::Stop => "stop",
        Answer::NeedRandom => "need-random",
    };
    w.raw("{\"kind\":\"");
    w.raw(kind);
    w.raw("\"");
    match answer {
        Answer::Execute { op, attempt, sync } => {
            number(w, ",\"op\":", *op);
            number(w, ",\"attempt\":", *attempt as usize);
            write_seq(w, ",\"sync\":", *sync);
        }
        Answer::Child {
            op,
            context,
            replaying,
        } => {
            number(w, ",\"op\":", *op);
            number(w, ",\"context\":", *context);
            w.raw(",\"replaying\":");
            w.boolean(*replaying);
        }
        Answer::Done { sync, held } => {
            write_seq(w, ",\"sync\":", *sync);
            write_seq(w, ",\"held\":", *held);
        }
        Answer::Replay { payload } => {
            w.raw(",\"payload\":");
            match payload {
                Some(text) => w.string(text),
                None => w.raw("null"),
            }
        }
        Answer::Raise {
            error_class,
            error,
            sync,
        } => {
            w.raw(",\"error_class\":");
            w.string(error_class);
            w.raw(",\"error\":");
            w.value(&error_json(error));
            write_seq(w, ",\"sync\":", *sync);
        }
        Answer::Propagate | Answer::Suspend | Answer::Stop | Answer::NeedRandom => {}
    }
    // Whether the context's next operation replays (for replay-aware logs).
    if let Some(replaying) = replaying {
        w.raw(",\"replaying\":");
        w.boolean(replaying);
    }
    w.raw("}");
}

fn output_text(profile: Profile, output: &Output) -> String {
    let mut w = Writer::new(false);
    let out = match output {
        Output::InvocationError { rule, message } => {
            w.value(&object(vec![(
                "invocation_error",
                object(vec![
                    ("category", string("INVOCATION")),
                    ("rule", string(rule)),
                    ("message", string(message)),
                ]),
            )]));
            return w.finish();
        }
        Output::Succeeded(ResultField::Held) => {
            r#"{"output":{"Status":"SUCCEEDED","Result":null},"result_held":true}"#
        }
        Output::Succeeded(ResultField::Empty) => {
            r#"{"output":{"Status":"SUCCEEDED","Result":""},"result_held":false}"#
        }
        Output::Succeeded(ResultField::Absent) => {
            r#"{"output":{"Status":"SUCCEEDED"},"result_held":false}"#
        }
        Output::Failed(error) => {
            w.raw(r#"{"output":{"Status":"FAILED","Error":"#);
            error.write(&mut w, profile);
            w.raw(r#"},"result_held":false}"#);
            return w.finish();
        }
        Output::Pending => r#"{"output":{"Status":"PENDING"},"result_held":false}"#,
        Output::FailedStored => r#"{"output":{"Status":"FAILED"},"result_held":false}"#,
    };
    out.to_string()
}

/// `until` of a host's `{"call":"next-io","until":n}` spelled exactly so (the pump's request,
/// read without a parse); any other spelling goes through the parser to the same call.
fn next_io_until(request: &str) -> Option<u64> {
    let rest = request.strip_prefix(r#"{"call":"next-io","until":"#)?;
    // As `index` reads it: a whole number up to u32::MAX (anything else is the parser's to reject).
    let (until, rest) = whole(rest, u64::from(u32::MAX))?;
    (rest == "}").then_some(until)
}

/// `key` (with its punctuation) and a sequence number or null.
fn write_seq(w: &mut Writer, key: &str, seq: Option<u64>) {
    w.raw(key);
    match seq {
        Some(n) => w.unsigned(n),
        None => w.raw("null"),
    }
}

/// A value as compact JSON.
fn text(value: &Json) -> String {
    let mut w = Writer::new(false);
    w.value(value);
    w.finish()
}

/// What escaped the handler: the user's own error (`error`), or an operation error the core
/// raised (`raised`: the answer's `error_class` and `error`).
fn thrown(profile: Profile, req: &Json) -> Result<ErrorObject, CoreError> {
    if let Some(raised) = req.field("raised") {
        let class = optional_text(raised, "error_class", "raised.error-class")?
            .ok_or_else(|| missing("raised.error-class"))?;
        let error = match raised.field("error") {
            Some(e) => ErrorObject::parse(e)?,
            None => return Err(missing("raised.error")),
        };
        return Ok(escaped_error(profile, class, &error));
    }
    let e = req.field("error").ok_or_else(|| missing("error"))?;
    Ok(ErrorObject::from_user_error(profile, &user_error(e)?))
}

fn profile(req: &Json) -> Result<Profile, CoreError> {
    match req.field("profile") {
        None => Ok(Profile::default()),
        Some(Json::String(s)) => Profile::from_name(s),
        Some(other) => Err(CoreError::invalid(
            "profile",
            other.type_name(),
            "expected a string",
        )),
    }
}

fn call<'a>(req: &'a Json) -> Result<Call<'a>, CoreError> {
    Ok(Call {
        context: match req.field("context") {
            None => 0,
            Some(_) => index(req, "context")?,
        },
        name: optional_text(req, "name", "name")?,
        now_ms: now(req)?,
    })
}

/// The host's draw, when the request carries one (the answer `need-random` asks for it).
fn draw(req: &Json) -> Result<Option<f64>, CoreError> {
    match req.field("random") {
        None => Ok(None),
        Some(_) => random(req).map(Some),
    }
}

fn now(req: &Json) -> Result<f64, CoreError> {
    match req.field("now_ms") {
        Some(Json::Number(n)) => Ok(*n),
        Some(other) => Err(CoreError::invalid(
            "now-ms",
            other.describe(),
            "expected epoch milliseconds",
        )),
        None => Err(missing("now-ms")),
    }
}

fn index(req: &Json, key: &str) -> Result<usize, CoreError> {
    match req.field(key) {
        Some(Json::Number(n)) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n) => {
            Ok(*n as usize)
        }
        Some(other) => Err(CoreError::invalid(
            key,
            other.describe(),
            "expected a handle (a whole number)",
        )),
        None => Err(missing(key)),
    }
}

fn failure<'b>(outcome: &'b Json<'_>) -> Result<crate::step::UserError<'b>, CoreError> {
    match outcome.field("failure") {
        Some(f @ Json::Object(_)) => user_error(f),
        _ => Err(CoreError::new(
            ErrorKind::InvalidValue,
            "outcome",
            outcome.type_name(),
            "expected {\"success\": ...} or {\"failure\": {...}}",
        )),
    }
}

fn strategy(
    req: &Json,
    inv: &mut Invocation,
    lookup: &Lookup<'_>,
) -> Result<StrategyRef, CoreError> {
    match req.field("strategy") {
        Some(Json::Number(n)) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n) => {
            let handle = *n as u32;
            match lookup(handle) {
                Some(_) => Ok(StrategyRef::Registered(handle)),
                None => Err(CoreError::invalid(
                    "strategy",
                    handle,
                    "no strategy is registered under this handle",
                )),
            }
        }
        Some(other) => Err(CoreError::invalid(
            "strategy",
            other.type_name(),
            "expected a handle",
        )),
        None => match req.field("retry") {
            Some(r) => {
                let profile = inv.profile();
                let spec = retry::json::spec_from_json(r, profile)?;
                Ok(StrategyRef::Owned(Rc::new(Strategy::new(&spec, profile)?)))
            }
            None => Ok(StrategyRef::Owned(inv.default_strategy()?)),
        },
    }
}

fn number(n: u64) -> Json<'static> {
    Json::Number(n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENVELOPE: &str = r#"{"profile":"ts","envelope":{"DurableExecutionArn":"arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/e","CheckpointToken":"t0","InitialExecutionState":{"Operations":[{"Id":"e","Type":"EXECUTION","Status":"STARTED","ExecutionDetails":{"InputPayload":"{\"a\":1}"}}]}}}"#;

    /// The answers of `calls` on a fresh invocation, the last one spelled `last`.
    fn answers(calls: &[(&str, &str)], last: &str) -> Vec<String> {
        let none = |_: u32| None;
        let Ok(mut inv) = open_json(ENVELOPE) else {
            return vec!["(not opened)".to_string()];
        };
        let mut out: Vec<String> = calls
            .iter()
            .map(|(request, payload)| call_json(&mut inv, request, payload, &none))
            .collect();
        out.push(call_json(&mut inv, last, "", &none));
        out
    }

    #[test]
    fn calls_read_without_a_parse_answer_as_the_parsed_spelling_does() {
        let step = r#"{"call":"step","context":0,"name":"s","now_ms":1700000000000}"#;
        let done = r#"{"call":"step-done","op":0,"now_ms":1700000000000,"outcome":{"success":{}},"payload":true}"#;
        let before = [(step, ""), (done, "\"v\"")];
        let until = [
            "0",
            "2",
            "02",
            "4294967295",
            "4294967296",
            "99999999999999999999",
            "-1",
            "",
            "2.0",
        ];
        for n in until {
            let fast = format!(r#"{{"call":"next-io","until":{n}}}"#);
            // A space after the value: the parser's path, with any error at the same byte.
            let parsed = format!(r#"{{"call":"next-io","until":{n}}} "#);
            assert_eq!(
                answers(&before, &fast),
                answers(&before, &parsed),
                "until {n:?}"
            );
        }
        // A first run, each call spelled as the Node host writes it or with a space after it.
        let run = |step: &str, done: &str, finish: &str| {
            let calls = [
                (step.to_string(), ""),
                (done.to_string(), "\"v\""),
                (r#"{"call":"next-io"}"#.to_string(), ""),
                (
                    r#"{"call":"io-done","ok":{"CheckpointToken":"t1"}}"#.to_string(),
                    "",
                ),
                (finish.to_string(), "\"r\""),
            ];
            let spaced = calls
                .clone()
                .map(|(request, payload)| (format!("{request} "), payload));
            let answers = |calls: &[(String, &str)]| {
                let calls: Vec<(&str, &str)> =
                    calls.iter().map(|(r, p)| (r.as_str(), *p)).collect();
                answers(&calls, r#"{"call":"output"}"#)
            };
            let (fast, parsed) = (answers(&calls), answers(&spaced));
            assert_eq!(fast, parsed, "{calls:?}");
            fast
        };
        let step = |context: &str, name: &str, semantics: &str, now: &str| {
            format!(
                r#"{{"call":"step","context":{context},"name":{name},"semantics":"{semantics}","now_ms":{now}}}"#
            )
        };
        let done = |op: &str, now: &str, end: &str| {
            format!(
                r#"{{"call":"step-done","op":{op},"now_ms":{now},"outcome":{{"success":{{}}}}{end}}}"#
            )
        };
        let finish = |now: &str, end: &str| {
            format!(r#"{{"call":"finish","now_ms":{now},"outcome":"return"{end}}}"#)
        };
        let (least, most, now, held) = (
            "AT_LEAST_ONCE_PER_RETRY",
            "AT_MOST_ONCE_PER_RETRY",
            "1700000000000",
            r#","payload":true"#,
        );
        let first = run(
            &step("0", r#""s""#, least, now),
            &done("0", now, held),
            &finish(now, held),
        );
        assert!(first.iter().all(|a| !a.contains("error")), "{first:?}");
        for name in [
            r#""s""#,
            r#""""#,
            "null",
            r#""é😀""#,
            r#""a\"b""#,
            r#""a\u0041""#,
            "\"a\u{1}\"",
            "1",
            r#""s"#,
        ] {
            run(
                &step("0", name, least, now),
                &done("0", now, held),
                &finish(now, held),
            );
        }
        for semantics in [least, most, "AT_LEAST_ONCE", ""] {
            run(
                &step("0", r#""s""#, semantics, now),
                &done("0", now, held),
                &finish(now, held),
            );
        }
        for n in [
            "0",
            "1",
            "01",
            "4294967295",
            "4294967296",
            "-0",
            "0.0",
            "1e0",
            "",
        ] {
            run(
                &step(n, r#""s""#, least, now),
                &done(n, now, held),
                &finish(now, held),
            );
        }
        for n in [
            "0",
            "1",
            "86400000",
            "9007199254740991",
            "9007199254740992",
            "99999999999999999999",
            "01",
            "1.5",
            "-1",
            "1e12",
            "",
            "null",
        ] {
            run(
                &step("0", r#""s""#, least, n),
                &done("0", n, held),
                &finish(n, held),
            );
        }
        for end in [
            "",
            held,
            r#","payload":false"#,
            r#","payload":true,"payload":false"#,
            ",",
            r#", "payload":true"#,
        ] {
            run(
                &step("0", r#""s""#, least, now),
                &done("0", now, end),
                &finish(now, end),
            );
        }
        for (fast, parsed) in [
            (r#"{"call":"next-io"}"#, r#"{"call":"next-io"} "#),
            (r#"{"call":"input"}"#, r#"{"call":"input"} "#),
            (r#"{"call":"output"}"#, r#"{"call":"output"} "#),
        ] {
            assert_eq!(answers(&before, fast), answers(&before, parsed), "{fast}");
            assert_eq!(answers(&[], fast), answers(&[], parsed), "{fast}");
        }
        // A differential fuzz with a fixed seed: each spelled call with one to three random
        // insertions, deletions or replacements of JSON-significant tokens (on char boundaries).
        let tokens = [
            "\"",
            "\\",
            ",",
            ":",
            "{",
            "}",
            "0",
            "1",
            "9",
            "-",
            "e",
            ".",
            " ",
            "\u{1}",
            "é",
            "null",
            "true",
            r#""name""#,
            r#""success""#,
        ];
        let mut state: u32 = 0x2545_f491;
        let mut random = |n: usize| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as usize % n
        };
        let seeds = [
            step("0", r#""s""#, least, now),
            done("0", now, held),
            finish(now, held),
        ];
        let mut taken = 0;
        for _ in 0..10_000 {
            let which = random(3);
            let mut text = seeds.get(which).cloned().unwrap_or_default();
            for _ in 0..1 + random(3) {
                let boundaries: Vec<usize> = (0..=text.len())
                    .filter(|&i| text.is_char_boundary(i))
                    .collect();
                let at = boundaries
                    .get(random(boundaries.len()))
                    .copied()
                    .unwrap_or(0);
                let token = tokens
                    .get(random(tokens.len()))
                    .copied()
                    .unwrap_or_default();
                let tail = &text[at..];
                let skip = tail
                    .chars()
                    .take(1 + random(3))
                    .map(char::len_utf8)
                    .sum::<usize>();
                text = match random(3) {
                    0 => format!("{}{token}{}", &text[..at], tail),
                    1 => format!("{}{}", &text[..at], &tail[skip..]),
                    _ => {
                        let one = tail.chars().next().map_or(0, char::len_utf8);
                        format!("{}{token}{}", &text[..at], &tail[one..])
                    }
                };
            }
            // A text the fast path declines goes to the parser as is: nothing to compare.
            if spelled(&text).is_some() {
                taken += 1;
                let mut calls = seeds.clone();
                if let Some(call) = calls.get_mut(which) {
                    *call = text;
                }
                run(&calls[0], &calls[1], &calls[2]);
            }
        }
        assert!(taken > 150, "only {taken} mutated calls took the fast path");
    }
}
