"""Exceptions shaped like ``aws_durable_execution_sdk_python.exceptions``. The operation errors
are the engine's ``OperationError`` with the SDK's class names, so a handler that catches
``StepError`` or ``ChildContextError`` works unchanged."""

from __future__ import annotations

from ..invocation import OperationError
from ..step import ErrorObject


class DurableExecutionsError(Exception):
    """The base of the SDK's own errors."""


class ValidationError(DurableExecutionsError, ValueError):
    """A configuration or argument the SDK rejects."""

    wire_type = "aws_durable_execution_sdk_python.exceptions.ValidationError"


class ExecutionError(DurableExecutionsError):
    """Raised from a step, it fails the execution at once: no retry, no FAIL update."""

    unrecoverable = True
    wire_type = "aws_durable_execution_sdk_python.exceptions.ExecutionError"


class DurableOperationError(OperationError):
    """An operation failed (now or in an earlier invocation)."""

    error_class = "DurableOperationError"

    def __init__(self, error: ErrorObject | str, error_class: str | None = None) -> None:
        if isinstance(error, str):
            error = ErrorObject(message=error)
        super().__init__(error_class or type(self).error_class, error)


class StepError(DurableOperationError):
    error_class = "StepError"


class ChildContextError(DurableOperationError):
    error_class = "ChildContextError"


_CLASSES = {cls.error_class: cls for cls in (StepError, ChildContextError)}


def sdk_error(error: OperationError) -> DurableOperationError:
    """The SDK class for an operation error the engine raised."""
    cls = _CLASSES.get(error.error_class, DurableOperationError)
    return cls(error.error, error.error_class)
