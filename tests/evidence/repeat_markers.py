"""The vector files' `{{repeat:N:UNIT}}` markers (tests/README.md): the vector runner expands
them, the evidence capture expands its inputs and abbreviates what it writes."""

from __future__ import annotations

import re
from typing import Any

# Vector strings may abbreviate a long run of one short unit as {{repeat:N:UNIT}} (UNIT 1 to 8
# characters, repeated N times), so multi-megabyte payloads stay small in the file.
REPEAT = re.compile(r"\{\{repeat:(\d+):(.{1,8}?)\}\}", re.DOTALL)


def _abbreviate_string(text: str) -> str:
    """Left to right: at each position, the shortest unit (1 to 8 characters) that repeats 1024+
    times from there is written as one marker."""
    if len(text) < 1024:
        return text
    parts: list[str] = []
    literal = i = 0
    while i < len(text):
        found = None
        for size in range(1, 9):
            if i + size > len(text):
                break
            j = i + size
            while j < len(text) and text[j] == text[j - size]:
                j += 1
            times = (j - i) // size
            if times >= 1024:
                found = (size, times)
                break
        if found is None:
            i += 1
            continue
        size, times = found
        parts.append(text[literal:i])
        parts.append(f"{{{{repeat:{times}:{text[i : i + size]}}}}}")
        i += size * times
        literal = i
    parts.append(text[literal:])
    return "".join(parts)


def expand(value: Any) -> Any:
    """`value` with every {{repeat:N:UNIT}} written out."""
    if isinstance(value, str):
        return REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), value)
    if isinstance(value, list):
        return [expand(v) for v in value]
    if isinstance(value, dict):
        return {k: expand(v) for k, v in value.items()}
    return value


def abbreviate(value: Any) -> Any:
    """`value` with every run of 1024+ repeats of a unit written as {{repeat:N:UNIT}}."""
    if isinstance(value, str):
        return _abbreviate_string(value)
    if isinstance(value, list):
        return [abbreviate(v) for v in value]
    if isinstance(value, dict):
        return {k: abbreviate(v) for k, v in value.items()}
    return value
