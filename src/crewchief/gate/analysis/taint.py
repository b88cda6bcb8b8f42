"""Untrusted input reaching a dangerous call: the flows bandit cannot see.

bandit flags a call by its shape (`shell=True`, `pickle.loads`), whatever feeds it. What agents
actually get wrong is feeding such a call with request data, `input()`, `sys.argv` or the
environment. This module tracks that, per function and per module body, with the stdlib `ast`:

- sources: web request data (flask, django, starlette/fastapi attribute names), parameters of
  functions decorated as web routes (not those a `<int:...>` converter or an `int` annotation
  makes numbers), `input()`, `sys.argv`, `sys.stdin`, the environment;
- propagation: assignment (plain, augmented, annotated, tuple unpacking, walrus), f-strings, `+`,
  `%`, `.format()`, `.join()`, containers, comprehensions, attributes and subscripts of tainted
  values, `list.append`-style mutation, and any call that receives a tainted argument (unknown
  functions are assumed to pass taint through: a missed flow costs more than a second look);
- flow sensitivity: reassignment ends taint; a branch on a constant (`if DEBUG:` with
  `DEBUG = False` bound once in the module) runs one side only; a branch that leaves (return,
  raise, `abort()`) does not flow on; a lookup in a constant table (`ALLOWED.get(key, "/")`)
  yields the table's own values;
- checks and sanitizers, each for the sink kinds it protects: conversions to numbers clear taint;
  `shlex.quote` for shells; `secure_filename`, `os.path.basename` and containment checks
  (`is_relative_to`, `commonpath`) for paths; HTML escaping for HTML; `escape_filter_chars` and
  `filter_format` for LDAP; URL host checks (`urlparse(...).netloc`,
  `url_has_allowed_host_and_scheme`) and `url_for`/`reverse` for redirects; allowlist membership,
  equality with a constant and format checks (`isdigit`, `re.fullmatch`) for every kind;
- summaries of the module's functions: which parameters reach which sinks and what the return is
  built from, so a helper that passes its argument to `os.system` is found where a caller passes
  it request data; given `Helpers` (see `taint_modules`), the same for functions imported from
  other modules of the repository (`from app.utils import run`, `import app.utils as u`,
  relative imports), one level deep;
- the path of every flow: the assignments and helper calls the value went through between its
  source and its sink, with their lines (and the file, for a hop into another module);
- sinks: shell commands (also `["sh", "-c", script]`), `eval`/`exec`, SQL text, file paths,
  deserialisers, XML parsers (not an lxml parser with `resolve_entities=False`), HTML responses
  (XSS), redirects, LDAP filters, XPath expressions and the server-side session.

Branches are merged (a value tainted on either side stays tainted) and loop bodies run twice so
loop-carried taint is seen. Besides flows, the analysis says which sink calls it proved clean
(nothing from a source or a parameter reaches them, or they never run), which lets the check weigh
bandit's shape-only findings. The analysis never raises on hostile input: code it cannot parse or
nests too deeply yields no flows.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from crewchief.gate.analysis.flow_facts import (
    ALL_KINDS,
    CODE,
    COMMAND,
    DESERIALIZATION,
    LDAP,
    PATH,
    REDIRECT,
    SESSION,
    SQL,
    URL_SPLITS,
    XML,
    XPATH,
    XSS,
    constant_truth,
    dead_lines,
    dotted,
    guards,
    is_negative,
    leaves,
    module_constants,
    rebinds,
)

__all__ = [
    "ALL_KINDS",
    "CODE",
    "COMMAND",
    "DESERIALIZATION",
    "LDAP",
    "PATH",
    "REDIRECT",
    "SESSION",
    "SQL",
    "XML",
    "XPATH",
    "XSS",
    "Analysis",
    "Flow",
    "Helpers",
    "Step",
    "Taint",
    "analyse",
    "analyse_file",
    "dotted",
    "summarise_functions",
    "summary_from_json",
]
from crewchief.gate.analysis.pysource import parse as parse_python

_REQUEST_ATTRS = frozenset(
    {
        "args", "form", "values", "json", "get_json", "data", "get_data", "cookies", "headers",
        "files", "stream", "query_string", "GET", "POST", "body", "COOKIES", "META", "FILES",
        "query_params", "path_params", "raw_post_data", "content",
    }
)  # fmt: skip
_REQUEST_NAMES = frozenset({"request", "req"})
_REQUEST_TYPES = frozenset({"Request", "HttpRequest", "WebSocket", "HTTPConnection"})
_ROUTE_ATTRS = frozenset(
    {"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route",
     "websocket", "trace"}
)  # fmt: skip
_SAFE_ANNOTATIONS = frozenset(
    {"int", "float", "bool", "UUID", "uuid.UUID", "date", "datetime", "time", "timedelta",
     "Decimal", "datetime.date", "datetime.datetime", "Session", "BackgroundTasks", "Response"}
)  # fmt: skip
_NOT_ROUTE_PARAMS = frozenset({"self", "cls", "db", "session"})
_DEPENDENCY_CALLS = frozenset({"Depends", "Security", "Inject", "Provide"})

_ENV_SOURCES = frozenset({"os.environ", "os.environb", "sys.argv", "sys.orig_argv", "sys.stdin"})
_SOURCE_CALLS = frozenset({"input", "raw_input", "os.getenv", "os.getenvb"})

_CLEAN_URL_CALLS = frozenset(
    {"flask.url_for", "url_for", "django.urls.reverse", "django.shortcuts.reverse",
     "django.urls.reverse_lazy", "uuid.uuid4", "uuid.uuid1"}
)  # fmt: skip
_CLEAN_CALLS = frozenset(
    {"int", "float", "bool", "len", "abs", "round", "ord", "hash", "id", "isinstance",
     "issubclass", "callable", "hasattr", "complex", "uuid.UUID", "UUID", "type", "print"}
) | _CLEAN_URL_CALLS  # fmt: skip
_CLEAN_PREFIXES = ("hashlib.", "hmac.", "math.", "secrets.")
_PARTIAL_SANITIZERS: dict[str, frozenset[str]] = {
    "shlex.quote": frozenset({COMMAND}),
    "pipes.quote": frozenset({COMMAND}),
    "secure_filename": frozenset({PATH}),
    "werkzeug.utils.secure_filename": frozenset({PATH}),
    "html.escape": frozenset({XSS}),
    "markupsafe.escape": frozenset({XSS}),
    "flask.escape": frozenset({XSS}),
    "bleach.clean": frozenset({XSS}),
}
_SANITIZERS_BY_NAME: dict[str, frozenset[str]] = {
    "secure_filename": frozenset({PATH}),
    "basename": frozenset({PATH}),
    "escape": frozenset({XSS}),
    "conditional_escape": frozenset({XSS}),
    "format_html": frozenset({XSS}),
    "escape_filter_chars": frozenset({LDAP}),
    "escape_dn_chars": frozenset({LDAP}),
    "filter_format": frozenset({LDAP}),
    "escape_rdn": frozenset({LDAP}),
}
"""Sanitizers known by their own name in whatever module: `django.utils.html.escape`,
`ldap.filter.escape_filter_chars` and `ldap3.utils.conv.escape_filter_chars` alike."""
_CLEAN_METHODS = frozenset(
    {"startswith", "endswith", "isdigit", "isalpha", "isalnum", "isnumeric", "isdecimal",
     "isidentifier", "isspace", "islower", "isupper", "isascii", "istitle", "count", "find",
     "rfind", "index", "rindex", "exists", "is_file", "is_dir", "is_absolute", "is_relative_to",
     "__len__", "hexdigest", "digest"}
)  # fmt: skip
_MUTATORS = frozenset(
    {"append", "extend", "insert", "update", "add", "appendleft", "extendleft", "setdefault"}
)
_SEQ_CALLS = frozenset({"list", "tuple", "sorted", "shlex.split"})
_SEQ_METHODS = frozenset({"split", "rsplit", "splitlines"})
_STR_CALLS = frozenset({"str", "repr", "input", "os.getenv", "os.path.join", "format"})
_STR_METHODS = frozenset(
    {"format", "join", "strip", "lstrip", "rstrip", "lower", "upper", "replace", "decode",
     "removeprefix", "removesuffix", "title", "capitalize", "casefold", "zfill", "ljust", "rjust"}
)  # fmt: skip

_SHELL_CALLS = frozenset(
    {"os.system", "os.popen", "os.popen2", "os.popen3", "os.popen4", "subprocess.getoutput",
     "subprocess.getstatusoutput", "commands.getoutput", "commands.getstatusoutput",
     "asyncio.create_subprocess_shell"}
)  # fmt: skip
_SUBPROCESS_CALLS = frozenset(
    {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
     "subprocess.Popen"}
)  # fmt: skip
_CODE_CALLS = {
    "eval": "CWE-95",
    "exec": "CWE-94",
    "compile": "CWE-94",
    "builtins.eval": "CWE-95",
    "builtins.exec": "CWE-94",
}
_SQL_TEXT_CALLS = frozenset(
    {"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text",
     "django.db.models.expressions.RawSQL", "django.db.models.RawSQL"}
)  # fmt: skip
_SQL_METHODS = frozenset(
    {"execute", "executemany", "executescript", "raw", "read_sql", "read_sql_query", "mogrify"}
)
_SQL_ALL_ARGS_METHODS = frozenset({"extra"})
_PATH_CALLS = frozenset(
    {"open", "io.open", "codecs.open", "os.open", "os.remove", "os.unlink", "os.rmdir",
     "os.removedirs", "os.rename", "os.renames", "os.replace", "os.mkdir", "os.makedirs",
     "os.listdir", "os.scandir", "os.chmod", "os.chown", "os.truncate", "os.symlink", "os.link",
     "flask.send_file", "send_file", "django.http.FileResponse", "tarfile.open",
     "starlette.responses.FileResponse", "fastapi.responses.FileResponse",
     "zipfile.ZipFile", "aiofiles.open"}
)  # fmt: skip
_SHUTIL_SAFE = frozenset({"shutil.which", "shutil.get_terminal_size", "shutil.disk_usage"})
_PATH_METHODS = frozenset(
    {"read_text", "read_bytes", "write_text", "write_bytes", "unlink", "rmdir", "mkdir",
     "touch", "iterdir", "symlink_to", "hardlink_to", "rename", "replace", "open"}
)  # fmt: skip
_DESER_CALLS = frozenset(
    {"pickle.loads", "pickle.load", "pickle.Unpickler", "cPickle.loads", "cPickle.load",
     "_pickle.loads", "_pickle.load", "dill.loads", "dill.load", "marshal.loads", "marshal.load",
     "shelve.open", "jsonpickle.decode", "jsonpickle.loads", "pandas.read_pickle",
     "joblib.load", "yaml.unsafe_load", "yaml.unsafe_load_all", "cloudpickle.loads"}
)  # fmt: skip
_YAML_LOAD = frozenset({"yaml.load", "yaml.load_all"})
_YAML_SAFE_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
_XML_MODULES = (
    "xml.etree.ElementTree", "xml.etree.cElementTree", "xml.dom.minidom", "xml.dom.pulldom",
    "xml.sax", "lxml.etree", "lxml.objectify", "xml.dom.expatbuilder",
)  # fmt: skip
_XML_FUNCS = frozenset(
    {"parse", "fromstring", "XML", "iterparse", "fromstringlist", "parseString", "XMLID"}
)


@dataclass(frozen=True)
class Step:
    """One hop of a flow between its source and its sink: the value was assigned to a name,
    passed to a helper, or returned by one. `path` names the file when the hop is in another
    module of the repository (a helper summarised from its own source)."""

    line: int
    note: str
    path: str = ""

    def to_json(self) -> list[Any]:
        return [self.line, self.note, self.path]

    @classmethod
    def from_json(cls, data: list[Any]) -> Step:
        return cls(int(data[0]), str(data[1]), str(data[2]))


_MAX_STEPS = 12
"""A path longer than this keeps its first and last hops: a reviewer needs where the value
entered and how it reached the sink, and a loop of rebinding must not grow it without end."""


def _add_steps(steps: tuple[Step, ...], *new: Step) -> tuple[Step, ...]:
    for step in new:
        if steps and steps[-1] == step:
            continue  # a loop body analysed twice binds the same name on the same line again
        steps = (*steps, step)
        if len(steps) > _MAX_STEPS:
            half = _MAX_STEPS // 2
            steps = (*steps[:half], *steps[-(_MAX_STEPS - half) :])
    return steps


@dataclass(frozen=True)
class Taint:
    """Why a value is untrusted: where it came from, and the sink kinds it was made safe for."""

    source: str
    line: int
    safe_for: frozenset[str] = frozenset()
    remote: bool = False
    """From a web request (anyone on the network), not the local user, argv or environment."""
    real: bool = True
    """False for a placeholder that only stands for the enclosing function's parameters: it is
    no flow by itself, but what it reaches makes the function's summary."""
    params: frozenset[str] = frozenset()
    """The enclosing function's parameters the value is built from."""
    steps: tuple[Step, ...] = ()
    """How the value got here from its source (or from the parameter it stands for)."""

    def reaches(self, kind: str) -> bool:
        return kind not in self.safe_for

    def made_safe(self, kinds: frozenset[str]) -> Taint:
        return replace(self, safe_for=self.safe_for | kinds)

    def step(self, line: int, note: str, path: str = "") -> Taint:
        return replace(self, steps=_add_steps(self.steps, Step(line, note, path)))


