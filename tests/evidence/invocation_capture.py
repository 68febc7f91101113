"""What aws-durable-execution-sdk-python 3.0.0 does for one `invocation` vector case.

A case (format: /work/notes/invocation-format.md, summarised in tests/evidence/README.md) is one
Lambda invocation of a durable function: the envelope, the statements the user's handler runs and
the answers the service gives. This module runs the case on the released SDK and records every
service call it makes and what the invocation returned, so the vector's expectation is the SDK's
behaviour, not durable-core's.

How a case is driven:

* The handler is the SDK's own `durable_execution(handler, boto3_client=client)`. `client` is a
  real botocore `lambda` client with botocore's default retries (standard mode, 3 attempts in
  botocore 1.44.8, as the SDK's own client; the backoff sleep is skipped) whose HTTP layer is
  replaced by a `before-send` hook: no request leaves the process. Each answer of the case
  becomes an HTTP response (status, `x-amzn-errortype` header, JSON body) that botocore parses
  exactly as it would parse the service's, so error codes, status codes and unreadable bodies
  reach the SDK as they would in Lambda. An answer holds for every HTTP attempt of its call (a
  failing answer is a persistent failure). An answer with a null status raises botocore's `ConnectionClosedError`.
* Every call is recorded from the parameters the SDK hands to the client (`provide-client-params`
  event): checkpoint = `CheckpointToken` + each update as `json.dumps(update,
  separators=(",", ":"))` (ensure_ascii, as botocore serialises; botocore only adds whitespace);
  get-state = `CheckpointToken` + `Marker` (`MaxItems` must be 1000).
* The statements run on the context the SDK passes: `context.step` (pass-through serdes, the
  attempt's outcome chosen from `StepContext.attempt`), `context.wait`,
  `context.run_in_child_context` (pass-through serdes), `concurrent` = one thread per branch,
  started in order, each only once the previous one is blocked on its first synchronous
  checkpoint, with the SDK's batcher held until the last branch got there (so ids and grouping
  do not depend on timing: see `_run_concurrent`); joined in order, the first error of a branch
  (in branch order) re-raised by the handler. User functions return at once.
* Clock and random: `time.time()` inside the SDK's exceptions module and `datetime.now()` inside
  its suspend module read `now_ms`; `random.random()` in its config module returns `random`.
* Every run is bounded (RUN_TIMEOUT_SECONDS): an SDK still running then is reported as
  `{"timeout": true}` instead of an output.

Run from the repository root:

    .venv/bin/python tests/evidence/invocation_capture.py [--vectors FILE]   # DIFF lines
    .venv/bin/python tests/evidence/invocation_capture.py --emit FILE         # write expectations
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time as _time_module
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from aws_durable_execution_sdk_python import exceptions as sdk_exceptions
from aws_durable_execution_sdk_python.config import (
    ChildConfig,
    Duration,
    StepConfig,
    StepSemantics,
)
from aws_durable_execution_sdk_python.exceptions import DurableOperationError
from aws_durable_execution_sdk_python.execution import durable_execution
from aws_durable_execution_sdk_python.identifier import OperationIdNamespace
from aws_durable_execution_sdk_python.state import ExecutionState
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError
from repeat_markers import abbreviate, expand  # tests/evidence/, beside this file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from step_capture import (  # the step capture's SDK adapters, reused as they are
    PassThrough,
    _FixedRandom,
    _frozen_datetime_module,
    _FrozenTime,
    exception_class,
    retry_strategy,
)

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors" / "invocation.json"
CLASSIFY = REPO / "tests" / "vectors" / "classify.json"
DEFAULT_NOW_MS = 1_700_000_000_000
DEFAULT_RANDOM = 0.5
RUN_TIMEOUT_SECONDS = 10.0
BRANCH_START_SECONDS = 5.0
SDK_VERSION = "aws-durable-execution-sdk-python 3.0.0"

logging.disable(logging.CRITICAL)

_TIMESTAMP_FIELDS = {
    "StartTimestamp": None,
    "EndTimestamp": None,
    "StepDetails": "NextAttemptTimestamp",
    "WaitDetails": "ScheduledEndTimestamp",
}


def python_id(*path: int) -> str:
    """The SDK's id of the operation at `path` (1-based counters from the root)."""
    parent = None
    for counter in path:
        parent = OperationIdNamespace(parent).create_id_for_step(counter)
    assert parent is not None
    return parent


