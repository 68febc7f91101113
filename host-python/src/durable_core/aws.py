"""Adapters that plug durable-core into aws-durable-execution-sdk-python through its public hooks.

The SDK is an optional dependency (``pip install durable-core[aws]``), imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import retry
from ._types import Profile


def retry_strategy(
    config: retry.StrategyConfig | retry.Preset | str | None = None,
    *,
    profile: Profile | str = Profile.PYTHON,
) -> Callable[[Exception, int], Any]:
    """A ``(error, attempts_made) -> RetryDecision`` for ``StepConfig(retry_strategy=...)``.

    The decision comes from the core; the default profile reproduces the SDK's own strategies.
    """
    from aws_durable_execution_sdk_python.config import Duration
    from aws_durable_execution_sdk_python.retries import RetryDecision

    strategy = retry.Strategy(config, profile=profile)

    def decide(error: Exception, attempts_made: int) -> RetryDecision:
        decision = strategy.decide(attempts_made, error=error)
        if decision.should_retry:
            return RetryDecision.retry(Duration(seconds=decision.delay_seconds))
        return RetryDecision.no_retry()

    decide.strategy = strategy  # type: ignore[attr-defined]
    return decide
