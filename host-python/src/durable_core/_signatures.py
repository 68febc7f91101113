"""The WIT signatures of the typed calls this host makes with parameters.

The native backend (``_native``) lowers arguments by these types, so that registering a retry
strategy or deriving an operation id does not load wasmtime-py's type machinery (about 35 ms of
a cold start, and wasmtime's full library). ``tests/test_signatures.py`` holds each one equal to
the type the component itself reports, so a contract change cannot leave them behind.

A type is ``"u16"``, ``"u32"``, ``"u64"``, ``"f64"``, ``"string"`` or ``"bool"``, or a tuple:
``("enum", names)``, ``("option", type)``, ``("list", type)``, ``("record", ((field, type),
...))``, ``("result", ok, err)``. A signature is ``(params, result)``; ``result`` None for no
result.
"""

from __future__ import annotations

from typing import Any

Type = Any  # str | tuple: see the module docstring

_PROFILE: Type = ("enum", ("unified", "python", "ts"))
_ERROR_KIND: Type = ("enum", ("invalid-value", "out-of-range", "malformed", "missing"))
_ERROR: Type = (
    "record",
    (("kind", _ERROR_KIND), ("field", "string"), ("value", "string"), ("message", "string")),
)
_PATTERN: Type = (
    "record",
    (
        ("syntax", ("enum", ("substring", "python-regex", "js-regex"))),
        ("source", "string"),
        ("flags", "string"),
    ),
)
_STRATEGY_CONFIG: Type = (
    "record",
    (
        ("backoff", ("enum", ("exponential", "linear"))),
        ("max-attempts", ("option", "f64")),
        ("initial-delay-seconds", ("option", "f64")),
        ("max-delay-seconds", ("option", "f64")),
        ("backoff-rate", ("option", "f64")),
        ("increment-seconds", ("option", "f64")),
        ("jitter", ("option", "string")),
        ("retryable-errors", ("option", ("list", _PATTERN))),
        ("retryable-error-types", ("option", ("list", "string"))),
    ),
)
_DECISION: Type = (
    "record",
    (
        ("outcome", ("enum", ("retry", "attempts-exhausted", "not-retryable"))),
        ("delay-seconds", "u64"),
    ),
)

_EFFECTIVE_CONFIG: Type = (
    "record",
    (
        ("backoff", ("enum", ("exponential", "linear"))),
        ("max-attempts", "u32"),
        ("initial-delay-seconds", "f64"),
        ("max-delay-seconds", "f64"),
        ("backoff-rate", "f64"),
        ("increment-seconds", "f64"),
        ("jitter", "string"),
        ("retries-every-error", "bool"),
    ),
)
_CATEGORY: Type = ("enum", ("invocation", "execution"))
_API_FAILURE: Type = (
    "record",
    (
        ("api", ("enum", ("checkpoint", "get-state"))),
        ("status", ("option", "u16")),
        ("code", ("option", "string")),
        ("message", ("option", "string")),
        ("status-text", ("option", "string")),
        ("stated-scope", ("option", _CATEGORY)),
        ("wrapped", "bool"),
    ),
)
_RULE: Type = (
    "enum",
    (
        "kms-customer-error",
        "stale-checkpoint-token",
        "throttled",
        "client-error",
        "client-error-without-body",
        "server-error",
        "no-http-response",
        "other-status",
        "state-fetch-unclassified",
        "stated-invocation",
        "stated-execution",
    ),
)

SIGNATURES: dict[str, tuple[tuple[Type, ...], Type | None]] = {
    "classify#classify-named": (
        (_API_FAILURE, "string"),
        (
            "result",
            ("record", (("category", _CATEGORY), ("retryable", "bool"), ("rule", _RULE))),
            _ERROR,
        ),
    ),
    "retry#preset": (
        ("string", _PROFILE, ("option", "f64")),
        ("result", _STRATEGY_CONFIG, _ERROR),
    ),
    "retry#resolve": ((_STRATEGY_CONFIG, _PROFILE), ("result", _EFFECTIVE_CONFIG, _ERROR)),
    "retry#register": ((_STRATEGY_CONFIG, _PROFILE), ("result", "u32", _ERROR)),
    "retry#release": (("u32",), None),
    "retry#decide-registered": (
        ("u32", "f64", "f64", "string", ("list", "string")),
        ("result", _DECISION, _ERROR),
    ),
    "step#operation-id": (
        (_PROFILE, ("option", "string"), "u32"),
        ("result", ("record", (("step-id", "string"), ("id", "string"))), _ERROR),
    ),
}
