"""The checkpoint-faults handler on aws-durable-execution-sdk-python 3.0.0, served to
``dex-local-runner`` through an in-process Lambda Invoke endpoint.

Drivers ``python-sdk`` (the SDK's own classification) and ``python-sdk-core`` (the same SDK, its
boto3 client wrapped by ``durable_core.aws.classifying_client(client, profile=...)``), and
``core-python`` (no SDK: the same handler on ``durable_core.sdk``). The client
(``local_service.lambda_client``) is the botocore ``lambda`` client the SDK builds for itself
(``LambdaClient.initialize_client``: connect 5 s, read 50 s) except for the endpoint (the fault proxy), a 2 s read and
connect timeout (so the proxy's held answer is a timeout) and no transport retries (botocore would
otherwise resend a throttled or failed call itself, and the fault would never reach the SDK).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python.config import Duration
from aws_durable_execution_sdk_python.context import DurableContext
from aws_durable_execution_sdk_python.execution import durable_execution

from .local_service import FunctionCrashed, lambda_client

for _name in ("aws_durable_execution_sdk_python", "botocore", "urllib3"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

CLIENT_TIMEOUT_SECONDS = 2


class _Context:
    """The Lambda context fields the SDK reads."""

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = "fault"
        self.tenant_id = None

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def boto3_client(endpoint: str) -> Any:
    return lambda_client(
        endpoint,
        connect_timeout=CLIENT_TIMEOUT_SECONDS,
        read_timeout=CLIENT_TIMEOUT_SECONDS,
    )


class Facts:
    """What the function saw, per execution: invocations, their outputs, step body runs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.invocations = 0
        self.outputs: list[str] = []
        self.runs: dict[str, int] = {}

    def ran(self, name: str) -> None:
        with self.lock:
            self.runs[name] = self.runs.get(name, 0) + 1

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "invocations": self.invocations,
                "outputs": list(self.outputs),
                "step_runs": dict(self.runs),
            }


def handler(
    facts: Facts, duration: Any = Duration
) -> Callable[[Any, DurableContext], Any]:
    """The checkpoint-faults handler (see the requirements' ``handler`` prose): step ``first``
    returns "one", wait ``pause`` 1 s, step ``second`` returns "<first>-two", the result.
    ``duration``: the ``Duration`` class of the API the handler runs on."""

    def body(_event: Any, ctx: DurableContext) -> Any:
        def first(_step: Any) -> str:
            facts.ran("first")
            return "one"

        value = ctx.step(first, name="first")
        ctx.wait(duration(seconds=1), name="pause")

        def second(_step: Any) -> str:
            facts.ran("second")
            return f"{value}-two"

        return ctx.step(second, name="second")

    return body


def serve(wrapped: Callable[[Any, Any], Any], facts: Facts) -> Callable[[Any], Any]:
    """The Lambda entry point for one execution around ``wrapped`` (a durable handler as
    ``durable_execution`` returns it); an exception out of it ends the invocation as Lambda
    ends it (an Unhandled function error)."""

    def invoke(event: Any) -> Any:
        with facts.lock:
            facts.invocations += 1
        try:
            output = wrapped(event, _Context())
        except Exception as error:  # noqa: BLE001
            with facts.lock:
                facts.outputs.append(f"error {type(error).__name__}")
            raise FunctionCrashed(type(error).__name__, str(error)) from None
        with facts.lock:
            facts.outputs.append(str(output.get("Status")))
        return output

    return invoke


def sdk_entry(proxy_url: str, driver: Any, facts: Facts) -> Callable[[Any], Any]:
    """The entry for the ``python-sdk*`` drivers: the SDK's own classification, or (driver
    ``classifier == "core"``) its boto3 client wrapped by ``durable_core.aws.classifying_client``
    with the driver's profile."""
    client = boto3_client(proxy_url)
    if driver.classifier == "core":
        import durable_core.aws

        client = durable_core.aws.classifying_client(client, profile=driver.profile)
    return serve(durable_execution(handler(facts), boto3_client=client), facts)


def core_entry(proxy_url: str, driver: Any, facts: Facts) -> Callable[[Any], Any]:
    """The entry for the ``core-python`` driver: no SDK at all, the same handler on
    ``durable_core.sdk`` (the invocation engine in the core) with the driver's profile."""
    from durable_core.sdk import config as core_config
    from durable_core.sdk import execution as core_execution

    wrapped = core_execution.durable_execution(
        handler(facts, core_config.Duration),
        boto3_client=boto3_client(proxy_url),
        profile=driver.profile,
    )
    return serve(wrapped, facts)
