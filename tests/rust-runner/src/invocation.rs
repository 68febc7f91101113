//! Suite `invocation`: a scripted handler and a scripted service driven through the core's
//! invocation engine, over the same JSON calls the Python and Node hosts make.
//!
//! This runner is a host: it does only what a host does (run the script's user code, keep
//! held payloads, perform service calls, serialize updates the way the profile's transport
//! does). Concurrent branches run one after the other, each to completion or suspension.

use durable_core::invocation::{api, Invocation};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const DEFAULT_NOW_MS: f64 = 1_700_000_000_000.0;

pub fn run(input: &Map<String, Value>) -> crate::Outcome {
    let profile = crate::profile(input)?;
    let request = json!({"profile": profile_name(input), "envelope": input.get("envelope").cloned().unwrap_or(Value::Null)});
    // A rejected envelope fails the invocation (the host raises the typed error), as in the SDKs.
    let Ok(inv) = api::open_json(&request.to_string()) else {
        return Ok(
            json!({"calls": [], "output": null, "invocation_error": {"category": "INVOCATION"}}),
        );
    };
    let mut host = Host {
        inv,
        python: profile == durable_core::Profile::Python,
        now_ms: input
            .get("now_ms")
            .and_then(Value::as_f64)
            .unwrap_or(DEFAULT_NOW_MS),
        random: input.get("random").and_then(Value::as_f64).unwrap_or(0.5),
        service: input
            .get("service")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        calls: Vec::new(),
        held: HashMap::new(),
    };
    host.pump(u64::MAX)?;
    let handler = input
        .get("handler")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let input = host.call(json!({"call": "input"}), None)?;
    let ended = if input.get("stopped") == Some(&Value::Bool(true)) {
        Err(Flow::Stop)
    } else {
        host.block(&handler, 0)
    };
    let (finish, payload) = match ended {
        Ok(Some(result)) => (
            json!({"outcome": "return", "payload": result.is_some()}),
            result,
        ),
        // A handler that returns nothing: Python None (serialized "null"), JS undefined.
        Ok(None) if host.python => (
            json!({"outcome": "return", "payload": true}),
            Some("null".to_string()),
        ),
        Ok(None) => (json!({"outcome": "return", "payload": false}), None),
        Err(Flow::Suspend) => (json!({"outcome": "suspend"}), None),
        Err(Flow::Stop) => (json!({"outcome": "stopped"}), None),
        Err(Flow::Throw(thrown)) => {
            let mut f = json!({"outcome": "throw"});
            if let (Some(obj), Value::Object(t)) = (f.as_object_mut(), thrown) {
                obj.extend(t);
            }
            (f, None)
        }
        Err(Flow::Error(e)) => return Err(e),
    };
    let mut finish = finish;
    if let Some(obj) = finish.as_object_mut() {
        obj.insert("call".into(), json!("finish"));
        obj.insert("now_ms".into(), json!(host.now_ms));
    }
    let done = host.call(finish, payload.as_deref())?;
    if let Some(held) = done.get("held").and_then(Value::as_u64) {
        host.held.insert(held, payload.clone().unwrap_or_default());
    }
    host.pump(done.get("sync").and_then(Value::as_u64).unwrap_or(0))?;
    let out = host.call(json!({"call": "output"}), None)?;
    let (output, invocation_error) = match out.get("invocation_error") {
        // The category is what an SDK shows; the rule is durable-core's name for it.
        Some(e) => (
            Value::Null,
            json!({"category": e.get("category"), "rule": e.get("rule")}),
        ),
        None => {
            let mut output = out.get("output").cloned().unwrap_or(Value::Null);
            if out.get("result_held") == Some(&Value::Bool(true)) {
                if let Some(o) = output.as_object_mut() {
                    o.insert("Result".into(), json!(payload));
                }
            }
            (output, Value::Null)
        }
    };
    let mut result = json!({"calls": host.calls, "output": output});
    if !invocation_error.is_null() {
        if let Some(o) = result.as_object_mut() {
            o.insert("invocation_error".into(), invocation_error);
        }
    }
    Ok(result)
}

