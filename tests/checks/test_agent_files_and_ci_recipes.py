"""Every agent's instruction files are protected at any depth, and the Makefile/justfile recipes a
protected workflow runs are protected like the workflow; other recipes and look-alike files are not."""

from __future__ import annotations

import pytest

from crewchief.agents.registry import BUILTINS
from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks import ci_recipes
from crewchief.gate.checks.scope import CHECK
from crewchief.gate.findings import Finding
from crewchief.spec.policy import AGENT_INSTRUCTION_PATHS, Policy


def run(base: dict[str, str], head: dict[str, str], policy: dict | None = None) -> list[Finding]:
    ctx = CheckContext(Change.from_files(base, head), Policy.model_validate(policy or {}))
    return CHECK.run(ctx)


def test_every_builtin_agent_declares_its_instruction_files() -> None:
    assert set(BUILTINS) <= set(AGENT_INSTRUCTION_PATHS)


@pytest.mark.parametrize(
    "path",
    [
        "GEMINI.md",
        "src/pkg/GEMINI.md",
        "services/api/.gemini/settings.json",
        "lib/CLAUDE.md",
        "lib/CLAUDE.local.md",
        "a/b/c/AGENTS.md",
        "tools/.codex/config.toml",
        ".aider.conf.yml",
        "opencode.json",
        "web/.opencode/agent/review.md",
        "pkg/.cursorrules",
        ".cursor/rules/style.mdc",
        ".github/copilot-instructions.md",
        ".mcp.json",
    ],
)
def test_agent_instruction_files_are_protected_at_any_depth(path: str) -> None:
    assert [f.rule for f in run({}, {path: "be nice"})] == ["protected-path"]


@pytest.mark.parametrize(
    "path", ["docs/gemini.md", "docs/agents.md.bak", "src/claude_client.py", "GEMINI.md.txt"]
)
def test_look_alike_names_are_not_protected(path: str) -> None:
    assert run({}, {path: "x"}) == []


WORKFLOW = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make -j2 lint test
"""
MAKEFILE = """\
.PHONY: lint test docs unit

lint:
\truff check .

test: unit
\t@echo done

unit:
\tpytest -q

