from __future__ import annotations

from importlib.resources import files

import pytest

from crewchief.spec import Policy, SpecError, parse_task
from crewchief.spec.policy import load_policy, parse_policy


def test_starter_policy_parses() -> None:
    data = files("crewchief").joinpath("data/crewchief.toml").read_bytes()
    policy = parse_policy(data, "crewchief.toml")
    assert policy.scope.allow == ["src/**", "tests/**"]
    assert policy.scope.max_lines == 800


def test_policy_defaults_and_precedence() -> None:
    assert load_policy({}) == (Policy(), None)
    own = b"[scope]\nmax_files = 3\n"
    pyproject = b"[tool.crewchief.scope]\nmax_files = 9\n"
    policy, source = load_policy({"crewchief.toml": own, "pyproject.toml": pyproject})
    assert (policy.scope.max_files, source) == (3, "crewchief.toml")
    policy, source = load_policy({"crewchief.toml": None, "pyproject.toml": pyproject})
    assert (policy.scope.max_files, source) == (9, "pyproject.toml")
    # A pyproject without our table, even a broken one, is not a policy.
    assert load_policy({"pyproject.toml": b"[project\n"}) == (Policy(), None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            b"[scope]\nmax_files = -1\n",
            "crewchief.toml: scope.max_files: Input should be greater than or equal to 1",
        ),
        (b"[nope]\n", "crewchief.toml: nope: unknown key"),
        (b"scope = 3\n", "crewchief.toml: scope: "),
        (b"\xff\xfe", "crewchief.toml: not UTF-8"),
        (b"[scope]\nallow = [1, 'a']\nmax_files = 'x'\n", "(and 1 more problem)"),
    ],
)
def test_policy_errors_are_one_line(text: bytes, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_policy(text, "crewchief.toml")
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_task_parses_front_matter_and_body() -> None:
    task = parse_task(
        b"---\nid: fix-x\ntitle: Fix x\nscope: [src/x.py]\nacceptance:\n  - pytest -q tests/t.py::test_x\n"
        b"budget: {minutes: 1.5, usd: 2}\npriority: 1\ndepends_on: [other]\n---\nMake x work.\n",
        "fix-x.md",
    )
    assert task.id == "fix-x"
    assert task.budget.minutes == 1.5
    assert task.objective == "Make x work."
    assert task.depends_on == ["other"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"no front matter", "missing YAML front matter"),
        (b"---\nid: x\n", "front matter is not closed"),
        (b"---\nid: x\ntitle: [\n---\n", "invalid YAML front matter at line"),
        (b"---\n- a\n---\n", "front matter must be a mapping"),
        (b"---\nid: Bad Id\ntitle: t\n---\n", "t.md: id: Value error"),
        (b"---\nid: x\ntitle: t\nbudget: {minutes: -1}\n---\n", "t.md: budget.minutes:"),
        (b"---\nid: x\ntitle: t\ncolour: red\n---\n", "t.md: colour: unknown key"),
        (b"---\nid: x\n---\n", "t.md: title: required key is missing"),
        (b"---\nid: x\ntitle: t\nobjective: y\n---\n", "write the objective as the Markdown body"),
    ],
)
def test_task_errors(text: bytes, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_task(text, "t.md")
    assert expected in str(info.value)


def test_task_acceptance_existing() -> None:
    from crewchief.spec.task import Task

    head = b"---\nid: tidy\ntitle: t\nacceptance: existing\n---\nbody\n"
    task = parse_task(head, "tidy.md")
    assert (task.acceptance, task.acceptance_existing) == ([], True)
    assert Task.model_validate(task.model_dump(mode="json")) == task  # the store's round trip
    plain = parse_task(head.replace(b"existing", b"[tests/t.py::test_x]"), "tidy.md")
    assert (plain.acceptance, plain.acceptance_existing) == (["tests/t.py::test_x"], False)
    with pytest.raises(SpecError, match="either 'acceptance: existing' or a list"):
        parse_task(
            head.replace(b"acceptance: existing", b"acceptance: [a]\nacceptance_existing: true"),
            "x.md",
        )
    with pytest.raises(SpecError, match="acceptance"):
        parse_task(head.replace(b"existing", b"sometimes"), "x.md")
