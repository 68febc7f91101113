"""Enums shared by every rule: profiles and the validation of user-supplied names."""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TypeVar

from ._record import FrozenRecord
from .errors import invalid, wrong_type


class Profile(StrEnum):
    """Which rule family to apply. ``python`` and ``ts`` are aliases of the family's newest
    release profile (``python@3.0.0``, ``ts@2.4.0``; see ``durable_core.profiles()``); every
    ``profile=`` argument also accepts the release names."""

    UNIFIED = "unified"
    """durable-core's documented reconciliation (the default)."""
    PYTHON = "python"
    """aws-durable-execution-sdk-python; today exactly 3.0.0 (``python@3.0.0``)."""
    TS = "ts"
    """@aws/durable-execution-sdk-js; today exactly 2.4.0 (``ts@2.4.0``)."""


class ProfileInfo(FrozenRecord):
    """One profile, named after the SDK release it reproduces (the core's own table)."""

    _fields = ("name", "family", "alias", "reproduces", "release_id")
    __slots__ = __match_args__ = _fields
    name: str
    """``python@3.0.0``, ``ts@2.4.0`` or ``unified``."""
    family: Profile
    alias: str | None
    """The family name when this is the family's newest release, else None."""
    reproduces: str
    release_id: int
    """Its id in ``classify-packed`` (index in the table + 1)."""

    def __init__(
        self, name: str, family: Profile, alias: str | None, reproduces: str, release_id: int
    ) -> None:
        self._set(
            name=name, family=family, alias=alias, reproduces=reproduces, release_id=release_id
        )


_profile_table: dict[str, ProfileInfo] | None = None


def profiles() -> tuple[ProfileInfo, ...]:
    """Every profile the loaded core knows, oldest release of each family first."""
    return tuple(dict.fromkeys(_table().values()))


def _table() -> dict[str, ProfileInfo]:
    """Every accepted name (release names and aliases) to its profile, read once."""
    global _profile_table
    if _profile_table is None:
        from ._runtime import runtime

        table: dict[str, ProfileInfo] = {}
        for i, raw in enumerate(runtime().call("info#profiles")):
            info = ProfileInfo(
                name=raw.name,
                family=Profile(raw.family),
                alias=raw.alias,
                reproduces=raw.reproduces,
                release_id=i + 1,
            )
            table[info.name] = info
        for info in list(table.values()):
            if info.alias is not None:
                table[info.alias] = info
        _profile_table = table
    return _profile_table


def profile_info(value: object) -> ProfileInfo:
    """The profile a ``profile=`` argument names: a Profile, a family alias or a release name."""
    if not isinstance(value, str):
        raise wrong_type("profile", value, "str")
    info = _table().get(value)
    if info is None:
        choices = ", ".join(repr(name) for name in _table())
        raise invalid("profile", value, f"one of {choices}")
    return info


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
    """The rule family of a ``profile=`` argument (release names accepted). The retry and step
    rules are per family: no release of a family differs from another in them today."""
    if isinstance(value, Profile):
        return value
    if isinstance(value, str) and value in _FAMILIES:
        return Profile(value)
    return profile_info(value).family


_FAMILIES = frozenset(p.value for p in Profile)
