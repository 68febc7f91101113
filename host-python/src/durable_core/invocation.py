"""One invocation of a durable function, run by the core; this module is only its I/O.

The core (``invocation`` interface, guest/src/invocation/) owns the operation table, ids,
replay validation, the queue of updates and its batching, the checkpoint token, what a failed
service call means and the output. This host keeps: calling the user's functions, serializing
their values, the transport, the clock, and turning the core's answers into Python control flow
(a return, a raised error, or unwinding the handler).

    engine = Engine(event, transport, profile="python")
    value = engine.step(0, "charge", lambda attempt: charge(), serdes=JSON)
    output = engine.finish_return(json.dumps(value))

Thread-safe: operations may be called from several threads (concurrent branches); the core
serializes its state behind the runtime lock and one service call is in flight at a time.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from . import retry
from ._runtime import runtime
from ._types import Profile, parse_profile
from .classify import failure_report
from .errors import wrong_type
from .step import ErrorObject, Failure, _raise_core_error

_PUMP_LIMIT = 1_000_000  # service calls per pump; a service that never stops answering is a fault
_UNREADABLE = '{"call":"io-done","unreadable":true}'


def _request_encoder(allow_nan: bool = True) -> Callable[[dict[str, Any]], str]:
    """``json.dumps`` for the core's requests (small dicts of the host's own values), made and
    read on every operation: ``json.dumps`` builds its C encoder on each call, which is half its
    cost. Same text; plain ``json.dumps`` where CPython's accelerator is missing."""
    make = json.encoder.c_make_encoder  # type: ignore[attr-defined]
    if make is None:
        return lambda request: json.dumps(request, allow_nan=allow_nan)
    encode = make(
        {},  # markers: circular references raise as in json.dumps
        json.JSONEncoder().default,
        json.encoder.encode_basestring_ascii,  # type: ignore[attr-defined]
        None,
        ": ",
        ", ",
        False,
        False,
        allow_nan,
    )
    return lambda request: "".join(encode(request, 0))


_encode_request = _request_encoder()
# A service's answer, where NaN or Infinity (not JSON) make it unreadable rather than malformed.
_encode_body = _request_encoder(allow_nan=False)
# The core's answers are compact JSON objects it wrote itself: read by the scanner json.loads
# wraps, without its encoding detection and checks (under half the cost).
_scan_answer = json.JSONDecoder().scan_once


def _read_answer(text: str | bytes) -> dict[str, Any]:
    try:
        answer, _ = _scan_answer(text.decode() if isinstance(text, bytes) else text, 0)
    except (StopIteration, ValueError):  # the scanner's "nothing here", or broken JSON
        answer = None
    if not isinstance(answer, dict):
        shown = text[:200]
        raise RuntimeError(f"durable-core answered something that is not a JSON object: {shown!r}")
    return answer


class Transport(Protocol):
    """CheckpointDurableExecution and GetDurableExecutionState, answering the response body as
    the service's JSON shape (timestamps as epoch milliseconds). Failures are raised as the
    client raises them; a 200 whose body is not JSON raises ``UnreadableResponse``."""

    def checkpoint(
        self, execution_arn: str, checkpoint_token: str, updates: list[dict[str, Any]]
    ) -> Mapping[str, Any]: ...

    def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str, max_items: int
    ) -> Mapping[str, Any]: ...


class UnreadableResponse(Exception):
    """The service answered 200 with a body that is not JSON."""


class Suspended(BaseException):
    """Unwinds the handler: an operation cannot complete in this invocation. A BaseException,
    so that a user's ``except Exception`` does not swallow it (the SDK does the same)."""


class Stopped(BaseException):
    """Unwinds the handler: the invocation is over (a failed service call, a non-deterministic
    replay, an update the service would reject). The output says which."""


