"""One step call as the core decides it: replay or execute, the exact updates, retry or fail.

The rules live in the component (interface ``step``); this module builds the request, makes
ONE component call per phase and turns the answer into Python values. It does no I/O: the
caller sends the updates and runs the user function (``durable_core.run_step`` does both).

    from durable_core import step
    call = step.StepCall(id=step.operation_id("python", None, 1).id, name="charge",
                         profile="python")
    plan = step.begin(call, None, now_ms=time.time() * 1000)
    # plan.action == Execute(attempt=1, send_start=True, await_start=False)
    plan = step.complete(call, 1, step.Success('"ok"'), now_ms=time.time() * 1000)
    # plan.updates == ['{"Id":...,"Action":"SUCCEED",...,"Payload":"\\"ok\\""}']
"""

from __future__ import annotations

import json
import math
import random as _random
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, ClassVar

from . import retry
from ._runtime import runtime
from ._types import Profile, parse_enum, parse_profile
from .errors import InvalidInputError, invalid, wrong_type

_SDK_EXCEPTIONS = "aws_durable_execution_sdk_python.exceptions"
_U32_MAX = 0xFFFFFFFF
# The operation fields the core reads (guest/src/step/wire.rs); anything else is left out of
# the request, so service records with datetimes or unknown details pass through unchanged.
_OPERATION_FIELDS = ("Type", "Name", "SubType", "ParentId", "Status")
_STEP_DETAIL_FIELDS = ("Attempt", "NextAttemptTimestamp", "Result", "Error")


class Semantics(StrEnum):
    """How often the user function may run per retry."""

    AT_LEAST_ONCE_PER_RETRY = "AT_LEAST_ONCE_PER_RETRY"
    """The default: START is not awaited; an interrupted attempt runs again."""
    AT_MOST_ONCE_PER_RETRY = "AT_MOST_ONCE_PER_RETRY"
    """START is awaited before running; an interrupted attempt is retried or failed unrun."""


class ActionKind(StrEnum):
    """What the host does next (the core's ``action.kind``)."""

    EXECUTE = "execute"
    RETURN = "return"
    RAISE = "raise"
    SUSPEND = "suspend"
    NON_DETERMINISTIC = "non-deterministic"
    PROPAGATE = "propagate"
    FAIL_EXECUTION = "fail-execution"


@dataclass(frozen=True)
class StepCall:
    """The step being called, as both SDKs identify it."""

    id: str
    """The wire ``Id`` (already hashed: see ``operation_id``)."""
    name: str | None = None
    parent_id: str | None = None
    semantics: Semantics | str = Semantics.AT_LEAST_ONCE_PER_RETRY
    """A ``Semantics``, its value, or the SDK's ``StepSemantics``."""
    profile: Profile | str = Profile.UNIFIED

    def __post_init__(self) -> None:
        if not isinstance(self.id, str):
            raise wrong_type("id", self.id, "str")
        for field in ("name", "parent_id"):
            value = getattr(self, field)
            if value is not None and not isinstance(value, str):
                raise wrong_type(field, value, "str or None")
        semantics = self.semantics
        if isinstance(semantics, Enum) and not isinstance(semantics, Semantics):
            semantics = semantics.value  # the SDK's StepSemantics has the same values
        object.__setattr__(self, "semantics", parse_enum(Semantics, "semantics", semantics))
        object.__setattr__(self, "profile", parse_profile(self.profile))

    def _request(self) -> dict[str, Any]:
        return {
            "profile": self.profile.value,  # type: ignore[union-attr]
            "id": self.id,
            "parent_id": self.parent_id,
            "name": self.name,
            "semantics": self.semantics.value,  # type: ignore[union-attr]
        }


@dataclass(frozen=True)
class ErrorObject:
    """The service's ``{ErrorType, ErrorMessage, ErrorData, StackTrace}``."""

    error_type: str | None = None
    message: str | None = None
    data: str | None = None
    stack_trace: tuple[str, ...] | None = None

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any] | None) -> ErrorObject:
        wire = wire or {}
        trace = wire.get("StackTrace")
        return cls(
            error_type=wire.get("ErrorType"),
            message=wire.get("ErrorMessage"),
            data=wire.get("ErrorData"),
            stack_trace=None if trace is None else tuple(trace),
        )

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {}
        for key, value in (
            ("ErrorType", self.error_type),
            ("ErrorMessage", self.message),
            ("ErrorData", self.data),
        ):
            if value is not None:
                wire[key] = value
        if self.stack_trace is not None:
            wire["StackTrace"] = list(self.stack_trace)
        return wire


# Actions: what the host does next. ``kind`` mirrors the core's JSON.


