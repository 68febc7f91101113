"""``run_step``: one durable step against a checkpoint service, every decision from the core.

The driver does the I/O the core leaves to hosts: it reads the step's checkpointed operation,
sends the updates the core wrote, runs the user function, serializes, and waits or raises as
told. Which updates, which attempt, retry or fail, replay or run, and how a failed service
call is classified all come from the component (``step.begin``/``step.complete``, one call
each, and ``classify``).

    invocation = Invocation.from_event(LambdaServiceClient(boto3.client("lambda")), event)
    total = invocation.step(StepCall(id=..., name="charge", profile="python"), charge)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from . import retry, step
from ._types import Profile, parse_profile
from .classify import Api, Category, Classification, classify_exception
from .errors import wrong_type
from .step import ErrorObject, StepCall

# TS polls a retry timer that has not fired yet at 1 s, 2 s, ... up to 10 s (sdk-behaviour 3.2).
_POLL_SECONDS = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0)
_STATE_PAGE_LIMIT = 10_000  # pages; a guard against a service that never ends its listing


@dataclass(frozen=True)
class CheckpointResult:
    token: str | None
    """The next checkpoint token (absent only after a terminal EXECUTION update)."""
    operations: list[dict[str, Any]] = field(default_factory=list)
    """NewExecutionState.Operations: the operations the service changed (service shape)."""
    next_marker: str | None = None


class CheckpointClient(Protocol):
    """CheckpointDurableExecution and GetDurableExecutionState, with operations in the
    service's JSON shape (timestamps as epoch milliseconds). Failures are raised as the
    transport raises them (botocore ``ClientError``, a network error...)."""

    def checkpoint(
        self, execution_arn: str, checkpoint_token: str, updates: list[dict[str, Any]]
    ) -> CheckpointResult: ...

    def get_state(
        self, execution_arn: str, checkpoint_token: str, marker: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]: ...


class CheckpointToken:
    """The invocation's current checkpoint token. Every checkpoint consumes the token and
    returns the next; ``run_step`` updates this holder so the next step uses the new one."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise wrong_type("checkpoint_token", value, "str")
        self.value = value

    def __repr__(self) -> str:
        return f"CheckpointToken({self.value[:12]}...)"


# What run_step raises besides the user's own errors.


class StepError(Exception):
    """The step failed (now, or in an earlier invocation): its checkpointed error.
    ``error_class`` is the SDK class the profile raises (python: always StepError;
    ts/unified: StepError, InvokeError, CallbackError, ... from the recorded ErrorType)."""

    def __init__(self, error: ErrorObject, error_class: str = "StepError") -> None:
        super().__init__(error.message)
        self.error = error
        self.error_class = error_class
        self.error_type = error.error_type
        self.message = error.message
        self.data = error.data
        self.stack_trace = error.stack_trace


class SuspendExecution(BaseException):
    """End this invocation as PENDING; the service re-invokes at ``until_ms`` (epoch ms;
    None: when something else completes). A BaseException, like the SDK's, so that a user's
    ``except Exception`` does not swallow it."""

    def __init__(self, until_ms: float | None) -> None:
        super().__init__(f"suspend until {until_ms}" if until_ms is not None else "suspend")
        self.until_ms = until_ms


class NonDeterministicError(Exception):
    """The checkpoint does not match this call: the code changed between invocations."""

    def __init__(self, step_id: str, field: str, expected: str | None, actual: str | None) -> None:
        super().__init__(
            f"Non-deterministic execution detected: Operation {field.lower()} mismatch for "
            f'step "{step_id}". Expected {expected!r} but got {actual!r}.'
        )
        self.step_id = step_id
        self.field = field
        self.expected = expected
        self.actual = actual


class FailExecutionError(Exception):
    """The step's update would be rejected permanently by the service (``rule``, e.g.
    step-payload-too-large); it was not sent. Fail the execution with ``error``."""

    def __init__(self, rule: str, error: ErrorObject, category: str = "EXECUTION") -> None:
        super().__init__(error.message)
        self.rule = rule
        self.error = error
        self.category = category


class CheckpointFailed(Exception):
    """A CheckpointDurableExecution or GetDurableExecutionState call failed. The core's
    classification says what the handler does: ``retryable`` (INVOCATION) means fail the
    invocation so Lambda retries it; otherwise (EXECUTION) the execution is lost."""

    def __init__(self, classification: Classification, api: Api, cause: BaseException) -> None:
        super().__init__(
            f"{api.value} failed ({classification.category.value}, rule "
            f"{classification.rule}): {cause}"
        )
        self.classification = classification
        self.api = api
        self.category: Category = classification.category
        self.retryable = classification.retryable
        self.rule = classification.rule


class StepSerdesError(Exception):
    """``serialize`` or ``deserialize`` failed. No update was sent for the outcome; the core
    has no rule for this yet (the SDKs disagree), so the host decides."""

    def __init__(self, step_id: str, phase: str, cause: BaseException) -> None:
        super().__init__(f"{phase} failed for step {step_id}: {cause}")
        self.step_id = step_id
        self.phase = phase