fn profile_name(input: &Map<String, Value>) -> Value {
    input.get("profile").cloned().unwrap_or(json!("unified"))
}

/// How a block of statements ended early.
enum Flow {
    Suspend,
    Stop,
    /// The fields `finish` takes for what escaped: `error` or `raised`.
    Throw(Value),
    Error(String),
}

impl From<String> for Flow {
    fn from(e: String) -> Flow {
        Flow::Error(e)
    }
}

struct Host {
    inv: Invocation,
    python: bool,
    now_ms: f64,
    random: f64,
    service: Vec<Value>,
    calls: Vec<Value>,
    held: HashMap<u64, String>,
}

impl Host {
    fn call(&mut self, request: Value, payload: Option<&str>) -> Result<Value, String> {
        let answer = self.call_once(&request, payload)?;
        if kind(&answer) != "need-random" {
            return Ok(answer);
        }
        let mut again = request;
        again["random"] = json!(self.random);
        self.call_once(&again, payload)
    }

    fn call_once(&mut self, request: &Value, payload: Option<&str>) -> Result<Value, String> {
        let text = api::call_json(
            &mut self.inv,
            &request.to_string(),
            payload.unwrap_or(""),
            &|_| None,
        );
        let answer: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        match answer.get("error").filter(|_| answer.get("kind").is_none()) {
            Some(e) => Err(format!(
                "{}: {}",
                e.get("field").and_then(Value::as_str).unwrap_or("?"),
                e.get("message").and_then(Value::as_str).unwrap_or("?")
            )),
            None => Ok(answer),
        }
    }

    /// Performs service calls until `target` is stored, nothing is due, or the core stopped.
    fn pump(&mut self, target: u64) -> Result<(), String> {
        for _ in 0..100_000 {
            let persisted = self.call(json!({"call": "persisted"}), None)?;
            if persisted
                .get("persisted")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                >= target
            {
                return Ok(());
            }
            let io = self.call(json!({"call": "next-io"}), None)?;
            let Some(kind) = io.get("io").and_then(Value::as_str) else {
                return Ok(());
            };
            let answer = self
                .service
                .get(self.calls.len())
                .cloned()
                .unwrap_or(Value::Null);
            let n = self.calls.len() + 1;
            let record = match kind {
                "checkpoint" => {
                    let mut updates: Vec<Value> = io
                        .get("updates")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for pair in io
                        .get("held")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                    {
                        let (Some(i), Some(seq)) = (
                            pair.get(0).and_then(Value::as_u64),
                            pair.get(1).and_then(Value::as_u64),
                        ) else {
                            continue;
                        };
                        let value = self
                            .held
                            .remove(&seq)
                            .ok_or(format!("no held payload {seq}"))?;
                        if let Some(u) = updates.get_mut(i as usize).and_then(Value::as_object_mut)
                        {
                            u.insert("Payload".into(), json!(value));
                        }
                    }
                    json!({"api": "checkpoint", "token": io.get("token"),
                           "updates": updates.iter().map(|u| self.render(u)).collect::<Vec<_>>()})
                }
                _ => {
                    json!({"api": "get-state", "token": io.get("token"), "marker": io.get("marker")})
                }
            };
            if let Some(api) = answer.get("api").and_then(Value::as_str) {
                if api != kind_api(kind) {
                    return Err(format!(
                        "service answer {n} is for {api}, the call was {kind}"
                    ));
                }
            }
            self.calls.push(record);
            let done = if let Some(fail) = answer.get("fail") {
                json!({"call": "io-done", "failure": client_failure(fail, kind, self.python)})
            } else if answer.get("unreadable") == Some(&Value::Bool(true)) {
                json!({"call": "io-done", "unreadable": true})
            } else if answer.get("no_token") == Some(&Value::Bool(true)) {
                json!({"call": "io-done", "ok": {}})
            } else if let Some(page) = answer.get("page") {
                json!({"call": "io-done", "ok": {"Operations": page.get("operations").cloned().unwrap_or(json!([])),
                                                   "NextMarker": page.get("next_marker").cloned().unwrap_or(Value::Null)}})
            } else if kind == "get-state" {
                json!({"call": "io-done", "ok": {"Operations": []}})
            } else {
                let ok = answer.get("ok");
                let token = ok
                    .and_then(|o| o.get("token"))
                    .cloned()
                    .unwrap_or(json!(format!("token-{n}")));
                let ops = ok
                    .and_then(|o| o.get("operations"))
                    .cloned()
                    .unwrap_or(json!([]));
                json!({"call": "io-done", "ok": {"CheckpointToken": token, "NewExecutionState": {"Operations": ops}}})
            };
            let done = self.call(done, None)?;
            let persisted = done.get("persisted").and_then(Value::as_u64).unwrap_or(0);
            if done.get("stopped") == Some(&Value::Bool(true)) || persisted >= target {
                return Ok(());
            }
        }
        Err("the service calls never ended".to_string())
    }

