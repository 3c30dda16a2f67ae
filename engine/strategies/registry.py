"""Strategy registry: built-ins register on import; plugin files are loaded and never crash the app."""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import inspect
import re
import sys
import threading
from pathlib import Path

from engine.errors import StrategyError
from engine.strategies.base import Strategy

_REGISTRY: dict[str, type[Strategy]] = {}
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_LOAD_LOCK = threading.Lock()  # pages may reload plugins from several sessions at once


class PluginProblem(str):
    """One problem found while loading plugins: a readable message (it *is* the str) plus fields.

    `path` is the plugin file (or folder), `kind` one of "syntax", "import", "error", "duplicate",
    "invalid", "empty", "folder".
    """

    path: Path
    kind: str

    def __new__(cls, path: Path, kind: str, message: str) -> PluginProblem:
        obj = super().__new__(cls, f"{path.name}: {message}")
        obj.path = path
        obj.kind = kind
        return obj


def origin(cls: type[Strategy]) -> str:
    """Where a strategy class comes from: "built-in" or the plugin file's path."""
    if cls.__module__.startswith("engine."):
        return "built-in"
    module = sys.modules.get(cls.__module__)
    return str(getattr(module, "__file__", None) or cls.__module__)


def _check_class(cls: type) -> None:
    if not (inspect.isclass(cls) and issubclass(cls, Strategy)):
        raise StrategyError(f"{cls!r} is not a Strategy subclass; subclass engine.strategies.Strategy.")
    where = f"{cls.__qualname__} ({origin(cls)})"
    if not _NAME_RE.match(cls.name or ""):
        raise StrategyError(
            f"{where} needs a `name` of lowercase letters, digits and underscores, not {cls.name!r}."
        )
    if cls.signals is Strategy.signals:
        raise StrategyError(f"{where} must implement signals(self, bars) -> Signals.")
    names = [p.name for p in cls.params]
    if len(set(names)) != len(names):
        raise StrategyError(f"{where} declares a parameter name twice: {names}.")
    try:
        cls()
    except StrategyError as exc:
        raise StrategyError(f"{where} has invalid default parameters: {exc}") from None


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: validate `cls` and add it under `cls.name`.

    Raises StrategyError if the class is malformed (bad name, no signals(), invalid defaults) or the
    name is already taken by a different strategy. Re-registering the same class is a no-op.
    """
    _check_class(cls)
    existing = _REGISTRY.get(cls.name)
    reloaded = existing is not None and (existing.__module__, existing.__qualname__) == (
        cls.__module__,
        cls.__qualname__,
    )
    if existing is not None and existing is not cls and not reloaded:
        raise StrategyError(
            f"strategy name {cls.name!r} is already used by {existing.__qualname__} ({origin(existing)}); "
            f"give {cls.__qualname__} ({origin(cls)}) another `name`."
        )
    _REGISTRY[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a strategy by name (no error if absent); used when plugin files are reloaded."""
    _REGISTRY.pop(name, None)


def get_strategy(name: str) -> type[Strategy]:
    """The strategy class registered as `name`; raises StrategyError with a "did you mean" hint."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    known = list(_REGISTRY)
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(str(name).strip().lower(), list(lowered), n=1, cutoff=0.5)
    hint = f"did you mean {lowered[close[0]]!r}?" if close else f"known strategies: {', '.join(known)}."
    raise StrategyError(f"unknown strategy {name!r}; {hint}")


def list_strategies() -> list[type[Strategy]]:
    """All registered strategy classes, built-ins first, in registration order."""
    return list(_REGISTRY.values())


def make_strategy(name: str, **params: object) -> Strategy:
    """An instance of strategy `name` with `params` over its defaults; raises StrategyError/ParameterError."""
    return get_strategy(name)(**params)


def _module_name(path: Path) -> str:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
    stem = re.sub(r"\W", "_", path.stem)
    return f"quantdesk_plugin_{stem}_{digest}"


def _forget(path: Path, module_name: str) -> None:
    for name, cls in list(_REGISTRY.items()):
        if cls.__module__ == module_name:
            del _REGISTRY[name]
    sys.modules.pop(module_name, None)


def _import_problem(path: Path, exc: BaseException) -> PluginProblem:
    if isinstance(exc, SyntaxError):
        return PluginProblem(path, "syntax", f"syntax error on line {exc.lineno}: {exc.msg}; fix the file.")
    if isinstance(exc, ModuleNotFoundError):
        return PluginProblem(
            path, "import", f"imports {exc.name!r}, which is not installed; install it or remove the import."
        )
    if isinstance(exc, StrategyError):
        kind = "duplicate" if "already used" in str(exc) else "invalid"
        return PluginProblem(path, kind, str(exc))
    return PluginProblem(path, "error", f"failed to import: {type(exc).__name__}: {exc}")


def _load_file(path: Path) -> list[PluginProblem]:
    module_name = _module_name(path)
    _forget(path, module_name)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        return [PluginProblem(path, "error", "cannot be imported as a Python module.")]
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # a plugin must never take the app down
        _forget(path, module_name)
        return [_import_problem(path, exc)]
    classes = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, Strategy) and obj.__module__ == module_name and obj.name
    ]
    if not classes:
        return [PluginProblem(path, "empty", "defines no Strategy subclass with a `name`; nothing to load.")]
    problems = []
    for cls in classes:
        try:
            register(cls)
        except StrategyError as exc:
            problems.append(_import_problem(path, exc))
    return problems


def load_plugins(folder: Path) -> list[PluginProblem]:
    """Import every `*.py` in `folder` (not starting with "_") and register its Strategy subclasses.

    Never raises for a bad plugin: syntax errors, missing modules, exceptions at import, malformed
    classes and names clashing with other strategies are returned as PluginProblem messages (a str
    subclass with `.path` and `.kind`). Loading the same file again replaces its earlier strategies.
    A missing folder means no plugins (empty list).
    """
    folder = Path(folder)
    if not folder.exists():
        return []
    if not folder.is_dir():
        return [PluginProblem(folder, "folder", "is not a folder; point strategies_dir at a directory.")]
    problems: list[PluginProblem] = []
    with _LOAD_LOCK:
        for path in sorted(folder.glob("*.py")):
            if not path.name.startswith("_"):
                problems.extend(_load_file(path.resolve()))
    return problems
