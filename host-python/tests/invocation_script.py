"""Suite ``invocation`` on the Python host: a scripted handler and a scripted service, run by
``durable_core.invocation.Engine`` exactly as a real handler and transport would drive it.

The script's operations become ``Engine.step``/``wait``/``child`` calls; its service answers
become a ``Transport``. Updates are recorded as the profile's transport serializes them
(json.dumps compact and ASCII-escaped for python, raw UTF-8 for ts/unified). Concurrent
branches run one after the other, each to completion or suspension, as the other runners do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from durable_core.errors import InvalidInputError
from durable_core.invocation import (
    Engine,
    InvocationFailed,
    OperationError,
    SerDes,
    Stopped,
    Suspended,
    UnreadableResponse,
    failure_of,
)

DEFAULT_NOW_MS = 1_700_000_000_000
# The category is what an SDK shows; the rule (InvocationFailed.rule) is durable-core's name for
# it, given when the core stopped the invocation (a rejected envelope has none).
INVOCATION = {"category": "INVOCATION"}
PASS_THROUGH = SerDes(lambda v: v, lambda s: s)


class ScriptedError(Exception):
    """A user error of the script's ``type`` (the class chain is the script's ``types``)."""


OPERATIONS = {"checkpoint": "CheckpointDurableExecution", "get-state": "GetDurableExecutionState"}
RETRIED = {429, 500, 502, 503, 504}


class ServiceFailure(Exception):
    """A failed call as the profile's client reports it: botocore's ClientError for python (a
    body without a code gets the status as its code; text "An error occurred (...)", the client
    configured with no retries of its own), the AWS SDK v3 error for ts/unified (no body: name
    and message "UnknownError"); no status is a connection error."""

    def __init__(self, fail: Mapping[str, Any], api: str, python: bool) -> None:
        status, code, message = fail.get("status"), fail.get("code"), fail.get("message")
        if status is None:
            super().__init__(message or "connection reset")
            return
        if python:
            code = code or str(status)
            message = message or ""
            # botocore's default client retries throttling and 5xx twice before it raises.
            retried = " (reached max retries: 2)" if status in RETRIED else ""
            text = (
                f"An error occurred ({code}) when calling the {OPERATIONS[api]} operation"
                f"{retried}: {message}"
            )
        else:
            code = code or "UnknownError"
            message = message or "UnknownError"
            text = message
        super().__init__(text)
        self.response = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }


class ScriptedService:
    def __init__(self, answers: list[Any], python: bool) -> None:
        self.answers = answers
        self.python = python
        self.calls: list[dict[str, Any]] = []

    def _answer(self, api: str) -> Any:
        answer = self.answers[len(self.calls)] if len(self.calls) < len(self.answers) else {}
        if isinstance(answer, Mapping) and answer.get("api") not in (None, api):
            raise AssertionError(
                f"service answer {len(self.calls) + 1} is for {answer['api']}, the call was {api}"
            )
        return answer or {}

    def _render(self, update: Mapping[str, Any]) -> str:
        return json.dumps(update, separators=(",", ":"), ensure_ascii=self.python)

    def checkpoint(self, arn: str, token: str, updates: list[dict[str, Any]]) -> Mapping[str, Any]:
        answer = self._answer("checkpoint")
        self.calls.append(
            {"api": "checkpoint", "token": token, "updates": [self._render(u) for u in updates]}
        )
        return self._respond(
            answer,
            "checkpoint",
            lambda ok: {
                "CheckpointToken": ok.get("token", f"token-{len(self.calls)}"),
                "NewExecutionState": {"Operations": ok.get("operations", [])},
            },
        )

    def get_state(self, arn: str, token: str, marker: str, max_items: int) -> Mapping[str, Any]:
        answer = self._answer("get-state")
        self.calls.append({"api": "get-state", "token": token, "marker": marker})
        page = answer.get("page", {})
        return self._respond(
            answer,
            "get-state",
            lambda _: {
                "Operations": page.get("operations", []),
                "NextMarker": page.get("next_marker"),
            },
        )

    def _respond(self, answer: Mapping[str, Any], api: str, ok: Any) -> Mapping[str, Any]:
        if "fail" in answer:
            raise ServiceFailure(answer["fail"], api, self.python)
        if answer.get("unreadable"):
            raise UnreadableResponse()
        if answer.get("no_token"):
            return {}
        return ok(answer.get("ok", {}))


def run(case_input: dict[str, Any]) -> dict[str, Any]:
    profile = case_input.get("profile", "unified")
    python = profile == "python"
    now_ms = case_input.get("now_ms", DEFAULT_NOW_MS)
    draw = case_input.get("random", 0.5)
    service = ScriptedService(list(case_input.get("service", [])), python)
    try:
        engine = Engine(
            case_input.get("envelope"),
            service,
            profile=profile,
            clock=lambda: now_ms / 1000.0,
            random=lambda: draw,
            idle_flush_seconds=None,  # the calls the SDK makes for functions that return at once
        )
    except InvocationFailed as failed:
        failure = invocation_error(failed)
        return {"calls": service.calls, "output": None, "invocation_error": failure}
    except InvalidInputError:  # a rejected envelope fails the invocation too
        return {"calls": service.calls, "output": None, "invocation_error": INVOCATION}
    script = Script(engine)
    try:
        try:
            if engine.stopped:
                raise Stopped()
            result = script.block(case_input.get("handler", []), 0)
        except Suspended:
            output = engine.finish_suspend()
        except Stopped:
            output = engine.finish_stopped()
        except Exception as err:
            output = engine.finish_throw(err)
        else:
            value = result[0] if result else None
            if result is None and python:
                value = "null"  # json.dumps(None): Python returns None as "null"
            output = engine.finish_return(value)
    except InvocationFailed as failed:
        failure = invocation_error(failed)
        return {"calls": service.calls, "output": None, "invocation_error": failure}
    return {"calls": service.calls, "output": output}


def invocation_error(failed: InvocationFailed) -> dict[str, Any]:
    return {**INVOCATION, "rule": failed.rule}


class Script:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.python = engine.profile.value == "python"

    def serialized(self, text: str | None) -> str | None:
        """A handler's return value (the script gives it as JSON text) as the profile's SDK
        serializes it: json.dumps for python, JSON.stringify otherwise."""
        if text is None:
            return None
        value = json.loads(text)
        if self.python:
            return json.dumps(value)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def block(self, statements: list[Any], context: int) -> tuple[str | None] | None:
        for statement in statements:
            returned = self.statement(statement, context)
            if returned is not None:
                return returned
        return None

    def statement(self, s: Mapping[str, Any], context: int) -> tuple[str | None] | None:
        engine = self.engine
        if "step" in s:
            spec = s["step"]
            attempts = spec.get("attempts", [])

            def fn(attempt: int) -> Any:
                outcome = (
                    attempts[min(attempt, len(attempts)) - 1] if attempts else {"payload": None}
                )
                if "throw" in outcome:
                    raise scripted_error(outcome["throw"])
                return outcome.get("payload")

            retry = spec.get("retry")
            if retry is not None and isinstance(retry.get("preset"), str):
                retry = {"preset": {"name": retry["preset"]}}
            semantics = (
                "AT_MOST_ONCE_PER_RETRY"
                if spec.get("semantics") == "at-most-once"
                else "AT_LEAST_ONCE_PER_RETRY"
            )
            return self._caught(
                spec,
                lambda: engine.step(
                    context,
                    spec.get("name"),
                    fn,
                    serdes=PASS_THROUGH,
                    semantics=semantics,
                    retry_spec=retry,
                ),
            )
        if "wait" in s:
            spec = s["wait"]
            return self._caught(
                spec, lambda: engine.wait(context, spec.get("name"), spec.get("seconds"))
            )
        if "child" in s:
            spec = s["child"]

            def body(inner: int) -> Any:
                result = self.block(spec.get("handler", []), inner)
                return None if result is None else result[0]

            return self._caught(
                spec, lambda: engine.child(context, spec.get("name"), body, serdes=PASS_THROUGH)
            )
        if "concurrent" in s:
            single = single_operations(s["concurrent"])
            if single is not None:
                return self.concurrently(single, context)
            suspended = False
            for branch in s["concurrent"]:
                try:
                    self.block(branch, context)
                except Suspended:
                    suspended = True
            if suspended:
                raise Suspended()
            return None
        if "return" in s:
            return (self.serialized(s["return"]),)
        if "throw" in s:
            raise scripted_error(s["throw"])
        raise ValueError(f"handler: unknown statement {s!r}")

    def concurrently(self, branches: list[Mapping[str, Any]], context: int) -> None:
        """Branches of one step or wait each, run concurrently as each SDK's users run them. JS
        (``Promise.all``): every branch reaches its operation in the same turn (the START
        updates queue), a function that throws settles a turn before one that returns (a result
        is serialized first). Python (threads, as the SDK's evidence fixes their interleaving):
        each branch runs until it waits for its update to be stored, then the next. Either way
        the queue goes out once every branch waits, in one batch (cut at the limits), and the
        branches settle in order."""
        engine = self.engine
        finals: list[tuple[int, dict[str, Any]]] = []
        running: list[tuple[int, dict[str, Any], Mapping[str, Any]]] = []
        for i, s in enumerate(branches):
            if "wait" in s:
                spec = s["wait"]
                request = {
                    "call": "wait",
                    "context": context,
                    "name": spec.get("name"),
                    "seconds": spec.get("seconds"),
                    "now_ms": engine.now_ms(),
                }
                finals.append((i, engine._call(request)))
                continue
            spec = s["step"]
            request = {"call": "step", "context": context, "name": spec.get("name")}
            request["now_ms"] = engine.now_ms()
            retry = spec.get("retry")
            if retry is not None:
                preset = retry.get("preset")
                named = isinstance(preset, str)
                request["retry"] = {"preset": {"name": preset}} if named else retry
            answer = engine._drawing(request)
            if answer["kind"] == "execute" and answer.get("sync") is None:
                running.append((i, answer, spec))
                if self.python:
                    self._finish_attempts(running, finals)
            else:
                finals.append((i, answer))
        self._finish_attempts(running, finals)
        finals.sort(key=lambda f: f[0])
        syncs = [a["sync"] for _, a in finals if a.get("sync") is not None]
        if syncs:
            engine.pump(max(syncs))
        suspended, thrown = False, None
        for _, answer in finals:
            try:
                engine._final(answer, PASS_THROUGH)
            except Suspended:
                suspended = True
            except OperationError as error:
                thrown = thrown or error
        if thrown is not None:
            raise thrown
        if suspended:
            raise Suspended()

    def _finish_attempts(
        self,
        running: list[tuple[int, dict[str, Any], Mapping[str, Any]]],
        finals: list[tuple[int, dict[str, Any]]],
    ) -> None:
        """Runs the first attempt of each running step (failures first, then results)."""
        engine = self.engine

        def first_outcome(spec: Mapping[str, Any]) -> Mapping[str, Any]:
            return (spec.get("attempts") or [{"payload": None}])[0]

        running.sort(key=lambda r: ("throw" not in first_outcome(r[2]), r[0]))
        for i, answer, spec in running:
            outcome = first_outcome(spec)
            done = {"call": "step-done", "op": answer["op"], "now_ms": engine.now_ms()}
            if "throw" in outcome:
                error = scripted_error(outcome["throw"])
                result = engine._drawing({**done, "outcome": failure_of(error)})
            else:
                payload = outcome.get("payload")
                result = engine._call({**done, "outcome": {"success": {}}}, payload)
                if payload is not None and result.get("held") is not None:
                    engine._held[result["held"]] = payload
            if result["kind"] == "execute":
                raise RuntimeError("concurrently: a retried attempt is not modelled")
            finals.append((i, result))
        running.clear()

    @staticmethod
    def _caught(spec: Mapping[str, Any], run: Any) -> None:
        try:
            run()
        except OperationError:
            if not spec.get("catch"):
                raise
        return None


def single_operations(branches: list[Any]) -> list[Mapping[str, Any]] | None:
    """Each branch's only statement when every branch is one step (first attempt only, no
    catch, at-least-once) or one wait: the shapes ``concurrently`` models."""
    single = []
    for branch in branches:
        if len(branch) != 1:
            return None
        s = branch[0]
        step = s.get("step")
        if "wait" in s or (step is not None and "catch" not in step and "semantics" not in step):
            single.append(s)
        else:
            return None
    return single


def scripted_error(thrown: Mapping[str, Any]) -> Exception:
    """An exception whose class is named like the script's ``type`` (its chain: ``types``)."""
    name = thrown.get("type") or "Exception"
    chain = thrown.get("types") or [name]
    # "module.Name" is a class of that module (Python's ErrorType qualifies it); bare is builtin.
    module, _, qualname = name.rpartition(".")
    attributes = {"__module__": module or "builtins", "__qualname__": qualname}
    cls = type(qualname, (ScriptedError,), attributes)
    err = cls(thrown.get("message", ""))
    err.script_types = chain  # type: ignore[attr-defined]
    return err