    /// A handler's return value (the script gives it as JSON text) as the profile's SDK
    /// serializes it: Python's json.dumps for python, JSON.stringify otherwise.
    fn serialized(&self, text: &Value) -> Result<Option<String>, Flow> {
        let Some(text) = text.as_str() else {
            return Ok(None);
        };
        let value: Value = serde_json::from_str(text).map_err(|e| Flow::Error(e.to_string()))?;
        Ok(Some(if self.python {
            python_dumps(&value)
        } else {
            value.to_string()
        }))
    }

    /// An update as the profile's transport serializes it: Python json.dumps (ASCII-escaped),
    /// JS JSON.stringify; both compact in the recorded form.
    fn render(&self, update: &Value) -> Value {
        json!(if self.python {
            ascii(update)
        } else {
            update.to_string()
        })
    }

    /// Runs statements; Ok(Some(result)) when one returned (result None: JS undefined).
    fn block(
        &mut self,
        statements: &[Value],
        context: u64,
    ) -> Result<Option<Option<String>>, Flow> {
        for statement in statements {
            if let Some(ret) = self.statement(statement, context)? {
                return Ok(Some(ret));
            }
        }
        Ok(None)
    }

    fn statement(&mut self, s: &Value, context: u64) -> Result<Option<Option<String>>, Flow> {
        let now = self.now_ms;
        if let Some(step) = s.get("step") {
            let request = step_request(step, context, now);
            let mut answer = self.call(request, None)?;
            let attempts = step
                .get("attempts")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            loop {
                match kind(&answer) {
                    "execute" => {
                        self.pump(answer.get("sync").and_then(Value::as_u64).unwrap_or(0))?;
                        let n = answer.get("attempt").and_then(Value::as_u64).unwrap_or(1) as usize;
                        let outcome = attempts
                            .get(n.min(attempts.len()).saturating_sub(1))
                            .cloned()
                            .unwrap_or(json!({"payload": null}));
                        let op = answer.get("op").cloned();
                        answer = self.step_done(op, &outcome)?;
                    }
                    _ => return self.settle(&answer, step, None),
                }
            }
        }
        if let Some(wait) = s.get("wait") {
            let answer = self.call(wait_request(wait, context, now), None)?;
            return self.settle(&answer, wait, None);
        }
        if let Some(child) = s.get("child") {
            let answer = self.call(json!({"call": "child", "context": context, "name": child.get("name"), "now_ms": now}), None)?;
            if kind(&answer) != "child" {
                return self.settle(&answer, child, None);
            }
            let op = answer.get("op").cloned();
            let inner = answer.get("context").and_then(Value::as_u64).unwrap_or(0);
            let statements = child
                .get("handler")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let done = match self.block(&statements, inner) {
                Ok(result) => {
                    let payload = result.flatten();
                    let a = self.call(
                        json!({"call": "child-done", "op": op, "outcome": {"success": {}},
                                             "payload": payload.is_some()}),
                        payload.as_deref(),
                    )?;
                    if let (Some(seq), Some(p)) = (a.get("held").and_then(Value::as_u64), payload) {
                        self.held.insert(seq, p);
                    }
                    a
                }
                Err(Flow::Throw(thrown)) => {
                    // An operation error the core raised escapes as `raised`; the user's as `failure`.
                    let outcome = match (thrown.get("raised"), thrown.get("error")) {
                        (Some(raised), _) => json!({"raised": raised}),
                        (None, Some(error)) => json!({"failure": error}),
                        (None, None) => {
                            return Err(Flow::Error(format!("nothing escaped: {thrown}")))
                        }
                    };
                    self.call(
                        json!({"call": "child-done", "op": op, "outcome": outcome}),
                        None,
                    )?
                }
                Err(other) => return Err(other),
            };
            return self.settle(&done, child, None);
        }
        if let Some(branches) = s.get("concurrent").and_then(Value::as_array) {
            if let Some(single) = single_operations(branches) {
                return self.concurrently(&single, context);
            }
            let mut suspended = false;
            for branch in branches {
                match self.block(branch.as_array().map(Vec::as_slice).unwrap_or(&[]), context) {
                    Ok(_) => {}
                    Err(Flow::Suspend) => suspended = true,
                    Err(other) => return Err(other),
                }
            }
            return if suspended {
                Err(Flow::Suspend)
            } else {
                Ok(None)
            };
        }
        if let Some(ret) = s.get("return") {
            return Ok(Some(self.serialized(ret)?));
        }
        if let Some(thrown) = s.get("throw") {
            return Err(Flow::Throw(json!({"error": user_error(thrown)})));
        }
        Err(Flow::Error(format!("handler: unknown statement {s}")))
    }

