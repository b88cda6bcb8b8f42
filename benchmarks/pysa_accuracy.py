"""Pysa (pyre-check) on the labelled taint corpus (tests/security), next to the `security` check.

Issue 11 asks whether Pysa, Meta's inter-procedural taint analyser, is worth running as an engine or
as a slower second opinion. This measures it on the same corpus and with the same CWE-matched
scoring as benchmarks/security_accuracy.py (whose helpers it imports), so the numbers compare.

Pysa is not a dependency of crewchief: it lives in its own virtualenv, found through `--pyre`
(default /tmp/pysa-venv/bin/pyre), made with

    python3 -m venv /tmp/pysa-venv
    /tmp/pysa-venv/bin/pip install pyre-check flask django fastapi lxml sqlalchemy \
        flask_sqlalchemy jsonpickle dill defusedxml markupsafe psycopg bcrypt

The libraries are there because Pysa resolves calls through types: without Flask installed,
`request.args` has no type and no source model can apply. pyre-check 0.10 type-checks with pyrefly
(installed with it) and ships typeshed, its taint.config and the community models
(<venv>/lib/pyre_check/{taint,third_party_taint}); those are used as shipped. Analysis runs with
`--no-verify`: verification rejects the whole run over models for libraries that are not installed
or that moved (tornado, mako, Django's REQUEST attribute, ...); unverified models that name nothing
are simply ignored.

Two configurations are measured, and one filter of the second:
  shipped  the shipped models alone.
  +sources the shipped models plus one file of ours (EXTRA_MODELS below, printed with --models),
           which adds only sources, generic rather than per case:
           - werkzeug >= 2.3 request attributes (args, cookies, headers, path, query_string, url,
             full_path, base_url, host, files) and flask's view_args: the shipped Flask models name
             the pre-2.3 `werkzeug.wrappers.BaseRequest`, so `request.args` is no source there;
           - every parameter named `request` of a function or method in the analysed project
             (Django and Starlette/FastAPI views take the request untyped or typed by a class the
             shipped models do not cover; Pysa's own answer, its Django view model generator, is not
             in the PyPI package);
           - `sys.argv` and `input()`.
           No sinks and no sanitizers are added.
           The werkzeug entries turn out inert under pyre-check 0.10: its call graph treats
           `request.args` (a werkzeug cached_property, as are form, cookies, files, data, json)
           as reading a decorated function, not a property call, so no model on it applies; the
           same holds for the shipped Flask 3.x models of form/values/json. Plain attributes
           (headers, path, query_string) do apply. (Pyre1, which had its own type checker, is
           removed from this release: `--use-pyre1` refuses to run.)
  +sources, scalar filter: the +sources issues minus those whose every flow carries a scalar or
           bool value (`always-type:scalar|integer|bool` features): the part of the "high signal" filters
           pyre-check ships in pysa_filters/ (for SAPP, its triage UI) common to every rule. Same
           run, no extra analysis.

Rule codes are mapped to CWEs as follows (RULE_CWE); a code not listed counts for nothing:
  5001, 5041 (RemoteCodeExecution sink): CWE-94 when the sink is eval/exec/compile, else CWE-78
  6065 (ExecArgSink: subprocess arguments), 6064 (ExecEnvSink/ExecImportSink): CWE-78
  5005, 5051 (SQL; 5051 is the string-combine rule "user data and a SQL-looking string"): CWE-89
  5008, 5052 (XSS; 5052 likewise for an HTML-looking string): CWE-79
  5011 (filesystem read/write), 6060 (filesystem other), 6108 (user-chosen file returned): CWE-22
  5018 (open redirect): CWE-601     5007 (XML parser): CWE-611
  6066 (deserialization), 5067 (user-chosen file deserialized): CWE-502
  6303 (LDAP injection): CWE-90
  Pysa has no rule for XPath (643), trust boundary (501), weak hashes (328), weak randomness (330)
  or insecure cookies (614): those are not taint problems, or not ones its models cover, so it
  scores 0 there by construction.

Wall time is the whole `pyre analyze` (pyrefly's type check of the project and every library it
imports, then the taint fixpoint), run with --workers workers (2 by default, to stay modest).

Measured (pyre-check 0.10.0 with pyrefly 1.5.0, 2 workers, 2-CPU machine): overall score 0.04
shipped, 0.09 with our sources, 0.12 with the scalar filter (TPR 0.14, FPR 0.03), against 0.99 for
the security check; Pysa finds no vulnerable case the check misses. Even on the eight classes it has
rules and shipped sinks for (22, 78, 79, 89, 94, 502, 601, 611) it catches 26 of 104 vulnerable
cases, mostly for want of sources (Flask's request.args, above). LDAP (6303) has a rule but no
python-ldap sink models, and python-ldap has no wheel on PyPI. About 60 s wall per corpus run;
about 47 s on gate_static's Django checkout (2782 files type-checked, 17 s taint fixpoint), and it
analyses the whole program each time, not the diff. Twice, on small debugging projects with a cut
down model set, pyre.bin segfaulted (stack overflow) while writing its results.

Usage: python benchmarks/pysa_accuracy.py [--pyre PATH] [--config shipped|sources|both]
           [--workers N] [--timeout S] [--cases] [--models] [-k SUBSTRING]
       python benchmarks/pysa_accuracy.py --django   (Pysa's wall time on gate_static's change)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.security_accuracy import crewchief_cwes, report, wrong
from tests.security.corpus import Case, load

Issue = dict[str, Any]
"""One issue record of taint-output.json (its `data`): JSON, so untyped below the top."""

DEFAULT_PYRE = Path("/tmp/pysa-venv/bin/pyre")
_LIBRARIES = (
    "flask django fastapi lxml sqlalchemy flask_sqlalchemy jsonpickle dill defusedxml markupsafe "
    "psycopg bcrypt"
)
"""What the corpus imports, installed next to Pysa so that its calls resolve to typed code."""
PACKAGE = "cases"
"""The corpus's top-level package in the laid-out project (Case.path starts with it)."""