@dataclass(frozen=True)
class Flow:
    """Untrusted data from `source` (at `source_line`) reaches `sink` (at `sink_line`)."""

    kind: str
    cwe: str
    sink: str
    source: str
    source_line: int
    sink_line: int
    function: str
    """The innermost function (or class) holding the sink; "<module>" at module level."""
    remote: bool = False
    """Whether the data can come from a web request."""
    path: tuple[Step, ...] = ()
    """The hops between source and sink, in order."""
    helper: str = ""
    """"file:function" when the sink is inside a function of another module (see `Helpers`)."""
    helper_line: int = 0
    """The sink's line in that file."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = [step.to_json() for step in self.path]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Flow:
        path = tuple(Step.from_json(step) for step in data.get("path", ()))
        return cls(**{**data, "path": path})


_MAY_HAVE_SOURCE = re.compile(
    r"req|input|argv|environ|getenv|stdin|websocket|httpconnection"
    r"|\.\s*(route|get|post|put|patch|delete|head|options|api_route|websocket|trace)\b",
    re.IGNORECASE,
)
"""Words without which no source can appear: most files skip the analysis on this test alone."""


def _merge(a: Taint | None, b: Taint | None) -> Taint | None:
    if a is None:
        return b
    if b is None:
        return a
    first = a if a.real or not b.real else b  # name a real source before a parameter
    return Taint(
        first.source,
        first.line,
        a.safe_for & b.safe_for,
        a.remote or b.remote,
        a.real or b.real,
        a.params | b.params,
        first.steps,
    )


def _makes_path(value: ast.expr) -> bool:
    """`Path(...)` or `a / b`: what a name bound to a pathlib path usually looks like."""
    if isinstance(value, ast.BinOp):
        return isinstance(value.op, ast.Div)
    if isinstance(value, ast.Call):
        func = dotted(value.func) or ""
        return func.rsplit(".", 1)[-1] in ("Path", "PurePath")
    return False


def _is_true(node: ast.expr | None) -> bool:
    """Whether `shell=...` may be true: anything but a literal false value."""
    if node is None:
        return False
    return not (isinstance(node, ast.Constant) and not node.value)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _first_arg(call: ast.Call, *names: str) -> ast.expr | None:
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    for name in names:
        value = _keyword(call, name)
        if value is not None:
            return value
    return None


@dataclass(frozen=True)
class _SummarySink:
    """A parameter of a function that reaches a sink inside it."""

    param: str
    kind: str
    cwe: str
    sink: str
    line: int
    steps: tuple[Step, ...] = ()
    """How the parameter's value got from the function's start to the sink."""


@dataclass(frozen=True)
class _Summary:
    """What a module function does with its parameters: the sinks each one reaches and what
    its return value is built from, so a call of it can be judged where the input is known."""

    positional: tuple[str, ...]
    keyword_only: tuple[str, ...]
    sinks: tuple[_SummarySink, ...]
    returned: Taint | None
    origin: str = ""
    """The file the function is in, when it is another module of the repository."""

    def bind(self, call: ast.Call) -> dict[str, ast.expr]:
        """Parameter name to the argument given for it (starred arguments are skipped)."""
        bound: dict[str, ast.expr] = {}
        for param, arg in zip(self.positional, call.args, strict=False):
            if isinstance(arg, ast.Starred):
                break
            bound[param] = arg
        names = set(self.positional) | set(self.keyword_only)
        for kw in call.keywords:
            if kw.arg in names:
                bound[kw.arg] = kw.value
        return bound


_XSS_BODIES = frozenset(
    {"flask.make_response", "flask.Response", "werkzeug.Response", "werkzeug.wrappers.Response",
     "django.http.HttpResponse", "django.http.response.HttpResponse",
     "starlette.responses.HTMLResponse", "fastapi.responses.HTMLResponse",
     "flask.render_template_string", "markupsafe.Markup", "flask.Markup", "jinja2.Markup",
     "django.utils.safestring.mark_safe", "django.utils.safestring.SafeString"}
)  # fmt: skip
_ALWAYS_HTML = frozenset(
    {"starlette.responses.HTMLResponse", "fastapi.responses.HTMLResponse",
     "flask.render_template_string", "markupsafe.Markup", "flask.Markup", "jinja2.Markup",
     "django.utils.safestring.mark_safe", "django.utils.safestring.SafeString"}
)  # fmt: skip
_REDIRECTS = frozenset(
    {"flask.redirect", "werkzeug.utils.redirect", "django.shortcuts.redirect",
     "django.http.HttpResponseRedirect", "django.http.HttpResponsePermanentRedirect",
     "starlette.responses.RedirectResponse", "fastapi.responses.RedirectResponse"}
)  # fmt: skip
_LDAP_SEARCHES = {"search_s": 2, "search_st": 2, "search_ext": 2, "search_ext_s": 2}
_XPATH_CALLS = frozenset({"lxml.etree.XPath", "lxml.etree.ETXPath"})
_ELEMENTPATH_METHODS = frozenset({"findall", "iterfind", "findtext"})
_SESSION_METHODS = frozenset({"update", "setdefault", "__setitem__"})


_OWN_SITE = re.compile(r"^(/(?![/\\])|https?://[^/?#]+/)")


def _stays_on_site(target: ast.expr | None) -> bool:
    """A redirect target that starts with a constant path (`"/users/" + name`) or a constant
    scheme and host (`f"https://example.com/{page}"`): input after it cannot change the site."""
    while isinstance(target, ast.BinOp) and isinstance(target.op, ast.Add):
        target = target.left
    if isinstance(target, ast.JoinedStr) and target.values:
        target = target.values[0]
    return (
        isinstance(target, ast.Constant)
        and isinstance(target.value, str)
        and bool(_OWN_SITE.match(target.value))
    )


def _content_type(call: ast.Call) -> str | None:
    for name in ("mimetype", "content_type", "media_type"):
        value = _keyword(call, name)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
    return None


@dataclass
class _Scope:
    """One function (or module or class body) analysed statement by statement."""

    module: _Module
    name: str
    kind: str = "function"
    """"module", "class" or "function"."""
    env: dict[str, Taint] = field(default_factory=dict)
    shapes: dict[str, str] = field(default_factory=dict)
    """"str" or "seq" for names whose value we know is a string or a sequence."""
    request_names: set[str] = field(default_factory=lambda: set(_REQUEST_NAMES))
    returned: Taint | None = None
    """What the function returns, merged over its `return` statements (for its summary)."""
    html_view: bool = False
    """A Flask view: a string it returns is sent as HTML."""
    summary_sinks: list[_SummarySink] = field(default_factory=list)
    url_parts: dict[str, str] = field(default_factory=dict)
    """Names bound to a part of a parsed URL (`urlparse(url).netloc`), with the URL's name."""
    displays: dict[str, ast.expr] = field(default_factory=dict)
    """Names last bound to a list or tuple display, with it (for `["sh", "-c", ...]`)."""

    # statements -----------------------------------------------------------------------------

    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def _snapshot(self) -> tuple[dict[str, Taint], dict[str, str]]:
        return dict(self.env), dict(self.shapes)

    def _restore(self, state: tuple[dict[str, Taint], dict[str, str]]) -> None:
        self.env, self.shapes = dict(state[0]), dict(state[1])

    def _join(self, *states: tuple[dict[str, Taint], dict[str, str]]) -> None:
        env: dict[str, Taint] = {}
        for state_env, _ in states:
            for key, taint in state_env.items():
                merged = _merge(env.get(key), taint)
                assert merged is not None
                env[key] = merged
        shapes = dict(states[0][1])
        for _, state_shapes in states[1:]:
            for key in list(shapes):
                if state_shapes.get(key) != shapes[key]:
                    del shapes[key]
        self.env, self.shapes = env, shapes

    def _branches(self, *bodies: list[ast.stmt]) -> None:
        start = self._snapshot()
        ends = []
        for body in bodies:
            self._restore(start)
            self.block(body)
            ends.append(self._snapshot())
        self._join(*ends)

    def _loop(
        self,
        bind: ast.expr | None,
        taint: Taint | None,
        body: list[ast.stmt],
        orelse: list[ast.stmt],
    ) -> None:
        before = self._snapshot()
        for _ in range(2):
            if bind is not None:
                self.bind(bind, taint, None)
            start = dict(self.env)
            self.block(body)
            self._join(before, self._snapshot())
            if self.env == start:
                break  # nothing new became tainted: a second pass would change nothing
        self.block(orelse)

    def stmt(self, node: ast.stmt) -> None:  # noqa: C901, PLR0912 - one branch per AST node kind; split when issue 11 rewrites taint
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for deco in node.decorator_list:
                self.taint(deco)
            self.module.defer(node, self)
        elif isinstance(node, ast.Assign):
            taint = self.taint(node.value)
            for target in node.targets:
                self.bind(target, taint, node.value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.taint(node.value), node.value)
        elif isinstance(node, ast.AugAssign):
            taint = self.taint(node.value)
            current = self.taint(node.target, scan=False)
            key = self.key(node.target)
            merged = _merge(current, taint)
            if key is not None and merged is not None:
                self.env[key] = merged
        elif isinstance(node, ast.For | ast.AsyncFor):
            taint = self.taint(node.iter)
            self._loop(node.target, taint, node.body, node.orelse)
        elif isinstance(node, ast.While):
            self.taint(node.test)
            self._loop(None, None, node.body, node.orelse)
        elif isinstance(node, ast.If):
            self._if(node)
        elif isinstance(node, ast.Return):
            self._return(node)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                taint = self.taint(item.context_expr)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, taint, None)
            self.block(node.body)
        elif isinstance(node, ast.Try | ast.TryStar):
            self.block(node.body)
            self._branches([], *(h.body for h in node.handlers), node.orelse)
            self.block(node.finalbody)
        elif isinstance(node, ast.Match):
            self.taint(node.subject)
            self._branches([], *(case.body for case in node.cases))
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                key = self.key(target)
                if key is not None:
                    self.env.pop(key, None)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.taint(child)

    def _if(self, node: ast.If) -> None:
        """A branch on a constant runs one side only; a side that leaves the function (return,
        raise, abort) does not flow on; a check of a value (allowlist, URL host, containment,
        format) makes it safe, inside a positive check and after a negative one that leaves or
        replaces the value."""
        self.taint(node.test)
        truth = constant_truth(node.test, self.module.constants)
        if truth is not None:
            self.block(node.body if truth else node.orelse)
            return
        checked = guards(node.test, self.qualname)
        negative = is_negative(node.test)
        start = self._snapshot()
        if checked and not negative:
            self._make_safe(checked)
        self.block(node.body)
        body_end = self._snapshot()
        self._restore(start)
        self.block(node.orelse)
        else_end = self._snapshot()
        ends = [e for e, b in ((body_end, node.body), (else_end, node.orelse)) if not leaves(b)]
        self._join(*(ends or [start]))
        if checked and negative and (leaves(node.body) or rebinds(node.body, checked)):
            self._make_safe(checked)

    def _bind_subscript(self, target: ast.Subscript, taint: Taint | None) -> None:
        """`c[k] = value`: the container holds the value (and so does its element `k`, when
        `k` is a constant); in the session it crosses a trust boundary."""
        if self._is_session(target.value):
            self._report(SESSION, "CWE-501", "session[...]", target, taint)
        key = self.key(target.value)
        if key is None:
            return
        merged = _merge(self.env.get(key), taint)
        if merged is not None:
            self.env[key] = merged
        self._bind_element(key, target.slice, taint)

    # containers element by element ---------------------------------------------------------
    # A dict or list display bound to a name, with constant keys, is tracked per element: the
    # element's taint lives in `env` under `name[key]`, and `shapes[name[]]` marks the name as
    # tracked (a join where one side stopped tracking it drops the mark, so a read falls back
    # to the whole container's taint, which is always the union of its elements).

    def _track_elements(self, key: str, value: ast.expr | None) -> None:
        display = isinstance(value, ast.Dict | ast.List | ast.Tuple)
        if not display and self.shapes.pop(f"{key}[]", None) is None:
            return  # the common case: neither tracked before nor tracked now
        prefix = f"{key}["
        for stale in [k for k in self.env if k.startswith(prefix)]:
            del self.env[stale]
        self.shapes.pop(f"{key}[]", None)
        items: list[tuple[object, ast.expr]] = []
        if isinstance(value, ast.Dict):
            for k, v in zip(value.keys, value.values, strict=True):
                if not isinstance(k, ast.Constant):
                    return  # `**other` or a computed key: not tracked
                items.append((k.value, v))
        elif isinstance(value, ast.List | ast.Tuple):
            if any(isinstance(e, ast.Starred) for e in value.elts):
                return
            items = list(enumerate(value.elts))
        else:
            return
        self.shapes[f"{key}[]"] = "elements"
        for index, element in items:
            taint = self.taint(element, scan=False)
            if taint is not None:
                self.env[f"{key}[{index!r}]"] = taint

    def _bind_element(self, key: str, index: ast.expr, taint: Taint | None) -> None:
        if f"{key}[]" not in self.shapes:
            return
        if not isinstance(index, ast.Constant):
            self.shapes.pop(f"{key}[]", None)  # a computed key: any element may have changed
        elif taint is None:
            self.env.pop(f"{key}[{index.value!r}]", None)
        else:
            self.env[f"{key}[{index.value!r}]"] = taint

    def _element(self, container: ast.expr, index: ast.expr) -> tuple[bool, Taint | None]:
        """(True, taint) for `name[constant]` when `name` is tracked per element."""
        key = dotted(container)
        if key is None or f"{key}[]" not in self.shapes or not isinstance(index, ast.Constant):
            return False, None
        return True, self.env.get(f"{key}[{index.value!r}]")

    def _remember_url_part(self, key: str, value: ast.expr | None) -> None:
        """`host = urlparse(url).hostname`: a check of `host` is a check of `url`'s host."""
        self.url_parts.pop(key, None)
        if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Call):
            call = value.value
            if self.qualname(call.func) in URL_SPLITS and call.args:
                origin = dotted(call.args[0])
                if origin is not None:
                    self.url_parts[key] = origin

    def _make_safe(self, checked: dict[str, frozenset[str]]) -> None:
        for part, origin in self.url_parts.items():
            if part in checked:
                checked = {**checked, origin: checked.get(origin, frozenset()) | {REDIRECT}}
        for key, kinds in checked.items():
            taint = self.env.get(key)
            if taint is not None:
                self.env[key] = taint.made_safe(kinds)

    def _return(self, node: ast.Return) -> None:
        if node.value is None:
            return
        taint = self.taint(node.value)
        self.returned = _merge(self.returned, taint)
        if self.html_view:
            # A Flask view's string (or the first item of its tuple) is the HTML body.
            body = node.value
            if isinstance(body, ast.Tuple) and body.elts:
                body = body.elts[0]
            if self.shape(body) == "str":
                self._report(XSS, "CWE-79", "a view's HTML response", node, self._quiet(body))

    def key(self, target: ast.expr) -> str | None:
        return dotted(target)

    def bind(
        self,
        target: ast.expr,
        taint: Taint | None,
        value: ast.expr | None,
        shape: str | None = None,
    ) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            pairwise = (
                isinstance(value, ast.Tuple | ast.List)
                and len(value.elts) == len(target.elts)
                and not any(isinstance(e, ast.Starred) for e in (*value.elts, *target.elts))
            )
            for i, element in enumerate(target.elts):
                if pairwise:
                    assert isinstance(value, ast.Tuple | ast.List)
                    item = value.elts[i]
                    self.bind(element, self.taint(item, scan=False), item)
                else:
                    self.bind(element, taint, None)
            return
        if isinstance(target, ast.Starred):
            self.bind(target.value, taint, None, "seq")
            return
        if isinstance(target, ast.Subscript):
            self._bind_subscript(target, taint)
            return
        key = self.key(target)
        if key is None:
            return
        self._track_elements(key, value)
        if isinstance(value, ast.List | ast.Tuple):
            self.displays[key] = value
        else:
            self.displays.pop(key, None)
        self._remember_url_part(key, value)
        if taint is None:
            self.env.pop(key, None)
        else:
            self.env[key] = taint.step(target.lineno, f"assigned to '{key}'")
        shape = shape or (self.shape(value) if value is not None else None)
        if shape is None:
            self.shapes.pop(key, None)
        else:
            self.shapes[key] = shape

    # expressions ----------------------------------------------------------------------------

    def qualname(self, node: ast.expr) -> str | None:
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if head in self.module.defined and head not in self.module.aliases:
            return f"<local>.{name}"  # the module's own `compile` is not the builtin
        head = self.module.aliases.get(head, head)
        return f"{head}.{rest}" if rest else head

    def shape(self, node: ast.expr) -> str | None:  # noqa: C901, PLR0912 - one branch per AST node kind; split when issue 11 rewrites taint
        if isinstance(node, ast.Constant):
            return "str" if isinstance(node.value, str | bytes) else None
        if isinstance(node, ast.JoinedStr):
            return "str"
        if isinstance(node, ast.List | ast.Tuple | ast.ListComp):
            return "seq"
        if isinstance(node, ast.Name):
            return self.shapes.get(node.id)
        if isinstance(node, ast.BinOp):
            left, right = self.shape(node.left), self.shape(node.right)
            if isinstance(node.op, ast.Mod) and (
                left == "str" or isinstance(node.right, ast.Tuple)
            ):
                return "str"  # `QUERY % (a, b)` formats a string even when QUERY is a global
            if isinstance(node.op, ast.Add):
                return left or right
            return None
        if isinstance(node, ast.Subscript):
            base = self.qualname(node.value)
            if isinstance(node.slice, ast.Slice):
                return self.shape(node.value) or ("seq" if base == "sys.argv" else None)
            if base in ("sys.argv", "os.environ") or self._request_source(node.value):
                return "str"
            return None
        if isinstance(node, ast.Call):
            name = self.qualname(node.func)
            if name in _SEQ_CALLS:
                return "seq"
            if name in _STR_CALLS:
                return "str"
            if isinstance(node.func, ast.Attribute):
                if node.func.attr in _SEQ_METHODS:
                    return "seq"
                if node.func.attr in _STR_METHODS or name in ("os.environ.get",):
                    return "str"
                if node.func.attr == "get" and self._request_source(node.func.value):
                    return "str"
        return None

    def _request_source(self, node: ast.expr) -> str | None:
        """`request.args`, `self.request.GET`, `flask.request.get_json`, ... as "request.args"."""
        if not isinstance(node, ast.Attribute) or node.attr not in _REQUEST_ATTRS:
            return None
        base = node.value
        if isinstance(base, ast.Name) and base.id in self.request_names:
            return f"{base.id}.{node.attr}"
        if isinstance(base, ast.Attribute) and base.attr in _REQUEST_NAMES:
            return f"request.{node.attr}"
        return None

    def taint(self, node: ast.expr, scan: bool = True) -> Taint | None:
        """The taint of an expression; with `scan`, every sink call inside it is checked."""
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, scan)
        if isinstance(node, ast.Call):
            return self._call(node, scan)
        if isinstance(node, ast.Subscript):
            known, element = self._element(node.value, node.slice)
            if known or self._constant(node.value):
                self.taint(node.slice, scan)
                return element
        if isinstance(node, ast.Compare):
            for child in (node.left, *node.comparators):
                self.taint(child, scan)
            return None
        if isinstance(node, ast.UnaryOp):
            inner = self.taint(node.operand, scan)
            return None if isinstance(node.op, ast.Not) else inner
        if isinstance(node, ast.NamedExpr):
            taint = self.taint(node.value, scan)
            self.bind(node.target, taint, node.value)
            return taint
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            return self._comprehension(node, scan)
        if isinstance(node, ast.Lambda):
            saved = self._snapshot()
            self.taint(node.body, scan)
            self._restore(saved)
            return None
        result: Taint | None = None
        for sub in ast.iter_child_nodes(node):
            if isinstance(sub, ast.expr):
                result = _merge(result, self.taint(sub, scan))
        return result

    def _attribute(self, node: ast.Attribute, scan: bool) -> Taint | None:
        source = self._request_source(node)
        if source:
            return Taint(source, node.lineno, remote=True)
        qual = self.qualname(node)
        if qual in _ENV_SOURCES:
            return Taint(qual, node.lineno)
        key = dotted(node)
        if key is not None and key in self.env:
            return self.env[key]
        return self.taint(node.value, scan)

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scan: bool
    ) -> Taint | None:
        saved = self._snapshot()
        result: Taint | None = None
        for gen in node.generators:
            iter_taint = self.taint(gen.iter, scan)
            self.bind(gen.target, iter_taint, None)
            for cond in gen.ifs:
                self.taint(cond, scan)
        if isinstance(node, ast.DictComp):
            result = _merge(self.taint(node.key, scan), self.taint(node.value, scan))
        else:
            result = self.taint(node.elt, scan)
        self._restore(saved)
        return result

    def _call(self, node: ast.Call, scan: bool) -> Taint | None:
        func = node.func
        receiver: Taint | None = None
        if isinstance(func, ast.Attribute):
            receiver = self.taint(func, scan)
        elif not isinstance(func, ast.Name):
            self.taint(func, scan)
        args: Taint | None = None
        for arg in node.args:
            args = _merge(args, self.taint(arg, scan))
        for kw in node.keywords:
            args = _merge(args, self.taint(kw.value, scan))
        qual = self.qualname(func)
        if scan:
            self._check_sink(node, qual)
            self._check_web_sink(node, qual)
        summary = self.module.summary_of(qual)
        if summary is None and args is not None and (args.real or not self.module.reporting):
            # Another module's helper is read for untrusted data, or while the module's own
            # functions are summarised (a route's local helper may hand its parameter on); a
            # parameter reaching it while flows are reported can make no flow.
            summary = self.module.helper(qual)
        if summary is not None:
            return self._summarised(node, qual or "", summary)
        return self._call_result(node, qual, receiver, args)

    def _call_result(
        self, node: ast.Call, qual: str | None, receiver: Taint | None, args: Taint | None
    ) -> Taint | None:
        """What a call returns: a source, nothing (conversions, checks, URL builders, a lookup
        in a constant table), its arguments made safe for some sinks (escaping), or whatever
        went in (an unknown function is assumed to pass its input through)."""
        func = node.func
        method = func.attr if isinstance(func, ast.Attribute) else None
        if qual in _SOURCE_CALLS:
            return Taint(f"{qual}()", node.lineno)
        if qual is not None and (qual in _CLEAN_CALLS or qual.startswith(_CLEAN_PREFIXES)):
            return None
        if method in _CLEAN_METHODS:
            return None
        if method == "get" and isinstance(func, ast.Attribute) and node.args:
            default = self._quiet(node.args[1]) if len(node.args) > 1 else None
            if self._constant(func.value):
                return default
            known, element = self._element(func.value, node.args[0])
            if known:
                return _merge(element, default)
        partial = _PARTIAL_SANITIZERS.get(qual or "")
        if partial is None and qual is not None:
            partial = _SANITIZERS_BY_NAME.get(qual.rsplit(".", 1)[-1])
        if partial is not None:
            return args.made_safe(partial) if args else None
        if method in _MUTATORS and args is not None and isinstance(func, ast.Attribute):
            key = self.key(func.value)
            if key is not None:
                self.shapes.pop(f"{key}[]", None)  # `d.update(...)`: any element may change
                merged = _merge(self.env.get(key), args)
                assert merged is not None
                self.env[key] = merged
        return _merge(receiver, args)

    def _constant(self, node: ast.expr) -> bool:
        """A module constant table (`ALLOWED = {...}`): what is looked up in it is its own."""
        return isinstance(node, ast.Name) and isinstance(
            self.module.constants.get(node.id), dict | list | tuple | set | frozenset | str
        )

    def _summarised(self, node: ast.Call, qual: str, summary: _Summary) -> Taint | None:
        """A call of a function of this module (or, with `origin`, of another module of the
        repository), through its summary: an argument that the function passes to a sink is a
        flow here; what it returns is built from the arguments its return depends on."""
        name = qual.rsplit(".", 1)[-1]
        origin = summary.origin
        at = f"{origin} line" if origin else "line"
        result = self._returned_source(node, name, summary)
        returned = summary.returned
        for param, arg in summary.bind(node).items():
            taint = self._quiet(arg)
            if taint is None:
                continue
            entered = taint.step(node.lineno, f"passed to {name}() as '{param}'")
            for sink in summary.sinks:
                if sink.param == param:
                    where = f"{sink.sink} in {name}() ({at} {sink.line})"
                    inner = (replace(s, path=s.path or origin) for s in sink.steps)
                    reaching = replace(entered, steps=_add_steps(entered.steps, *inner))
                    helper = (f"{origin}:{name}", sink.line) if origin else None
                    self._report(sink.kind, sink.cwe, where, node, reaching, helper)
            if returned is not None and param in returned.params:
                back = entered.step(node.lineno, f"returned by {name}()")
                result = _merge(result, back.made_safe(returned.safe_for))
        return result

    def _returned_source(self, node: ast.Call, name: str, summary: _Summary) -> Taint | None:
        """What a function returns from a source of its own (`return request.args["q"]`); one
        in another module is named with its file, since the flow's lines are this file's."""
        returned = summary.returned
        if returned is None or not returned.real:
            return None
        if not summary.origin:
            return replace(returned, params=frozenset())
        source = f"{returned.source} ({summary.origin} line {returned.line}, returned by {name}())"
        return replace(returned, source=source, line=node.lineno, params=frozenset(), steps=())

    # sinks ----------------------------------------------------------------------------------

    def _report(
        self,
        kind: str,
        cwe: str,
        sink: str,
        node: ast.stmt | ast.expr,
        taint: Taint | None,
        helper: tuple[str, int] | None = None,
    ) -> None:
        """A flow when a real source reaches the sink; a summary entry for each parameter that
        does; a proven-clean sink when nothing untrusted or unknown reaches it."""
        line = node.lineno
        if taint is None or not taint.reaches(kind):
            self.module.mark(kind, line, clean=True)
            return
        self.module.mark(kind, line, clean=False)
        if taint.real:
            flow = Flow(
                kind,
                cwe,
                sink,
                taint.source,
                taint.line,
                line,
                self.name,
                taint.remote,
                taint.steps,
            )
            if helper is not None:
                flow = replace(flow, helper=helper[0], helper_line=helper[1])
            self.module.report(flow)
        for param in taint.params:
            self.summary_sinks.append(_SummarySink(param, kind, cwe, sink, line, taint.steps))

    def _quiet(self, node: ast.expr | None) -> Taint | None:
        return None if node is None else self.taint(node, scan=False)

    def _check_sink(self, node: ast.Call, qual: str | None) -> None:  # noqa: C901, PLR0912 - one branch per AST node kind; split when issue 11 rewrites taint
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if qual in _SHELL_CALLS:
            self._report(
                COMMAND, "CWE-78", qual, node, self._quiet(_first_arg(node, "cmd", "command"))
            )
        elif qual in _SUBPROCESS_CALLS:
            self._check_subprocess(node, qual)
        elif qual in _CODE_CALLS:
            self._report(
                CODE, _CODE_CALLS[qual], qual, node, self._quiet(_first_arg(node, "source"))
            )
        elif qual in _SQL_TEXT_CALLS:
            self._report(SQL, "CWE-89", qual, node, self._quiet(_first_arg(node, "text", "sql")))
        elif method in _SQL_METHODS:
            # `.execute()` is a common method name; only a query built as a string is a fact.
            arg = _first_arg(node, "sql", "query", "statement", "raw_query", "operation")
            if arg is not None and self.shape(arg) == "str":
                self._report(SQL, "CWE-89", f".{method}()", node, self._quiet(arg))
        elif method in _SQL_ALL_ARGS_METHODS:
            taint: Taint | None = None
            for child in (*node.args, *(kw.value for kw in node.keywords)):
                taint = _merge(taint, self._quiet(child))
            self._report(SQL, "CWE-89", f".{method}()", node, taint)
        elif qual in _DESER_CALLS or (
            qual == "torch.load" and not _is_true(_keyword(node, "weights_only"))
        ):
            self._report(DESERIALIZATION, "CWE-502", qual, node, self._quiet(_first_arg(node)))
        elif qual in _YAML_LOAD:
            loader = _keyword(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
            loader_name = dotted(loader) if loader is not None else None
            if not (loader_name and loader_name.endswith(_YAML_SAFE_LOADERS)):
                self._report(DESERIALIZATION, "CWE-502", qual, node, self._quiet(_first_arg(node)))
        elif (
            qual
            and qual.rpartition(".")[0] in _XML_MODULES
            and qual.rpartition(".")[2] in _XML_FUNCS
        ):
            if not self._safe_parser(node):
                document = self._quiet(_first_arg(node, "source", "text"))
                self._report(XML, "CWE-611", qual, node, document)
        elif qual in _PATH_CALLS or (
            qual and qual.startswith("shutil.") and qual not in _SHUTIL_SAFE
        ):
            taint = None
            for child in node.args[:2]:
                taint = _merge(taint, self._quiet(child))
            for name in ("file", "path", "src", "dst", "filename", "name", "fp"):
                taint = _merge(taint, self._quiet(_keyword(node, name)))
            self._report(PATH, "CWE-22", qual or "open", node, taint)
        elif method in _PATH_METHODS and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            pathish = self._pathish(receiver)
            if pathish:
                self._report(PATH, "CWE-22", f"Path.{method}()", node, self._quiet(receiver))

    def _safe_parser(self, node: ast.Call) -> bool:
        """`parser=` (or the second argument) is an lxml `XMLParser(resolve_entities=False)`,
        inline or bound to a name: entities are not expanded, so the document cannot reach
        local files."""
        parser = _keyword(node, "parser")
        if parser is None and len(node.args) > 1:
            parser = node.args[1]
        if isinstance(parser, ast.Call):
            return _disables_entities(parser)
        key = dotted(parser) if parser is not None else None
        return key is not None and key in self.module.safe_parsers

    def _check_web_sink(self, node: ast.Call, qual: str | None) -> None:
        """The sinks of web code: HTML bodies (XSS), redirects, LDAP filters, XPath
        expressions and the server-side session (a trust boundary)."""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if qual in _XSS_BODIES:
            kind = _content_type(node)
            if qual in _ALWAYS_HTML or kind is None or "html" in kind:
                body = _first_arg(node, "content", "response", "source", "base")
                self._report(XSS, "CWE-79", qual, node, self._quiet(body))
        elif qual in _REDIRECTS:
            target = _first_arg(node, "url", "location", "to", "redirect_to")
            if not _stays_on_site(target):
                self._report(REDIRECT, "CWE-601", qual, node, self._quiet(target))
        elif method == "render" and self.module.unescaped_templates:
            taint = None
            for child in (*node.args, *(kw.value for kw in node.keywords)):
                taint = _merge(taint, self._quiet(child))
            self._report(XSS, "CWE-79", "a template without autoescape", node, taint)
        elif method is not None and self.module.uses_ldap and not (qual or "").startswith("re."):
            self._check_ldap(node, method)
        if method == "xpath" or qual in _XPATH_CALLS:
            sink = "xpath()" if method == "xpath" else qual or "XPath"
            self._report(XPATH, "CWE-643", sink, node, self._quiet(_first_arg(node, "_path")))
        elif method in _ELEMENTPATH_METHODS and self.module.uses_xml:
            assert isinstance(node.func, ast.Attribute)
            arg = _first_arg(node, "path")
            if arg is not None and self.shape(node.func.value) != "str":
                self._report(XPATH, "CWE-643", f".{method}()", node, self._quiet(arg))
        if (
            method in _SESSION_METHODS
            and isinstance(node.func, ast.Attribute)
            and self._is_session(node.func.value)
        ):
            taint = None
            for child in (*node.args, *(kw.value for kw in node.keywords)):
                taint = _merge(taint, self._quiet(child))
            self._report(SESSION, "CWE-501", f"session.{method}()", node, taint)

    def _check_ldap(self, node: ast.Call, method: str) -> None:
        index = _LDAP_SEARCHES.get(method)
        if method == "search":
            index = 1 if self.module.uses_ldap3 else 2
        if index is None:
            return
        arg = _keyword(node, "search_filter") or _keyword(node, "filterstr")
        if arg is None and len(node.args) > index:
            arg = node.args[index]
        self._report(LDAP, "CWE-90", f".{method}()", node, self._quiet(arg))

    def _is_session(self, node: ast.expr) -> bool:
        """flask's `session`, or `request.session` (Django, Starlette)."""
        if self.qualname(node) in ("flask.session", "quart.session"):
            return True
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "session"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.request_names
        )

    def _pathish(self, node: ast.expr) -> bool:
        """A pathlib path: `Path(...)`, `base / name`, or a name bound to one."""
        if isinstance(node, ast.Call):
            name = self.qualname(node.func) or ""
            return name.rsplit(".", 1)[-1] in ("Path", "PurePath", "PosixPath", "WindowsPath")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return True
        key = dotted(node)
        return key is not None and key in self.module.path_names

    def _check_subprocess(self, node: ast.Call, qual: str) -> None:
        command = _first_arg(node, "args")
        if command is None:
            return
        if _is_true(_keyword(node, "shell")):
            self._report(COMMAND, "CWE-78", f"{qual} with shell=True", node, self._quiet(command))
            return
        script = self._shell_script(command)
        if script is not None:
            self._report(COMMAND, "CWE-78", f"{qual} with a shell -c script", node, script)
            return
        # An argument list runs no shell: even a tainted program name there is usually the
        # intended `$EDITOR` pattern, so only a command given as one string counts.
        if self.shape(command) == "str":
            sink = f"{qual} with a string command"
            self._report(COMMAND, "CWE-78", sink, node, self._quiet(command))

    def _shell_script(self, command: ast.expr) -> Taint | None:
        """The taint of the script in `["sh", "-c", script, ...]` (inline or bound to a name):
        a shell by another name. Later items are the script's positional parameters, which is
        the safe way to pass values, so they do not count."""
        key = dotted(command)
        display = self.displays.get(key) if key is not None else command
        if not isinstance(display, ast.List | ast.Tuple) or len(display.elts) < 3:
            return None
        program, flag = display.elts[0], display.elts[1]
        if not (isinstance(program, ast.Constant) and isinstance(program.value, str)):
            return None
        if program.value.rsplit("/", 1)[-1] not in _SHELLS:
            return None
        if not (isinstance(flag, ast.Constant) and flag.value in ("-c", "-lc", "-ec")):
            return None
        return self._quiet(display.elts[2])


