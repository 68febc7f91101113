"""What aws-durable-execution-sdk-python 3.0.0 really does for one `step` vector case.

Every `python`-profile case of suite `step` describes one call of durable-core's step state
machine (`begin`: what a step call does given its checkpointed operation; `complete`: what it
sends after the user function returned or raised). This module turns such a case into a real
invocation of the released SDK and records what the SDK did, so the vector's expectation can be
derived from, and checked against, the SDK instead of durable-core's code.

How a case is driven:

* The handler is wrapped with the SDK's own `durable_execution(..., boto3_client=...)`, and the
  real `LambdaClient` of the SDK talks to `FakeLambda`, an in-memory stand-in for the boto3
  `lambda` client. The SDK calls `checkpoint_durable_execution(Updates=[OperationUpdate.to_dict()
  ...])`; every update is recorded as `json.dumps(update, separators=(",", ":"))` (ensure_ascii,
  as botocore's JSON serializer does; botocore adds only whitespace between tokens). FakeLambda
  applies updates like the service (START -> STARTED, SUCCEED/FAIL/RETRY -> SUCCEEDED/FAILED/
  PENDING with Attempt + 1) and answers with the new operation state.
* `begin`: the request's `operation` (plus `Id` and, if it has none, the request's `parent_id`)
  goes into `InitialExecutionState`. `complete`: attempt 1 starts with no operation; attempt N > 1
  starts from a READY operation with `Attempt` N - 1, so the SDK runs attempt N.
* The step is the context's first operation (id = the SDK's id of position 1), or, when the
  request has a `parent_id`, the first operation of an unnamed child context that is itself the
  root's first operation. Cases whose ids are not those positions cannot be driven.
* The step uses a pass-through serdes, so a payload string is exactly the SDK's `Payload` and the
  value handed back to the handler. `random` is the value of `random.random()` seen by the
  jitter; `now_ms` is the clock of the two SDK functions that compute resume times
  (`TimedSuspendExecution.from_delay` and the PENDING-timestamp check). The retry config is built
  with the SDK's `RetryStrategyConfig` / `RetryPresets`.
* The user function records `StepContext.attempt`. For a START, FakeLambda holds the checkpoint
  call until the function has started (or `START_GATE_SECONDS` passed), which shows whether the
  SDK waited for START to be persisted before running the function.
* The handler catches what the step raises (StepError, SerDesError, SuspendExecution,
  TimedSuspendExecution) and records it before re-raising, so the Lambda output is the SDK's own.
* Payload limit: FakeLambda rejects a SUCCEED whose Payload is longer than 262144 UTF-8 bytes
  with the service's 400 InvalidParameterValueException (an emulation of the service rule; the
  SDK's reaction to it is what is measured). Rejected updates are not "sent".

`observe(case)` returns what happened; `derive(case, observation)` states it in the vector's
terms; `compare(case)` checks a vector case against the SDK (None when it matches, else a text).
Run as a script to print the derived expectation of every python case:

    .venv/bin/python tests/evidence/step_capture.py [--vectors FILE] [--emit]
"""

from __future__ import annotations

import builtins
import datetime as _datetime
import json
import logging
import re
import sys
import threading
import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from aws_durable_execution_sdk_python import exceptions as sdk_exceptions
from aws_durable_execution_sdk_python.config import (
    Duration,
    JitterStrategy,
    StepConfig,
    StepSemantics,
)
from aws_durable_execution_sdk_python.exceptions import (
    DurableOperationError,
    ExecutionError,
    SerDesError,
    StepError,
    SuspendExecution,
    TimedSuspendExecution,
)
from aws_durable_execution_sdk_python.execution import durable_execution
from aws_durable_execution_sdk_python.identifier import OperationIdNamespace
from aws_durable_execution_sdk_python.retries import (
    LinearRetryStrategyConfig,
    RetryPresets,
    RetryStrategyConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
)
from aws_durable_execution_sdk_python.serdes import SerDes
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
STEP_VECTORS = REPO / "tests" / "vectors" / "step.json"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:evidence:$LATEST/durable-execution/run/exec-1"
EXECUTION_OP = {
    "Id": "exec-1",
    "Type": "EXECUTION",
    "Status": "STARTED",
    "ExecutionDetails": {"InputPayload": "{}"},
}
PAYLOAD_LIMIT_BYTES = 262_144
PAYLOAD_TOO_LARGE = "STEP output payload size must be less than or equal to 262144 bytes."
START_GATE_SECONDS = 1.5
SDK_MODULE = "aws_durable_execution_sdk_python.exceptions"

