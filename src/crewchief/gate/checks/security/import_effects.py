"""What a module does to the world when it is merely imported.

Importing happens when tests are collected, when a package is installed (`setup.py`), and when
any other module imports this one, so an effect at module level runs with nobody asking for it.
A module-level network call, process start, file deletion or read of the whole environment is
`import-time-effect` (in `conftest.py`, `setup.py` and `__init__.py`, which run first and most
often, at high severity); the same inside a function the module calls at module level counts too.

The hygiene check's `import-time-call` is a different question: whether a library module calls
its own functions on import (a leftover reproduction call), whatever they do. This module says what
the effect is, in any file, and does not report a call hygiene would report for its name alone
unless the call has one of these effects.

Fetch-and-execute blocks anywhere in a file, not only at module level: `curl ... | sh` handed to a
shell, or code downloaded and passed to `exec`/`eval`. Sending the whole environment to the
network (`requests.post(url, json=dict(os.environ))`) blocks too: that is exfiltration, not setup.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from crewchief.gate.analysis.taint import dotted
from crewchief.gate.checks.security.hidden_calls import (
    CODE_SINKS,
    PROCESS_CALLS,
    SHELL_SINKS,
    Hit,
)
from crewchief.gate.checks.security.resolve import (
    Resolver,
    module_level,
    own_expressions,
)
from crewchief.gate.checks.security.scopes import functions, scopes

NETWORK = frozenset(
    {"urllib.request.urlopen", "urllib.request.urlretrieve", "urllib.urlopen",
     "urllib2.urlopen", "http.client.HTTPConnection", "http.client.HTTPSConnection",
     "socket.create_connection", "ftplib.FTP", "smtplib.SMTP", "smtplib.SMTP_SSL",
     "telnetlib.Telnet", "webbrowser.open"}
)  # fmt: skip
_HTTP_CLIENTS = ("requests", "httpx", "aiohttp", "urllib3")
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "request", "stream"})
DELETION = frozenset(
    {"shutil.rmtree", "os.remove", "os.unlink", "os.rmdir", "os.removedirs", "shutil.move"}
)
_PATH_DELETE = frozenset({"unlink", "rmdir"})
_ENV = frozenset({"os.environ", "os.environb"})
_FETCH_PIPE = re.compile(r"\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da|k)?sh\b")
_FETCHED_ATTRS = frozenset({"read", "text", "content", "json", "data"})
_FIRST_RUN = ("conftest.py", "setup.py", "__init__.py", "sitecustomize.py", "usercustomize.py")


def effect(call: ast.Call, resolver: Resolver) -> str | None:
    """What the call does to the world, in a few words; None for an ordinary call."""
    qual = resolver.qualname(call.func) or ""
    if qual in NETWORK or _is_http(qual):
        return f"makes a network call ({qual})"
    if qual in PROCESS_CALLS or qual in SHELL_SINKS or qual.startswith(("os.exec", "os.spawn")):
        return f"starts a process ({qual})"
    if qual in DELETION:
        return f"deletes files ({qual})"
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _PATH_DELETE:
        receiver = func.value
        if isinstance(receiver, ast.Call) and (dotted(receiver.func) or "").endswith("Path"):
            return f"deletes files (Path.{func.attr})"
    if _passes_whole_env(call, resolver, qual):
        return "reads the whole environment"
    return None


def _is_http(qual: str) -> bool:
    owner, _, verb = qual.rpartition(".")
    return owner.split(".", 1)[0] in _HTTP_CLIENTS and verb in _HTTP_VERBS


def _is_env(node: ast.expr, resolver: Resolver) -> bool:
    return isinstance(node, ast.Attribute | ast.Name) and resolver.qualname(node) in _ENV


def whole_env(node: ast.expr, resolver: Resolver) -> bool:
    """Whether the expression carries the whole environment (not one variable of it)."""
    if _is_env(node, resolver):
        return True
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and sub.args and _is_env(sub.args[0], resolver):
            return True
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr in ("copy", "items", "values")
            and _is_env(sub.func.value, resolver)
        ):
            return True
        if isinstance(sub, ast.Dict) and any(
            k is None and _is_env(v, resolver) for k, v in zip(sub.keys, sub.values, strict=True)
        ):
            return True
        if isinstance(sub, ast.keyword) and _is_env(sub.value, resolver):
            return True
    return False


def _passes_whole_env(call: ast.Call, resolver: Resolver, qual: str) -> bool:
    """`dict(os.environ)`, `json.dumps(os.environ)`, `os.environ.copy()`; a process's `env=` is
    how a child inherits the environment, so it does not count."""
    if qual in ("dict", "json.dumps", "str", "repr", "pickle.dumps") and call.args:
        return _is_env(call.args[0], resolver)
    if isinstance(call.func, ast.Attribute) and call.func.attr in ("copy", "items"):
        return _is_env(call.func.value, resolver)
    return False


def _local_effects(tree: ast.Module, resolver: Resolver) -> dict[str, str]:
    """For each top-level function: the first effect in its own body."""
    found: dict[str, str] = {}
    for name, func in functions(tree).items():
        if "." in name:
            continue
        for node in ast.walk(func):
            what = effect(node, resolver) if isinstance(node, ast.Call) else None
            if what is not None:
                found[name] = what
                break
    return found


def import_time_hits(path: str, tree: ast.Module, resolver: Resolver) -> Iterator[Hit]:
    first_run = path.rsplit("/", 1)[-1] in _FIRST_RUN
    local = _local_effects(tree, resolver)
    lines: set[int] = set()
    for stmt in module_level(tree):
        for node in own_expressions(stmt):
            if not isinstance(node, ast.Call) or node.lineno in lines:
                continue
            what = effect(node, resolver)
            name = dotted(node.func)
            if what is None and name in local:
                what = f"{local[name]} through {name}()"
            if what is None:
                continue
            where = path.rsplit("/", 1)[-1] if first_run else "the module"
            lines.add(node.lineno)
            yield Hit(
                "import-time-effect",
                node.lineno,
                "<module>",
                f"{what} at import time: it runs whenever {where} is imported, with nobody "
                "asking for it",
                severity="high" if first_run else None,
            )


def _fetched(expr: ast.expr, resolver: Resolver, names: set[str]) -> bool:
    """Whether the expression is (or reads from) a network response."""
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Name) and sub.id in names:
            return True
        if isinstance(sub, ast.Call):
            qual = resolver.qualname(sub.func) or ""
            if qual in NETWORK or _is_http(qual):
                return True
    return False


def fetch_exec_hits(tree: ast.Module, resolver: Resolver) -> Iterator[Hit]:
    for scope in scopes(tree):
        fetched: set[str] = set()
        for node in scope.nodes:
            if isinstance(node, ast.Assign) and _fetched(node.value, resolver, fetched):
                fetched.update(t.id for t in node.targets if isinstance(t, ast.Name))
            if not isinstance(node, ast.Call):
                continue
            yield from _fetch_exec_call(node, scope.name, resolver, fetched)


def _fetch_exec_call(
    call: ast.Call, scope: str, resolver: Resolver, fetched: set[str]
) -> Iterator[Hit]:
    qual = resolver.qualname(call.func) or ""
    if qual in CODE_SINKS and call.args and _fetched(call.args[0], resolver, fetched):
        yield Hit(
            "fetch-and-execute",
            call.lineno,
            scope,
            f"downloads code and runs it with {qual}(): whoever controls the server runs code here",
        )
        return
    if qual in SHELL_SINKS or qual in PROCESS_CALLS:
        for arg in ast.walk(call):
            text = resolver.string(arg) if isinstance(arg, ast.expr) else None
            if text is not None and _FETCH_PIPE.search(text):
                yield Hit(
                    "fetch-and-execute",
                    call.lineno,
                    scope,
                    "pipes a download into a shell (`curl ... | sh`): whoever controls the "
                    "server runs commands here",
                )
                return
    if (qual in NETWORK or _is_http(qual)) and any(
        whole_env(a, resolver) for a in [*call.args, *(k.value for k in call.keywords)]
    ):
        yield Hit(
            "env-exfiltration",
            call.lineno,
            scope,
            f"sends the whole environment over the network ({qual}): every secret in it leaves "
            "the machine",
        )