_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash"})


class _Module:
    """The module-wide facts every scope shares: imports, constants, pathlib names, function
    summaries, the flows found and the sinks proven clean."""

    def __init__(self, tree: ast.Module, helpers: Helpers | None = None) -> None:
        self.helpers = helpers
        self.aliases: dict[str, str] = {}
        self.imported: set[str] = set()
        self.path_names: set[str] = set()
        self.defined: set[str] = set()
        self.flows: dict[tuple[str, int], Flow] = {}
        self.clean: set[tuple[str, int]] = set()
        self.unclean: set[tuple[str, int]] = set()
        self.summaries: dict[str, _Summary] = {}
        self.exposed: dict[str, frozenset[tuple[str, str]]] = {}
        """Top-level functions: the (parameter, sink kind) pairs each passes on to a sink."""
        self.reporting = True
        self.pending: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, _Scope]]
        self.pending = []
        self.nodes: list[ast.AST] = list(ast.walk(tree))
        """Every node, walked once: the module-wide scans below read this list."""
        self.constants = module_constants(tree, self.nodes)
        for node in self.nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                self._import(node)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.defined.add(node.name)
            elif isinstance(node, ast.Assign) and _makes_path(node.value):
                self.path_names.update(k for t in node.targets if (k := dotted(t)))
        self.uses_ldap3 = "ldap3" in self.imported
        self.uses_ldap = self.uses_ldap3 or "ldap" in self.imported
        self.uses_xml = bool(self.imported & {"lxml", "xml"})
        self.safe_parsers = _safe_parsers(self.nodes) if "lxml" in self.imported else set()
        self.unescaped_templates = "jinja2" in self.imported and _unescaped_templates(
            self.nodes, self.aliases
        )

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        """Local name to qualified name, from every import (function-level ones too)."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imported.add(alias.name.split(".")[0])
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
        elif node.module and not node.level:
            self.imported.add(node.module.split(".")[0])
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif node.level:
            # `from .utils import run` is `.utils.run`: the leading dots stay for `helpers` to
            # resolve against the importing file, and match no library name.
            package = "." * node.level + (f"{node.module}." if node.module else "")
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{package}{alias.name}"

    @property
    def flask(self) -> bool:
        return "flask" in self.imported or "quart" in self.imported

    def report(self, flow: Flow) -> None:
        if self.reporting:
            self.flows.setdefault((flow.kind, flow.sink_line), flow)

    def mark(self, kind: str, line: int, *, clean: bool) -> None:
        if self.reporting:
            (self.clean if clean else self.unclean).add((kind, line))

    def summary_of(self, qual: str | None) -> _Summary | None:
        if qual is None or not qual.startswith("<local>.") or qual.count(".") != 1:
            return None
        return self.summaries.get(qual.removeprefix("<local>."))

    def helper(self, qual: str | None) -> _Summary | None:
        """The summary of `module.function` from another module of the repository, when the
        analysis was given `helpers` and the name is one (not a library, not a method)."""
        if self.helpers is None or qual is None:
            return None
        if not qual.startswith(".") and qual.split(".")[0] not in self.imported:
            return None  # a builtin, a local object's method or a name the module defines
        module, _, name = qual.rpartition(".")
        if not module.strip(".") or not name:
            return None
        return self.helpers.summary(module, name)

    def defer(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, outer: _Scope
    ) -> None:
        self.pending.append((node, outer))

    def summarise(self, tree: ast.Module, wanted: frozenset[str] = frozenset()) -> None:
        """Summaries of the module's functions called in it by name (and of the `wanted` ones,
        which another module calls), twice over so a helper of a helper counts; nothing is
        reported while they are made."""
        called = wanted | {
            node.func.id
            for node in self.nodes
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        functions = [
            n
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name in called
        ]
        if not functions:
            return  # no function of the module is called in it by name: no summary is needed
        self.reporting = False
        for _ in range(2):
            for node in functions:
                scope = _Scope(self, node.name)
                self._parameters(node, scope)
                scope.block(node.body)
                args = node.args
                self.summaries[node.name] = _Summary(
                    tuple(a.arg for a in (*args.posonlyargs, *args.args)),
                    tuple(a.arg for a in args.kwonlyargs),
                    tuple(scope.summary_sinks),
                    scope.returned,
                )
            self.pending.clear()
        self.reporting = True

    def run(self, tree: ast.Module) -> list[Flow]:
        self.summarise(tree)
        _Scope(self, "<module>", "module").block(tree.body)
        while self.pending:
            node, outer = self.pending.pop(0)
            if isinstance(node, ast.ClassDef):
                _Scope(self, node.name, "class").block(node.body)
                continue
            scope = _Scope(self, node.name)
            if outer.kind == "function":
                # A closure sees the enclosing function's tainted names.
                scope.env, scope.shapes = dict(outer.env), dict(outer.shapes)
            self._parameters(node, scope)
            scope.block(node.body)
            if outer.kind == "module":
                self.exposed[node.name] = frozenset((s.param, s.kind) for s in scope.summary_sinks)
        return sorted(self.flows.values(), key=lambda f: (f.sink_line, f.kind, f.sink))

    def _parameters(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope) -> None:
        """Parameters of a web route are sources; any other parameter is a placeholder whose
        flows make the function's summary."""
        args = node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        every = [*params, *(a for a in (args.vararg, args.kwarg) if a)]
        for param in params:
            annotation = dotted(param.annotation) if param.annotation is not None else None
            if annotation and annotation.rsplit(".", 1)[-1] in _REQUEST_TYPES:
                scope.request_names.add(param.arg)
        for param in every:
            if param.arg not in ("self", "cls") and param.arg not in scope.request_names:
                placeholder = Taint(f"parameter '{param.arg}'", node.lineno, real=False)
                scope.env[param.arg] = replace(placeholder, params=frozenset({param.arg}))
        route = next((d for d in node.decorator_list if _is_route(d)), None)
        if route is None:
            return
        scope.html_view = self.flask
        typed = _typed_route_params(route)
        positional = [*args.posonlyargs, *args.args]
        defaults = dict(zip(reversed(positional), reversed(args.defaults), strict=False))
        defaults.update({a: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d})
        for param in every:
            if param.arg in _NOT_ROUTE_PARAMS or param.arg in scope.request_names:
                continue
            annotation = dotted(param.annotation) if param.annotation is not None else None
            if annotation and annotation.rsplit(".", 1)[-1] in _SAFE_ANNOTATIONS:
                scope.env.pop(param.arg, None)
                continue
            if param.arg in typed:
                scope.env.pop(param.arg, None)  # `<int:page_id>`: the router converted it
                continue
            default = defaults.get(param)
            if isinstance(default, ast.Call):
                called = dotted(default.func) or ""
                if called.rsplit(".", 1)[-1] in _DEPENDENCY_CALLS:
                    continue
            source = f"route parameter '{param.arg}'"
            scope.env[param.arg] = Taint(source, node.lineno, remote=True)