# --- the scripted service -------------------------------------------------------------------


class _Body:
    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_):
        yield self._data

    def read(self, *_, **__):
        return self._data


def _http_operation(op: dict) -> dict:
    """An operation as the service's HTTP body carries it: timestamps in epoch seconds."""
    out = json.loads(json.dumps(op))
    for key, inner in _TIMESTAMP_FIELDS.items():
        if inner is None and isinstance(out.get(key), int | float):
            out[key] = out[key] / 1000.0
        elif inner is not None and isinstance(out.get(key), dict):
            details = out[key]
            if isinstance(details.get(inner), int | float):
                details[inner] = details[inner] / 1000.0
    return out


class ScriptedService:
    """Answers each call from the case's `service` list and records the calls."""

    def __init__(self, answers: list[dict]):
        self.answers = answers
        self.calls: list[dict] = []
        self.problems: list[str] = []
        self.failed_answers: list[dict] = []
        self.lock = threading.Lock()

    def on_params(self, params: dict, model, **_) -> None:
        with self.lock:
            if model.name == "CheckpointDurableExecution":
                call = {
                    "api": "checkpoint",
                    "token": params.get("CheckpointToken"),
                    "updates": [
                        json.dumps(u, separators=(",", ":"))
                        for u in params.get("Updates", [])
                    ],
                }
            else:
                call = {
                    "api": "get-state",
                    "token": params.get("CheckpointToken"),
                    "marker": params.get("Marker"),
                }
                if params.get("MaxItems") != 1000:
                    self.problems.append(
                        f"get-state MaxItems {params.get('MaxItems')!r}"
                    )
            self.calls.append(call)

    def on_send(self, request, **_):
        with self.lock:
            n = len(self.calls)
            api = self.calls[-1]["api"]
            answer = self.answers[n - 1] if n <= len(self.answers) else {}
        if answer.get("api") not in (None, api):
            self.problems.append(
                f"call {n} is a {api} call, answer {n} is for {answer['api']}"
            )
        if "fail" in answer:
            fail = answer["fail"]
            self.failed_answers.append({"api": api, **fail})
            if fail.get("status") is None:
                raise ConnectionClosedError(endpoint_url=request.url)
            headers = {"content-type": "application/json"}
            if fail.get("code") is not None:
                headers["x-amzn-errortype"] = fail["code"]
            body = {}
            if fail.get("message") is not None:
                body["message"] = fail["message"]
            if fail.get("code") is not None:
                body["Type"] = "User"
            data = json.dumps(body).encode() if body else b""
            return AWSResponse(request.url, fail["status"], headers, _Body(data))
        if answer.get("unreadable"):
            return AWSResponse(
                request.url,
                200,
                {"content-type": "application/json"},
                _Body(b"<html>oops"),
            )
        if api == "get-state":
            page = answer.get("page", {})
            body: dict[str, Any] = {
                "Operations": [_http_operation(op) for op in page.get("operations", [])]
            }
            if page.get("next_marker") is not None:
                body["NextMarker"] = page["next_marker"]
        elif answer.get("no_token"):
            body = {"NewExecutionState": {"Operations": []}}
        else:
            ok = answer.get("ok", {})
            body = {
                "CheckpointToken": ok.get("token") or f"token-{n}",
                "NewExecutionState": {
                    "Operations": [
                        _http_operation(op) for op in ok.get("operations", [])
                    ]
                },
            }
        return AWSResponse(
            request.url,
            200,
            {"content-type": "application/json"},
            _Body(json.dumps(body).encode()),
        )


_SESSION = boto3.session.Session(
    aws_access_key_id="evidence",
    aws_secret_access_key="evidence",
    region_name="us-east-1",
)


class _NoSleep:
    """The `time` module as botocore's endpoint sees it, with the retry backoff made instant."""

    @staticmethod
    def sleep(_seconds: float) -> None:
        return None

    def __getattr__(self, name):
        return getattr(_time_module, name)


