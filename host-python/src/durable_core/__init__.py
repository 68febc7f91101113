"""durable-core: the rules of AWS Lambda durable executions, from one WebAssembly component.

The rules live in the component; this package translates Python values to and from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import aws, retry
from ._runtime import runtime
from ._types import Profile
from .classify import Api, Category, Classification, classify_api_error, classify_exception, rules
from .errors import ComponentTrapError, DurableCoreError, InvalidInputError, InvalidTypeError


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
    "Classification",
    "ComponentTrapError",
    "CoreInfo",
    "DurableCoreError",
    "InvalidInputError",
    "InvalidTypeError",
    "Profile",
    "aws",
    "classify_api_error",
    "classify_exception",
    "core_info",
    "retry",
    "rules",
]
