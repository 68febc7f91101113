"""The Python testing SDK's local service (``dex-local-runner start-server``) with a
Lambda-compatible endpoint in this process, for end-to-end tests: the conformance harness's one
implementation of both, read back through botocore. Loopback only; every wait is bounded."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from harness.local_service import FunctionEndpoint
from harness.local_service import LocalService as DexService
from harness.local_service import lambda_client as local_lambda_client

WAIT_SECONDS = 40


def lambda_client(endpoint: str) -> Any:
    return local_lambda_client(endpoint, read_timeout=20)


class LocalService:
    def __init__(self, *, skip_time: bool = False) -> None:
        self.functions = FunctionEndpoint()
        self.dex = DexService(self.functions.url, skip_time=skip_time)
        self.url = self.dex.url
        self.lam = lambda_client(self.url)

    def log(self) -> str:
        return self.dex.log()

    def close(self) -> None:
        self.dex.close()
        self.functions.close()

    def start(self, handler: Callable[[Any], Any], payload: object = None) -> str:
        """Register ``handler`` as a new function and start an execution of it."""
        name = f"fn-{uuid.uuid4().hex[:12]}"
        self.functions.handlers[name] = handler
        return self.dex.start(name, payload or {}, timeout_seconds=120)

    def wait(self, arn: str) -> dict:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            execution = self.lam.get_durable_execution(DurableExecutionArn=arn)
            if execution["Status"] != "RUNNING":
                return execution
            time.sleep(0.1)
        raise AssertionError(f"execution still RUNNING after {WAIT_SECONDS} s:\n{self.log()}")

    def history(self, arn: str) -> list[dict]:
        events, marker = [], None
        for _ in range(100):
            page = self.lam.get_durable_execution_history(
                DurableExecutionArn=arn,
                IncludeExecutionData=True,
                **({"Marker": marker} if marker else {}),
            )
            events += page["Events"]
            marker = page.get("NextMarker")
            if not marker:
                return events
        raise AssertionError("history never ended")


def event_types(history: list[dict]) -> list[tuple[str, str | None]]:
    return [(e["EventType"], e.get("Name")) for e in history]
