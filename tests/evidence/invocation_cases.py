"""Writes the inputs of the python and ts cases of tests/vectors/invocation.json.

The expectations are not written here: `invocation_capture.py --emit` and
`invocation_capture.mjs --emit` fill them from the released SDKs, and keep only cases that capture
identically three times. Each case is written once per profile, with the ids of that profile's
SDK (Python: blake2b of the position path; JS: md5 of "1", "1-1", ... cut to 16 hex digits).

    .venv/bin/python tests/evidence/invocation_cases.py tests/vectors/invocation.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from invocation_capture import python_id  # the SDK's own id function

NOW = 1_700_000_000_000
ARN = "arn:aws:lambda:us-east-1:123456789012:function:evidence:$LATEST/durable-execution/run/exec-1"
EXECUTION = {
    "Id": "exec-1",
    "Type": "EXECUTION",
    "Status": "STARTED",
    "StartTimestamp": NOW - 60_000,
    "ExecutionDetails": {"InputPayload": "{}"},
}
SDK = {
    "python": "aws-durable-execution-sdk-python 3.0.0 by tests/evidence/invocation_capture.py",
    "ts": "@aws/durable-execution-sdk-js 2.4.0 by tests/evidence/invocation_capture.mjs",
}
KIB = 1024
MIB = 1024 * 1024


def op_id(profile: str, *path: int) -> str:
    if profile == "python":
        return python_id(*path)
    return hashlib.md5("-".join(map(str, path)).encode()).hexdigest()[:16]


def envelope(*ops: dict, marker: str | None = None, **overrides) -> dict:
    env: dict[str, Any] = {
        "DurableExecutionArn": ARN,
        "CheckpointToken": "token-0",
        "InitialExecutionState": {"Operations": [EXECUTION, *ops]},
    }
    if marker is not None:
        env["InitialExecutionState"]["NextMarker"] = marker
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _operation(oid, op_type, sub_type, status, name, parent, details_key, details) -> dict:
    """A checkpointed operation as the service lists it; details whose value is None are left
    out (key order as the service writes it)."""
    op: dict[str, Any] = {"Id": oid, "Type": op_type, "SubType": sub_type, "Status": status}
    if name is not None:
        op["Name"] = name
    if parent is not None:
        op["ParentId"] = parent
    op["StartTimestamp"] = NOW - 30_000
    op[details_key] = {k: v for k, v in details.items() if v is not None}
    return op


def step_op(
    oid,
    status,
    *,
    name=None,
    parent=None,
    result=None,
    error=None,
    attempt=None,
    next_ms=None,
) -> dict:
    details = {"Attempt": attempt, "Result": result, "Error": error, "NextAttemptTimestamp": next_ms}
    return _operation(oid, "STEP", "Step", status, name, parent, "StepDetails", details)


def wait_op(oid, status, end_ms, *, name=None, parent=None) -> dict:
    details = {"ScheduledEndTimestamp": end_ms}
    return _operation(oid, "WAIT", "Wait", status, name, parent, "WaitDetails", details)


def ctx_op(
    oid,
    status,
    *,
    name=None,
    parent=None,
    result=None,
    error=None,
    replay_children=None,
) -> dict:
    details = {"Result": result, "Error": error, "ReplayChildren": replay_children}
    return _operation(
        oid, "CONTEXT", "RunInChildContext", status, name, parent, "ContextDetails", details
    )


def ok_step(payload: str | None, name: str | None = None, **extra) -> dict:
    step: dict[str, Any] = {"attempts": [{"payload": payload}]}
    if name is not None:
        step["name"] = name
    step.update(extra)
    return {"step": step}


def throws(kind: str, message: str) -> dict:
    return {"throw": {"type": kind, "message": message}}


def err_type(profile: str) -> str:
    return "ValueError" if profile == "python" else "TypeError"


NO_RETRY = {"preset": "no-retry"}
RETRY_5S = {
    "config": {
        "max_attempts": 3,
        "initial_delay_seconds": 5,
        "backoff_rate": 2,
        "jitter": "NONE",
    }
}
RETRY_2_ATTEMPTS = {
    "config": {
        "max_attempts": 2,
        "initial_delay_seconds": 5,
        "backoff_rate": 2,
        "jitter": "NONE",
    }
}


def big(n: int, unit: str = "a") -> str:
    """A JSON string payload of n repeats of `unit` (quotes included)."""
    return '"{{repeat:' + f"{n}:{unit}" + '}}"'


def cases_for(profile: str) -> list[tuple[str, str, dict]]:
    """(name, what it exercises, input without profile) for one profile."""
    i = lambda *p: op_id(profile, *p)
    et = err_type(profile)
    # Python's batch window groups the updates of different threads by timing; the capture
    # fixes the interleaving (invocation_capture._run_concurrent) and says so.
    TIMING = (
        ". Python threads interleaved by the capture: branch after branch, each up to its first"
        " blocking checkpoint, the SDK's batcher held until all are queued (the grouping of"
        " threads faster than its 1 ms/0.1 s batch window)"
        if profile == "python"
        else ""
    )
    NO_RESPONSE_NOTE = (
        ". Python 3.0.0 does not classify it: botocore's connection error has `response` None"
        " and BotoClientError.from_exception fails with AttributeError ('NoneType' object has no"
        " attribute 'get'), which escapes the handler, so no rule"
        if profile == "python"
        else ""
    )
    out: list[tuple[str, str, dict]] = []

    def add(
        name: str, what: str, handler: list, env: dict | None = None, service=None, **kw
    ):
        inp: dict[str, Any] = {"envelope": env or envelope(), "handler": handler}
        if service:
            inp["service"] = service
        inp.update(kw)
        out.append((name, what, inp))

    # --- first run -------------------------------------------------------------------------
    add(
        "first run, one named step, handler returns a string",
        "first run: START+SUCCEED",
        [ok_step('"x"', "a"), {"return": '"done"'}],
    )
    add(
        "first run, one unnamed step, handler returns nothing",
        "first run, no result",
        [ok_step('"x"')],
    )
    add(
        "first run, three steps",
        "first run: one checkpoint call per step, token chaining",
        [ok_step("1"), ok_step("2"), ok_step("3"), {"return": "3"}],
    )
    add(
        "first run, step returning null",
        "a step result of None/undefined (no Payload)",
        [ok_step(None, "nothing"), {"return": '{"ok":true}'}],
    )
    add(
        "first run, step then handler returns an object",
        "output Result of an object",
        [ok_step('{"a":1}', "obj"), {"return": '{"a":1,"b":[1,2]}'}],
    )
    add(
        "first run, at-most-once step, service returns the STARTED step",
        "at-most-once START sent and awaited in its own call before the function runs",
        [ok_step('"once"', "amo", semantics="at-most-once"), {"return": '"ok"'}],
        service=[
            {"ok": {"operations": [step_op(i(1), "STARTED", name="amo", attempt=None)]}}
        ],
    )
    add(
        "first run, at-most-once step, service returns no operations",
        "at-most-once START when the answer does not echo the operation",
        [ok_step('"once"', "amo", semantics="at-most-once")],
    )
    add(
        "first run, custom token chain",
        "the token of each answer is the next call's token",
        [ok_step("1"), ok_step("2")],
        service=[{"ok": {"token": "alpha"}}, {"ok": {"token": "beta"}}],
    )

    # --- replay ----------------------------------------------------------------------------
    add(
        "replay, SUCCEEDED step returns the cached result",
        "replay: no call, function not run",
        [
            {"step": {"name": "a", "attempts": [throws(et, "must not run")]}},
            {"return": '"done"'},
        ],
        env=envelope(
            step_op(i(1), "SUCCEEDED", name="a", result='"cached"', attempt=1)
        ),
    )
    add(
        "replay, two SUCCEEDED steps then a new one",
        "replay then first run of the third step",
        [
            ok_step('"r1"', "a"),
            ok_step('"r2"', "b"),
            ok_step('"new"', "c"),
            {"return": '"done"'},
        ],
        env=envelope(
            step_op(i(1), "SUCCEEDED", name="a", result='"r1"', attempt=1),
            step_op(i(2), "SUCCEEDED", name="b", result='"r2"', attempt=1),
        ),
    )
    def failed_a() -> dict:
        """An envelope whose step "a" FAILED in an earlier invocation."""
        error = {"ErrorType": "ValueError", "ErrorMessage": "old boom"}
        return envelope(step_op(i(1), "FAILED", name="a", attempt=1, error=error))

    add(
        "replay, FAILED step raises and the handler fails",
        "replay of a FAILED step: error rebuilt from the checkpoint, no call",
        [{"step": {"name": "a", "attempts": [{"payload": '"x"'}]}}],
        env=failed_a(),
    )
    add(
        "replay, FAILED step caught by the handler",
        "replayed step error caught, handler goes on",
        [
            {"step": {"name": "a", "attempts": [{"payload": '"x"'}], "catch": True}},
            ok_step('"after"', "b"),
            {"return": '"recovered"'},
        ],
        env=failed_a(),
    )
    add(
        "replay, STARTED at-least-once step runs again",
        "at-least-once step interrupted in a previous invocation re-runs (no new START?)",
        [ok_step('"again"', "a"), {"return": '"done"'}],
        env=envelope(step_op(i(1), "STARTED", name="a")),
    )
    add(
        "replay, STARTED at-most-once step is not re-run",
        "interrupted at-most-once step: retry or fail without running",
        [ok_step('"again"', "a", semantics="at-most-once", retry=NO_RETRY)],
        env=envelope(step_op(i(1), "STARTED", name="a")),
    )
    add(
        "replay, READY step runs attempt 2",
        "retry timer elapsed (READY): attempt 2 runs and succeeds",
        [
            {
                "step": {
                    "name": "a",
                    "retry": RETRY_5S,
                    "attempts": [throws(et, "first"), {"payload": '"second"'}],
                }
            },
            {"return": '"done"'},
        ],
        env=envelope(step_op(i(1), "READY", name="a", attempt=1)),
    )
    add(
        "replay, READY step fails its last attempt",
        "retries exhausted: FAIL update, handler FAILED",
        [
            {
                "step": {
                    "name": "a",
                    "retry": RETRY_2_ATTEMPTS,
                    "attempts": [throws(et, "first"), throws(et, "second")],
                }
            }
        ],
        env=envelope(step_op(i(1), "READY", name="a", attempt=1)),
    )

    # --- suspension ------------------------------------------------------------------------
    add(
        "suspend, step fails and is retried",
        "RETRY update then PENDING (service returns the PENDING step with its timer)",
        [
            {
                "step": {
                    "name": "a",
                    "retry": RETRY_5S,
                    "attempts": [throws(et, "flaky"), {"payload": '"ok"'}],
                }
            }
        ],
        service=[
            {
                "ok": {
                    "operations": [
                        step_op(
                            i(1), "PENDING", name="a", attempt=1, next_ms=NOW + 5000
                        )
                    ]
                }
            }
        ],
    )
    add(
        "suspend, step retry with no operation in the answer",
        "RETRY when the answer does not echo the operation",
        [
            {
                "step": {
                    "name": "a",
                    "retry": RETRY_5S,
                    "attempts": [throws(et, "flaky"), {"payload": '"ok"'}],
                }
            }
        ],
    )
    add(
        "suspend, retry timer not yet due",
        "PENDING step with a future NextAttemptTimestamp: PENDING, no call",
        [ok_step('"ok"', "a", retry=RETRY_5S)],
        env=envelope(
            step_op(i(1), "PENDING", name="a", attempt=1, next_ms=NOW + 60_000)
        ),
    )
    add(
        "suspend, retry timer already due",
        "PENDING step whose timer has passed",
        [ok_step('"ok"', "a", retry=RETRY_5S)],
        env=envelope(step_op(i(1), "PENDING", name="a", attempt=1, next_ms=NOW - 1000)),
    )
    add(
        "suspend, step after a cached step is retried",
        "replayed step then a new failing step: RETRY then PENDING",
        [
            ok_step('"r1"', "a"),
            {
                "step": {
                    "name": "b",
                    "retry": RETRY_5S,
                    "attempts": [throws(et, "flaky")],
                }
            },
        ],
        env=envelope(step_op(i(1), "SUCCEEDED", name="a", result='"r1"', attempt=1)),
        service=[
            {
                "ok": {
                    "operations": [
                        step_op(
                            i(2), "PENDING", name="b", attempt=1, next_ms=NOW + 5000
                        )
                    ]
                }
            }
        ],
    )

    # --- outcomes --------------------------------------------------------------------------
    add(
        "outcome, uncaught step error fails the execution",
        "FAILED from an uncaught step error (no retry)",
        [{"step": {"name": "a", "retry": NO_RETRY, "attempts": [throws(et, "boom")]}}],
    )
    add(
        "outcome, step error caught, handler succeeds",
        "step FAIL update, error caught, SUCCEEDED",
        [
            {
                "step": {
                    "name": "a",
                    "retry": NO_RETRY,
                    "attempts": [throws(et, "boom")],
                    "catch": True,
                }
            },
            {"return": '"fine"'},
        ],
    )
    add(
        "outcome, handler throws before any operation",
        "FAILED from a handler throw, no call",
        [throws(et, "handler broke")],
    )
    add(
        "outcome, handler throws after a step",
        "FAILED from a handler throw after a step",
        [ok_step('"x"', "a"), throws(et, "handler broke")],
    )
    add(
        "outcome, handler throws a custom error class",
        "ErrorType of a user-defined class",
        [
            {
                "throw": {
                    # The ErrorType the SDK records: Python qualifies a class by its module.
                    "type": "__main__.OrderRejected" if profile == "python" else "OrderRejected",
                    "types": ["__main__.OrderRejected", "Exception"]
                    if profile == "python"
                    else ["OrderRejected", "Error"],
                    "message": "no stock",
                }
            }
        ],
    )

    # --- paging ----------------------------------------------------------------------------
    add(
        "paging, one more page",
        "NextMarker in the envelope: GetDurableExecutionState once",
        [ok_step('"p1"', "a"), ok_step('"new"', "b"), {"return": '"done"'}],
        env=envelope(marker="m1"),
        service=[
            {
                "api": "get-state",
                "page": {
                    "operations": [
                        step_op(i(1), "SUCCEEDED", name="a", result='"p1"', attempt=1)
                    ]
                },
            }
        ],
    )
    add(
        "paging, three pages",
        "GetDurableExecutionState pages until NextMarker is empty",
        [
            ok_step('"p1"', "a"),
            ok_step('"p2"', "b"),
            ok_step('"p3"', "c"),
            {"return": '"done"'},
        ],
        env=envelope(
            step_op(i(1), "SUCCEEDED", name="a", result='"p1"', attempt=1), marker="m1"
        ),
        service=[
            {
                "api": "get-state",
                "page": {
                    "operations": [
                        step_op(i(2), "SUCCEEDED", name="b", result='"p2"', attempt=1)
                    ],
                    "next_marker": "m2",
                },
            },
            {
                "api": "get-state",
                "page": {
                    "operations": [
                        step_op(i(3), "SUCCEEDED", name="c", result='"p3"', attempt=1)
                    ],
                    "next_marker": "m3",
                },
            },
            {"api": "get-state", "page": {"operations": []}},
        ],
    )
    for status, code, message, label in [
        (500, "InternalServerError", "Service unavailable", "500"),
        (
            400,
            "InvalidParameterValueException",
            "Invalid checkpoint token",
            "400 stale token",
        ),
        (502, "KMSAccessDeniedException", "KMSAccessDeniedException error", "502 KMS"),
        (None, None, "Network timeout", "no HTTP response"),
        (429, "TooManyRequestsException", "Rate limit exceeded", "429"),
    ]:
        add(
            f"paging, get-state fails {label}",
            f"a failed GetDurableExecutionState ({label}) before the handler runs"
            + (NO_RESPONSE_NOTE if status is None else ""),
            [ok_step('"x"', "a")],
            env=envelope(marker="m1"),
            service=[
                {
                    "api": "get-state",
                    "fail": {"status": status, "code": code, "message": message},
                }
            ],
        )
    add(
        "paging, get-state answers an unreadable body",
        "GetDurableExecutionState 200 with a non-JSON body",
        [ok_step('"x"', "a")],
        env=envelope(marker="m1"),
        service=[{"api": "get-state", "unreadable": True}],
    )

    # --- batching limits -------------------------------------------------------------------
    add(
        "batching, 130 concurrent steps",
        "260 updates queued at once: 250 per call" + TIMING,
        [{"concurrent": [[ok_step(str(n))] for n in range(130)]}],
    )
    add(
        "batching, three concurrent steps of 300 KiB",
        "updates over 750 KiB in total: split across calls" + TIMING,
        [{"concurrent": [[ok_step(big(300 * KIB, c))] for c in "abc"]}],
    )
    add(
        "batching, one step of 800 KiB",
        "one update over 750 KiB still goes out"
        + (
            ". Python 3.0.0 never sends the SUCCEED: the batcher moves the update that does not"
            " fit behind START to its overflow queue and then refuses it even for an empty batch,"
            " so the step waits until Lambda's timeout (the capture records `timeout` after 10 s)"
            if profile == "python"
            else ""
        ),
        [ok_step(big(800 * KIB)), {"return": '"done"'}],
    )

    # --- checkpoint failures ---------------------------------------------------------------
    for status, code, message, label in [
        (429, "TooManyRequestsException", "Rate limit exceeded", "429"),
        (500, "ServiceException", "test error", "500"),
        (
            400,
            "InvalidParameterValueException",
            "Invalid checkpoint token",
            "400 lower-case stale",
        ),
        (
            400,
            "InvalidParameterValueException",
            "Invalid Checkpoint Token: token expired",
            "400 title-case stale",
        ),
        (400, None, None, "400 without body"),
        (502, "KMSAccessDeniedException", "KMSAccessDeniedException error", "502 KMS"),
        (502, "KMSThrottlingException", "Rate exceeded", "502 KMS throttling"),
        (None, None, "Network timeout", "no HTTP response"),
    ]:
        add(
            f"checkpoint fails {label}",
            f"the first checkpoint call fails ({label})"
            + (NO_RESPONSE_NOTE if status is None else ""),
            [ok_step('"x"', "a"), {"return": '"done"'}],
            service=[
                {
                    "api": "checkpoint",
                    "fail": {"status": status, "code": code, "message": message},
                }
            ],
        )
    client_error = ("ResourceNotFoundException", "Durable execution not found", 404)
    add(
        "checkpoint fails 404 client error",
        "a 4xx client error fails the execution",
        [ok_step('"x"', "a")],
        service=[
            {
                "fail": {
                    "status": client_error[2],
                    "code": client_error[0],
                    "message": client_error[1],
                }
            }
        ],
    )
    add(
        "checkpoint fails on the second call",
        "first step persisted, second call 429",
        [ok_step('"x"', "a"), ok_step('"y"', "b")],
        service=[
            {"ok": {}},
            {
                "fail": {
                    "status": 429,
                    "code": "TooManyRequestsException",
                    "message": "Rate limit exceeded",
                }
            },
        ],
    )
    add(
        "checkpoint 200 without a token, then another step",
        "a 200 with no CheckpointToken mid-invocation",
        [ok_step('"x"', "a"), ok_step('"y"', "b"), {"return": '"done"'}],
        service=[{"no_token": True}],
    )
    add(
        "checkpoint 200 without a token on the last call",
        "no token on the only call",
        [ok_step('"x"', "a"), {"return": '"done"'}],
        service=[{"no_token": True}],
    )
    add(
        "checkpoint 200 with an unreadable body",
        "a 200 whose body is not JSON",
        [ok_step('"x"', "a"), ok_step('"y"', "b")],
        service=[{"unreadable": True}],
    )
    add(
        "checkpoint fails for a wait START",
        "a failed WAIT START (429)",
        [{"wait": {"seconds": 5}}],
        service=[
            {
                "fail": {
                    "status": 429,
                    "code": "TooManyRequestsException",
                    "message": "Rate limit exceeded",
                }
            }
        ],
    )

    # --- concurrency -----------------------------------------------------------------------
    add(
        "concurrent, two steps",
        "two steps at once: how their updates share calls" + TIMING,
        [
            {"concurrent": [[ok_step('"l"', "left")], [ok_step('"r"', "right")]]},
            {"return": '"both"'},
        ],
    )
    add(
        "concurrent, three steps",
        "three steps at once" + TIMING,
        [
            {
                "concurrent": [
                    [ok_step("1", "s1")],
                    [ok_step("2", "s2")],
                    [ok_step("3", "s3")],
                ]
            }
        ],
    )
    add(
        "concurrent, step and wait",
        "a step and a wait at once" + TIMING,
        [
            {
                "concurrent": [
                    [ok_step('"l"', "left")],
                    [{"wait": {"name": "w", "seconds": 10}}],
                ]
            }
        ],
        service=[
            {"ok": {"operations": [wait_op(i(2), "STARTED", NOW + 10_000, name="w")]}}
        ],
    )

    # --- non-determinism -------------------------------------------------------------------
    add(
        "non-deterministic, checkpoint is a WAIT where the code runs a step",
        "Type mismatch at replay",
        [ok_step('"x"', "a")],
        env=envelope(wait_op(i(1), "SUCCEEDED", NOW - 1000)),
    )
    add(
        "non-deterministic, checkpoint step has another name",
        "Name mismatch at replay",
        [ok_step('"x"', "a")],
        env=envelope(step_op(i(1), "SUCCEEDED", name="b", result='"x"', attempt=1)),
    )
    add(
        "non-deterministic, checkpoint is a CONTEXT where the code runs a step",
        "CONTEXT vs STEP at replay",
        [ok_step('"x"', "a")],
        env=envelope(ctx_op(i(1), "SUCCEEDED", name="a", result='"x"')),
    )

    # --- wait ------------------------------------------------------------------------------
    add(
        "wait, first run",
        "WAIT START then PENDING (service echoes the STARTED wait)",
        [{"wait": {"name": "pause", "seconds": 30}}, {"return": '"after"'}],
        service=[
            {
                "ok": {
                    "operations": [wait_op(i(1), "STARTED", NOW + 30_000, name="pause")]
                }
            }
        ],
    )
    add(
        "wait, first run, unnamed",
        "unnamed WAIT START",
        [{"wait": {"seconds": 5}}],
        service=[{"ok": {"operations": [wait_op(i(1), "STARTED", NOW + 5000)]}}],
    )
    add(
        "wait, replay of a SUCCEEDED wait then a step",
        "completed wait is skipped",
        [
            {"wait": {"name": "pause", "seconds": 30}},
            ok_step('"x"', "a"),
            {"return": '"after"'},
        ],
        env=envelope(wait_op(i(1), "SUCCEEDED", NOW - 1000, name="pause")),
    )
    add(
        "wait, not yet elapsed",
        "STARTED wait with a future end: PENDING, no call",
        [{"wait": {"name": "pause", "seconds": 30}}],
        env=envelope(wait_op(i(1), "STARTED", NOW + 60_000, name="pause")),
    )
    add(
        "wait, step then wait",
        "step persisted, then WAIT START",
        [ok_step('"x"', "a"), {"wait": {"name": "pause", "seconds": 30}}],
        service=[
            {"ok": {}},
            {
                "ok": {
                    "operations": [wait_op(i(2), "STARTED", NOW + 30_000, name="pause")]
                }
            },
        ],
    )

    # --- child contexts --------------------------------------------------------------------
    add(
        "child, with two steps",
        "CONTEXT START, steps with ParentId, CONTEXT SUCCEED",
        [
            {
                "child": {
                    "name": "c",
                    "handler": [
                        ok_step("1", "s1"),
                        ok_step("2", "s2"),
                        {"return": '"child result"'},
                    ],
                }
            },
            {"return": '"done"'},
        ],
    )
    add(
        "child, unnamed, returns nothing",
        "CONTEXT SUCCEED without payload",
        [{"child": {"handler": [ok_step("1")]}}],
    )
    add(
        "child, in a child",
        "nested CONTEXTs",
        [
            {
                "child": {
                    "name": "outer",
                    "handler": [
                        ok_step("1", "s1"),
                        {
                            "child": {
                                "name": "inner",
                                "handler": [ok_step("2", "s2"), {"return": '"in"'}],
                            }
                        },
                        {"return": '"out"'},
                    ],
                }
            },
            {"return": '"done"'},
        ],
    )
    add(
        "child, completed child replayed without running its steps",
        "SUCCEEDED CONTEXT: cached result, children not run, no call",
        [
            {
                "child": {
                    "name": "c",
                    "handler": [
                        {
                            "step": {
                                "name": "s1",
                                "attempts": [throws(et, "must not run")],
                            }
                        },
                        {"return": '"fresh"'},
                    ],
                }
            },
            ok_step('"x"', "after"),
            {"return": '"done"'},
        ],
        env=envelope(ctx_op(i(1), "SUCCEEDED", name="c", result='"cached child"')),
    )
    add(
        "child, error caught by the parent",
        "child FAIL update, parent catches and goes on",
        [
            {
                "child": {
                    "name": "c",
                    "catch": True,
                    "handler": [ok_step("1", "s1"), throws(et, "child broke")],
                }
            },
            {"return": '"recovered"'},
        ],
    )
    add(
        "child, error escapes the handler",
        "child FAIL update, handler FAILED",
        [{"child": {"name": "c", "handler": [throws(et, "child broke")]}}],
    )
    add(
        "child, step error inside the child",
        "step FAIL then CONTEXT FAIL",
        [
            {
                "child": {
                    "name": "c",
                    "handler": [
                        {
                            "step": {
                                "name": "s1",
                                "retry": NO_RETRY,
                                "attempts": [throws(et, "boom")],
                            }
                        }
                    ],
                }
            }
        ],
    )
    add(
        "child, replay of a FAILED child",
        "FAILED CONTEXT raises from the checkpoint",
        [{"child": {"name": "c", "handler": [ok_step("1", "s1")]}}],
        env=envelope(
            ctx_op(
                i(1),
                "FAILED",
                name="c",
                error={"ErrorType": "ValueError", "ErrorMessage": "old"},
            )
        ),
    )
    add(
        "child, STARTED child re-runs with its cached step",
        "a child interrupted after its first step: step replayed, second step new",
        [
            {
                "child": {
                    "name": "c",
                    "handler": [
                        ok_step("1", "s1"),
                        ok_step("2", "s2"),
                        {"return": '"r"'},
                    ],
                }
            }
        ],
        env=envelope(
            ctx_op(i(1), "STARTED", name="c"),
            step_op(
                i(1, 1), "SUCCEEDED", name="s1", parent=i(1), result="1", attempt=1
            ),
        ),
    )
    add(
        "child, result over 256 KiB uses ReplayChildren",
        "large child result: ReplayChildren in ContextOptions, summary payload",
        [
            {
                "child": {
                    "name": "big",
                    "handler": [ok_step("1", "s1"), {"return": big(300 * KIB)}],
                }
            },
            {"return": '"done"'},
        ],
    )
    add(
        "child, result just under 256 KiB",
        "the ReplayChildren boundary, below",
        [{"child": {"name": "edge", "handler": [{"return": big(256 * KIB - 2)}]}}],
    )
    add(
        "child, result of exactly 256 KiB + 1",
        "the ReplayChildren boundary, above",
        [{"child": {"name": "edge", "handler": [{"return": big(256 * KIB - 1)}]}}],
    )
    add(
        "child, replay of a ReplayChildren child",
        "SUCCEEDED CONTEXT with ReplayChildren: children re-run from their checkpoints",
        [
            {
                "child": {
                    "name": "big",
                    "handler": [ok_step('"s"', "s1"), {"return": '"rebuilt"'}],
                }
            },
            {"return": '"done"'},
        ],
        env=envelope(
            ctx_op(i(1), "SUCCEEDED", name="big", result="", replay_children=True),
            step_op(
                i(1, 1), "SUCCEEDED", name="s1", parent=i(1), result='"s"', attempt=1
            ),
        ),
    )
    add(
        "child, with a wait inside",
        "WAIT inside a child suspends the whole invocation",
        [{"child": {"name": "c", "handler": [{"wait": {"name": "w", "seconds": 10}}]}}],
        service=[
            {
                "ok": {
                    "operations": [
                        ctx_op(i(1), "STARTED", name="c"),
                        wait_op(
                            i(1, 1), "STARTED", NOW + 10_000, name="w", parent=i(1)
                        ),
                    ]
                }
            }
        ],
    )

    # --- large result ----------------------------------------------------------------------
    limit = 6 * MIB - 50
    add(
        "large result, handler result over 6 MiB - 50 B",
        "EXECUTION SUCCEED checkpoint with the result, output Result empty",
        [{"return": big(limit)}],
    )
    add(
        "large result, handler result at 6 MiB - 50 B",
        "the limit itself stays inline",
        [{"return": big(limit - 2)}],
    )
    add(
        "large result, multi-byte result over the limit in bytes, under it in characters",
        "the limit counted in characters (Python) or UTF-8 bytes (JS)",
        [{"return": big(3 * MIB + 100, "\u00e9" if profile == "ts" else "\\u00e9")}],
    )

    # --- more answers and payloads -----------------------------------------------------------
    add(
        "paging, get-state fails 404 client error",
        "a 4xx GetDurableExecutionState failure",
        [ok_step('"x"', "a")],
        env=envelope(marker="m1"),
        service=[
            {
                "api": "get-state",
                "fail": {
                    "status": 404,
                    "code": "ResourceNotFoundException",
                    "message": "Durable execution not found",
                },
            }
        ],
    )
    add(
        "wait, first run, answer without the operation",
        "WAIT START answered without the WAIT operation",
        [{"wait": {"name": "pause", "seconds": 30}}],
    )
    add(
        "wait, 200 without a token for the WAIT START",
        "no CheckpointToken in the answer to a WAIT START",
        [{"wait": {"name": "pause", "seconds": 30}}],
        service=[{"no_token": True}],
    )
    add(
        "suspend, the RETRY call fails 429",
        "a failed checkpoint carrying RETRY",
        [{"step": {"name": "a", "retry": RETRY_5S, "attempts": [throws(et, "flaky")]}}],
        service=[
            {
                "fail": {
                    "status": 429,
                    "code": "TooManyRequestsException",
                    "message": "Rate limit exceeded",
                }
            }
        ],
    )
    add(
        "first run, step result with non-ASCII text",
        "how each SDK writes non-ASCII characters in an update",
        [
            ok_step('"h\u00e9llo \u2713"', "u"),
            {"return": '"\\u2713"' if profile == "python" else '"\u2713"'},
        ],
    )
    add(
        "large result, handler error message over 6 MiB",
        "a FAILED output over the response limit",
        [{"throw": {"type": et, "message": "{{repeat:" + str(6 * MIB) + ":e}}"}}],
    )
    add(
        "child, step error caught inside the child",
        "the child catches its step's error and returns",
        [
            {
                "child": {
                    "name": "c",
                    "handler": [
                        {
                            "step": {
                                "name": "s1",
                                "retry": NO_RETRY,
                                "attempts": [throws(et, "boom")],
                                "catch": True,
                            }
                        },
                        {"return": '"handled"'},
                    ],
                }
            },
            {"return": '"done"'},
        ],
    )

    # --- more replay, retry and concurrency shapes -----------------------------------------
    add(
        "suspend, default retry strategy with jitter",
        "the SDK's default retry preset: the delay drawn with the pinned random",
        [{"step": {"name": "a", "attempts": [throws(et, "flaky")]}}],
    )
    add(
        "replay, READY at-most-once step runs attempt 2",
        "at-most-once START for a retry: its own call before the function",
        [
            {
                "step": {
                    "name": "a",
                    "semantics": "at-most-once",
                    "retry": RETRY_5S,
                    "attempts": [throws(et, "first"), {"payload": '"second"'}],
                }
            }
        ],
        env=envelope(step_op(i(1), "READY", name="a", attempt=1)),
        service=[
            {"ok": {"operations": [step_op(i(1), "STARTED", name="a", attempt=1)]}}
        ],
    )
    add(
        "replay, SUCCEEDED step without a result",
        "a SUCCEEDED step whose StepDetails has no Result",
        [ok_step('"never"', "a"), {"return": '"done"'}],
        env=envelope(step_op(i(1), "SUCCEEDED", name="a", attempt=1)),
    )
    add(
        "wait, STARTED wait whose end has passed",
        "a STARTED wait already due: what the SDK does without the service's SUCCEEDED",
        [{"wait": {"name": "pause", "seconds": 30}}, {"return": '"after"'}],
        env=envelope(wait_op(i(1), "STARTED", NOW - 1000, name="pause")),
    )
    add(
        "concurrent, one branch fails",
        "two steps at once, the second fails (no retry): the error escapes" + TIMING,
        [
            {
                "concurrent": [
                    [ok_step('"l"', "left")],
                    [
                        {
                            "step": {
                                "name": "right",
                                "retry": NO_RETRY,
                                "attempts": [throws(et, "r")],
                            }
                        }
                    ],
                ]
            }
        ],
    )
    add(
        "concurrent, two waits",
        "two waits at once" + TIMING,
        [
            {
                "concurrent": [
                    [{"wait": {"name": "w1", "seconds": 10}}],
                    [{"wait": {"name": "w2", "seconds": 20}}],
                ]
            }
        ],
        service=[
            {
                "ok": {
                    "operations": [
                        wait_op(i(1), "STARTED", NOW + 10_000, name="w1"),
                        wait_op(i(2), "STARTED", NOW + 20_000, name="w2"),
                    ]
                }
            }
        ],
    )

    # --- envelope errors -------------------------------------------------------------------
    add(
        "envelope, missing CheckpointToken",
        "malformed envelope: no CheckpointToken",
        [ok_step('"x"', "a")],
        env=envelope(CheckpointToken=None),
    )
    add(
        "envelope, missing DurableExecutionArn",
        "malformed envelope: no DurableExecutionArn",
        [ok_step('"x"', "a")],
        env=envelope(DurableExecutionArn=None),
    )
    add(
        "envelope, no EXECUTION operation",
        "an envelope without the EXECUTION operation",
        [ok_step('"x"', "a"), {"return": '"done"'}],
        env={
            "DurableExecutionArn": ARN,
            "CheckpointToken": "token-0",
            "InitialExecutionState": {"Operations": []},
        },
    )
    return out


# Where durable-core deliberately does not do what a released SDK does (issue 8: a checkpoint or
# state answer with no token or an unreadable body is a failure in every profile). For these
# cases `expected` is durable-core's behaviour and `sdk_expected` is what the capture saw; the
# evidence tests check the SDK against `sdk_expected`, so the divergence stays proven.
_NO_TOKEN = (
    "deliberate divergence: a 200 without CheckpointToken is a failed checkpoint in every "
    "profile (rule checkpoint-without-token, category INVOCATION), so nothing is reported as "
    "stored that the service did not confirm and no spent token is sent again; {sdk}"
)
_UNREADABLE = (
    "deliberate divergence: an answer whose body cannot be read is a failed call in every "
    "profile (rule unreadable-response, category INVOCATION); {sdk}"
)
_NO_ECHO = (
    "deliberate divergence: the core takes an operation missing from a checkpoint's answer as "
    "unchanged (as @aws/durable-execution-sdk-js 2.4.0 does) in every profile; {sdk}"
)
_TOO_BIG = (
    "deliberate divergence: an update that cannot fit one checkpoint call (750 KiB) or the "
    "service's 256 KiB payload limit is refused before sending and fails the execution with "
    "the error the profile's SDK reports when the service refuses it; {sdk}"
)
_NO_RESPONSE = (
    "deliberate divergence: a call that got no HTTP response is classified (rule "
    "no-http-response, category INVOCATION); {sdk}"
)
DIVERGENCES = {
    ("python", "checkpoint 200 without a token, then another step"): _NO_TOKEN.format(
        sdk="python 3.0.0 takes it as persisted and carries on"),
    ("python", "checkpoint 200 without a token on the last call"): _NO_TOKEN.format(
        sdk="python 3.0.0 takes it as persisted and returns SUCCEEDED"),
    ("python", "wait, 200 without a token for the WAIT START"): _NO_TOKEN.format(
        sdk="python 3.0.0 takes it as persisted and returns PENDING"),
    ("ts", "checkpoint 200 without a token, then another step"): _NO_TOKEN.format(
        sdk="ts 2.4.0 sends the next checkpoint with the spent token"),
    ("ts", "checkpoint 200 without a token on the last call"): _NO_TOKEN.format(
        sdk="ts 2.4.0 takes it as persisted and returns SUCCEEDED"),
    ("ts", "wait, 200 without a token for the WAIT START"): _NO_TOKEN.format(
        sdk="ts 2.4.0 takes it as persisted and returns PENDING"),
    ("python", "checkpoint 200 with an unreadable body"): _UNREADABLE.format(
        sdk="python 3.0.0 takes it as persisted"),
    ("python", "paging, get-state answers an unreadable body"): _UNREADABLE.format(
        sdk="python 3.0.0 fails the invocation without a rule"),
    ("ts", "checkpoint 200 with an unreadable body"): _UNREADABLE.format(
        sdk="ts 2.4.0 fails the invocation without naming why"),
    ("ts", "paging, get-state answers an unreadable body"): _UNREADABLE.format(
        sdk="ts 2.4.0 fails the invocation without naming why"),
    ("python", "first run, at-most-once step, service returns no operations"): _NO_ECHO.format(
        sdk="python 3.0.0 fails the execution with InvalidStateError"),
    ("python", "wait, first run, answer without the operation"): _NO_ECHO.format(
        sdk="python 3.0.0 sends the WAIT START again and fails with InvalidStateError"),
    ("python", "batching, one step of 800 KiB"): _TOO_BIG.format(
        sdk="python 3.0.0 sends it"),
    ("ts", "batching, one step of 800 KiB"): _TOO_BIG.format(sdk="ts 2.4.0 sends it"),
    ("python", "batching, three concurrent steps of 300 KiB"): _TOO_BIG.format(
        sdk="python 3.0.0 sends them in two calls cut at 750 KiB"),
    ("ts", "batching, three concurrent steps of 300 KiB"): _TOO_BIG.format(
        sdk="ts 2.4.0 sends them in two calls cut at 750 KiB"),
    ("python", "checkpoint fails no HTTP response"): _NO_RESPONSE.format(
        sdk="python 3.0.0 raises AttributeError from its own error wrapper"),
    ("python", "paging, get-state fails no HTTP response"): _NO_RESPONSE.format(
        sdk="python 3.0.0 raises AttributeError from its own error wrapper"),
}


def build() -> dict:
    cases = []
    for profile in ("python", "ts"):
        for name, what, inp in cases_for(profile):
            case = {
                "name": f"{profile}: {name}",
                "source": f"captured from {SDK[profile]}; exercises {what}",
                "input": {"profile": profile, **inp},
            }
            if (profile, name) in DIVERGENCES:
                case["divergence"] = DIVERGENCES[(profile, name)]
            cases.append(case)
    return {
        "suite": "invocation",
        "description": (
            "One Lambda invocation of a durable function per case: envelope, handler "
            "statements, service answers; expected = every service call and the invocation's "
            "result. Format: /work/notes/invocation-format.md (format version 1) plus "
            "{{repeat:N:UNIT}} string abbreviations (tests/evidence/README.md). python and ts "
            "expectations are captured from the released SDKs by tests/evidence/"
            "invocation_capture.py and invocation_capture.mjs, and re-checked on every test run."
        ),
        "cases": cases,
    }


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(
        json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
    )
