"""Checkpoint / state-fetch error classification: retry the invocation, or fail the execution?"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from ._record import FrozenRecord
from ._runtime import runtime
from ._types import Profile, parse_enum, profile_info
from .errors import InvalidTypeError, invalid, wrong_type


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


class Classification(FrozenRecord):
    _fields = ("category", "retryable", "rule", "summary")
    __slots__ = __match_args__ = _fields
    category: Category
    retryable: bool
    """True exactly when ``category`` is INVOCATION."""
    rule: str
    """The id of the rule that decided (see ``rules()``)."""
    summary: str

    def __init__(self, category: Category, retryable: bool, rule: str, summary: str = "") -> None:
        self._set(category=category, retryable=retryable, rule=rule, summary=summary)


# Bits of classify-packed's options word, as documented in wit/core.wit.
_API_BITS = {Api.CHECKPOINT: 0, Api.GET_STATE: 1}
_PROFILE_BITS = {Profile.UNIFIED: 0, Profile.PYTHON: 1 << 1, Profile.TS: 2 << 1}
_CODE_PRESENT = 1 << 3
_MESSAGE_PRESENT = 1 << 4
_SCOPE_BITS = {None: 0, Category.INVOCATION: 1 << 5, Category.EXECUTION: (1 << 5) | (1 << 6)}
_WRAPPED = 1 << 7
_RELEASE_SHIFT = 8
_PACKED_INVALID = 0xFFFFFFFF
_MAX_CHAIN = 32
"""Links of ``__cause__``/``__context__`` followed at most (a cycle ends the walk earlier)."""
_PROGRAMMING_ERRORS = (TypeError, AttributeError, NameError)

_rule_table: tuple[Classification, ...] | None = None
_by_rule_id: dict[str, Classification] | None = None


def rules() -> tuple[Classification, ...]:
    """Every rule of the core, by discriminant: its id, category and a one-line summary."""
    global _rule_table, _by_rule_id
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
        _by_rule_id = {c.rule: c for c in _rule_table}
    return _rule_table


def classify_api_error(
    status: int | float | str | None = None,
    code: str | None = None,
    message: str | None = None,
    *,
    api: Api | str = Api.CHECKPOINT,
    profile: Profile | str = Profile.UNIFIED,
    stated_scope: Category | str | None = None,
    wrapped: bool = False,
) -> Classification:
    """Classify a failed CheckpointDurableExecution / GetDurableExecutionState call.

    ``status`` is the HTTP status (None or 0: no HTTP response). A status that is not an integer
    0..65535 (text such as ``"429"``, a fraction, a number out of range) is read as the JS SDK
    reads ``$metadata.httpStatusCode``: as JavaScript's ``Number()`` converts it. ``code`` is
    the AWS error code and ``message`` the error message. ``stated_scope`` is the scope the
    transport stated (INVOCATION / EXECUTION), honoured before any other rule; ``wrapped`` says
    the fields were read from an error the raised one wraps. ``profile`` is ``unified``, a
    family alias (``python``, ``ts``) or a release (``python@3.0.0``, ``ts@2.4.0``).
    Raises ``TypeError``/``ValueError`` naming the field.
    """
    # str-valued enum members hash like their values, so one dict serves both spellings.
    options = _PROFILE_BITS.get(profile) if isinstance(profile, str) else None
    if options is None:
        options = profile_info(profile).release_id << _RELEASE_SHIFT
    api_bits = _API_BITS.get(api) if isinstance(api, str) else None
    if api_bits is None:
        api_bits = _API_BITS[parse_enum(Api, "api", api)]
    options |= api_bits
    scope_bits = _SCOPE_BITS.get(stated_scope) if isinstance(stated_scope, str | None) else None
    if scope_bits is None:
        scope_bits = _SCOPE_BITS[parse_enum(Category, "stated_scope", stated_scope)]
    options |= scope_bits
    if wrapped is True:
        options |= _WRAPPED
    elif wrapped is not False:
        raise wrong_type("wrapped", wrapped, "bool")
    status_text: str | None = None
    if status is None:
        status = 0
    elif type(status) is not int or not 0 <= status <= 0xFFFF:
        status, status_text = _status(status)
    code_bytes = _utf8("code", code)
    message_bytes = _utf8("message", message)
    if code is not None:
        options |= _CODE_PRESENT
    if message is not None:
        options |= _MESSAGE_PRESENT
    if status_text is not None:
        return _classify_named(options, status_text, code, message, profile)
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


def _status(status: object) -> tuple[int, str | None]:
    """A status that is not an int 0..65535: as (int status, None) when it is one after all
    (429.0), else (0, the text the core reads as JavaScript's Number() would)."""
    if isinstance(status, bool) or not isinstance(status, int | float | str):
        raise wrong_type("status", status, "int, float, str or None")
    if isinstance(status, str):
        _utf8("status", status)
        return 0, status
    if isinstance(status, int):  # an int subclass such as http.HTTPStatus is its number
        number = int(status)
        return (number, None) if 0 <= number <= 0xFFFF else (0, str(number))
    number = float(status)
    if math.isnan(number):
        return 0, "NaN"
    if math.isinf(number):
        return 0, "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and 0 <= number <= 0xFFFF:
        return int(number), None
    return 0, repr(number)


def _classify_named(
    options: int, status_text: str, code: str | None, message: str | None, profile: object
) -> Classification:
    """The typed path, for a status only text can carry."""
    from ._native import Record

    failure = Record()
    failure.api = "get-state" if options & 1 else "checkpoint"
    failure.status = None
    failure.code = code
    failure.message = message
    setattr(failure, "status-text", status_text)
    scope = None
    if options & (1 << 5):
        scope = "execution" if options & (1 << 6) else "invocation"
    setattr(failure, "stated-scope", scope)
    failure.wrapped = bool(options & _WRAPPED)
    name = profile_info(profile).name
    result = runtime().call("classify#classify-named", failure, name)
    if getattr(result, "tag", None) == "err" or hasattr(result, "field"):
        raise RuntimeError(f"durable-core rejected the profile {name!r} its own table lists")
    rule = getattr(result, "payload", result).rule
    rules()
    found = _by_rule_id.get(rule) if _by_rule_id is not None else None
    if found is None:  # only a host/core version mismatch gets here
        raise RuntimeError(f"durable-core returned an unknown rule {rule!r}")
    return found


class _Read(FrozenRecord):
    """What one link of an exception chain says about the failed call."""

    _fields = ("status", "code", "message", "stated_scope")
    __slots__ = _fields
    status: object
    code: str | None
    message: str | None
    stated_scope: str | None

    def __init__(
        self,
        status: object = None,
        code: str | None = None,
        message: str | None = None,
        stated_scope: str | None = None,
    ) -> None:
        self._set(status=status, code=code, message=message, stated_scope=stated_scope)


def classify_exception(
    exc: BaseException,
    *,
    api: Api | str = Api.CHECKPOINT,
    profile: Profile | str = Profile.UNIFIED,
) -> Classification:
    """Classify an exception raised by a Lambda API call.

    Walks the exception and what it wraps (``__cause__``, else ``__context__`` unless
    suppressed; at most 32 links, cycles end the walk) and classifies the first link that says
    something about the call:

    * an aws-durable-execution-sdk-python ``BotoClientError`` (``CheckpointError``,
      ``GetExecutionStateError``) carrying the AWS response it was built from: that response
      (``error``, ``response_metadata``); one carrying none states its ``error_category``;
    * a botocore ``ClientError``: ``response["Error"]`` and
      ``response["ResponseMetadata"]["HTTPStatusCode"]``.

    A link found below the raised exception is passed as ``wrapped``: the released SDKs read
    only the raised exception, so the ``python@3.0.0`` and ``ts@2.4.0`` profiles then see a
    failure without an HTTP response. With no such link the call had no HTTP response
    (network error, timeout), unless the root cause (the last link) is a programming error
    (``TypeError``, ``AttributeError``, ``NameError``: e.g. a transport that is not a client),
    which raises ``TypeError`` instead of a classification that would have Lambda retry until
    the timeout.
    """
    read, wrapped = _walk(exc)
    if read is None:
        return classify_api_error(api=api, profile=profile)
    return classify_api_error(
        read.status,
        read.code,
        read.message,
        api=api,
        profile=profile,
        stated_scope=read.stated_scope,
        wrapped=wrapped,
    )


def failure_report(exc: BaseException) -> dict[str, Any]:
    """What a raised error says about a failed call, in the invocation engine's words
    (``io-done``'s ``failure``): ``status`` (an int 0..65535, or None), ``status_text`` (a status
    only text can carry), ``code``, ``message``, ``stated_scope``, ``wrapped``, and ``text``, the
    error as the SDK would put it in a FAILED output (``str(exc)``). Read exactly as
    ``classify_exception`` reads it, programming errors included (``TypeError``)."""
    read, wrapped = _walk(exc)
    report: dict[str, Any] = {"text": str(exc), "wrapped": wrapped}
    if read is None:
        return report
    status = read.status
    if status is not None and not (isinstance(status, int) and 0 <= status <= 0xFFFF):
        status, text = _status(status)
        report["status_text"] = text
    report.update(
        status=status or None,
        code=read.code,
        message=read.message,
        stated_scope=read.stated_scope,
    )
    return report


def _walk(exc: BaseException) -> tuple[_Read | None, bool]:
    """The first link of the exception's chain that says something about the call, and whether
    it is below the raised exception; (None, False) when none does. A chain whose root cause is
    a programming error raises ``TypeError``."""
    if not isinstance(exc, BaseException):
        raise wrong_type("exc", exc, "an exception")
    link: BaseException | None = exc
    root = exc
    seen: set[int] = set()
    depth = 0
    while link is not None and id(link) not in seen and depth < _MAX_CHAIN:
        seen.add(id(link))
        read = _read(link)
        if read is not None:
            return read, depth > 0
        root = link
        cause = link.__cause__
        link = cause if cause is not None or link.__suppress_context__ else link.__context__
        depth += 1
    # The root cause (the last link reached) decides whether this was a call at all.
    programming_error = root if isinstance(root, _PROGRAMMING_ERRORS) else None
    if programming_error is not None:
        raise InvalidTypeError(
            f"exc: {type(programming_error).__name__} ({programming_error}) is a programming "
            "error, not a failed service call: retrying the invocation cannot fix it",
            kind="wrong-type",
            field="exc",
            value=exc,
        ) from exc
    return None, False


def _read(link: BaseException) -> _Read | None:
    category = getattr(link, "error_category", None)
    if category is not None and hasattr(link, "response_metadata") and hasattr(link, "error"):
        # The Python SDK's BotoClientError. Built by from_exception, it carries the response
        # its category was derived from; built by a transport without one, it states a scope.
        error, metadata = link.error, link.response_metadata  # type: ignore[attr-defined]
        if error is not None or metadata is not None:
            return _from_response({"Error": error, "ResponseMetadata": metadata})
        scope = getattr(category, "value", category)
        if scope in ("INVOCATION", "EXECUTION"):
            return _Read(stated_scope=scope)
        return None
    response = getattr(link, "response", None)
    if isinstance(response, Mapping):
        return _from_response(response)
    return None


def _from_response(response: Mapping[str, Any]) -> _Read:
    metadata = response.get("ResponseMetadata")
    status = metadata.get("HTTPStatusCode") if isinstance(metadata, Mapping) else None
    error = response.get("Error")
    code = message = None
    if isinstance(error, Mapping) and error:
        code, message = error.get("Code"), error.get("Message")
        if code is None and message is None:
            code = ""  # a body with neither field is still a body (the python profile asks)
    return _Read(status=status or None, code=code, message=message)


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