_CODE_SINKS = {"builtins.eval", "builtins.exec", "builtins.compile"}
"""RemoteCodeExecution sinks that run Python code rather than a shell command."""

RULE_CWE: dict[int, str] = {
    5001: "CWE-78",
    5041: "CWE-78",
    6064: "CWE-78",
    6065: "CWE-78",
    5005: "CWE-89",
    5051: "CWE-89",
    5008: "CWE-79",
    5052: "CWE-79",
    5011: "CWE-22",
    6060: "CWE-22",
    6108: "CWE-22",
    5018: "CWE-601",
    5007: "CWE-611",
    6066: "CWE-502",
    5067: "CWE-502",
    6303: "CWE-90",
}
"""Pysa rule code to CWE; 5001 and 5041 become CWE-94 when their sink runs Python code."""

EXTRA_MODELS = """\
# werkzeug >= 2.3: request attributes live on the sans-IO request (cached properties there).
@property
def werkzeug.sansio.request.Request.args(self) -> TaintSource[UserControlled, UserControlled_Payload]: ...
@property
def werkzeug.sansio.request.Request.cookies(self) -> TaintSource[UserControlled, Cookies]: ...
@property
def werkzeug.sansio.request.Request.url(self) -> TaintSource[UserControlled, URL]: ...
@property
def werkzeug.sansio.request.Request.full_path(self) -> TaintSource[UserControlled, URL]: ...
@property
def werkzeug.sansio.request.Request.base_url(self) -> TaintSource[UserControlled, URL]: ...
@property
def werkzeug.sansio.request.Request.host(self) -> TaintSource[UserControlled, URL]: ...
@property
def werkzeug.wrappers.request.Request.files(self) -> TaintSource[UserControlled, UserControlled_Payload]: ...
werkzeug.sansio.request.Request.headers: TaintSource[UserControlled, HeaderData] = ...
werkzeug.sansio.request.Request.path: TaintSource[UserControlled, URL] = ...
werkzeug.sansio.request.Request.query_string: TaintSource[UserControlled, UserControlled_Payload] = ...
flask.wrappers.Request.view_args: TaintSource[UserControlled, UserControlled_Payload] = ...

# Command-line and console input.
sys.argv: TaintSource[UserControlled] = ...
def input(prompt, /) -> TaintSource[UserControlled]: ...

# A parameter named `request` in the project's own code (Django, Starlette and FastAPI views).
ModelQuery(
  name = "crewchief_request_parameter_functions",
  find = "functions",
  where = [fully_qualified_name.matches("^PACKAGE\\\\.")],
  model = [Parameters(TaintSource[UserControlled], where=[name.equals("request")])]
)
ModelQuery(
  name = "crewchief_request_parameter_methods",
  find = "methods",
  where = [fully_qualified_name.matches("^PACKAGE\\\\.")],
  model = [Parameters(TaintSource[UserControlled], where=[name.equals("request")])]
)
"""
"""Our only addition to the shipped models: sources, no sinks or sanitizers (PACKAGE is replaced
by the analysed project's top-level package)."""