_ROUTE_CONVERTER = re.compile(r"<(int|float|uuid):(\w+)>")


def _typed_route_params(decorator: ast.expr) -> set[str]:
    """Route parameters a Flask/werkzeug converter makes numbers or UUIDs: `<int:page_id>`."""
    if not isinstance(decorator, ast.Call) or not decorator.args:
        return set()
    rule = decorator.args[0]
    if not isinstance(rule, ast.Constant) or not isinstance(rule.value, str):
        return set()
    return {m.group(2) for m in _ROUTE_CONVERTER.finditer(rule.value)}


def _disables_entities(call: ast.Call) -> bool:
    name = dotted(call.func) or ""
    value = _keyword(call, "resolve_entities")
    return (
        name.rsplit(".", 1)[-1] == "XMLParser"
        and isinstance(value, ast.Constant)
        and value.value is False
    )


def _safe_parsers(nodes: list[ast.AST]) -> set[str]:
    """Names bound to an lxml parser that does not resolve entities, anywhere in the module."""
    names: set[str] = set()
    for node in nodes:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and _disables_entities(node.value)
        ):
            names.update(k for t in node.targets if (k := dotted(t)))
    return names


def _unescaped_templates(nodes: list[ast.AST], aliases: dict[str, str]) -> bool:
    """Whether the module makes a jinja2 environment without autoescape, or a bare
    `jinja2.Template` (which never escapes)."""
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func) or ""
        head, _, rest = name.partition(".")
        qual = aliases.get(head, head) + (f".{rest}" if rest else "")
        if qual == "jinja2.Template":
            return True
        if qual == "jinja2.Environment":
            value = _keyword(node, "autoescape")
            if value is None or (isinstance(value, ast.Constant) and not value.value):
                return True
    return False