ROOT_ID_1 = OperationIdNamespace().create_id_for_step(1)
CHILD_ID_1 = OperationIdNamespace(ROOT_ID_1).create_id_for_step(1)

logging.disable(logging.CRITICAL)


class NotDrivable(Exception):
    """The case cannot be expressed as an SDK invocation (the reason is the message)."""


class PassThrough(SerDes):
    def serialize(self, value, serdes_context):
        return value

    def deserialize(self, data, serdes_context):
        return data


# --- clocks and randomness seen by the SDK -------------------------------------------------


class _FrozenTime:
    """Stands in for the `time` module inside the SDK's exceptions module."""

    def __init__(self, now_ms: float):
        self._now = now_ms / 1000.0

    def time(self) -> float:
        return self._now

    def __getattr__(self, name):
        return getattr(_time, name)


def _frozen_datetime_module(now_ms: float):
    fixed = _datetime.datetime.fromtimestamp(now_ms / 1000.0, tz=_datetime.UTC)

    class FrozenDateTime(_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed if tz is not None else fixed.replace(tzinfo=None)

    class Shim:
        datetime = FrozenDateTime
        UTC = _datetime.UTC
        timezone = _datetime.timezone
        timedelta = _datetime.timedelta

    return Shim


class _FixedRandom:
    def __init__(self, value: float):
        self.value = value

    def random(self) -> float:
        return self.value


# --- the fake service ------------------------------------------------------------------------


class FakeLambda:
    """The boto3 `lambda` client methods the SDK's LambdaClient calls, kept in memory."""

    def __init__(
        self, operations: list[dict], step_id: str, now_ms: float, fn_started: threading.Event
    ):
        self.ops: dict[str, dict] = {op["Id"]: json.loads(json.dumps(op)) for op in operations}
        self.step_id = step_id
        self.now_ms = now_ms
        self.fn_started = fn_started
        self.lock = threading.Lock()
        # (update json, accepted) in the order the SDK sent them, and START timing facts
        self.sent: list[tuple[dict, bool]] = []
        self.events: list[str] = []
        self.empty_checkpoints = 0
        self.calls = 0

    def checkpoint_durable_execution(self, **request):
        updates = request["Updates"]
        with self.lock:
            self.calls += 1
            if not updates:
                self.empty_checkpoints += 1
        for update in updates:
            if update.get("Action") == "SUCCEED" and update.get("Type") == "STEP":
                size = len(update.get("Payload", "").encode("utf-8"))
                if size > PAYLOAD_LIMIT_BYTES:
                    with self.lock:
                        self.sent.extend((u, False) for u in updates)
                    raise ClientError(
                        {
                            "Error": {
                                "Code": "InvalidParameterValueException",
                                "Message": PAYLOAD_TOO_LARGE,
                            },
                            "ResponseMetadata": {"HTTPStatusCode": 400},
                        },
                        "CheckpointDurableExecution",
                    )
        starts = any(u.get("Action") == "START" and u.get("Id") == self.step_id for u in updates)
        if starts:
            # Hold START until the function runs: an SDK that waits for START never gets there.
            self.fn_started.wait(START_GATE_SECONDS)
        changed = []
        with self.lock:
            for update in updates:
                self.sent.append((update, True))
                changed.append(self._apply(update))
            if starts:
                self.events.append("start-persisted")
            token = f"token-{self.calls}"
        return {
            "CheckpointToken": token,
            "NewExecutionState": {"Operations": [self._boto_shape(op) for op in changed]},
        }

    def get_durable_execution_state(self, **request):
        return {"Operations": []}

    def _apply(self, update: dict) -> dict:
        op = self.ops.get(update["Id"])
        if op is None:
            op = {"Id": update["Id"], "Type": update["Type"]}
            for key in ("ParentId", "Name", "SubType"):
                if key in update:
                    op[key] = update[key]
            self.ops[update["Id"]] = op
        details_key = "StepDetails" if update["Type"] == "STEP" else "ContextDetails"
        details = op.setdefault(details_key, {})
        action = update["Action"]
        if action == "START":
            op["Status"] = "STARTED"
        elif action == "SUCCEED":
            op["Status"] = "SUCCEEDED"
            if "Payload" in update:
                details["Result"] = update["Payload"]
        elif action == "FAIL":
            op["Status"] = "FAILED"
            details["Error"] = update.get("Error")
        elif action == "RETRY":
            op["Status"] = "PENDING"
            details["Error"] = update.get("Error")
            delay = update["StepOptions"]["NextAttemptDelaySeconds"]
            details["NextAttemptTimestamp"] = self.now_ms + delay * 1000
        if update["Type"] == "STEP" and action in ("SUCCEED", "FAIL", "RETRY"):
            details["Attempt"] = details.get("Attempt", 0) + 1
        return op

    @staticmethod
    def _boto_shape(op: dict) -> dict:
        """The operation as boto3 returns it (timestamps as datetimes)."""
        shaped = json.loads(json.dumps(op))
        details = shaped.get("StepDetails")
        if details and details.get("NextAttemptTimestamp") is not None:
            details["NextAttemptTimestamp"] = _datetime.datetime.fromtimestamp(
                details["NextAttemptTimestamp"] / 1000.0, tz=_datetime.UTC
            )
        return shaped


# --- building the user's side of a case ------------------------------------------------------

_CLASSES: dict[str, type[BaseException]] = {}


def exception_class(name: str, chain: list[str]) -> type[BaseException]:
    """The class whose ErrorType is `name` (qualified for non-builtins), with `chain` as bases."""
    if name.startswith(SDK_MODULE + "."):
        return getattr(sdk_exceptions, name.rsplit(".", 1)[1])
    if "." not in name and isinstance(getattr(builtins, name, None), type):
        return getattr(builtins, name)
    if name in _CLASSES:
        return _CLASSES[name]
    base: type[BaseException] = Exception
    for parent in chain[1:]:
        if parent not in ("Exception", "BaseException"):
            base = exception_class(parent, chain[chain.index(parent) :])
            break
    module, _, qualname = name.rpartition(".")
    cls = type(qualname, (base,), {"__module__": module or "__main__", "__qualname__": qualname})
    _CLASSES[name] = cls
    return cls


def build_exception(failure: dict) -> BaseException:
    error_type = failure.get("error_type")
    if error_type is None:
        raise NotDrivable(
            "a Python step can only raise an exception (the failure has no error_type)"
        )
    chain = failure.get("error_types") or [error_type]
    cls = exception_class(error_type, chain)
    message = failure.get("message")
    if issubclass(cls, DurableOperationError):
        return cls(
            message=message, data=failure.get("data"), stack_trace=failure.get("stack_trace")
        )
    if failure.get("data") is not None or failure.get("stack_trace") is not None:
        raise NotDrivable("a plain Python exception carries no data or stack trace for the SDK")
    if issubclass(cls, ExecutionError):
        return cls(message)
    return cls() if message is None else cls(message)


def _seconds(value):
    return Duration(seconds=value)


def retry_strategy(retry: dict | None):
    """The SDK strategy for the vector's `retry` (None: the step's default preset)."""
    if retry is None:
        return None
    if "preset" in retry and retry["preset"] is not None:
        preset = retry["preset"]
        name = preset["name"]
        if name == "fixed":
            interval = preset.get("interval_seconds")
            return RetryPresets.fixed(None if interval is None else _seconds(interval))
        factory = {
            "default": RetryPresets.default,
            "no-retry": RetryPresets.none,
            "transient": RetryPresets.transient,
            "resource-availability": RetryPresets.resource_availability,
            "critical": RetryPresets.critical,
            "linear": RetryPresets.linear,
        }[name]
        return factory()
    config = retry.get("config") or {}
    kwargs: dict[str, Any] = {}
    simple = {"max_attempts": "max_attempts", "backoff_rate": "backoff_rate"}
    for key, target in simple.items():
        if config.get(key) is not None:
            kwargs[target] = config[key]
    for key, target in (
        ("initial_delay_seconds", "initial_delay"),
        ("max_delay_seconds", "max_delay"),
        ("increment_seconds", "increment"),
    ):
        if config.get(key) is not None:
            kwargs[target] = _seconds(config[key])
    if config.get("jitter") is not None:
        kwargs["jitter_strategy"] = JitterStrategy[config["jitter"]]
    if config.get("retryable_errors") is not None:
        patterns: list = []
        for p in config["retryable_errors"]:
            if p["syntax"] == "substring":
                patterns.append(p["source"])
            elif p["syntax"] == "python-regex":
                flags = 0
                for letter in p.get("flags") or "":
                    flags |= {"i": re.I, "m": re.M, "s": re.S, "a": re.A}[letter]
                patterns.append(re.compile(p["source"], flags))
            else:
                raise NotDrivable("a JS regex has no Python SDK equivalent")
        kwargs["retryable_errors"] = patterns
    if config.get("retryable_error_types") is not None:
        kwargs["retryable_error_types"] = [
            exception_class(n, [n]) for n in config["retryable_error_types"]
        ]
    if config.get("backoff", "exponential") == "linear":
        kwargs.pop("backoff_rate", None)
        return create_linear_retry_strategy(LinearRetryStrategyConfig(**kwargs))
    kwargs.pop("increment", None)
    return create_retry_strategy(RetryStrategyConfig(**kwargs))


# --- one invocation --------------------------------------------------------------------------


@dataclass
class Observation:
    ran_attempt: int | None = None
    start_sent: bool = False
    start_updates: list[str] = field(default_factory=list)  # the START update(s) for the step
    start_awaited: bool = False
    before_fn: list[str] = field(
        default_factory=list
    )  # non-START step updates before the function ran
    after_fn: list[str] = field(default_factory=list)  # accepted non-START step updates after it
    rejected: list[str] = field(default_factory=list)
    step: dict | None = None  # what ctx.step did: returned / raised / suspended
    output: Any = None  # the Lambda handler's output (or what it raised)
    empty_checkpoints: int = 0


def _wire(update: dict) -> str:
    return json.dumps(update, separators=(",", ":"))


def observe(case: dict) -> Observation:
    inp = case["input"]
    request = inp["request"]
    if not isinstance(request, dict):
        raise NotDrivable("the request is not JSON the SDK could receive")
    if request.get("profile") != "python":
        raise NotDrivable("not a python-profile case")
    phase = inp["phase"]
    step_id = request.get("id")
    parent_id = request.get("parent_id")
    if parent_id is None and step_id != ROOT_ID_1:
        raise NotDrivable("the id is not the SDK's id of the root's first operation")
    if parent_id is not None and (parent_id != ROOT_ID_1 or step_id != CHILD_ID_1):
        raise NotDrivable("the ids are not the SDK's ids of a child context's first operation")
    semantics_name = request.get("semantics", "AT_LEAST_ONCE_PER_RETRY")
    semantics = StepSemantics[semantics_name]
    name = request.get("name")
    now_ms = request["now_ms"]
    random_value = request.get("random", 0)
    strategy = retry_strategy(request.get("retry"))

    operations = [EXECUTION_OP]
    if parent_id is not None:
        operations.append(
            {
                "Id": parent_id,
                "Type": "CONTEXT",
                "SubType": "RunInChildContext",
                "Status": "STARTED",
            }
        )
    outcome = None
    if phase == "begin":
        op = request.get("operation")
        if op is not None:
            op = {"Id": step_id, **op}
            if parent_id is not None and "ParentId" not in op:
                op["ParentId"] = parent_id
            if "Type" not in op:
                raise NotDrivable("the Python SDK cannot load an operation without Type")
            operations.append(op)
    else:
        attempt = request["attempt"]
        outcome = request["outcome"]
        if attempt > 1:
            ready = {
                "Id": step_id,
                "Type": "STEP",
                "SubType": "Step",
                "Status": "READY",
                "StepDetails": {"Attempt": attempt - 1},
            }
            if name:
                ready["Name"] = name
            if parent_id is not None:
                ready["ParentId"] = parent_id
            operations.append(ready)
        if "failure" in outcome:
            build_exception(outcome["failure"])  # fail early if not expressible

    fn_started = threading.Event()
    fake = FakeLambda(operations, step_id, now_ms, fn_started)
    obs = Observation()

    def user_function(step_context):
        with fake.lock:
            obs.ran_attempt = step_context.attempt
            obs.start_awaited = "start-persisted" in fake.events
            fake.events.append("function")
            obs.before_fn = [
                _wire(u)
                for u, ok in fake.sent
                if ok and u["Id"] == step_id and u["Action"] != "START"
            ]
            mark = len(fake.sent)
        obs_marks["mark"] = mark
        fn_started.set()
        if outcome is None:
            return "begin-phase-placeholder"
        if "success" in outcome:
            return outcome["success"].get("payload")
        raise build_exception(outcome["failure"])

    obs_marks: dict[str, int] = {}

    def call_step(ctx):
        config = StepConfig(retry_strategy=strategy, step_semantics=semantics, serdes=PassThrough())
        try:
            value = ctx.step(user_function, name=name, config=config)
        except (StepError, SerDesError) as e:
            obs.step = {"raised": e}
            raise
        except TimedSuspendExecution as e:
            obs.step = {"suspended": e.scheduled_timestamp}
            raise
        except SuspendExecution:
            obs.step = {"suspended": None}
            raise
        except BaseException as e:
            obs.step = {"escaped": e}
            raise
        obs.step = {"returned": value}
        return "done"

    def handler(event, ctx):
        if parent_id is None:
            return call_step(ctx)
        return ctx.run_in_child_context(call_step)

    wrapped = durable_execution(handler, boto3_client=fake)
    event = {
        "DurableExecutionArn": ARN,
        "CheckpointToken": "token-0",
        "InitialExecutionState": {"Operations": operations},
    }
    with (
        mock.patch.object(sdk_exceptions, "time", _FrozenTime(now_ms)),
        mock.patch(
            "aws_durable_execution_sdk_python.suspend.datetime", _frozen_datetime_module(now_ms)
        ),
        mock.patch("aws_durable_execution_sdk_python.config.random", _FixedRandom(random_value)),
    ):
        try:
            obs.output = wrapped(event, None)
        except BaseException as e:  # the Lambda invocation failed: record it
            obs.output = {"raised": e}

    obs.start_updates = [
        _wire(u) for u, _ in fake.sent if u["Id"] == step_id and u["Action"] == "START"
    ]
    obs.start_sent = bool(obs.start_updates)
    if obs.ran_attempt is None:
        obs.before_fn = [
            _wire(u) for u, ok in fake.sent if ok and u["Id"] == step_id and u["Action"] != "START"
        ]
    else:
        after = fake.sent[obs_marks.get("mark", 0) :]
        obs.after_fn = [
            _wire(u) for u, ok in after if ok and u["Id"] == step_id and u["Action"] != "START"
        ]
    obs.rejected = [_wire(u) for u, ok in fake.sent if not ok]
    obs.empty_checkpoints = fake.empty_checkpoints
    return obs


# --- stating an observation in the vector's terms --------------------------------------------

_MISMATCH = re.compile(
    r"(type|subtype|name|parent_id) checkpoint=(None|'[^']*') current=(None|'[^']*')"
)
_FIELDS = {"type": "Type", "subtype": "SubType", "name": "Name", "parent_id": "ParentId"}


def _literal(text: str):
    return None if text == "None" else text[1:-1]


def _error_of_exception(e: DurableOperationError, fail_error: dict | None) -> dict:
    if fail_error is not None:
        return fail_error
    error: dict[str, Any] = {}
    default_type = f"{type(e).__module__}.{type(e).__qualname__}"
    if e.error_type != default_type or e.__cause__ is not None:
        error["ErrorType"] = e.error_type
    if e.message is not None:
        error["ErrorMessage"] = e.message
    if e.data is not None:
        error["ErrorData"] = e.data
    if e.stack_trace is not None:
        error["StackTrace"] = e.stack_trace
    return error


def derive(case: dict, obs: Observation) -> dict:
    """The vector expectation this observation supports: {"updates", "action"}."""
    request = case["input"]["request"]
    phase = case["input"]["phase"]
    output = obs.output if isinstance(obs.output, dict) else {}
    updates = obs.before_fn if phase == "begin" else obs.after_fn
    error = output.get("Error") or {}
    if (
        output.get("Status") == "FAILED"
        and error.get("ErrorType") == f"{SDK_MODULE}.NonDeterministicExecutionError"
    ):
        # 3.0.0 lists every mismatch (type, subtype, name, parent_id); the vector states the first.
        found = _MISMATCH.findall(error.get("ErrorMessage", ""))
        field_name, checkpoint, current = found[0]
        return {
            "updates": updates,
            "action": {
                "kind": "non-deterministic",
                "field": _FIELDS[field_name],
                "expected": _literal(current),
                "actual": _literal(checkpoint),
            },
        }
    if phase == "begin" and obs.ran_attempt is not None:
        # The core returns START as begin's update (sent before running, awaited if at-most-once).
        return {
            "updates": obs.start_updates + obs.before_fn,
            "action": {
                "kind": "execute",
                "attempt": obs.ran_attempt,
                "send_start": obs.start_sent,
                "await_start": obs.start_awaited,
            },
        }
    if obs.rejected and output.get("Status") == "FAILED":
        return {
            "updates": updates,
            "action": {
                "kind": "fail-execution",
                "rule": "step-payload-too-large",
                "category": "EXECUTION",
                "error": {k: v for k, v in error.items() if k in ("ErrorType", "ErrorMessage")},
            },
        }
    step = obs.step or {}
    if "returned" in step:
        return {"updates": updates, "action": {"kind": "return", "payload": step["returned"]}}
    if "suspended" in step:
        until = step["suspended"]
        until_ms = None if until is None else until * 1000
        if until_ms is not None and abs(until_ms - round(until_ms)) < 1e-3:
            until_ms = round(until_ms)
        return {"updates": updates, "action": {"kind": "suspend", "until_ms": until_ms}}
    if "raised" in step:
        e = step["raised"]
        fail = [json.loads(u) for u in updates if json.loads(u)["Action"] == "FAIL"]
        checkpointed = (
            (request.get("operation") or {}).get("StepDetails", {}).get("Error")
            if phase == "begin"
            else None
        )
        error_obj = fail[-1]["Error"] if fail else checkpointed
        return {
            "updates": updates,
            "action": {
                "kind": "raise",
                "error_class": type(e).__name__,
                "error": _error_of_exception(e, error_obj),
            },
        }
    if "escaped" in step and output.get("Status") == "FAILED":
        return {"updates": updates, "action": {"kind": "propagate"}}
    raise AssertionError(f"unrecognised outcome: step={step!r} output={obs.output!r}")


def _normalise_until(action: dict) -> dict:
    if (
        action.get("kind") == "suspend"
        and isinstance(action.get("until_ms"), float)
        and action["until_ms"].is_integer()
    ):
        return {**action, "until_ms": int(action["until_ms"])}
    return action


def compare(case: dict) -> str | None:
    """None if the real SDK does what the vector expects; else what differs."""
    obs = observe(case)
    derived = derive(case, obs)
    expected = case["expected"]
    problems = []
    if derived["updates"] != expected.get("updates"):
        problems.append(
            f"updates: SDK sent {derived['updates']!r}, vector says {expected.get('updates')!r}"
        )
    got, want = _normalise_until(derived["action"]), _normalise_until(expected.get("action", {}))
    if got.get("kind") == "raise" and want.get("kind") == "raise":
        problem = _same_raise(obs.step["raised"], want)
        if problem:
            problems.append(problem)
    elif got != want:
        problems.append(f"action: SDK did {got!r}, vector says {want!r}")
    if (
        case["input"]["phase"] == "complete"
        and obs.ran_attempt != case["input"]["request"]["attempt"]
    ):
        problems.append(
            f"the SDK ran attempt {obs.ran_attempt}, not {case['input']['request']['attempt']}"
        )
    return "; ".join(problems) or None


def _same_raise(e: BaseException, want: dict) -> str | None:
    """The SDK's raised error equals what a host raises from the vector's error object."""
    error = want.get("error") or {}
    if type(e).__name__ != want.get("error_class"):
        return f"raise: SDK raised {type(e).__name__}, vector says {want.get('error_class')}"
    # The SDK's DurableOperationError defaults error_type to its own qualified class name.
    expected_type = error.get("ErrorType") or f"{type(e).__module__}.{type(e).__qualname__}"
    got = (e.message, e.error_type, e.data, e.stack_trace)
    want_fields = (
        error.get("ErrorMessage"),
        expected_type,
        error.get("ErrorData"),
        error.get("StackTrace"),
    )
    if got != want_fields:
        return (
            f"raise: SDK raised (message, error_type, data, stack_trace)={got!r}, "
            f"vector says {want_fields!r}"
        )
    return None


# --- operation ids ---------------------------------------------------------------------------


def python_operation_id(parent: str | None, counter: int) -> dict:
    """The SDK's own id function: OperationIdNamespace(prefix).create_id_for_step(counter)."""
    op_id = OperationIdNamespace(parent).create_id_for_step(counter)
    return {"step_id": op_id, "id": op_id}


def observed_nested_ids() -> dict[tuple[str | None, int], tuple[str, str | None]]:
    """(parent id, counter) -> (Id, ParentId) of the updates a real nested handler sends.

    Root: child{ step, step }, step, child{ step, child{ step, step } }, step. Every id is
    derived with the SDK's OperationIdNamespace and must be exactly the set of Ids sent.
    """
    fake = FakeLambda([EXECUTION_OP], "-", 0, threading.Event())
    fake.fn_started.set()

    def leaf(_):
        return "x"

    def pair(ctx):
        ctx.step(leaf)
        ctx.step(leaf)
        return "p"

    def middle(ctx):
        ctx.step(leaf)
        ctx.run_in_child_context(pair)
        return "m"

    def handler(event, ctx):
        ctx.run_in_child_context(pair)
        ctx.step(leaf)
        ctx.run_in_child_context(middle)
        ctx.step(leaf)
        return "h"

    wrapped = durable_execution(handler, boto3_client=fake)
    output = wrapped(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": "token-0",
            "InitialExecutionState": {"Operations": [EXECUTION_OP]},
        },
        None,
    )
    assert output.get("Status") == "SUCCEEDED", output
    seen: dict[str, str | None] = {}
    for update, _ in fake.sent:
        seen.setdefault(update["Id"], update.get("ParentId"))
    ns = OperationIdNamespace
    r1, r2, r3, r4 = (ns().create_id_for_step(n) for n in (1, 2, 3, 4))
    a1, a2 = (ns(r1).create_id_for_step(n) for n in (1, 2))
    c1, c2 = (ns(r3).create_id_for_step(n) for n in (1, 2))
    g1, g2 = (ns(c2).create_id_for_step(n) for n in (1, 2))
    positions = {
        (None, 1): r1,
        (None, 2): r2,
        (None, 3): r3,
        (None, 4): r4,
        (r1, 1): a1,
        (r1, 2): a2,
        (r3, 1): c1,
        (r3, 2): c2,
        (c2, 1): g1,
        (c2, 2): g2,
    }
    result = {}
    for key, op_id in positions.items():
        assert op_id in seen, f"the SDK sent no update with the derived id {op_id} for {key}"
        assert seen[op_id] == key[0], (
            f"ParentId of {op_id}: SDK {seen[op_id]!r}, expected {key[0]!r}"
        )
        result[key] = (op_id, seen[op_id])
    assert len(seen) == len(positions), f"unexpected ids: {set(seen) - set(positions.values())}"
    return result


