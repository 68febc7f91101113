"""The package's errors: every rejection names the field and the value."""

from __future__ import annotations


class DurableCoreError(Exception):
    """Base class of every error durable-core raises."""

    def __init__(self, message: str, *, kind: str, field: str = "", value: object = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.field = field
        self.value = value


class InvalidInputError(DurableCoreError, ValueError):
    """A value of the right type that the rules do not accept (also a ``ValueError``)."""


class InvalidTypeError(DurableCoreError, TypeError):
    """A value of the wrong type (also a ``TypeError``)."""


class ComponentTrapError(DurableCoreError):
    """The component trapped. The instance was discarded; the next call gets a fresh one."""


def invalid(
    field: str, value: object, expected: str, kind: str = "invalid-value"
) -> InvalidInputError:
    return InvalidInputError(
        f"{field}: expected {expected}, got {value!r}", kind=kind, field=field, value=value
    )


def wrong_type(field: str, value: object, expected: str) -> InvalidTypeError:
    return InvalidTypeError(
        f"{field}: expected {expected}, got {type(value).__name__} {value!r}",
        kind="wrong-type",
        field=field,
        value=value,
    )
