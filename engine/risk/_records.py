"""Building the risk settings' frozen dataclasses from stored dicts, with a clear error for unknown keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

from engine.errors import ParameterError

T = TypeVar("T")


def from_stored(cls: type[T], data: Mapping[str, Any], what: str, known_as: str) -> T:
    """`cls(**data)`; unknown keys raise ParameterError naming the known ones (e.g. "risk limit", "limits")."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise ParameterError(f"unknown {what}(s) {unknown}; known {known_as} are {sorted(known)}")
    return cls(**dict(data))