class InvocationFailed(Exception):
    """The invocation fails so that Lambda retries it (``rule`` says why, e.g. throttled)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


class OperationError(Exception):
    """An operation failed, now or in an earlier invocation; raised into the user's code.
    ``error_class`` is the SDK class the profile raises (StepError, ChildContextError, ...)."""

    def __init__(self, error_class: str, error: ErrorObject) -> None:
        super().__init__(error.message)
        self.error_class = error_class
        self.error = error
        self.error_type = error.error_type
        self.message = error.message
        self.data = error.data
        self.stack_trace = error.stack_trace


@dataclass(frozen=True)
class SerDes:
    """How a value becomes the payload string and back (None means no payload)."""

    serialize: Callable[[Any], str | None]
    deserialize: Callable[[str], Any]


JSON = SerDes(json.dumps, json.loads)
PASS_THROUGH_SERDES = SerDes(lambda value: value, lambda text: text)
"""The value is already the payload string (tests, benchmarks, hosts that serialize themselves)."""


class Engine:
    """One invocation: the core's handle plus the host's I/O."""

    def __init__(
        self,
        envelope: Mapping[str, Any],
        transport: Transport,
        *,
        profile: Profile | str = Profile.UNIFIED,
        clock: Callable[[], float] = time.time,
        random: Callable[[], float] | None = None,
        idle_flush_seconds: float | None = 0.1,
    ) -> None:
        """``idle_flush_seconds``: while a step runs, updates that nothing waits for (an
        at-least-once START) are sent after this long, as the Python SDK's batcher does, so a
        long or crashing step leaves its START behind; None sends them only with the next
        update that is waited for (deterministic, for tests)."""
        if not isinstance(envelope, Mapping):
            raise wrong_type("envelope", envelope, "the durable invocation input (a mapping)")
        for method in ("checkpoint", "get_state"):
            if not callable(getattr(transport, method, None)):
                raise wrong_type("transport", transport, f"a Transport (no {method})")
        self.profile = parse_profile(profile)
        self._transport = transport
        self._clock = clock
        self._random = random
        self._held: dict[int, str] = {}
        self._io = threading.RLock()
        self._idle_flush = idle_flush_seconds
        self._timer: threading.Timer | None = None
        self._rt = runtime()
        try:
            request = json.dumps({"profile": self.profile.value, "envelope": envelope})
        except (TypeError, ValueError) as err:
            raise wrong_type("envelope", envelope, f"JSON values ({err})") from None
        with self._rt.lock:
            self._generation = self._rt.generation
            opened = _read_answer(
                self._rt.call_flat("invocation#open", ("string",), "string", request.encode())
            )
        if "error" in opened:
            _raise_core_error(opened["error"])
        self._handle: int = opened["handle"]
        self._closed = False
        self._persisted = 0
        self.arn: str = envelope["DurableExecutionArn"]
        info = opened["info"]
        if info["loading"]:
            self.pump()
            info = self._call({"call": "input"})
        self.input_text: str = info["input"]
        self.replaying: bool = info["replaying"]
        self.stopped: bool = info["stopped"]
        """The invocation ended before its handler could run (a failed state fetch)."""

    # --- the core -----------------------------------------------------------------------

    def _call(self, request: dict[str, Any] | str, payload: str | None = None) -> dict[str, Any]:
        """``request``: the call as a dict, or as JSON text already (see ``_perform``)."""
        if isinstance(request, str):
            text = request.encode()
        else:
            if payload is not None:
                request["payload"] = True
            text = _encode_request(request).encode()
        data = b"" if payload is None else payload.encode("utf-8", "surrogatepass")
        with self._rt.lock:
            answer = _read_answer(
                self._rt.call_flat(
                    "invocation#call",
                    ("u32", "string", "string"),
                    "string",
                    self._handle,
                    text,
                    data,
                )
            )
        if "error" in answer and "kind" not in answer:
            _raise_core_error(answer["error"])
        return answer

    def close(self) -> None:
        """Releases the core's state of this invocation; later calls are no-ops."""
        if getattr(self, "_closed", True):  # closed, or __init__ never opened it
            return
        self._closed = True
        with self._rt.lock:
            if self._rt.generation == self._generation:
                self._rt.call_flat("invocation#close", ("u32",), "u32", self._handle)

    def __del__(self) -> None:
        if sys.is_finalizing():  # the process is ending: nothing to release, and the runtime
            return  # may already be gone
        try:
            self.close()
        except Exception:  # a finalizer never raises
            pass

    def replaying_in(self, context: int) -> bool:
        """True while the context's next operation is checkpointed (its code is replaying)."""
        return bool(self._call({"call": "replaying", "context": context})["replaying"])

    def now_ms(self) -> float:
        return self._clock() * 1000.0

    def _draw(self) -> float:
        if self._random is not None:
            return self._random()
        import random as _random

        return _random.random()

    # --- service calls --------------------------------------------------------------------

    def pump(self, target: int | None = None) -> None:
        """Make the service calls the core asks for until ``target`` is stored (None: until
        nothing is due). One call at a time, whichever thread pumps."""
        if target is not None and self._persisted >= target:
            return
        request: dict[str, Any] = {"call": "next-io"}
        if target is not None:
            request["until"] = target
        with self._io:
            for _ in range(_PUMP_LIMIT):
                io = self._call(request)
                self._persisted = io["persisted"]
                if io["io"] is None:
                    return
                done = self._call(self._perform(io))
                self._persisted = done["persisted"]
                if done["stopped"] or (target is not None and self._persisted >= target):
                    return
            raise RuntimeError("the service calls never ended")

    def _perform(self, io: dict[str, Any]) -> dict[str, Any] | str:
        """The io-done request for ``io``'s service call (JSON text already for a body)."""
        try:
            if io["io"] == "get-state":
                body = self._transport.get_state(
                    io["arn"], io["token"], io["marker"], io["max_items"]
                )
            else:
                updates = io["updates"]
                for index, seq in io["held"]:
                    updates[index]["Payload"] = self._held.pop(seq)
                body = self._transport.checkpoint(io["arn"], io["token"], updates)
        except UnreadableResponse:
            return _UNREADABLE
        except Exception as err:  # every transport failure is classified by the core
            # A transport may describe its own failures (failure_report's fields and text).
            describe = getattr(self._transport, "describe_failure", None) or failure_report
            return {"call": "io-done", "failure": describe(err)}
        if not isinstance(body, Mapping):
            return _UNREADABLE
        # A body JSON cannot carry (a datetime, a cycle) is as unreadable as one that is not JSON.
        try:
            return '{"call":"io-done","ok":' + _encode_body(dict(body)) + "}"
        except (TypeError, ValueError, RecursionError):
            return _UNREADABLE

    def _drawing(self, request: dict[str, Any], payload: str | None = None) -> dict[str, Any]:
        """A call whose retry decision may need the host's draw: drawn only when the core asks
        (a jittered retry), so the random source is used exactly as often as the SDK uses it."""
        answer = self._call(request, payload)
        if answer["kind"] == "need-random":
            request["random"] = self._draw()
            answer = self._call(request, payload)
        return answer

    def _flush_later(self) -> None:
        """Send what nothing waits for once the user's code has run for a while."""
        if self._idle_flush is None or self._timer is not None:
            return

        def flush() -> None:
            self._timer = None
            try:
                self.pump()
            except Exception:  # the next waited-for update or finish reports the failure
                pass

        self._timer = threading.Timer(self._idle_flush, flush)
        self._timer.daemon = True
        self._timer.start()

    def _settle(self, answer: dict[str, Any], held: str | None = None) -> dict[str, Any]:
        """Keep a held payload, then pump to the answer's ``sync``."""
        if held is not None and answer.get("held") is not None:
            self._held[answer["held"]] = held
        sync = answer.get("sync")
        if sync is not None:
            self.pump(sync)
            # Not stored: the call failed and the invocation stopped. The caller must not see
            # its value as kept (another thread may have pumped, so check what was stored).
            if self._persisted < sync:
                raise Stopped()
        return answer

    # --- operations -------------------------------------------------------------------------

    def step(
        self,
        context: int,
        name: str | None,
        fn: Callable[[int], Any],
        *,
        serdes: SerDes = JSON,
        semantics: str = "AT_LEAST_ONCE_PER_RETRY",
        strategy: retry.Strategy | None = None,
        retry_spec: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run a step: ``fn(attempt)`` runs only when the core says so."""
        request: dict[str, Any] = {
            "call": "step",
            "context": context,
            "name": name,
            "semantics": semantics,
            "now_ms": self.now_ms(),
        }
        if retry_spec is not None:
            request["retry"] = dict(retry_spec)
        if strategy is not None:
            with self._rt.lock:
                request["strategy"] = strategy._registered(self._rt)
                answer = self._drawing(request)
        else:
            answer = self._drawing(request)
        while answer["kind"] == "execute":
            self._settle(answer)
            self._flush_later()
            op = answer["op"]
            done: dict[str, Any] = {"call": "step-done", "op": op, "now_ms": 0.0}
            try:
                value = fn(answer["attempt"])
            except Exception as err:
                done["now_ms"] = self.now_ms()
                answer = self._drawing({**done, "outcome": failure_of(err)})
                if answer["kind"] == "propagate":
                    raise
                continue
            payload = serdes.serialize(value)
            done["now_ms"] = self.now_ms()
            answer = self._settle(
                self._call({**done, "outcome": {"success": {}}}, payload), payload
            )
            if answer["kind"] == "done":
                # Round-tripped, so the first run returns exactly what a replay would.
                return None if payload is None else serdes.deserialize(payload)
        return self._final(answer, serdes)

    def wait(self, context: int, name: str | None, seconds: int | float) -> None:
        answer = self._call(
            {
                "call": "wait",
                "context": context,
                "name": name,
                "seconds": seconds,
                "now_ms": self.now_ms(),
            }
        )
        self._final(answer, JSON)

    def child(
        self,
        context: int,
        name: str | None,
        fn: Callable[[int], Any],
        *,
        serdes: SerDes = JSON,
    ) -> Any:
        """Run ``fn(child_context)`` as a child context (replayed from its checkpoint when done)."""
        answer = self._call(
            {"call": "child", "context": context, "name": name, "now_ms": self.now_ms()}
        )
        if answer["kind"] != "child":
            return self._final(answer, serdes)
        op = answer["op"]
        try:
            value = fn(answer["context"])
        except (Suspended, Stopped):
            raise
        except Exception as err:
            answer = self._call({"call": "child-done", "op": op, "outcome": escaped(err)})
            if answer["kind"] == "propagate":
                raise
            return self._final(answer, serdes)
        payload = serdes.serialize(value)
        answer = self._settle(
            self._call({"call": "child-done", "op": op, "outcome": {"success": {}}}, payload),
            payload,
        )
        if answer["kind"] == "done":
            return None if payload is None else serdes.deserialize(payload)
        return self._final(answer, serdes)

    def _final(self, answer: dict[str, Any], serdes: SerDes) -> Any:
        kind = answer["kind"]
        self._settle(answer)
        if kind == "replay":
            payload = answer["payload"]
            return None if payload is None else serdes.deserialize(payload)
        if kind == "done":
            return None
        if kind == "raise":
            raise OperationError(answer["error_class"], ErrorObject.from_wire(answer["error"]))
        if kind == "suspend":
            raise Suspended()
        if kind == "stop":
            raise Stopped()
        raise RuntimeError(f"durable-core answered with an unexpected kind {kind!r}")

    # --- the end ------------------------------------------------------------------------------

    def finish_return(self, result: str | None) -> dict[str, Any]:
        """The handler returned ``result`` (serialized; None: no result)."""
        return self._finish({"outcome": "return"}, result)

    def finish_throw(self, error: BaseException) -> dict[str, Any]:
        outcome = escaped(error)
        if "raised" in outcome:
            return self._finish({"outcome": "throw", "raised": outcome["raised"]}, None)
        return self._finish({"outcome": "throw", "error": outcome["failure"]}, None)

    def finish_suspend(self) -> dict[str, Any]:
        return self._finish({"outcome": "suspend"}, None)

    def finish_stopped(self) -> dict[str, Any]:
        return self._finish({"outcome": "stopped"}, None)

    def _finish(self, request: dict[str, Any], result: str | None) -> dict[str, Any]:
        timer = self._timer
        if timer is not None:
            timer.cancel()
        done = self._call({"call": "finish", "now_ms": self.now_ms(), **request}, result)
        if done.get("held") is not None and result is not None:
            self._held[done["held"]] = result
        if done.get("sync") is not None:
            self.pump(done["sync"])
        out = self._call({"call": "output"})
        self.close()
        if "invocation_error" in out:
            error = out["invocation_error"]
            raise InvocationFailed(error["rule"], error["message"])
        output = out["output"]
        if out["result_held"]:
            output["Result"] = result
        return output


def escaped(error: BaseException) -> dict[str, Any]:
    """What escaped a handler or a child: an operation error the core raised (the core records
    it as the profile's SDK records its own error class), or the user's error."""
    if isinstance(error, OperationError):
        return {"raised": {"error_class": error.error_class, "error": error.error.to_wire()}}
    return failure_of(error)


def failure_of(error: BaseException) -> dict[str, Any]:
    """The one error adapter: a raised exception as the core's ``outcome.failure``."""
    if isinstance(error, OperationError):
        failure = Failure(
            error_type=error.error_type,
            error_types=(error.error_class, "DurableOperationError", "Exception"),
            message=error.message,
            data=error.data,
            stack_trace=None if error.stack_trace is None else tuple(error.stack_trace),
        )
        return failure._json()
    return Failure.from_exception(error)._json()
