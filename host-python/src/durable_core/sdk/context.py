"""``DurableContext`` shaped like ``aws_durable_execution_sdk_python.context``: each method is
one operation of the core's engine; this module only adapts arguments and errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from ..invocation import Engine, OperationError
from .config import ChildConfig, Duration, StepConfig, StepSemantics
from .exceptions import ValidationError, sdk_error
from .retries import core_strategy
from .serdes import engine_serdes

T = TypeVar("T")
P = ParamSpec("P")

_LOG = logging.getLogger("durable_core.sdk")


class ReplayAwareLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Logs only what runs for the first time: while the context's next operation is already
    checkpointed, its code is replaying an earlier invocation and stays quiet, so nothing is
    logged twice across invocations."""

    def __init__(
        self,
        engine: Engine,
        context: int,
        logger: logging.Logger = _LOG,
        *,
        replay_aware: bool = True,
    ) -> None:
        super().__init__(logger, {"durable_execution_arn": engine.arn})
        self._engine = engine
        self._context = context
        self.replay_aware = replay_aware
        """False: log during replay too (to see how often code runs)."""

    def for_context(self, context: int) -> ReplayAwareLogger:
        """The same logger and setting for a child context."""
        return ReplayAwareLogger(self._engine, context, self.logger, replay_aware=self.replay_aware)

    def isEnabledFor(self, level: int) -> bool:
        if self.replay_aware and self._engine.replaying_in(self._context):
            return False
        return super().isEnabledFor(level)

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            super().log(level, msg, *args, **kwargs)


@dataclass(frozen=True)
class StepContext:
    attempt: int
    logger: logging.LoggerAdapter = field(default_factory=lambda: logging.LoggerAdapter(_LOG))  # type: ignore[type-arg]


class DurableContext:
    def __init__(
        self,
        engine: Engine,
        context: int = 0,
        lambda_context: Any = None,
        logger: ReplayAwareLogger | None = None,
    ) -> None:
        self._engine = engine
        self._context = context
        self.lambda_context = lambda_context
        self.logger = logger.for_context(context) if logger else ReplayAwareLogger(engine, context)

    def set_logger(
        self, logger: logging.Logger | None = None, *, replay_aware: bool = True
    ) -> None:
        """Log through ``logger`` (None: keep the current one); ``replay_aware=False`` logs
        during replay too. Child contexts created afterwards inherit both."""
        base = logger if logger is not None else self.logger.logger
        self.logger = ReplayAwareLogger(
            self._engine, self._context, base, replay_aware=replay_aware
        )

    def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T:
        config = config or StepConfig()
        engine = self._engine
        strategy = core_strategy(config.retry_strategy, engine.profile.value)
        semantics = StepSemantics(config.step_semantics).value
        logger = self.logger
        try:
            return engine.step(
                self._context,
                name or getattr(func, "_original_name", None),
                lambda attempt: func(StepContext(attempt=attempt, logger=logger)),
                serdes=engine_serdes(config.serdes, engine.arn),
                semantics=semantics,
                strategy=strategy,
            )
        except OperationError as err:
            raise sdk_error(err) from None

    def wait(self, duration: Duration, name: str | None = None) -> None:
        if not isinstance(duration, Duration):
            raise ValidationError(f"duration: expected a Duration, got {duration!r}")
        if duration.to_seconds() < 1:
            raise ValidationError("duration must be at least 1 second")
        self._engine.wait(self._context, name, duration.to_seconds())

    def run_in_child_context(
        self,
        func: Callable[[DurableContext], T],
        name: str | None = None,
        config: ChildConfig[T] | None = None,
    ) -> T:
        config = config or ChildConfig()
        engine = self._engine

        def body(child: int) -> T:
            return func(DurableContext(engine, child, self.lambda_context, self.logger))

        try:
            return engine.child(
                self._context,
                name or getattr(func, "_original_name", None),
                body,
                serdes=engine_serdes(config.serdes, engine.arn),
            )
        except OperationError as err:
            raise sdk_error(err) from None


def durable_step(
    func: Callable[Concatenate[StepContext, P], T],
) -> Callable[P, Callable[[StepContext], T]]:
    """``@durable_step`` as in the SDK: calling the decorated function with its arguments gives
    the step function, named after the decorated one."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Callable[[StepContext], T]:
        def with_arguments(context: StepContext) -> T:
            return func(context, *args, **kwargs)

        with_arguments._original_name = func.__name__  # type: ignore[attr-defined]
        return with_arguments

    return wrapper


def durable_with_child_context(
    func: Callable[Concatenate[DurableContext, P], T],
) -> Callable[P, Callable[[DurableContext], T]]:
    """``@durable_with_child_context`` as in the SDK."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Callable[[DurableContext], T]:
        def with_arguments(context: DurableContext) -> T:
            return func(context, *args, **kwargs)

        with_arguments._original_name = func.__name__  # type: ignore[attr-defined]
        return with_arguments

    return wrapper
