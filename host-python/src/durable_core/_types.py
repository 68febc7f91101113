"""Enums shared by every rule: profiles and the validation of user-supplied names."""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TypeVar

from .errors import invalid, wrong_type


class Profile(StrEnum):
    """Which rule set to apply."""

    UNIFIED = "unified"
    """durable-core's documented reconciliation (the default)."""
    PYTHON = "python"
    """Exactly aws-durable-execution-sdk-python 3.0.0."""
    TS = "ts"
    """Exactly @aws/durable-execution-sdk-js 2.4.0."""


E = TypeVar("E", bound=Enum)


def parse_enum(enum: type[E], field: str, value: object) -> E:
    """Accept an enum member or its string value; name the field otherwise."""
    if isinstance(value, enum):
        return value
    if not isinstance(value, str):
        raise wrong_type(field, value, "str")
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in enum)
        raise invalid(field, value, f"one of {choices}") from None


def parse_profile(value: object) -> Profile:
    return parse_enum(Profile, "profile", value)
