"""Dangerous calls written so that a reader, or a matcher of call spellings, does not see them.

- `aliased-sink`: `os.system` or `eval` called under another name (`_shell = os.system`,
  `from os import system as run`). Renaming a shell or code sink has no honest use a reviewer
  would not want to see.
- `obfuscated-call`: the callee is looked up with a computed string (`getattr(builtins, "ex" +
  "ec")`, `globals()["ev" + "al"]`). Spelling a name by computation is hiding it: blocks.
- `shell-argv`: `["sh", "-c", f"..."]` handed to subprocess is `shell=True` by another name; a
  constant script (`["bash", "-c", "make all"]`, or `'echo "$1"'` with the value as a positional
  argument) is the safe idiom and stays quiet.
- `decode-exec`: `exec`/`eval`/`compile` of something just decoded or decompressed (base64, rot13,
  zlib, marshal): a payload nobody can read in the diff. Blocks, critical.
- `sql-template`: a module-level SQL constant filled with `.format()` or `%` and executed; the
  placeholder form (`execute(QUERY, params)`) stays quiet.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from crewchief.gate.analysis.taint import dotted
from crewchief.gate.checks.security.resolve import Resolver
from crewchief.gate.checks.security.scopes import Scope, scopes

SHELL_SINKS = frozenset(
    {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
     "pty.spawn", "commands.getoutput", "asyncio.create_subprocess_shell"}
)  # fmt: skip
CODE_SINKS = frozenset({"eval", "exec", "compile", "__import__"})
PROCESS_CALLS = frozenset(
    {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
     "subprocess.Popen", "os.execv", "os.execvp", "os.execve", "os.execl", "os.execlp",
     "os.spawnv", "os.spawnvp", "asyncio.create_subprocess_exec"}
)  # fmt: skip
DECODERS = frozenset(
    {"base64.b64decode", "base64.b32decode", "base64.b16decode", "base64.a85decode",
     "base64.b85decode", "base64.urlsafe_b64decode", "base64.decodebytes", "base64.decodestring",
     "codecs.decode", "zlib.decompress", "bz2.decompress", "lzma.decompress", "gzip.decompress",
     "marshal.loads", "binascii.unhexlify", "binascii.a2b_base64", "binascii.a2b_hex",
     "bytes.fromhex"}
)  # fmt: skip
_CODE_OBJECTS = frozenset({"types.FunctionType", "types.CodeType"})
"""`types.FunctionType(marshal.loads(blob), globals())()`: a function built from decoded bytecode."""
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "ash"})
_SHELL_FLAGS = re.compile(r"^-[a-z]*c[a-z]*$")
_SQL = re.compile(
    r"^\s*(select|insert|update|delete|replace|create|drop|alter|with|merge|truncate)\b",
    re.IGNORECASE,
)
_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "raw", "read_sql"})


@dataclass(frozen=True)
class Hit:
    """One structural finding before it becomes a `Finding`: rule, line, scope and message."""

    rule: str
    line: int
    scope: str
    message: str
    cwe: str | None = None
    blocking: bool | None = None
    severity: str | None = None
    """A severity other than the rule's ("high" for an import-time effect in conftest.py)."""


def _sink_cwe(name: str) -> str:
    return "CWE-94" if name in CODE_SINKS else "CWE-78"


def _decoded_names(scope: Scope, resolver: Resolver) -> set[str]:
    """Local names assigned from an expression that decodes or decompresses something."""
    names: set[str] = set()
    for node in scope.nodes:
        if isinstance(node, ast.Assign) and _decodes(node.value, resolver, names):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _decodes(expr: ast.expr, resolver: Resolver, names: set[str]) -> bool:
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id in names:
            return True
        if not isinstance(node, ast.Call):
            continue
        qual = resolver.qualname(node.func) or ""
        if qual in DECODERS or qual.endswith((".b64decode", ".decompress")):
            return True
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("decode", "encode"):
            codec = resolver.string(node.args[0]) if node.args else None
            if codec and codec.lower().replace("-", "_") in ("rot13", "rot_13", "hex", "base64"):
                return True
    return False


