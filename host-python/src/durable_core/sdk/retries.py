"""Retry strategies shaped like ``aws_durable_execution_sdk_python.retries``. Every decision
is the core's; these only carry the configuration to it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .. import retry
from .config import Duration, JitterStrategy


@dataclass(frozen=True)
class RetryDecision:
    should_retry: bool
    delay: Duration

    @property
    def delay_seconds(self) -> int:
        return self.delay.to_seconds()

    @classmethod
    def retry(cls, delay: Duration) -> RetryDecision:
        return cls(should_retry=True, delay=delay)

    @classmethod
    def no_retry(cls) -> RetryDecision:
        return cls(should_retry=False, delay=Duration())


@dataclass
class RetryStrategyConfig:
    max_attempts: int = 3
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(5))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    backoff_rate: float = 2.0
    jitter_strategy: JitterStrategy = JitterStrategy.FULL
    retryable_errors: list[str | re.Pattern[str]] | None = None
    retryable_error_types: list[type[Exception]] | None = None


@dataclass
class LinearRetryStrategyConfig:
    max_attempts: int = 6
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(1))
    increment: Duration = field(default_factory=lambda: Duration.from_seconds(1))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    jitter_strategy: JitterStrategy = JitterStrategy.FULL
    retryable_errors: list[str | re.Pattern[str]] | None = None
    retryable_error_types: list[type[Exception]] | None = None


class RetryStrategy:
    """``(error, attempts_made) -> RetryDecision``, like the SDK's strategies; a step hands its
    configuration to the core, which decides under the invocation's profile."""

    def __init__(self, config: retry.StrategyConfig | retry.Preset) -> None:
        self.config = config
        self._strategies: dict[str, retry.Strategy] = {}

    def for_profile(self, profile: str) -> retry.Strategy:
        strategy = self._strategies.get(profile)
        if strategy is None:
            strategy = self._strategies[profile] = retry.Strategy(self.config, profile=profile)
        return strategy

    def __call__(self, error: Exception, attempts_made: int) -> RetryDecision:
        decision = self.for_profile("python").decide(attempts_made, error=error)
        if decision.should_retry:
            return RetryDecision.retry(Duration(decision.delay_seconds))
        return RetryDecision.no_retry()


def create_retry_strategy(config: RetryStrategyConfig | None = None) -> RetryStrategy:
    c = config or RetryStrategyConfig()
    return RetryStrategy(
        retry.exponential(
            max_attempts=c.max_attempts,
            initial_delay=c.initial_delay,
            max_delay=c.max_delay,
            backoff_rate=c.backoff_rate,
            jitter=str(c.jitter_strategy),
            retryable_errors=c.retryable_errors,
            retryable_error_types=c.retryable_error_types,
        )
    )


def create_linear_retry_strategy(config: LinearRetryStrategyConfig | None = None) -> RetryStrategy:
    c = config or LinearRetryStrategyConfig()
    return RetryStrategy(
        retry.linear(
            max_attempts=c.max_attempts,
            initial_delay=c.initial_delay,
            increment=c.increment,
            max_delay=c.max_delay,
            jitter=str(c.jitter_strategy),
            retryable_errors=c.retryable_errors,
            retryable_error_types=c.retryable_error_types,
        )
    )


class RetryPresets:
    """The SDK's presets, defined once in the core."""

    @classmethod
    def none(cls) -> RetryStrategy:
        return RetryStrategy(retry.preset("none"))

    @classmethod
    def default(cls) -> RetryStrategy:
        return RetryStrategy(retry.preset("default"))

    @classmethod
    def transient(cls) -> RetryStrategy:
        return RetryStrategy(retry.preset("transient"))

    @classmethod
    def resource_availability(cls) -> RetryStrategy:
        return RetryStrategy(retry.preset("resource_availability"))

    @classmethod
    def critical(cls) -> RetryStrategy:
        return RetryStrategy(retry.preset("critical"))

    @classmethod
    def linear(cls) -> RetryStrategy:
        return RetryStrategy(retry.preset("linear"))

    @classmethod
    def fixed(cls, interval: Duration | int = 5) -> RetryStrategy:
        return RetryStrategy(retry.preset("fixed", interval))


def core_strategy(strategy: Any, profile: str) -> retry.Strategy | None:
    """The core strategy for a StepConfig's ``retry_strategy`` (None: the profile's default)."""
    if strategy is None:
        return None
    if isinstance(strategy, RetryStrategy):
        return strategy.for_profile(profile)
    core = getattr(strategy, "strategy", None)  # durable_core.aws.retry_strategy(...)
    if isinstance(core, retry.Strategy):
        return core
    raise TypeError(
        "retry_strategy: durable_core.sdk runs retry decisions in the core, so it takes a "
        "strategy from create_retry_strategy, create_linear_retry_strategy or RetryPresets, "
        f"not an arbitrary callable (got {strategy!r})"
    )