@dataclass(frozen=True)
class Execute:
    """Run the user function as ``attempt`` (1-based). Send START first if ``send_start``, and
    wait until it is persisted before running if ``await_start`` (at-most-once)."""

    attempt: int
    send_start: bool
    await_start: bool
    kind: ClassVar[ActionKind] = ActionKind.EXECUTE


@dataclass(frozen=True)
class Return:
    """Return this serialized result (None: the SDK's "no payload")."""

    payload: str | None
    kind: ClassVar[ActionKind] = ActionKind.RETURN


@dataclass(frozen=True)
class Raise:
    """Raise the step's error; ``error_class`` is the SDK class (StepError, InvokeError...)."""

    error_class: str
    error: ErrorObject
    kind: ClassVar[ActionKind] = ActionKind.RAISE


@dataclass(frozen=True)
class Suspend:
    """End the invocation as PENDING; resume at ``until_ms`` (epoch ms; None: unknown)."""

    until_ms: float | None
    kind: ClassVar[ActionKind] = ActionKind.SUSPEND


@dataclass(frozen=True)
class NonDeterministic:
    """The checkpoint does not match this call: the code changed between invocations."""

    field: str
    expected: str | None
    actual: str | None
    kind: ClassVar[ActionKind] = ActionKind.NON_DETERMINISTIC


@dataclass(frozen=True)
class Propagate:
    """Let the user's error escape untouched (an unrecoverable error): no update was made."""

    kind: ClassVar[ActionKind] = ActionKind.PROPAGATE


@dataclass(frozen=True)
class FailExecution:
    """The update would be rejected permanently by the service (``rule``); it was not sent.
    The handler fails the execution with ``error``."""

    rule: str
    error: ErrorObject
    category: str = "EXECUTION"
    kind: ClassVar[ActionKind] = ActionKind.FAIL_EXECUTION


Action = Execute | Return | Raise | Suspend | NonDeterministic | Propagate | FailExecution


@dataclass(frozen=True)
class StepPlan:
    updates: list[str]
    """OperationUpdate JSON, exactly as the profile's SDK sends it; send them in order."""
    action: Action


# Outcomes of the user function, as ``complete`` takes them.


@dataclass(frozen=True)
class Success:
    payload: str | None
    """The serialized result (None: the serializer gave no payload)."""


@dataclass(frozen=True)
class Failure:
    """The error the user function raised, as the core needs to see it."""

    error_type: str | None = None
    """What the SDK records as ErrorType (Python: ``module.QualName``, builtins bare)."""
    error_types: tuple[str, ...] = ()
    """The class chain the retry filter matches, most specific first."""
    message: str | None = None
    data: str | None = None
    stack_trace: tuple[str, ...] | None = None
    unrecoverable: bool = False
    """The SDK's ExecutionError: escapes with no RETRY or FAIL update."""

    @classmethod
    def from_exception(cls, error: BaseException) -> Failure:
        """Describe ``error`` as aws-durable-execution-sdk-python's ``ErrorObject.from_exception``
        does: the qualified class name (builtins bare) and ``str(error)``; an SDK operation
        error keeps its own message, data and stack trace, and a serdes error records the base
        SerDesError type. Only the SDK's ExecutionError is unrecoverable."""
        if not isinstance(error, BaseException):
            raise wrong_type("error", error, "an exception")
        # A class may name itself as the SDK records it (durable_core.sdk's exceptions do).
        error_type = getattr(type(error), "wire_type", None) or retry._qualified(type(error))
        message: str | None = str(error)
        data = trace = None
        unrecoverable = getattr(type(error), "unrecoverable", False) is True
        # An SDK exception exists only if the SDK was imported, so no import is needed here.
        sdk = sys.modules.get(_SDK_EXCEPTIONS)
        if sdk is not None:
            serdes = getattr(sdk, "SerDesError", None)
            operation = getattr(sdk, "DurableOperationError", None)
            if (serdes and isinstance(error, serdes)) or (
                operation and isinstance(error, operation)
            ):
                if serdes and isinstance(error, serdes):
                    error_type = retry._qualified(serdes)
                message = getattr(error, "message", message)
                data = getattr(error, "data", None)
                trace = getattr(error, "stack_trace", None)
            execution_error = getattr(sdk, "ExecutionError", None)
            unrecoverable |= bool(execution_error and isinstance(error, execution_error))
        return cls(
            error_type=error_type,
            error_types=tuple(retry.exception_type_names(type(error))),
            message=message,
            data=data,
            stack_trace=None if trace is None else tuple(trace),
            unrecoverable=unrecoverable,
        )

    def _json(self) -> dict[str, Any]:
        return {
            "failure": {
                "error_type": self.error_type,
                # Absent: the core takes [error_type]; an empty chain would match no type filter.
                "error_types": list(self.error_types) if self.error_types else None,
                "message": self.message,
                "data": self.data,
                "stack_trace": None if self.stack_trace is None else list(self.stack_trace),
                "unrecoverable": self.unrecoverable,
            }
        }


