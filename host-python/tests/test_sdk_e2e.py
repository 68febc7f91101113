"""durable_core.sdk end to end: handlers written for aws-durable-execution-sdk-python, with
only the package name in their imports changed, run on durable-core's invocation engine against
the Python testing SDK's local service, which validates every checkpoint, fires timers and
re-invokes. Assertions are on what the service recorded."""

from __future__ import annotations

import json

import pytest
from dex import LocalService, event_types, lambda_client

from durable_core.sdk import (
    ChildContextError,
    Duration,
    RetryStrategyConfig,
    StepConfig,
    StepContext,
    create_retry_strategy,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from durable_core.sdk.context import DurableContext

PROFILES = ["python", "unified"]


@pytest.fixture(scope="module")
def service():
    local = LocalService(skip_time=True)
    try:
        yield local
    finally:
        local.close()


def run(service: LocalService, handler, payload=None) -> tuple[dict, list[dict]]:
    arn = service.start(handler, payload)
    execution = service.wait(arn)
    return execution, service.history(arn)


@durable_step
def add(step_context: StepContext, a: int, b: int) -> int:
    return a + b


@pytest.mark.parametrize("profile", PROFILES)
def test_steps_wait_and_child_context(service, profile):
    calls: list[str] = []

    @durable_with_child_context
    def doubled(ctx: DurableContext, n: int) -> int:
        return ctx.step(lambda _: n * 2, name="double")

    @durable_execution(boto3_client=lambda_client(service.url), profile=profile)
    def handler(event: dict, context: DurableContext) -> dict:
        total = context.step(add(event["a"], 2))
        calls.append("after-add")
        context.wait(Duration.from_seconds(2), name="pause")
        twice = context.run_in_child_context(doubled(total), name="child")
        return {"total": total, "twice": twice}

    execution, history = run(service, handler, {"a": 1})
    assert execution["Status"] == "SUCCEEDED", service.log()
    assert json.loads(execution["Result"]) == {"total": 3, "twice": 6}
    kinds = event_types(history)
    assert ("StepSucceeded", "add") in kinds
    assert ("WaitStarted", "pause") in kinds and ("WaitSucceeded", "pause") in kinds
    assert ("ContextSucceeded", "child") in kinds and ("StepSucceeded", "double") in kinds
    # The step ran once: the replay after the wait returned its checkpointed result.
    assert calls.count("after-add") == 2


@pytest.mark.parametrize("profile", PROFILES)
def test_a_retried_step_suspends_and_succeeds_on_a_later_invocation(service, profile):
    attempts: list[int] = []
    strategy = create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(1))
    )

    @durable_execution(boto3_client=lambda_client(service.url), profile=profile)
    def handler(event: dict, context: DurableContext) -> str:
        def flaky(step_context: StepContext) -> str:
            attempts.append(step_context.attempt)
            if step_context.attempt < 2:
                raise RuntimeError("not yet")
            return "ok"

        return context.step(flaky, name="flaky", config=StepConfig(retry_strategy=strategy))

    execution, history = run(service, handler)
    assert execution["Status"] == "SUCCEEDED", service.log()
    assert attempts == [1, 2]
    kinds = [k for k, _ in event_types(history)]
    assert kinds.count("StepFailed") == 1 and kinds.count("StepSucceeded") == 1


@pytest.mark.parametrize("profile", PROFILES)
def test_a_child_error_is_caught_by_the_parent(service, profile):
    @durable_execution(boto3_client=lambda_client(service.url), profile=profile)
    def handler(event: dict, context: DurableContext) -> str:
        def failing(ctx: DurableContext) -> None:
            raise ValueError("inner")

        try:
            context.run_in_child_context(failing, name="bad")
        except ChildContextError as err:
            return f"caught {err.message}"
        return "not caught"

    execution, history = run(service, handler)
    assert execution["Status"] == "SUCCEEDED", service.log()
    assert json.loads(execution["Result"]) == "caught inner"
    assert ("ContextFailed", "bad") in event_types(history)


@pytest.mark.parametrize("profile", PROFILES)
def test_an_uncaught_step_error_fails_the_execution(service, profile):
    from durable_core.sdk import RetryPresets

    @durable_execution(boto3_client=lambda_client(service.url), profile=profile)
    def handler(event: dict, context: DurableContext) -> None:
        def boom(_: StepContext) -> None:
            raise KeyError("missing")

        context.step(boom, name="boom", config=StepConfig(retry_strategy=RetryPresets.none()))

    execution, _ = run(service, handler)
    assert execution["Status"] == "FAILED", service.log()
    assert "missing" in execution["Error"]["ErrorMessage"]