def _is_route(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if not isinstance(target, ast.Attribute) or target.attr not in _ROUTE_ATTRS:
        return False
    owner = dotted(target.value)
    return owner is not None and owner.split(".")[0] not in ("pytest", "mock", "functools")


class Helpers(Protocol):
    """Summaries of functions defined in other modules of the repository, for the analysis of
    a file that imports them (see `taint_modules`)."""

    def summary(self, module: str, function: str) -> _Summary | None:
        """`module` is dotted as the file imports it: absolute (`app.utils`) or relative, with
        its leading dots (`.utils`); None when it is no module of the repository."""
        ...


@dataclass(frozen=True)
class Analysis:
    """Flows found in a file, and the sinks the analysis proved clean: nothing from a source,
    a parameter or an unchecked value reaches them (only constants, conversions, escaped or
    checked values). A finding that judges such a call by its shape alone is weaker for it."""

    flows: list[Flow]
    clean: frozenset[tuple[str, int]]
    """(sink kind, line) pairs."""
    exposed: dict[str, frozenset[tuple[str, str]]] | None = None
    """For each top-level function, the (parameter, sink kind) pairs through which it passes
    its arguments to a sink; None when the file was not analysed (no source word in it)."""


def analyse_file(source: str, helpers: Helpers | None = None) -> Analysis:
    """The analysis of one file; empty when it has no source or cannot be analysed. With
    `helpers`, a call of a function imported from another module of the repository is judged
    by that function's summary, as a call of one of the file's own functions is."""
    if not _MAY_HAVE_SOURCE.search(source):
        return Analysis([], frozenset())
    try:
        tree = parse_python(source)
        module = _Module(tree, helpers)
        flows = module.run(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Analysis([], frozenset())
    dead = dead_lines(tree, module.constants, module.nodes)
    clean = (module.clean - module.unclean) | {(kind, n) for n in dead for kind in ALL_KINDS}
    return Analysis(flows, frozenset(clean), module.exposed)


def analyse(source: str) -> list[Flow]:
    """Every flow of untrusted data into a sink in `source`; [] if it cannot be analysed."""
    return analyse_file(source).flows


def summarise_functions(source: str, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The summaries (as JSON, for a cache keyed by the module's blob id) of these top-level
    functions of a module, for the modules that import them: which parameters reach which
    sinks, and what the return is built from. Functions it cannot find or analyse are left out.
    Calls the module makes into further modules are not followed (one level deep)."""
    wanted = frozenset(names)
    try:
        tree = parse_python(source)
        module = _Module(tree)
        module.summarise(tree, wanted)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    return {n: _summary_json(module.summaries[n]) for n in sorted(wanted & module.summaries.keys())}


def summary_from_json(data: dict[str, Any], origin: str) -> _Summary:
    """A summary `summarise_functions` made, for a function defined in the file `origin`."""
    returned = data["returned"]
    return _Summary(
        tuple(data["positional"]),
        tuple(data["keyword_only"]),
        tuple(
            _SummarySink(
                param, kind, cwe, sink, line, tuple(Step.from_json(step) for step in steps)
            )
            for param, kind, cwe, sink, line, steps in data["sinks"]
        ),
        None if returned is None else _taint_from_json(returned),
        origin,
    )


def _summary_json(summary: _Summary) -> dict[str, Any]:
    returned = summary.returned
    return {
        "positional": list(summary.positional),
        "keyword_only": list(summary.keyword_only),
        "sinks": [
            [s.param, s.kind, s.cwe, s.sink, s.line, [step.to_json() for step in s.steps]]
            for s in summary.sinks
        ],
        "returned": None if returned is None else _taint_json(returned),
    }


def _taint_json(taint: Taint) -> dict[str, Any]:
    data = asdict(taint)
    data["safe_for"] = sorted(taint.safe_for)
    data["params"] = sorted(taint.params)
    data["steps"] = [step.to_json() for step in taint.steps]
    return data


def _taint_from_json(data: dict[str, Any]) -> Taint:
    return Taint(
        data["source"],
        data["line"],
        frozenset(data["safe_for"]),
        data["remote"],
        data["real"],
        frozenset(data["params"]),
        tuple(Step.from_json(step) for step in data["steps"]),
    )
