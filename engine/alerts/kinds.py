"""The alert kinds by name, and validation of a rule's kind and parameters ("did you mean" included)."""

from __future__ import annotations

import difflib
from typing import Any

from engine.alerts.bar_kinds import BAR_KINDS
from engine.alerts.spec import AlertRuleError, Kind
from engine.alerts.state_kinds import STATE_KINDS
from engine.errors import ParameterError

KINDS: dict[str, Kind] = {k.name: k for k in (*BAR_KINDS, *STATE_KINDS)}


def get_kind(name: str) -> Kind:
    """The kind called `name`; raises AlertRuleError with the closest name for a typo."""
    key = str(name).strip().lower()
    if key in KINDS:
        return KINDS[key]
    close = difflib.get_close_matches(key, list(KINDS), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise AlertRuleError(f"unknown alert kind {name!r}{hint} (kinds: {', '.join(KINDS)})")


def validate_params(kind: Kind, given: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with `given`, coerced to each parameter's type and range, then cross-checked.

    Raises AlertRuleError naming the parameter and what to write instead.
    """
    given = dict(given or {})
    known = {p.name: p for p in kind.params}
    for key in given:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else (
                f"; it takes {', '.join(sorted(known))}" if known else "; it takes no parameters")
            raise AlertRuleError(f"{kind.name} has no parameter {key!r}{hint}")
    try:
        params = {name: p.coerce(given.get(name, p.default)) for name, p in known.items()}
    except ParameterError as exc:
        raise AlertRuleError(f"{kind.name}: {exc}") from None
    if kind.validate is not None:
        try:
            kind.validate(params)
        except AlertRuleError as exc:
            raise AlertRuleError(f"{kind.name}: {exc}") from None
    return params


def list_kinds() -> list[Kind]:
    return list(KINDS.values())
