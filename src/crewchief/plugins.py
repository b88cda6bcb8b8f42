"""One plugin registry for every kind of plugin crewchief has (checks, agent adapters).

Built-ins are listed once, in code, by the package that owns them: they are always there, even in a
source tree that was never installed, and no installed package can replace them. Third parties add
plugins through an entry point group. The same rules hold for every kind:

- a third-party plugin that reuses a built-in's name is not loaded; it is reported as a load error
  (under a name that says where it came from), so a package cannot silently swap a check or an
  agent for its own;
- a plugin that fails to import, or does not implement its interface, is a load error too: the
  caller reports it and carries on, so one broken package never takes the gate down.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar

from crewchief.errors import UserError

T = TypeVar("T")


class PluginError(UserError):
    """A plugin that cannot be used; the message says which and why."""


def import_target(spec: str) -> object:
    """The object a `module:attribute` reference names (the entry point value syntax)."""
    module, _, attr = spec.partition(":")
    target: object = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        target = getattr(target, part)
    return target


def _origin(entry: EntryPoint) -> str:
    dist = getattr(entry, "dist", None)
    return dist.name if dist is not None else entry.value


class Registry(Generic[T]):
    """The plugins of one kind: `builtins` (name to `module:attribute`) first, in their order,
    then the `group`'s third-party entry points by name. `adopt` turns what a reference names into
    a plugin, or raises when it does not implement the interface. Plugins load on first use."""

    def __init__(
        self, kind: str, group: str, builtins: Mapping[str, str], adopt: Callable[[object], T]
    ) -> None:
        self.kind = kind
        self.group = group
        self.builtins = dict(builtins)
        self._adopt = adopt
        self._lock = threading.Lock()
        self._third_party: dict[str, str] | None = None
        self._shadowed: dict[str, str] = {}
        self._loaded: dict[str, T] = {}
        self._broken: dict[str, str] = {}

    def _scan(self) -> dict[str, str]:
        """Read the entry point group once; names that clash with a built-in become errors."""
        if self._third_party is None:
            found: dict[str, str] = {}
            for entry in sorted(entry_points(group=self.group), key=lambda e: e.name):
                if _origin(entry) == "crewchief":
                    continue  # an install of an older crewchief that registered its built-ins
                if entry.name in self.builtins:
                    key = f"{entry.name}@{_origin(entry)}"
                    self._shadowed[key] = (
                        f"{self.kind} plugin {entry.value} ({self.group}) reuses the built-in "
                        f"name '{entry.name}' and was not loaded; rename it"
                    )
                else:
                    found[entry.name] = entry.value
            self._third_party = found
        return self._third_party

    def names(self) -> list[str]:
        """Every usable name, built-ins first; load errors not included."""
        with self._lock:
            return [*self.builtins, *self._scan()]

    def load(self, name: str) -> T:
        """The plugin called `name`; `PluginError` when it is unknown or broken."""
        with self._lock:
            spec = self.builtins.get(name) or self._scan().get(name)
            if spec is None:
                known = ", ".join([*self.builtins, *self._scan()])
                raise PluginError(f"unknown {self.kind} '{name}'; use one of: {known}")
            if name in self._loaded:
                return self._loaded[name]
            if name in self._broken:
                raise PluginError(self._broken[name])
            try:
                plugin = self._adopt(import_target(spec))
            except Exception as exc:  # any plugin bug is a load error, never a crash
                self._broken[name] = f"cannot load {self.kind} {spec}: {type(exc).__name__}: {exc}"
                raise PluginError(self._broken[name]) from exc
            self._loaded[name] = plugin
            return plugin

    def load_all(self) -> tuple[dict[str, T], dict[str, str]]:
        """Every plugin that loads, in order, and every load error (name: reason)."""
        loaded: dict[str, T] = {}
        errors: dict[str, str] = {}
        for name in self.names():
            try:
                loaded[name] = self.load(name)
            except PluginError as exc:
                errors[name] = str(exc)
        with self._lock:
            errors.update(self._shadowed)
        return loaded, errors