def run_step(
    client: CheckpointClient,
    *,
    execution_arn: str,
    checkpoint_token: str | CheckpointToken,
    call: StepCall,
    fn: Callable[[int], Any],
    strategy: retry.Strategy | None = None,
    profile: Profile | str | None = None,
    serialize: Callable[[Any], str | None] = json.dumps,
    deserialize: Callable[[str], Any] = json.loads,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] | None = None,
    operations: MutableMapping[str, dict[str, Any]] | None = None,
    random: float | None = None,
    max_wait_seconds: float = 900.0,
) -> Any:
    """Run one step and return its value (deserialized from the payload, first run or replay).

    ``fn(attempt)`` is the user function (attempt is 1-based). ``checkpoint_token`` given as a
    ``CheckpointToken`` is updated after each checkpoint. ``operations`` (the invocation's
    operations by Id, e.g. ``Invocation.operations``) is read instead of GetDurableExecutionState
    and updated from checkpoint responses. ``profile`` overrides ``call.profile`` (rules and
    error classification). ``clock`` gives epoch seconds.

    Raises ``StepError`` (the step failed), ``SuspendExecution`` (a retry timer; with ``sleep``
    the driver waits in-process instead, polling for the timer, up to ``max_wait_seconds``),
    ``NonDeterministicError``, ``FailExecutionError``, ``CheckpointFailed``, the user's own
    unrecoverable error (the SDK's ExecutionError) or ``StepSerdesError``.
    """
    if not isinstance(call, StepCall):
        raise wrong_type("call", call, "StepCall")
    if profile is not None:
        call = replace(call, profile=parse_profile(profile))
    if not callable(fn):
        raise wrong_type("fn", fn, "a callable taking the attempt number")
    token = (
        checkpoint_token
        if isinstance(checkpoint_token, CheckpointToken)
        else CheckpointToken(checkpoint_token)
    )
    service = _Service(client, execution_arn, token, operations, call.profile)  # type: ignore[arg-type]

    def now_ms() -> float:
        return clock() * 1000.0

    plan = step.begin(
        call, service.operation(call.id), now_ms=now_ms(), strategy=strategy, random=random
    )
    waited = 0.0
    polls = 0
    while True:
        action = plan.action
        if isinstance(action, step.Execute):
            value, plan, error = _execute(
                service,
                call,
                fn,
                action,
                plan.updates,
                strategy,
                random,
                serialize,
                deserialize,
                now_ms,
            )
            action = plan.action
            if isinstance(action, step.Return):
                return value
            if isinstance(action, step.Propagate):
                raise error  # type: ignore[misc]
            if isinstance(action, step.Raise):
                raise StepError(action.error, action.error_class) from error
        elif plan.updates:
            service.send(plan.updates)  # begin's RETRY/FAIL for an interrupted at-most-once step
        if isinstance(action, step.Return):  # replay of SUCCEEDED
            if action.payload is None:
                return None
            return _serdes(call, "deserialize", deserialize, action.payload)
        if isinstance(action, step.Raise):
            raise StepError(action.error, action.error_class)
        if isinstance(action, step.NonDeterministic):
            raise NonDeterministicError(call.id, action.field, action.expected, action.actual)
        if isinstance(action, step.FailExecution):
            raise FailExecutionError(action.rule, action.error, action.category)
        if not isinstance(action, step.Suspend):  # Execute/Propagate never follow here
            raise RuntimeError(f"durable-core answered with an unexpected action {action!r}")
        if sleep is None or action.until_ms is None:
            raise SuspendExecution(action.until_ms)
        # Wait in-process for the retry timer, then re-read the operation (READY runs again).
        delay = action.until_ms / 1000.0 - clock()
        if delay <= 0:
            delay = _POLL_SECONDS[min(polls, len(_POLL_SECONDS) - 1)]
            polls += 1
        if waited + delay > max_wait_seconds:
            raise SuspendExecution(action.until_ms)
        sleep(delay)
        waited += delay
        plan = step.begin(
            call,
            service.operation(call.id, fresh=True),
            now_ms=now_ms(),
            strategy=strategy,
            random=random,
        )


def _execute(
    service: _Service,
    call: StepCall,
    fn: Callable[[int], Any],
    action: step.Execute,
    start: list[str],
    strategy: retry.Strategy | None,
    random: float | None,
    serialize: Callable[[Any], str | None],
    deserialize: Callable[[str], Any],
    now_ms: Callable[[], float],
) -> tuple[Any, step.StepPlan, BaseException | None]:
    """Run attempt ``action.attempt``. ``start`` is begin's START update (if due): awaited
    before running for at-most-once, otherwise sent with the outcome's updates."""
    pending: list[Any] = []
    if action.await_start:
        service.send(start)  # at-most-once: persisted before the function runs
    else:
        pending.extend(start)  # at-least-once: not awaited; FIFO puts it before the outcome
    value: Any = None
    error: BaseException | None = None
    try:
        result = fn(action.attempt)
    except Exception as err:
        error = err
        plan = step.complete(
            call,
            action.attempt,
            step.Failure.from_exception(err),
            now_ms=now_ms(),
            strategy=strategy,
            random=random,
        )
    else:
        payload = _serdes(call, "serialize", serialize, result)
        if payload is not None and not isinstance(payload, str):
            raise StepSerdesError(call.id, "serialize", wrong_type("payload", payload, "str"))
        # Round-trip before SUCCEED, so the first run returns exactly what a replay would.
        value = None if payload is None else _serdes(call, "deserialize", deserialize, payload)
        plan = step.complete(
            call,
            action.attempt,
            step.Success(payload),
            now_ms=now_ms(),
            strategy=strategy,
            random=random,
        )
    if pending or plan.updates:
        service.send([*pending, *plan.updates])
    return value, replace(plan, updates=[]), error