@dataclass(frozen=True)
class Pysa:
    """The executables and shipped data of one pyre-check virtualenv."""

    pyre: Path

    @property
    def venv(self) -> Path:
        return self.pyre.parent.parent

    @property
    def pyrefly(self) -> Path:
        return self.pyre.parent / "pyrefly"

    @property
    def python(self) -> Path:
        return self.pyre.parent / "python"

    @property
    def shipped(self) -> Path:
        """typeshed, taint/ and third_party_taint/ as pyre-check installs them."""
        return self.venv / "lib" / "pyre_check"

    def missing(self) -> str | None:
        """Why this virtualenv cannot run Pysa, in one actionable line, or None."""
        for path in (self.pyre, self.pyrefly, self.python, self.shipped / "taint"):
            if not path.exists():
                venv = DEFAULT_PYRE.parent.parent
                return (
                    f"pysa_accuracy: {path} not found; make a Pysa venv with `python3 -m venv "
                    f"{venv} && {venv}/bin/pip install pyre-check {_LIBRARIES}` and pass "
                    f"--pyre {venv}/bin/pyre (the default)"
                )
        return None


def configure(project: Path, pysa: Pysa, package: str, includes: list[str], extra: bool) -> None:
    """Pyre's and pyrefly's configuration in `project`: pyrefly types the `includes` against the
    libraries of the pysa venv (pyre analyze runs `pyrefly check` in the project directory, which
    reads pyrefly.toml and not .pyre_configuration's search path); pyre reads the model paths."""
    models = [str(pysa.shipped / "taint"), str(pysa.shipped / "third_party_taint")]
    if extra:
        ours = project / ".pysa-extra"
        ours.mkdir(exist_ok=True)
        (ours / "crewchief_sources.pysa").write_text(EXTRA_MODELS.replace("PACKAGE", package))
        models.append(str(ours))
    config = {
        "source_directories": includes,
        "typeshed": str(pysa.shipped / "typeshed"),
        "taint_models_path": models,
    }
    (project / ".pyre_configuration").write_text(json.dumps(config, indent=2))
    (project / "pyrefly.toml").write_text(
        f'project-includes = {json.dumps(includes)}\npython-interpreter-path = "{pysa.python}"\n'
    )


