"""An in-memory checkpoint service for unit tests of run_step: tokens, the step transitions the
service allows, and injectable failures. The end-to-end tests use the real local service."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from durable_core import CheckpointResult


def client_error(status: int, code: str, message: str, operation: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


# Allowed prior statuses per STEP action (conformance-notes 3.7).
_ALLOWED = {
    "START": (None, "READY"),
    "SUCCEED": (None, "STARTED", "READY"),
    "FAIL": (None, "STARTED", "READY"),
    "RETRY": (None, "STARTED", "READY"),
}


class MemoryService:
    def __init__(self, now_ms: float = 1_700_000_000_000.0) -> None:
        self.now_ms = now_ms
        self.ops: dict[str, dict[str, Any]] = {}
        self.seq = 0
        self.calls: list[list[dict[str, Any]]] = []
        self.state_calls = 0
        self.fail_next: Exception | None = None
        self.page_size = 1000

    @property
    def token(self) -> str:
        return f"token-{self.seq}"

    def clock(self) -> float:
        return self.now_ms / 1000

    def fire_timers(self) -> None:
        for op in self.ops.values():
            details = op.get("StepDetails", {})
            if op["Status"] == "PENDING" and details["NextAttemptTimestamp"] <= self.now_ms:
                op["Status"] = "READY"
                del details["NextAttemptTimestamp"]

    def checkpoint(self, arn, token, updates):
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        if token != self.token:
            raise client_error(
                400,
                "InvalidParameterValueException",
                "Invalid checkpoint token",
                "CheckpointDurableExecution",
            )
        changed = {}
        for update in updates:
            changed[update["Id"]] = self._apply(update)
        self.calls.append(updates)
        self.seq += 1
        return CheckpointResult(self.token, [dict(op) for op in changed.values()])

    def get_state(self, arn, token, marker=None):
        self.state_calls += 1
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        ops = list(self.ops.values())
        start = int(marker or 0)
        end = start + self.page_size
        return [dict(op) for op in ops[start:end]], (str(end) if end < len(ops) else None)

    def _apply(self, update: dict[str, Any]) -> dict[str, Any]:
        op = self.ops.get(update["Id"])
        status = None if op is None else op["Status"]
        action = update["Action"]
        if update["Type"] != "STEP" or status not in _ALLOWED[action]:
            raise client_error(
                400,
                "InvalidParameterValueException",
                f"Invalid {action} for {update['Type']} in status {status}",
                "CheckpointDurableExecution",
            )
        if op is None:
            op = {
                key: update[key]
                for key in ("Id", "Type", "SubType", "Name", "ParentId")
                if key in update
            }
            op["StartTimestamp"] = self.now_ms
            self.ops[update["Id"]] = op
        details = op.setdefault("StepDetails", {})
        if action == "START":
            op["Status"] = "STARTED"
            return op
        details["Attempt"] = details.get("Attempt", 0) + 1
        if action == "SUCCEED":
            op["Status"] = "SUCCEEDED"
            if "Payload" in update:
                details["Result"] = update["Payload"]
        elif action == "FAIL":
            op["Status"] = "FAILED"
            details["Error"] = update["Error"]
        else:
            op["Status"] = "PENDING"
            details["Error"] = update["Error"]
            delay = update["StepOptions"]["NextAttemptDelaySeconds"]
            details["NextAttemptTimestamp"] = self.now_ms + delay * 1000
        return op