docs:
\tsphinx-build docs build
"""


def test_a_recipe_the_workflow_runs_is_protected() -> None:
    base = {".github/workflows/ci.yml": WORKFLOW, "Makefile": MAKEFILE}
    head = {**base, "Makefile": MAKEFILE.replace("\tpytest -q", "\tpytest -q || true")}
    [finding] = run(base, head)
    assert finding.rule == "protected-path" and finding.blocking
    assert finding.snippet == "unit" and finding.line == 9  # pulled in as test's prerequisite


def test_dropping_a_prerequisite_of_a_protected_target_is_protected() -> None:
    base = {".github/workflows/ci.yml": WORKFLOW, "Makefile": MAKEFILE}
    head = {**base, "Makefile": MAKEFILE.replace("test: unit", "test:")}
    assert [f.snippet for f in run(base, head)] == ["test"]


def test_other_recipes_and_unrelated_makefiles_stay_editable() -> None:
    base = {".github/workflows/ci.yml": WORKFLOW, "Makefile": MAKEFILE}
    head = {
        **base,
        "Makefile": MAKEFILE.replace("build", "_build") + "\nserve:\n\tpython -m http.server\n",
    }
    assert run(base, head) == []
    no_ci = {"Makefile": MAKEFILE}
    assert run(no_ci, {"Makefile": MAKEFILE.replace("pytest -q", "pytest -q || true")}) == []


def test_bare_make_protects_the_default_target_and_just_is_read_too() -> None:
    base = {".github/workflows/ci.yml": "steps:\n  - run: make\n", "Makefile": MAKEFILE}
    head = {
        "Makefile": MAKEFILE.replace("ruff check .", "true"),
        **{k: v for k, v in base.items() if k != "Makefile"},
    }
    assert [f.snippet for f in run(base, head)] == ["lint"]
    just = "test:\n    pytest\n\nfmt:\n    ruff format\n"
    base = {".github/workflows/ci.yml": "steps:\n  - run: just test\n", "justfile": just}
    assert [
        f.snippet for f in run(base, {**base, "justfile": just.replace("pytest", "exit 0")})
    ] == ["test"]
    assert run(base, {**base, "justfile": just.replace("ruff format", "ruff format .")}) == []


def test_unprotect_ci_lets_recipes_change() -> None:
    base = {".github/workflows/ci.yml": WORKFLOW, "Makefile": MAKEFILE}
    head = {**base, "Makefile": MAKEFILE.replace("\tpytest -q", "\ttrue")}
    assert run(base, head, {"scope": {"unprotect": [".github/**"]}}) == []


def test_invoked_targets() -> None:
    text = "run: |\n  make -C sub install VERBOSE=1\n  cd x && make\n  make-docs\n"
    assert ci_recipes.invoked([text], "make") == {"install", ""}


def test_through_git_the_workflow_at_base_protects_the_recipe(make_repo: object) -> None:
    """The reader brings the base workflow and Makefile as context, though neither is changed."""
    from crewchief.gate.engine import GateRequest, run_gate

    repo = make_repo(  # type: ignore[operator]
        {".github/workflows/ci.yml": WORKFLOW, "Makefile": MAKEFILE, "src/app.py": "x = 1\n"}
    )
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit(
        {
            "Makefile": MAKEFILE.replace("\tpytest -q", "\tpytest -q || true"),
            "src/app.py": "x = 2\n",
        },
        "agent change",
    )
    report = run_gate(
        GateRequest(repo=repo.path, base=base, head=head, only=["scope"], use_cache=False)
    )
    assert [(f.rule, f.path, f.snippet) for f in report.findings] == [
        ("protected-path", "Makefile", "unit")
    ]


def test_a_script_the_workflow_executes_is_protected() -> None:
    workflow = (
        "steps:\n  - run: bash ci/run-tests.sh\n  - run: ./scripts/lint --strict\n"
        "  - run: |\n      tools/translations.sh\n"
    )
    base = {
        ".github/workflows/ci.yml": workflow,
        "ci/run-tests.sh": "pytest -q\n",
        "scripts/lint": "ruff check .\n",
        "scripts/release.sh": "twine upload dist/*\n",
        "tools/translations.sh": "msgfmt x.po\n",
    }
    head = {
        **base,
        "ci/run-tests.sh": "pytest -q || true\n",
        "scripts/lint": "true\n",
        "scripts/release.sh": "twine upload --skip-existing dist/*\n",
        "tools/translations.sh": "true\n",
    }
    found = sorted(str(f.path) for f in run(base, head))
    assert found == ["ci/run-tests.sh", "scripts/lint", "tools/translations.sh"]


TOX = """\
[tox]
env_list = py312, lint

[testenv]
deps = pytest
commands = pytest {posargs}

[testenv:lint]
commands = ruff check .

[testenv:docs]
commands = sphinx-build docs build
"""


def test_tox_environments_the_workflow_runs_are_protected() -> None:
    base = {".github/workflows/ci.yml": "steps:\n  - run: tox -e lint\n", "tox.ini": TOX}
    weakened = TOX.replace("commands = ruff check .", "commands = ruff check . --exit-zero")
    assert [(f.path, f.snippet, f.line) for f in run(base, {**base, "tox.ini": weakened})] == [
        ("tox.ini", "testenv:lint", 8)
    ]
    docs = TOX.replace("sphinx-build docs build", "sphinx-build -W docs build")
    assert run(base, {**base, "tox.ini": docs}) == []
    deps = TOX.replace("deps = pytest", "deps = pytest\n    pytest-xdist")
    assert run(base, {**base, "tox.ini": deps}) == []


def test_bare_tox_protects_every_environment() -> None:
    base = {".github/workflows/ci.yml": "steps:\n  - run: tox\n", "tox.ini": TOX}
    docs = TOX.replace("sphinx-build docs build", "sphinx-build docs build || true")
    assert [f.snippet for f in run(base, {**base, "tox.ini": docs})] == ["testenv:docs"]