# --- script ----------------------------------------------------------------------------------


def python_cases(path: Path = STEP_VECTORS):
    doc = json.loads(path.read_text(encoding="utf-8"))
    for case in doc["cases"]:
        request = case["input"].get("request")
        if (
            isinstance(request, dict)
            and request.get("profile") == "python"
            and "error" not in (case.get("expected") or {})
        ):
            yield case


def main(argv: list[str]) -> int:
    path = STEP_VECTORS
    if "--vectors" in argv:
        path = Path(argv[argv.index("--vectors") + 1])
    emit = "--emit" in argv
    derived_all, failures, skipped = {}, 0, 0
    for case in python_cases(path):
        try:
            obs = observe(case)
        except NotDrivable as why:
            skipped += 1
            print(f"SKIP {case['name']}: {why}", file=sys.stderr)
            continue
        derived = derive(case, obs)
        derived_all[case["name"]] = derived
        if not emit:
            problem = compare(case) if case.get("expected") else "no expectation"
            if problem:
                failures += 1
                print(f"DIFF {case['name']}: {problem}", file=sys.stderr)
    if emit:
        print(json.dumps(derived_all, indent=1, ensure_ascii=False))
    print(
        f"python: {len(derived_all)} driven, {skipped} not drivable, {failures} differ",
        file=sys.stderr,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
