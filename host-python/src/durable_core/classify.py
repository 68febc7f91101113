"""Checkpoint / state-fetch error classification: retry the invocation, or fail the execution?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ._runtime import runtime
from ._types import Profile, parse_enum, parse_profile
from .errors import invalid, wrong_type


class Api(StrEnum):
    """Which service call failed."""

    CHECKPOINT = "checkpoint"
    """CheckpointDurableExecution."""
    GET_STATE = "get-state"
    """GetDurableExecutionState."""


class Category(StrEnum):
    INVOCATION = "INVOCATION"
    """Fail the invocation; the service re-invokes and the execution continues."""
    EXECUTION = "EXECUTION"
    """Permanent: the handler returns FAILED."""


@dataclass(frozen=True)
class Classification:
    category: Category
    retryable: bool
    """True exactly when ``category`` is INVOCATION."""
    rule: str
    """The id of the rule that decided (see ``rules()``)."""
    summary: str = ""


# Bits of classify-packed's options word, as documented in wit/core.wit.
_API_BITS = {Api.CHECKPOINT: 0, Api.GET_STATE: 1}
_PROFILE_BITS = {Profile.UNIFIED: 0, Profile.PYTHON: 1 << 1, Profile.TS: 2 << 1}
_CODE_PRESENT = 1 << 3
_MESSAGE_PRESENT = 1 << 4
_PACKED_INVALID = 0xFFFFFFFF

_rule_table: tuple[Classification, ...] | None = None


def rules() -> tuple[Classification, ...]:
    """Every rule of the core, by discriminant: its id, category and a one-line summary."""
    global _rule_table
    if _rule_table is None:
        _rule_table = tuple(
            Classification(
                category=Category(info.category.upper()),
                retryable=info.retryable,
                rule=info.rule,
                summary=info.summary,
            )
            for info in runtime().call("classify#rules")
        )
    return _rule_table


def classify_api_error(
    status: int | None = None,
    code: str | None = None,
    message: str | None = None,
    *,
    api: Api | str = Api.CHECKPOINT,
    profile: Profile | str = Profile.UNIFIED,
) -> Classification:
    """Classify a failed CheckpointDurableExecution / GetDurableExecutionState call.

    ``status`` is the HTTP status (None or 0: no HTTP response), ``code`` the AWS error code
    and ``message`` the error message. Raises ``TypeError``/``ValueError`` naming the field.
    """
    # str-valued enum members hash like their values, so one dict serves both spellings.
    options = _PROFILE_BITS.get(profile)  # type: ignore[call-overload]
    if options is None:
        options = _PROFILE_BITS[parse_profile(profile)]
    api_bits = _API_BITS.get(api)  # type: ignore[call-overload]
    if api_bits is None:
        api_bits = _API_BITS[parse_enum(Api, "api", api)]
    options |= api_bits
    if status is None:
        status = 0
    elif type(status) is not int:  # bool is an int, but never a status
        raise wrong_type("status", status, "int or None")
    elif not 0 <= status <= 0xFFFF:
        raise invalid("status", status, "an HTTP status 0..65535", kind="out-of-range")
    code_bytes = _utf8("code", code)
    message_bytes = _utf8("message", message)
    if code is not None:
        options |= _CODE_PRESENT
    if message is not None:
        options |= _MESSAGE_PRESENT
    index = runtime().call_flat(
        "classify#classify-packed",
        ("u32", "u32", "string", "string"),
        "u32",
        options,
        status,
        code_bytes,
        message_bytes,
    )
    table = rules()
    if not 0 <= index < len(table):  # only a host/core version mismatch gets here
        raise RuntimeError(f"durable-core returned an unknown rule index {index}")
    return table[index]


def classify_exception(
    exc: BaseException,
    *,
    api: Api | str = Api.CHECKPOINT,
    profile: Profile | str = Profile.UNIFIED,
) -> Classification:
    """Classify an exception raised by a Lambda API call: a botocore ``ClientError`` (its
    ``response["Error"]`` and ``response["ResponseMetadata"]["HTTPStatusCode"]``) or any other
    exception, which had no HTTP response (network error, timeout)."""
    if not isinstance(exc, BaseException):
        raise wrong_type("exc", exc, "an exception")
    status, code, message = failure_fields(exc)
    return classify_api_error(status, code, message, api=api, profile=profile)


def failure_fields(exc: BaseException) -> tuple[int | None, str | None, str | None]:
    """What a failed call says: (HTTP status or None, error code, message), read from a
    botocore ``ClientError``; any other exception had no HTTP response."""
    response = getattr(exc, "response", None)
    if not isinstance(response, Mapping):
        return None, None, None
    metadata = response.get("ResponseMetadata")
    status = metadata.get("HTTPStatusCode") if isinstance(metadata, Mapping) else None
    error = response.get("Error")
    code = message = None
    if isinstance(error, Mapping) and error:
        code, message = error.get("Code"), error.get("Message")
        if code is None and message is None:
            code = ""  # a body with neither field is still a body (the python profile asks)
    return status or None, code, message


def _utf8(field: str, value: object) -> bytes:
    if value is None:
        return b""
    if not isinstance(value, str):
        raise wrong_type(field, value, "str or None")
    try:
        return value.encode()
    except UnicodeEncodeError as err:
        raise invalid(
            field, value, f"valid Unicode (lone surrogate at index {err.start})"
        ) from None
