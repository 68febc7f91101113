"""Immutable value records for what a classify-only cold start creates.

``@dataclass(frozen=True)`` writes its methods with ``exec`` when the class is defined: about
0.7 ms per class on CPython 3.11, a tenth of what ``import durable_core`` may add to a Lambda cold
start. The records on that path (``Classification``, ``ProfileInfo``, ``CoreInfo``) derive from
this base instead and behave as frozen dataclasses do: equality and hashing by field values,
a ``repr`` naming the fields, no assignment or deletion, pickling and copying, ``match`` by
position. Each subclass lists its fields, in order, in ``_fields`` (also its ``__slots__``
and ``__match_args__``) and writes its own ``__init__`` (so
type checkers see the real signature) through ``_set``.
"""

from __future__ import annotations

from typing import Any


class FrozenRecord:
    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({fields})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._values())
