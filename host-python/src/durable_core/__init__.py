"""durable-core: the rules of AWS Lambda durable executions, from one WebAssembly component.

The rules live in the component; this package translates Python values to and from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._runtime import runtime
from ._types import Profile, ProfileInfo, profiles
from .classify import Api, Category, Classification, classify_api_error, classify_exception, rules
from .errors import ComponentTrapError, DurableCoreError, InvalidInputError, InvalidTypeError

if TYPE_CHECKING:
    from . import aws, retry, step
    from .driver import (
        CheckpointClient,
        CheckpointFailed,
        CheckpointResult,
        CheckpointToken,
        FailExecutionError,
        Invocation,
        NonDeterministicError,
        StepError,
        StepSerdesError,
        SuspendExecution,
        run_step,
    )
    from .step import Semantics, StepCall

# The step and retry APIs (and the SDK adapters) are loaded on first use: their dataclasses
# cost milliseconds of import, which a host that only classifies errors should not pay at
# cold start.
_LAZY = {
    **dict.fromkeys(
        (
            "CheckpointClient",
            "CheckpointFailed",
            "CheckpointResult",
            "CheckpointToken",
            "FailExecutionError",
            "Invocation",
            "NonDeterministicError",
            "StepError",
            "StepSerdesError",
            "SuspendExecution",
            "run_step",
        ),
        "driver",
    ),
    "Semantics": "step",
    "StepCall": "step",
}


def __getattr__(name: str) -> Any:
    if name in ("aws", "retry", "step"):
        return import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


@dataclass(frozen=True)
class CoreInfo:
    crate_version: str
    wit_version: str
    rules_version: int


def core_info() -> CoreInfo:
    """Which core this package loaded: crate, WIT contract and rules versions."""
    info = runtime().call("info#describe")
    fields = vars(info)
    return CoreInfo(fields["crate-version"], fields["wit-version"], fields["rules-version"])


__all__ = [
    "Api",
    "Category",
    "CheckpointClient",
    "CheckpointFailed",
    "CheckpointResult",
    "CheckpointToken",
    "Classification",
    "ComponentTrapError",
    "CoreInfo",
    "DurableCoreError",
    "FailExecutionError",
    "InvalidInputError",
    "InvalidTypeError",
    "Invocation",
    "NonDeterministicError",
    "Profile",
    "ProfileInfo",
    "Semantics",
    "StepCall",
    "StepError",
    "StepSerdesError",
    "SuspendExecution",
    "aws",
    "classify_api_error",
    "classify_exception",
    "core_info",
    "profiles",
    "retry",
    "rules",
    "run_step",
    "step",
]