def _call_hits(
    call: ast.Call, scope: Scope, resolver: Resolver, decoded: set[str]
) -> Iterator[Hit]:
    qual = resolver.qualname(call.func)
    if qual is None:
        return
    written = dotted(call.func)
    hidden = written is None
    if (
        qual in CODE_SINKS | _CODE_OBJECTS
        and call.args
        and _decodes(call.args[0], resolver, decoded)
    ):
        yield Hit(
            "decode-exec",
            call.lineno,
            scope.name,
            f"runs decoded or decompressed data with {qual}(): a payload nobody can read in the "
            "diff (embedded malicious code)",
        )
        return
    if qual not in SHELL_SINKS | CODE_SINKS:
        return
    if hidden:
        computed = any(resolver.is_computed(a) for a in _lookup_keys(call.func))
        yield Hit(
            "obfuscated-call",
            call.lineno,
            scope.name,
            f"calls {qual}() through a dynamic lookup"
            + (" with a computed name: hiding the call is the point" if computed else ""),
            blocking=computed,
        )
    elif written is not None and _renamed(written, qual):
        yield Hit(
            "aliased-sink",
            call.lineno,
            scope.name,
            f"calls {qual}() under the name `{written}`, so the call does not read as a "
            "shell or code sink",
            cwe=_sink_cwe(qual),
        )


def _renamed(written: str, qual: str) -> bool:
    """Whether the call site spells the sink differently from its last component: `run` for
    `os.system` is renamed; `system` after `from os import system` or `os.system` is not."""
    return written.rsplit(".", 1)[-1] != qual.rsplit(".", 1)[-1]


def _lookup_keys(func: ast.expr) -> list[ast.expr]:
    if isinstance(func, ast.Call) and len(func.args) >= 2:
        return [func.args[1]]
    if isinstance(func, ast.Subscript):
        return [func.slice]
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        return func.value.args[:1]
    return []


def _shell_argv(call: ast.Call, scope: Scope, resolver: Resolver) -> Iterator[Hit]:
    """`subprocess.run(["sh", "-c", f"..."])`: a shell command line built at run time."""
    if resolver.qualname(call.func) not in PROCESS_CALLS or not call.args:
        return
    argv = call.args[0]
    if not isinstance(argv, ast.List | ast.Tuple) or len(argv.elts) < 3:
        return
    program = resolver.string(argv.elts[0])
    flag = resolver.string(argv.elts[1])
    if program is None or flag is None or not _SHELL_FLAGS.match(flag):
        return
    if program.rsplit("/", 1)[-1] not in SHELLS:
        return
    if resolver.string(argv.elts[2]) is not None:
        return  # a constant script; values passed after it are positional arguments ($1), safe
    yield Hit(
        "shell-argv",
        call.lineno,
        scope.name,
        f"runs `{program} {flag}` with a command line built at run time: the same as "
        "shell=True, so any value in it can run commands",
    )


def _sql_template(call: ast.Call, scope: Scope, resolver: Resolver) -> Iterator[Hit]:
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in _SQL_METHODS and call.args):
        return
    query = call.args[0]
    template: ast.expr | None = None
    if isinstance(query, ast.Call) and isinstance(query.func, ast.Attribute):
        formatted = query.func.attr == "format" and not _all_constant(query, resolver)
        template = query.func.value if formatted else None
    elif isinstance(query, ast.BinOp) and isinstance(query.op, ast.Mod):
        template = query.left if resolver.string(query.right) is None else None
    if not isinstance(template, ast.Name) or template.id not in resolver.constants:
        return
    if not _SQL.match(resolver.constants[template.id]):
        return
    yield Hit(
        "sql-template",
        call.lineno,
        scope.name,
        f"fills the SQL template `{template.id}` with values by string formatting and executes "
        "it: the values can rewrite the query",
    )


def _all_constant(call: ast.Call, resolver: Resolver) -> bool:
    values = [*call.args, *(k.value for k in call.keywords)]
    return all(
        resolver.string(v) is not None or (isinstance(v, ast.Constant) and v.value is not None)
        for v in values
    )


def hits(tree: ast.Module, resolver: Resolver) -> list[Hit]:
    found: list[Hit] = []
    for scope in scopes(tree):
        decoded = _decoded_names(scope, resolver)
        for node in scope.nodes:
            if isinstance(node, ast.Call):
                found.extend(_call_hits(node, scope, resolver, decoded))
                found.extend(_shell_argv(node, scope, resolver))
                found.extend(_sql_template(node, scope, resolver))
    return found