def scripted_client(service: ScriptedService):
    client = _SESSION.client(
        "lambda",
        endpoint_url="https://lambda.invalid",
        # botocore's default retries, as the SDK's own client has them (standard mode, 3
        # attempts, in botocore 1.44.8); the backoff sleep is made instant in capture().
        config=Config(),
    )
    for op in ("CheckpointDurableExecution", "GetDurableExecutionState"):
        client.meta.events.register(
            f"provide-client-params.lambda.{op}", service.on_params
        )
        client.meta.events.register(f"before-send.lambda.{op}", service.on_send)
    return client


# --- the user's handler ---------------------------------------------------------------------


class NotDrivable(Exception):
    """The case cannot be run on the SDK (the reason is the message)."""


def _exception(spec: dict) -> BaseException:
    name = spec["type"]
    cls = exception_class(name, spec.get("types") or [name])
    message = spec.get("message")
    return cls() if message is None else cls(message)


def _retry(retry: dict | None):
    if retry is None:
        return None
    if isinstance(retry.get("preset"), str):
        return retry_strategy({"preset": {"name": retry["preset"]}})
    return retry_strategy(retry)


class _Return(Exception):  # control flow only: never escapes run_statements
    def __init__(self, payload):
        self.payload = payload


def run_statements(ctx, statements: list[dict]):
    """Run the statements on `ctx`; the value is the `return` payload (None if none)."""
    try:
        for statement in statements:
            _run(ctx, statement)
    except _Return as r:
        return r.payload
    return None


def _run(ctx, statement: dict) -> None:
    (kind, arg), *_ = statement.items()
    if kind == "step":
        attempts = arg["attempts"]

        def user_function(step_context):
            outcome = attempts[min(step_context.attempt, len(attempts)) - 1]
            if "throw" in outcome:
                raise _exception(outcome["throw"])
            return outcome.get("payload")

        semantics = (
            StepSemantics.AT_MOST_ONCE_PER_RETRY
            if arg.get("semantics") == "at-most-once"
            else StepSemantics.AT_LEAST_ONCE_PER_RETRY
        )
        config = StepConfig(
            retry_strategy=_retry(arg.get("retry")),
            step_semantics=semantics,
            serdes=PassThrough(),
        )
        try:
            ctx.step(user_function, name=arg.get("name"), config=config)
        except DurableOperationError:
            if not arg.get("catch"):
                raise
    elif kind == "wait":
        ctx.wait(Duration(seconds=arg["seconds"]), name=arg.get("name"))
    elif kind == "child":
        body = arg["handler"]
        try:
            ctx.run_in_child_context(
                lambda child: run_statements(child, body),
                name=arg.get("name"),
                config=ChildConfig(serdes=PassThrough()),
            )
        except DurableOperationError:
            if not arg.get("catch"):
                raise
    elif kind == "concurrent":
        _run_concurrent(ctx, arg)
    elif kind == "return":
        raise _Return(arg)
    elif kind == "throw":
        raise _exception(arg)
    else:
        raise NotDrivable(f"unknown statement {kind!r}")