@dataclass(frozen=True)
class OperationId:
    step_id: str
    """What the next level uses as its ``parent`` (ts: unhashed ``1-2``; python: hashed)."""
    id: str
    """The wire ``Id``."""


def operation_id(profile: Profile | str, parent: str | None, counter: int) -> OperationId:
    """The id of the ``counter``-th operation (1-based) of a context; ``parent`` is the parent
    context's ``step_id`` (None at the root)."""
    profile = parse_profile(profile)
    if parent is not None and not isinstance(parent, str):
        raise wrong_type("parent", parent, "str or None")
    if type(counter) is not int:
        raise wrong_type("counter", counter, "int")
    if not 0 <= counter <= _U32_MAX:
        raise invalid("counter", counter, "a whole number 1..4294967295", kind="out-of-range")
    if parent is not None and not retry._is_unicode(parent):
        # Encoding would replace it, and not the way the Node host's encoder does.
        raise invalid("parent", parent, "text without lone surrogates")
    result = runtime().call("step#operation-id", profile.value, parent, counter)
    derived = retry._unwrap(result)
    fields = vars(derived)
    return OperationId(step_id=fields["step-id"], id=fields["id"])


def begin(
    call: StepCall,
    operation: Mapping[str, Any] | None,
    *,
    now_ms: float,
    strategy: retry.Strategy | None = None,
    random: float | None = None,
) -> StepPlan:
    """Decide what this step call does, given its checkpointed Operation (service shape, as
    GetDurableExecutionState or the invocation input returns it; None on the first run).
    ``strategy`` is used for an interrupted at-most-once step (None: the ``default`` preset)."""
    request = _base_request(call, now_ms, random)
    request["operation"] = None if operation is None else _operation_json(operation)
    return _plan(_call("step#begin", request, strategy))


def complete(
    call: StepCall,
    attempt: int,
    outcome: Success | Failure | BaseException,
    *,
    now_ms: float,
    strategy: retry.Strategy | None = None,
    random: float | None = None,
) -> StepPlan:
    """Turn attempt ``attempt``'s outcome into the updates to send and the next action. An
    exception is described with ``Failure.from_exception``."""
    if isinstance(outcome, BaseException):
        outcome = Failure.from_exception(outcome)
    request = _base_request(call, now_ms, random)
    if type(attempt) is not int:
        raise wrong_type("attempt", attempt, "int")
    request["attempt"] = _json_number("attempt", attempt)
    if isinstance(outcome, Success):
        if outcome.payload is not None and not isinstance(outcome.payload, str):
            raise wrong_type("payload", outcome.payload, "str or None")
        request["outcome"] = {"success": {"payload": outcome.payload}}
    elif isinstance(outcome, Failure):
        request["outcome"] = outcome._json()
    else:
        raise wrong_type("outcome", outcome, "Success, Failure or an exception")
    return _plan(_call("step#complete", request, strategy))


def begin_json(
    request: Mapping[str, Any] | str, *, strategy: retry.Strategy | None = None
) -> dict[str, Any]:
    """``step#begin`` in the core's own JSON contract (guest/src/step/api.rs): the request as a
    dict (or verbatim text) in, the response dict out (``updates`` stay JSON strings).
    The core's ``error`` response raises ``InvalidInputError`` naming the field."""
    return _checked(_call("step#begin", request, strategy))


def complete_json(
    request: Mapping[str, Any] | str, *, strategy: retry.Strategy | None = None
) -> dict[str, Any]:
    """``step#complete`` in the core's own JSON contract; see ``begin_json``."""
    return _checked(_call("step#complete", request, strategy))


def _base_request(call: StepCall, now_ms: float, draw: float | None) -> dict[str, Any]:
    if not isinstance(call, StepCall):
        raise wrong_type("call", call, "StepCall")
    if isinstance(now_ms, bool) or not isinstance(now_ms, int | float):
        raise wrong_type("now_ms", now_ms, "epoch milliseconds (a number)")
    if draw is None:
        draw = _random.random()
    elif isinstance(draw, bool) or not isinstance(draw, int | float):
        raise wrong_type("random", draw, "a number in [0, 1)")
    request = call._request()
    request["now_ms"] = _json_number("now_ms", now_ms)
    request["random"] = _json_number("random", draw)
    return request