    /// Branches of one step or wait each, run concurrently as each SDK's users run them. JS
    /// (`Promise.all`): every branch reaches its operation in the same turn (the START updates
    /// queue), a function that throws settles a turn before one that returns (the SDK and
    /// host-node serialize a result first). Python (threads, as the SDK's evidence fixes their
    /// interleaving): each branch runs until it waits for its update to be stored, then the
    /// next. Either way the queue goes out once every branch waits, in one batch (cut at the
    /// limits), and the branches settle in order.
    fn concurrently(
        &mut self,
        branches: &[&Value],
        context: u64,
    ) -> Result<Option<Option<String>>, Flow> {
        let now = self.now_ms;
        let mut answers: Vec<(usize, Value, &Value)> = Vec::new();
        let mut running: Vec<(usize, Value, &Value)> = Vec::new();
        for (i, s) in branches.iter().enumerate() {
            if let Some(wait) = s.get("wait") {
                let answer = self.call(wait_request(wait, context, now), None)?;
                answers.push((i, answer, wait));
            } else if let Some(step) = s.get("step") {
                let request = step_request(step, context, now);
                let answer = self.call(request, None)?;
                if kind(&answer) == "execute" && answer.get("sync").is_none_or(Value::is_null) {
                    running.push((i, answer, step));
                    if self.python {
                        self.finish_attempts(&mut running, &mut answers)?;
                    }
                } else {
                    answers.push((i, answer, step));
                }
            }
        }
        self.finish_attempts(&mut running, &mut answers)?;
        // Settled in branch order, as Promise.allSettled reports them and Python joins threads.
        answers.sort_by_key(|(i, _, _)| *i);
        let last = answers
            .iter()
            .filter_map(|(_, a, _)| a.get("sync").and_then(Value::as_u64))
            .max()
            .unwrap_or(0);
        self.pump(last)?;
        let (mut suspended, mut thrown) = (false, None);
        for (_, answer, spec) in &answers {
            match self.settle(answer, spec, None) {
                Ok(_) => {}
                Err(Flow::Suspend) => suspended = true,
                Err(Flow::Throw(t)) => thrown = thrown.or(Some(Flow::Throw(t))),
                Err(other) => return Err(other),
            }
        }
        match (thrown, suspended) {
            (Some(t), _) => Err(t),
            (None, true) => Err(Flow::Suspend),
            (None, false) => Ok(None),
        }
    }

