"""durable-core: the rules of AWS Lambda durable executions, from one WebAssembly component.

The rules live in the component; this package translates Python values to and from it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._record import FrozenRecord
from ._runtime import runtime
from ._types import Profile, ProfileInfo, profiles
from .classify import Api, Category, Classification, classify_api_error, classify_exception, rules
from .errors import ComponentTrapError, DurableCoreError, InvalidInputError, InvalidTypeError

if TYPE_CHECKING:
    from . import aws, invocation, retry, sdk, step
    from .invocation import Engine, InvocationFailed, OperationError
    from .step import Semantics, StepCall

# The step, retry and invocation APIs (and the SDK adapters) are loaded on first use: their
# dataclasses cost milliseconds of import, which a host that only classifies errors should not
# pay at cold start.
_LAZY = {
    "Engine": "invocation",
    "InvocationFailed": "invocation",
    "OperationError": "invocation",
    "Semantics": "step",
    "StepCall": "step",
}


def __getattr__(name: str) -> Any:
    if name in ("aws", "invocation", "retry", "sdk", "step"):
        return import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


class CoreInfo(FrozenRecord):
    _fields = ("crate_version", "wit_version", "rules_version")
    __slots__ = __match_args__ = _fields
    crate_version: str
    wit_version: str
    rules_version: int

    def __init__(self, crate_version: str, wit_version: str, rules_version: int) -> None:
        self._set(crate_version=crate_version, wit_version=wit_version, rules_version=rules_version)


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
    "Engine",
    "InvalidInputError",
    "InvalidTypeError",
    "InvocationFailed",
    "OperationError",
    "Profile",
    "ProfileInfo",
    "Semantics",
    "StepCall",
    "aws",
    "classify_api_error",
    "classify_exception",
    "core_info",
    "invocation",
    "profiles",
    "retry",
    "rules",
    "sdk",
    "step",
]