def _json_number(field: str, value: float) -> float:
    """A number JSON can carry to the core (which then checks its range): NaN, infinities and
    integers beyond a float would otherwise surface as malformed JSON in ``request``."""
    try:
        finite = math.isfinite(value)
    except OverflowError:
        finite = False
    if not finite:
        raise invalid(field, value, "a finite number", kind="out-of-range")
    return value


def _operation_json(operation: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the core reads, with botocore datetimes as epoch milliseconds."""
    if not isinstance(operation, Mapping):
        raise wrong_type("operation", operation, "a mapping (the service's Operation) or None")
    out = {key: operation[key] for key in _OPERATION_FIELDS if key in operation}
    details = operation.get("StepDetails")
    if isinstance(details, Mapping):
        picked = {key: details[key] for key in _STEP_DETAIL_FIELDS if key in details}
        when = picked.get("NextAttemptTimestamp")
        if isinstance(when, datetime):
            picked["NextAttemptTimestamp"] = epoch_ms(when)
        out["StepDetails"] = picked
    elif details is not None:
        out["StepDetails"] = details  # the core names the wrong type
    return out


def epoch_ms(when: datetime) -> int:
    """A service timestamp as epoch milliseconds (botocore parses them into datetimes)."""
    return round(when.timestamp() * 1000)


def _call(function: str, request: Mapping[str, Any] | str, strategy: Any) -> dict[str, Any]:
    rt = runtime()
    if strategy is not None and not isinstance(strategy, retry.Strategy):
        raise wrong_type("strategy", strategy, "durable_core.retry.Strategy or None")
    if isinstance(request, str):
        if strategy is not None:
            raise invalid("strategy", strategy, "None when the request is given as text")
        try:
            request.encode()
        except UnicodeEncodeError as err:
            # Replacing it would change the request (and the ids derived from it), and not
            # the way other hosts would: reject it like the core rejects an escaped one.
            raise invalid(
                "request", request, f"JSON text without lone surrogates (one at index {err.start})"
            ) from None
        text = request
    elif isinstance(request, Mapping):
        text = None
    else:
        raise wrong_type("request", request, "a dict or JSON text")
    with rt.lock:  # the strategy handle belongs to the instance that answers
        if text is None:
            if strategy is not None:
                request = {**request, "strategy": strategy._registered(rt)}
            try:
                text = json.dumps(request)
            except (TypeError, ValueError) as err:
                raise wrong_type("request", request, f"JSON-serializable values ({err})") from None
        answer = rt.call_flat(function, ("string",), "string", text.encode())
    return json.loads(answer)


def _checked(response: dict[str, Any]) -> dict[str, Any]:
    error = response.get("error")
    if error is not None:
        _raise_core_error(error)
    return response


def _raise_core_error(error: Mapping[str, Any]) -> None:
    core_field = error.get("field", "")
    # Core names are dashed (now-ms, outcome.failure.error-type); ours are snake_case.
    field = core_field.replace("-", "_")
    raise InvalidInputError(
        f"{field}: {error.get('message')} (got {error.get('value')}) "
        f"[durable-core field {core_field}]",
        kind=error.get("kind", "invalid-value"),
        field=field,
        value=error.get("value"),
    )


def _plan(response: dict[str, Any]) -> StepPlan:
    if "error" in response:
        _raise_core_error(response["error"])
    return StepPlan(updates=response["updates"], action=_action(response["action"]))


def _action(a: dict[str, Any]) -> Action:
    kind = a["kind"]
    if kind == "execute":
        return Execute(a["attempt"], a["send_start"], a["await_start"])
    if kind == "return":
        return Return(a["payload"])
    if kind == "raise":
        return Raise(a["error_class"], ErrorObject.from_wire(a["error"]))
    if kind == "suspend":
        return Suspend(a["until_ms"])
    if kind == "non-deterministic":
        return NonDeterministic(a["field"], a["expected"], a["actual"])
    if kind == "propagate":
        return Propagate()
    if kind == "fail-execution":
        return FailExecution(a["rule"], ErrorObject.from_wire(a["error"]), a["category"])
    raise RuntimeError(f"durable-core answered with an unknown action kind {kind!r}")


__all__ = [
    "Action",
    "ActionKind",
    "ErrorObject",
    "Execute",
    "FailExecution",
    "Failure",
    "NonDeterministic",
    "OperationId",
    "Propagate",
    "Raise",
    "Return",
    "Semantics",
    "StepCall",
    "StepPlan",
    "Success",
    "Suspend",
    "begin",
    "begin_json",
    "complete",
    "complete_json",
    "epoch_ms",
    "operation_id",
]