    /// Runs the first attempt of each running step (failures first, then results) and records
    /// its final answer.
    fn finish_attempts<'a>(
        &mut self,
        running: &mut Vec<(usize, Value, &'a Value)>,
        answers: &mut Vec<(usize, Value, &'a Value)>,
    ) -> Result<(), Flow> {
        // Failures settle first, then results, each in branch order.
        let outcome_of = |step: &Value| {
            step.get("attempts")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .cloned()
                .unwrap_or(json!({"payload": null}))
        };
        running.sort_by_key(|(i, _, step)| (outcome_of(step).get("throw").is_none(), *i));
        for (i, answer, step) in running.drain(..) {
            let outcome = outcome_of(step);
            let op = answer.get("op").cloned();
            let done = self.step_done(op, &outcome)?;
            if kind(&done) == "execute" {
                return Err(Flow::Error(
                    "promise_all: a retried attempt is not modelled".into(),
                ));
            }
            answers.push((i, done, step));
        }
        Ok(())
    }

    /// Reports an attempt's outcome (`{"payload"}` or `{"throw"}`) and keeps a held payload.
    fn step_done(&mut self, op: Option<Value>, outcome: &Value) -> Result<Value, String> {
        let now = self.now_ms;
        if let Some(thrown) = outcome.get("throw") {
            return self.call(
                json!({"call": "step-done", "op": op, "now_ms": now,
                       "outcome": {"failure": user_error(thrown)}}),
                None,
            );
        }
        let payload = outcome
            .get("payload")
            .and_then(Value::as_str)
            .map(str::to_string);
        let answer = self.call(
            json!({"call": "step-done", "op": op, "now_ms": now,
                   "outcome": {"success": {}}, "payload": payload.is_some()}),
            payload.as_deref(),
        )?;
        if let (Some(seq), Some(p)) = (answer.get("held").and_then(Value::as_u64), payload) {
            self.held.insert(seq, p);
        }
        Ok(answer)
    }

    /// Acts on an operation's final answer.
    fn settle(
        &mut self,
        answer: &Value,
        spec: &Value,
        _: Option<()>,
    ) -> Result<Option<Option<String>>, Flow> {
        let sync = answer.get("sync").and_then(Value::as_u64).unwrap_or(0);
        match kind(answer) {
            "done" | "replay" => {
                self.pump(sync)?;
                Ok(None)
            }
            "raise" => {
                self.pump(sync)?;
                if spec.get("catch") == Some(&Value::Bool(true)) {
                    return Ok(None);
                }
                Err(Flow::Throw(
                    json!({"raised": {"error_class": answer.get("error_class"), "error": answer.get("error")}}),
                ))
            }
            "suspend" => Err(Flow::Suspend),
            "stop" => Err(Flow::Stop),
            other => Err(Flow::Error(format!("unexpected answer {other}: {answer}"))),
        }
    }
}

/// A failed call as the profile's client reports it: botocore for python (a body without a code
/// gets the status as its code; the Python SDK's FAILED output carries botocore's "An error
/// occurred (...)" text, the client configured with no retries), the AWS SDK v3 for ts/unified
/// (no body: name and message "UnknownError"); no status is a connection error.
fn client_failure(fail: &Value, api: &str, python: bool) -> Value {
    let status = fail.get("status").and_then(Value::as_u64);
    let text = |k: &str| fail.get(k).and_then(Value::as_str).map(str::to_string);
    let Some(status) = status else {
        return json!({"status": null, "message": text("message"), "text": text("message")});
    };
    let (code, message) = if python {
        (
            text("code").unwrap_or_else(|| status.to_string()),
            text("message").unwrap_or_default(),
        )
    } else {
        let code = text("code").unwrap_or_else(|| "UnknownError".to_string());
        (
            code,
            text("message").unwrap_or_else(|| "UnknownError".to_string()),
        )
    };
    let operation = if api == "checkpoint" {
        "CheckpointDurableExecution"
    } else {
        "GetDurableExecutionState"
    };
    // botocore's default client retries throttling and 5xx twice before it raises.
    let retried = if [429, 500, 502, 503, 504].contains(&status) {
        " (reached max retries: 2)"
    } else {
        ""
    };
    let shown = if python {
        format!(
            "An error occurred ({code}) when calling the {operation} operation{retried}: {message}"
        )
    } else {
        message.clone()
    };
    json!({"status": status, "code": code, "message": message, "text": shown})
}

/// Python's json.dumps with its defaults: ", " and ": " separators, non-ASCII escaped.
fn python_dumps(value: &Value) -> String {
    match value {
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(python_dumps)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("{}: {}", ascii(&Value::String(k.clone())), python_dumps(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => ascii(other),
    }
}

/// Compact JSON with everything outside ASCII escaped, as json.dumps writes it.
fn ascii(value: &Value) -> String {
    let mut out = String::new();
    for c in value.to_string().chars() {
        if (c as u32) < 0x7f {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// The `wait` call for a script's wait statement.
fn wait_request(wait: &Value, context: u64, now: f64) -> Value {
    json!({"call": "wait", "context": context, "name": wait.get("name"),
           "seconds": wait.get("seconds"), "now_ms": now})
}

/// The `step` call for a script's step statement.
fn step_request(step: &Value, context: u64, now: f64) -> Value {
    let mut request =
        json!({"call": "step", "context": context, "name": step.get("name"), "now_ms": now});
    if let Some(sem) = step.get("semantics").and_then(Value::as_str) {
        request["semantics"] = json!(if sem == "at-most-once" {
            "AT_MOST_ONCE_PER_RETRY"
        } else {
            "AT_LEAST_ONCE_PER_RETRY"
        });
    }
    if let Some(retry) = step.get("retry") {
        // `{"preset": "name"}` is short for the retry suite's `{"preset": {"name"}}`.
        request["retry"] = match retry.get("preset").and_then(Value::as_str) {
            Some(name) => json!({"preset": {"name": name}}),
            None => retry.clone(),
        };
    }
    request
}

/// Each branch's only statement when every branch is one step (first attempt only, no catch,
/// at-least-once) or one wait: the shapes `promise_all` models.
fn single_operations(branches: &[Value]) -> Option<Vec<&Value>> {
    branches
        .iter()
        .map(|b| match b.as_array().map(Vec::as_slice) {
            Some([s]) if s.get("wait").is_some() => Some(s),
            Some([s])
                if s.get("step").is_some_and(|step| {
                    step.get("catch").is_none() && step.get("semantics").is_none()
                }) =>
            {
                Some(s)
            }
            _ => None,
        })
        .collect()
}

fn kind(answer: &Value) -> &str {
    answer.get("kind").and_then(Value::as_str).unwrap_or("")
}

fn kind_api(kind: &str) -> &str {
    kind
}

/// The script's error as hosts describe a user's error.
fn user_error(thrown: &Value) -> Value {
    let t = thrown.get("type").cloned().unwrap_or(Value::Null);
    let types = thrown
        .get("types")
        .cloned()
        .unwrap_or_else(|| json!([t.clone()]));
    json!({"error_type": t, "error_types": types, "message": thrown.get("message")})
}