def _serdes(call: StepCall, phase: str, fn: Callable[[Any], Any], value: Any) -> Any:
    try:
        return fn(value)
    except Exception as err:
        raise StepSerdesError(call.id, phase, err) from err


class _Service:
    """The client calls of one step, with their failures classified by the core."""

    def __init__(
        self,
        client: CheckpointClient,
        execution_arn: str,
        token: CheckpointToken,
        operations: MutableMapping[str, dict[str, Any]] | None,
        profile: Profile,
    ) -> None:
        if not isinstance(execution_arn, str):
            raise wrong_type("execution_arn", execution_arn, "str")
        self.client = client
        self.arn = execution_arn
        self.token = token
        self.operations = operations
        self.profile = profile

    def operation(self, op_id: str, *, fresh: bool = False) -> dict[str, Any] | None:
        if self.operations is not None and not fresh:
            return self.operations.get(op_id)
        found = None
        for op in self._all_operations():
            if self.operations is not None:
                self.operations[op["Id"]] = op
            if op.get("Id") == op_id:
                found = op
        return found

    def _all_operations(self) -> Iterable[dict[str, Any]]:
        marker: str | None = None
        for _ in range(_STATE_PAGE_LIMIT):
            try:
                ops, marker = self.client.get_state(self.arn, self.token.value, marker)
            except Exception as err:
                raise _failed(err, Api.GET_STATE, self.profile) from err
            yield from ops
            if not marker:
                return
        raise RuntimeError(f"GetDurableExecutionState returned over {_STATE_PAGE_LIMIT} pages")

    def send(self, updates: list[Any]) -> None:
        body = [u if isinstance(u, dict) else json.loads(u) for u in updates]
        try:
            result = self.client.checkpoint(self.arn, self.token.value, body)
        except Exception as err:
            raise _failed(err, Api.CHECKPOINT, self.profile) from err
        if result.token is not None:
            self.token.value = result.token
        if self.operations is not None:
            for op in result.operations:
                self.operations[op["Id"]] = op


def _failed(err: BaseException, api: Api, profile: Profile) -> CheckpointFailed:
    return CheckpointFailed(classify_exception(err, api=api, profile=profile), api, err)


class Invocation:
    """One invocation's view of its execution: the ARN, the current token and the operations
    (the invocation input's InitialExecutionState, paged to the end, kept current from
    checkpoint responses). ``step`` runs ``run_step`` against it."""

    def __init__(
        self,
        client: CheckpointClient,
        execution_arn: str,
        checkpoint_token: str,
        operations: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        self.client = client
        self.execution_arn = execution_arn
        self.token = CheckpointToken(checkpoint_token)
        self.operations: dict[str, dict[str, Any]] = {op["Id"]: dict(op) for op in operations}

    @classmethod
    def from_event(
        cls,
        client: CheckpointClient,
        event: Mapping[str, Any],
        *,
        profile: Profile | str = Profile.UNIFIED,
    ) -> Invocation:
        """From the durable invocation input (``DurableExecutionArn``, ``CheckpointToken``,
        ``InitialExecutionState``), fetching the remaining pages while ``NextMarker`` is set."""
        if not isinstance(event, Mapping):
            raise wrong_type("event", event, "the durable invocation input (a mapping)")
        for key in ("DurableExecutionArn", "CheckpointToken"):
            if not isinstance(event.get(key), str) or not event[key]:
                raise wrong_type(key, event.get(key), "a non-empty str")
        initial = event.get("InitialExecutionState") or {}
        invocation = cls(
            client,
            event["DurableExecutionArn"],
            event["CheckpointToken"],
            initial.get("Operations") or (),
        )
        marker = initial.get("NextMarker") or None
        pages = 0
        while marker:
            pages += 1
            if pages > _STATE_PAGE_LIMIT:
                raise RuntimeError("GetDurableExecutionState never ended its listing")
            try:
                ops, marker = client.get_state(
                    invocation.execution_arn, invocation.token.value, marker
                )
            except Exception as err:
                raise _failed(err, Api.GET_STATE, parse_profile(profile)) from err
            for op in ops:
                invocation.operations[op["Id"]] = op
        return invocation

    def step(self, call: StepCall, fn: Callable[[int], Any], **options: Any) -> Any:
        return run_step(
            self.client,
            execution_arn=self.execution_arn,
            checkpoint_token=self.token,
            operations=self.operations,
            call=call,
            fn=fn,
            **options,
        )