def analyze(project: Path, pysa: Pysa, workers: int, timeout: float) -> tuple[list[Issue], float]:
    """Pysa's issues on `project` (taint-output.json records) and the wall time of the run.
    One pyre process at a time, with `workers` workers and as many pyrefly threads; on
    timeout its process group (its own session) is ended."""
    out = project / ".pysa-results"
    command = [
        str(pysa.pyre),
        "--noninteractive",
        "--number-of-workers",
        str(workers),
        "analyze",
        "--no-verify",
        "--pyrefly-binary",
        str(pysa.pyrefly),
        "--save-results-to",
        str(out),
    ]
    env = {
        **os.environ,
        "PYREFLY_THREADS": str(workers),
        "PATH": f"{pysa.pyre.parent}:{os.environ['PATH']}",
    }
    log = project / ".pysa-log.txt"
    started = time.perf_counter()
    with log.open("w") as sink:
        done = subprocess.Popen(
            command,
            cwd=project,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            done.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(done.pid, signal.SIGTERM)  # pyre, pyrefly and the workers, only ours
            done.wait()
            raise
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(f"pyre analyze exited {done.returncode}:\n" + "\n".join(tail))
    return list(_issues(out / "taint-output.json")), seconds


def _issues(path: Path) -> Iterator[Issue]:
    with path.open() as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("kind") == "issue":
                yield record["data"]


def _sink_leaves(issue: Issue) -> set[str]:
    """The callees at the sink end of an issue's traces (`os.system`, `builtins.eval`)."""
    found: set[str] = set()
    for trace in issue.get("traces", []):
        if trace.get("name") != "backward":
            continue
        for root in trace.get("roots", []):
            for kind in root.get("kinds", []):
                found.update(leaf.get("name", "") for leaf in kind.get("leaves", []))
    return found


def issue_cwe(issue: Issue) -> str | None:
    """The CWE an issue counts for under RULE_CWE, or None."""
    code = int(issue["code"])
    cwe = RULE_CWE.get(code)
    if code in (5001, 5041) and _sink_leaves(issue) & _CODE_SINKS:
        return "CWE-94"
    return cwe


def _scalar(issue: Issue) -> bool:
    """Whether every flow of the issue carries a scalar or bool value (Pysa's `always-type`
    features): the core of the "high signal" filters pyre-check ships in pysa_filters/ for SAPP,
    which drop such flows for every rule they cover (an int cannot carry an injection)."""
    features = {f"{k}:{v}" for f in issue.get("features", []) for k, v in f.items()}
    return bool(features & {"always-type:scalar", "always-type:bool", "always-type:integer"})


def pysa_cwes(
    issues: list[Issue], cases: list[Case], source_dir: str, drop_scalar: bool = False
) -> dict[str, set[str]]:
    """CWEs Pysa reports per case file (issue filenames are relative to the project root)."""
    found: dict[str, set[str]] = {c.path: set() for c in cases}
    prefix = f"{source_dir}/"
    for issue in issues:
        path = str(issue["filename"]).removeprefix(prefix)
        cwe = issue_cwe(issue)
        if drop_scalar and _scalar(issue):
            continue
        if cwe and path in found:
            found[path].add(cwe)
    return found


def run_corpus(
    cases: list[Case], pysa: Pysa, extra: bool, workers: int, timeout: float
) -> tuple[list[Issue], float]:
    """Lay the corpus out as one project (one file per case, as security_accuracy.py does), run
    Pysa on it, and return its issues and the wall time."""
    with tempfile.TemporaryDirectory(prefix="crewchief-pysa-") as tmp:
        project = Path(tmp)
        for case in cases:
            path = project / "src" / case.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(case.source)
        configure(project, pysa, PACKAGE, ["src"], extra)
        return analyze(project, pysa, workers, timeout)


_LOG_KEYS = ("Checking ", "errors (", "Analysis fixpoint complete (", "PERFORMANCE  Analyze:")
"""Lines of pyre's log that say how much it analysed and where the time went."""


def run_django(pysa: Pysa, workers: int, timeout: float) -> None:
    """Pysa's wall time on the repository and change benchmarks/gate_static.py gates (Django's
    sdist, the seeded 20-file change), shipped models. Pysa is whole-program: it analyses the
    checkout, not the diff, so this is its cost per change. The sdist is cached under
    $CREWCHIEF_SDIST_CACHE (set it outside the repo to keep the checkout clean)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _bigrepo

    sdist = _bigrepo.fetch_sdist()
    tmp = Path(tempfile.mkdtemp(prefix="crewchief-pysa-django-"))
    try:
        repo = _bigrepo.build_repo(sdist, tmp)
        count = _bigrepo.count_python(repo)
        change = _bigrepo.make_change(repo, seed=0)
        print(
            f"{sdist.name}: {count.files} Python files, {count.lines:,} lines; change "
            f"{change.files_modified} modified + {change.files_added} added",
            flush=True,
        )
        configure(repo, pysa, "django", ["django", "tests"], extra=False)
        try:
            issues, seconds = analyze(repo, pysa, workers, timeout)
        except subprocess.TimeoutExpired:
            print(f"pyre analyze did not finish in {timeout:.0f} s on {workers} workers")
            return
        codes = sorted({int(i["code"]) for i in issues})
        print(f"pyre analyze: {seconds:.1f} s wall on {workers} workers, {len(issues)} issues")
        print(f"rule codes: {codes}")
        log = (repo / ".pysa-log.txt").read_text(errors="replace").splitlines()
        for line in log:
            if any(key in line for key in _LOG_KEYS):
                print("  " + line.split("] ", 1)[-1].strip())
    finally:
        _bigrepo.remove_tree(tmp)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pyre", type=Path, default=DEFAULT_PYRE, help="pyre in the pysa venv")
    parser.add_argument("--config", choices=("shipped", "sources", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2, help="pyre workers, pyrefly threads")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per pyre run")
    parser.add_argument("--django", action="store_true", help="time Pysa on gate_static's repo")
    parser.add_argument("--cases", action="store_true", help="list the cases a tool gets wrong")
    parser.add_argument("--models", action="store_true", help="print our extra model file")
    parser.add_argument("-k", default="", help="only cases whose id contains this")
    args = parser.parse_args(argv)
    if args.models:
        print(EXTRA_MODELS.replace("PACKAGE", PACKAGE))
        return 0
    pysa = Pysa(args.pyre.absolute())
    problem = pysa.missing()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if args.django:
        run_django(pysa, args.workers, args.timeout)
        return 0
    cases = [c for c in load() if args.k in c.id]
    started = time.perf_counter()
    ours, ours_every = crewchief_cwes(cases)
    results = {"crewchief security": ours}
    timings = [f"security check {time.perf_counter() - started:.1f} s"]
    configs = {"shipped": [False], "sources": [True], "both": [False, True]}[args.config]
    for extra in configs:
        label = "pysa +sources" if extra else "pysa shipped"
        issues, seconds = run_corpus(cases, pysa, extra, args.workers, args.timeout)
        results[label] = pysa_cwes(issues, cases, "src")
        if extra:
            results[f"{label}, scalar filter"] = pysa_cwes(issues, cases, "src", drop_scalar=True)
        timings.append(f"{label} {seconds:.1f} s ({len(issues)} issues)")
    report(cases, results, ours_every)
    print(f"\n{len(cases)} cases; {args.workers} workers; wall: " + "; ".join(timings))
    if args.cases:
        wrong(cases, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
