"""End to end with the real SDK and its local runner: durable-core's retry strategy produces the
same checkpointed history as the SDK's own strategy with the same configuration."""

import json
from unittest import mock

import pytest
from aws_durable_execution_sdk_python import StepContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration, JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.retries import (
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

from durable_core import aws, retry


def fails_twice_then_succeeds(strategy):
    calls = {"n": 0}

    @durable_execution
    def handler(event, context):
        def flaky(step_context: StepContext) -> str:
            calls["n"] += 1
            if calls["n"] < 3:
                raise RuntimeError(f"attempt {step_context.attempt} failed")
            return "done"

        return context.step(flaky, name="flaky", config=StepConfig(retry_strategy=strategy))

    return handler


def history(strategy) -> list[tuple]:
    """The run's events without timestamps: type, id, name, attempt, delay, error, result."""
    with mock.patch("random.random", return_value=0.6):
        runner = DurableFunctionTestRunner(fails_twice_then_succeeds(strategy))
        arn = runner.run_async(input=json.dumps({}))
        result = runner.wait_for_result(execution_arn=arn, timeout=60)
        events = runner.get_execution_history(arn, include_execution_data=True).events
    assert result.result == '"done"'
    rows = []
    for event in events:
        d = event.to_dict()
        details = next((v for k, v in d.items() if k.endswith("Details")), {}) or {}
        retry_details = details.get("RetryDetails", {})
        rows.append(
            (
                d["EventType"],
                d.get("Id"),
                d.get("Name"),
                retry_details.get("CurrentAttempt"),
                retry_details.get("NextAttemptDelaySeconds"),
                details.get("Error", {}).get("Payload"),
                details.get("Result", {}).get("Payload"),
            )
        )
    return rows


CASES = {
    "custom exponential, FULL jitter": (
        create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=4,
                initial_delay=Duration.from_seconds(2),
                backoff_rate=3,
                jitter_strategy=JitterStrategy.FULL,
            )
        ),
        retry.exponential(max_attempts=4, initial_delay=2, backoff_rate=3, jitter="FULL"),
    ),
    "critical preset": (RetryPresets.critical(), retry.preset("critical")),
    "default preset": (RetryPresets.default(), retry.preset("default")),
}


@pytest.mark.parametrize("case", CASES)
def test_same_history_as_the_sdks_own_strategy(case):
    sdk_strategy, config = CASES[case]
    ours = history(aws.retry_strategy(config))
    theirs = history(sdk_strategy)
    assert ours == theirs
    failed = [row for row in ours if row[0] == "StepFailed"]
    assert [row[3] for row in failed] == [1, 2]  # two RETRY updates, attempts 1 and 2
    assert all(row[4] is not None and row[4] >= 1 for row in failed)
    assert ours[-1][0] == "ExecutionSucceeded"