class _GatedQueue:
    """The SDK's checkpoint queue, with a gate on the batcher's reads (open unless a
    `concurrent` statement is starting its branches) and a hook on every put."""

    def __init__(self, inner):
        self._inner = inner
        self.gate = threading.Event()
        self.gate.set()
        self.on_put = None

    def put(self, item, *args, **kwargs):
        self._inner.put(item, *args, **kwargs)
        hook = self.on_put
        if hook is not None:
            hook(item)

    def get(self, *args, **kwargs):
        self.gate.wait(BRANCH_START_SECONDS)
        return self._inner.get(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def _run_concurrent(ctx, branches: list[list[dict]]) -> None:
    """One thread per branch, in a fixed interleaving that does not depend on timing.

    Branch i+1 starts once branch i is blocked on its first synchronous checkpoint (or has
    finished), and the SDK's batcher reads nothing until the last branch got there. So every
    branch's updates are queued, branch after branch, before the batch is collected: the grouping
    the SDK makes when threads are faster than its batch window. Later checkpoints of the
    branches are not gated.
    """
    gated = ctx.state._checkpoint_queue
    owner = threading.local()
    ready = [threading.Event() for _ in branches]
    errors: list[BaseException | None] = [None] * len(branches)

    def on_put(item) -> None:
        index = getattr(owner, "index", None)
        if index is not None and getattr(item, "completion_event", None) is not None:
            ready[index].set()

    def branch(i: int, statements: list[dict]) -> None:
        owner.index = i
        try:
            run_statements(ctx, statements)
        except BaseException as e:  # noqa: BLE001 - re-raised by the handler in branch order
            errors[i] = e
        finally:
            ready[i].set()

    threads = []
    gated.gate.clear()
    gated.on_put = on_put
    try:
        for i, statements in enumerate(branches):
            thread = threading.Thread(target=branch, args=(i, statements), daemon=True)
            thread.start()
            threads.append(thread)
            ready[i].wait(BRANCH_START_SECONDS)
    finally:
        gated.on_put = None
        gated.gate.set()
    for thread in threads:
        thread.join(RUN_TIMEOUT_SECONDS)
    for error in errors:
        if error is not None:
            raise error


# --- one invocation -------------------------------------------------------------------------


def capture(inp: dict) -> dict:
    """Run one case's input on the SDK: {calls, output, invocation_error}."""
    if inp.get("profile") != "python":
        raise NotDrivable("not a python-profile case")
    inp = expand(inp)
    now_ms = inp.get("now_ms", DEFAULT_NOW_MS)
    random_value = inp.get("random", DEFAULT_RANDOM)
    service = ScriptedService(inp.get("service", []))
    client = scripted_client(service)
    statements = inp.get("handler", [])

    def handler(event, ctx):
        value = run_statements(ctx, statements)
        return None if value is None else json.loads(value)

    wrapped = durable_execution(handler, boto3_client=client)
    outcome: dict[str, Any] = {}
    states: list[ExecutionState] = []
    timed_out = False
    calls_at_timeout: list[dict] = []

    def invoke():
        try:
            outcome["output"] = wrapped(json.loads(json.dumps(inp["envelope"])), None)
        except BaseException as e:  # noqa: BLE001 - the invocation failed: recorded
            outcome["raised"] = e

    with (
        mock.patch.object(sdk_exceptions, "time", _FrozenTime(now_ms)),
        mock.patch(
            "aws_durable_execution_sdk_python.suspend.datetime",
            _frozen_datetime_module(now_ms),
        ),
        mock.patch(
            "aws_durable_execution_sdk_python.lambda_service.datetime",
            _frozen_datetime_module(now_ms),
        ),
        mock.patch(
            "aws_durable_execution_sdk_python.config.random", _FixedRandom(random_value)
        ),
        mock.patch("botocore.endpoint.time", _NoSleep()),
        mock.patch.object(ExecutionState, "__init__", _recording_init(states)),
    ):
        runner = threading.Thread(target=invoke, daemon=True)
        runner.start()
        runner.join(RUN_TIMEOUT_SECONDS)
        if runner.is_alive():
            timed_out = True
            calls_at_timeout = list(
                service.calls
            )  # what the harness does next is not the SDK's
            for state in states:
                _unstick(state)
            runner.join(RUN_TIMEOUT_SECONDS)
    result: dict[str, Any] = {"calls": list(service.calls)}
    if timed_out:
        result["calls"] = calls_at_timeout
        result["output"] = None
        result["timeout"] = True
    elif "raised" in outcome:
        result["output"] = None
        result["invocation_error"] = invocation_error(
            "python", service, outcome["raised"]
        )
    else:
        result["output"] = outcome["output"]
    if service.problems:
        result["problems"] = service.problems
    return result


def _recording_init(states: list):
    original = ExecutionState.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._checkpoint_queue = _GatedQueue(self._checkpoint_queue)
        states.append(self)

    return init


def _unstick(state: ExecutionState) -> None:
    """End an invocation the SDK left waiting (after the timeout was recorded): stop its
    checkpoint thread and fail every checkpoint it still waits for, so no thread outlives the
    capture."""
    stuck = RuntimeError(
        "evidence capture: the SDK did not finish; ended by the harness"
    )
    state.stop_checkpointing()
    with state._completion_lock:
        for queued in state._drain_unsent_operations():
            if queued.completion_event is not None:
                queued.completion_event.set(stuck)


_CLASSIFY: list[dict] | None = None


def classify_rule(profile: str, failed: dict) -> dict | None:
    """The classify.json expectation of this failed call under `profile`, if the suite has it."""
    global _CLASSIFY
    if _CLASSIFY is None:
        _CLASSIFY = json.loads(CLASSIFY.read_text(encoding="utf-8"))["cases"]
    for case in _CLASSIFY:
        i = case["input"]
        if (
            i.get("profile") == profile
            and i.get("api") == failed["api"]
            and i.get("status") == failed.get("status")
            and i.get("code") == failed.get("code")
            and i.get("message") == failed.get("message")
            and "rule" in case["expected"]
        ):
            return case["expected"]
    return None


def invocation_error(
    profile: str, service: ScriptedService, raised: BaseException
) -> dict:
    error: dict[str, Any] = {"category": "INVOCATION"}
    is_service_error = isinstance(raised, sdk_exceptions.BotoClientError)
    if is_service_error and service.failed_answers:
        expected = classify_rule(profile, service.failed_answers[-1])
        if expected is not None and expected["category"] == "INVOCATION":
            error["rule"] = expected["rule"]
    return error


# --- vectors --------------------------------------------------------------------------------


def expectation(result: dict) -> dict:
    """The vector `expected` for a capture (timeouts and harness problems are not vectors)."""
    if result.get("problems"):
        raise AssertionError(f"capture not usable: {result}")
    expected: dict[str, Any] = {"calls": result["calls"], "output": result["output"]}
    expected = abbreviate(expected)
    if result.get("timeout"):
        # Lambda ends a timed-out invocation as failed and retries it: an invocation error.
        expected["invocation_error"] = {"category": "INVOCATION"}
        expected["timeout"] = True
    elif result["output"] is None:
        expected["invocation_error"] = result["invocation_error"]
    return expected


def compare(case: dict) -> str | None:
    """None if the SDK does what the case expects; else what differs."""
    result = capture(case["input"])
    if result.get("problems"):
        return "; ".join(result["problems"])
    got = expectation(result)
    # A deliberate divergence keeps what the SDK does in `sdk_expected`; `expected` is ours.
    want = abbreviate(expand(case.get("sdk_expected", case.get("expected", {}))))
    problems = []
    for key in ("calls", "output", "invocation_error", "timeout"):
        if got.get(key) != want.get(key):
            problems.append(
                f"{key}: SDK {json.dumps(got.get(key))[:2000]}, vector {json.dumps(want.get(key))[:2000]}"
            )
    return "; ".join(problems) or None


def python_cases(doc: dict):
    for case in doc["cases"]:
        inp = case.get("input", {})
        if inp.get("profile") == "python" and "error" not in (
            case.get("expected") or {}
        ):
            yield case


def main(argv: list[str]) -> int:
    path = VECTORS
    if "--vectors" in argv:
        path = Path(argv[argv.index("--vectors") + 1])
    emit = None
    if "--emit" in argv:
        emit = Path(argv[argv.index("--emit") + 1])
        path = emit
    doc = json.loads(path.read_text(encoding="utf-8"))
    driven, failures = 0, 0
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    for case in python_cases(doc):
        if only and only not in case["name"]:
            continue
        driven += 1
        if emit:
            results = [capture(case["input"]) for _ in range(3)]
            if any(
                json.dumps(r, sort_keys=True) != json.dumps(results[0], sort_keys=True)
                for r in results
            ):
                failures += 1
                print(f"UNSTABLE {case['name']}", file=sys.stderr)
                case["unstable"] = True
                continue
            try:
                field = "sdk_expected" if "divergence" in case else "expected"
                case[field] = expectation(results[0])
            except AssertionError as e:
                failures += 1
                print(f"UNUSABLE {case['name']}: {e}", file=sys.stderr)
                case["unusable"] = True
            continue
        problem = compare(case)
        if problem:
            failures += 1
            print(f"DIFF {case['name']}: {problem}", file=sys.stderr)
    if emit:
        emit.write_text(
            json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    print(f"python: {driven} driven, {failures} differ/unstable", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
