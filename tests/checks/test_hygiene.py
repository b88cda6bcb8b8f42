"""The hygiene check on changes built from dicts of files: each rule fires on the slop it names and
stays quiet on the clean look-alike a real project has."""

from __future__ import annotations

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.hygiene import CHECK
from crewchief.gate.findings import Finding
from crewchief.spec.policy import Policy
from crewchief.spec.task import Task

LIB = "pkg/core.py"
BASE_LIB = (
    "def total(items):\n"
    "    result = 0\n"
    "    for item in items:\n"
    "        result += item.price\n"
    "    return result\n"
)


def run(
    base: dict, head: dict, policy: dict | None = None, task: Task | None = None
) -> list[Finding]:
    change = Change.from_files(base, head)
    return list(CHECK.run(CheckContext(change, Policy.model_validate(policy or {}), task)))


def rules(base: dict, head: dict, **kw) -> list[tuple[str, str | None]]:
    return sorted((f.rule, f.path) for f in run(base, head, **kw))


@pytest.mark.parametrize(
    "path",
    [
        "output.txt",
        "pylint_output.txt",
        "figure.eps",
        "repro_script.py",
        "reproduce_issue.py",
        "programmer_instructions.txt",
        "db.sqlite3",
        "debug.log",
        "pkg/test_reproduce.py",
    ],
)
def test_stray_files_are_reported(path: str) -> None:
    assert rules({LIB: BASE_LIB}, {LIB: BASE_LIB, path: ""}) == [("stray-file", path)]


def test_a_data_file_a_new_test_reads_is_not_stray() -> None:
    head = {
        LIB: BASE_LIB,
        "tests/data/prices.db": "x",
        "tests/test_prices.py": "def test_load():\n    assert open('tests/data/prices.db')\n",
    }
    assert rules({LIB: BASE_LIB}, head) == []


def test_a_script_the_readme_documents_is_not_stray() -> None:
    head = {"README.md": "Run `python release.py` to cut a release.\n", "release.py": "x = 1\n"}
    assert rules({"README.md": "hello\n"}, head) == []


def test_policy_and_task_scope_allow_new_files() -> None:
    head = {LIB: BASE_LIB, "output.txt": "", "figure.eps": ""}
    assert rules({LIB: BASE_LIB}, head, policy={"hygiene": {"allow": ["*.txt"]}}) == [
        ("stray-file", "figure.eps")
    ]
    task = Task(id="t", title="plot", scope=["figure.eps", "src/**"])
    assert rules({LIB: BASE_LIB}, {LIB: BASE_LIB, "figure.eps": ""}, task=task) == []


@pytest.mark.parametrize(
    "path",
    ["build/lib/pkg/core.py", "pkg.egg-info/PKG-INFO", ".pytest_cache/v/x"],
)
def test_build_output_blocks(path: str) -> None:
    found = run({LIB: BASE_LIB}, {LIB: BASE_LIB, path: "x"})
    assert [(f.rule, f.blocking) for f in found] == [("build-artifact", True)]


def test_backup_copies_by_name_and_by_content() -> None:
    assert rules({LIB: BASE_LIB}, {LIB: BASE_LIB, "pkg/core.py.bak": BASE_LIB}) == [
        ("backup-copy", "pkg/core.py.bak")
    ]
    big = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(12))
    edited = big.replace("return x + 3", "return x - 3")
    assert rules({LIB: big}, {LIB: edited, "pkg/core_new.py": big}) == [
        ("backup-copy", "pkg/core_new.py")
    ]


def test_debug_print_in_library_code_but_not_in_a_cli_or_a_module_that_prints() -> None:
    head = BASE_LIB.replace("    return result", "    print('total', result)\n    return result")
    assert rules({LIB: BASE_LIB}, {LIB: head}) == [("debug-print", LIB)]
    assert rules({"pkg/cli.py": BASE_LIB}, {"pkg/cli.py": head}) == []
    printing = BASE_LIB + "\n\ndef report(x):\n    print(x)\n"
    assert rules({LIB: printing}, {LIB: head + "\n\ndef report(x):\n    print(x)\n"}) == []
    assert rules({"tests/test_core.py": BASE_LIB}, {"tests/test_core.py": head}) == []


def test_breakpoints_block_and_debugger_imports_are_reported() -> None:
    head = "import pdb\n" + BASE_LIB.replace(
        "    return result", "    breakpoint()\n    return result"
    )
    found = run({LIB: BASE_LIB}, {LIB: head})
    assert sorted((f.rule, f.blocking) for f in found) == [
        ("debugger", True),
        ("debugger-import", False),
    ]


def test_a_function_defined_and_called_at_import_time() -> None:
    head = BASE_LIB + "\n\ndef test_reproduce():\n    return total([])\n\n\ntest_reproduce()\n"
    assert rules({LIB: BASE_LIB}, {LIB: head}) == [("import-time-call", LIB)]
    guarded = (
        BASE_LIB + "\n\ndef main():\n    return 1\n\n\nif __name__ == '__main__':\n    main()\n"
    )
    assert rules({LIB: BASE_LIB}, {LIB: guarded}) == []


def test_gutted_function_but_not_an_abstract_stub_that_already_was_one() -> None:
    gutted = "def total(items):\n    # TODO: reimplement\n    raise NotImplementedError('later')\n"
    assert rules({LIB: BASE_LIB}, {LIB: gutted}) == [("gutted-function", LIB)]
    abstract = "class Base:\n    def total(self, items):\n        raise NotImplementedError\n"
    assert rules({LIB: abstract}, {LIB: abstract + "\n\nx = 1\n"}) == []
    new_abstract = abstract + "\n    def other(self):\n        raise NotImplementedError\n"
    assert rules({LIB: abstract}, {LIB: new_abstract}) == []


def test_removed_return_and_variable_left_unused_by_a_deletion() -> None:
    no_return = BASE_LIB.replace("    return result\n", "")
    found = run({LIB: BASE_LIB}, {LIB: no_return})
    assert [f.rule for f in found] == ["removed-return"]
    loop_gone = (
        "def total(items):\n"
        "    result = 0\n"
        "    for item in items:\n"
        "        print(item)\n"
        "    return 0\n"
    )
    found = run({LIB: BASE_LIB}, {LIB: loop_gone})
    unused = [f for f in found if f.rule == "unused-after-delete"]
    assert len(unused) == 1 and "`result`" in unused[0].message and "line 4" in unused[0].message


def test_commented_out_code_but_not_prose() -> None:
    head = BASE_LIB.replace(
        "    return result",
        "    # for item in items:\n    #     result -= item.discount\n    return result",
    )
    assert rules({LIB: BASE_LIB}, {LIB: head}) == [("commented-out-code", LIB)]
    prose = BASE_LIB.replace(
        "    return result",
        "    # The total is the sum of the prices; discounts are\n    # applied by the caller.\n"
        "    return result",
    )
    assert rules({LIB: BASE_LIB}, {LIB: prose}) == []


def test_deleted_tooling_configuration_lists_the_settings() -> None:
    base = {".coveragerc": "[run]\nbranch = True\n[report]\nfail_under = 90\n", LIB: BASE_LIB}
    found = run(base, {LIB: BASE_LIB})
    assert [f.rule for f in found] == ["tooling-config-deleted"]
    assert "[report] fail_under" in found[0].message
    pyproject = (
        '[project]\nname = "p"\n\n[tool.mypy]\nstrict = true\n\n[tool.ruff]\nline-length = 99\n'
    )
    head = '[project]\nname = "p"\n\n[tool.ruff]\nline-length = 99\n'
    found = run({"pyproject.toml": pyproject}, {"pyproject.toml": head})
    assert [f.rule for f in found] == ["tooling-config-deleted"]
    assert "mypy.strict" in found[0].message


def test_a_clean_fix_has_no_hygiene_findings() -> None:
    fixed = BASE_LIB.replace("item.price", "item.price * item.quantity")
    head = {LIB: fixed, "tests/test_core.py": "def test_total():\n    assert True\n"}
    assert rules({LIB: BASE_LIB}, head) == []


def test_bytecode_is_left_to_the_scope_check() -> None:
    """One owner: scope's unreviewed-code reports committed bytecode, hygiene does not repeat it."""
    head = {LIB: BASE_LIB, "pkg/__pycache__/core.cpython-311.pyc": "x", "pkg/fast.pyc": "x"}
    assert rules({LIB: BASE_LIB}, head) == []


@pytest.mark.parametrize(
    ("imports", "call"),
    [
        ("from pdb import set_trace\n", "set_trace()"),
        ("from ipdb import set_trace as st\n", "st()"),
        ("import pdb as p\n", "p.set_trace()"),
        ("from pudb import set_trace as stop\n", "stop()"),
        ("import debugpy\n", "debugpy.breakpoint()"),
        ("", "from pdb import set_trace\n    set_trace()"),  # imported where it is used
    ],
)
def test_a_breakpoint_is_known_by_its_import_whatever_its_local_name(
    imports: str, call: str
) -> None:
    head = imports + BASE_LIB.replace("    return result", f"    {call}\n    return result")
    found = run({LIB: BASE_LIB}, {LIB: head})
    assert sorted((f.rule, f.blocking) for f in found) == [
        ("debugger", True),
        ("debugger-import", False),
    ]


def test_a_set_trace_of_the_modules_own_is_not_a_breakpoint() -> None:
    """A tracing helper the project defines itself (`from .trace import set_trace`) is its own."""
    own = "from .trace import set_trace\n" + BASE_LIB.replace(
        "    return result", "    set_trace()\n    return result"
    )
    assert rules({LIB: BASE_LIB}, {LIB: own}) == []


TOX = (
    "[tox]\nenvlist = py3\n\n[testenv]\ncommands = pytest\n\n"
    "[flake8]\nmax-line-length = 100\n\n"
    "[coverage:run]\nbranch = True\n\n[coverage:report]\nfail_under = 95\n\n"
    "[pytest]\naddopts = --strict-markers\n\n[mypy]\nstrict = True\n"
)


@pytest.mark.parametrize(
    ("section", "shown"),
    [
        ("[flake8]\nmax-line-length = 100\n\n", "[flake8] max-line-length"),
        ("[coverage:report]\nfail_under = 95\n\n", "[coverage:report] fail_under"),
        ("[pytest]\naddopts = --strict-markers\n\n", "[pytest] addopts"),
        ("[mypy]\nstrict = True\n", "[mypy] strict"),
    ],
)
def test_a_tooling_section_removed_from_tox_ini(section: str, shown: str) -> None:
    found = run({"tox.ini": TOX}, {"tox.ini": TOX.replace(section, "")})
    assert [f.rule for f in found] == ["tooling-config-deleted"]
    assert found[0].message.endswith(f"`tox.ini`: {shown}")


def test_tox_environments_edited_or_dropped_are_not_tooling_settings() -> None:
    edited = TOX.replace("envlist = py3\n", "envlist = py3, lint\n")
    assert rules({"tox.ini": TOX}, {"tox.ini": edited}) == []
    no_env = TOX.replace("[testenv]\ncommands = pytest\n\n", "")
    assert rules({"tox.ini": TOX}, {"tox.ini": no_env}) == []


def test_a_key_removed_from_a_tools_own_file() -> None:
    coveragerc = "[run]\nbranch = True\n[report]\nfail_under = 90\n"
    found = run({".coveragerc": coveragerc}, {".coveragerc": "[run]\nbranch = True\n"})
    assert [f.rule for f in found] == ["tooling-config-deleted"]
    assert "[report] fail_under" in found[0].message


PYPROJECT_RUFF = '[project]\nname = "p"\n\n[tool.ruff]\nline-length = 99\nselect = ["E", "F"]\n'
SETUP_CFG_PYTEST = "[metadata]\nname = p\n\n[tool:pytest]\naddopts = -ra\n"


@pytest.mark.parametrize(
    ("base", "head"),
    [
        (
            {"pyproject.toml": PYPROJECT_RUFF},
            {
                "pyproject.toml": '[project]\nname = "p"\n',
                "ruff.toml": 'line-length = 99\nselect = ["E", "F"]\n',
            },
        ),
        (
            {"setup.cfg": SETUP_CFG_PYTEST},
            {"setup.cfg": "[metadata]\nname = p\n", "pytest.ini": "[pytest]\naddopts = -ra\n"},
        ),
        (
            {".coveragerc": "[run]\nbranch = True\n", "pyproject.toml": '[project]\nname = "p"\n'},
            {"pyproject.toml": '[project]\nname = "p"\n\n[tool.coverage.run]\nbranch = true\n'},
        ),
        (
            {"setup.cfg": SETUP_CFG_PYTEST, "pyproject.toml": '[project]\nname = "p"\n'},
            {
                "setup.cfg": "[metadata]\nname = p\n",
                "pyproject.toml": '[project]\nname = "p"\n\n[tool.pytest.ini_options]\n'
                'addopts = "-ra"\n',
            },
        ),
    ],
    ids=[
        "tool.ruff-to-ruff.toml",
        "tool:pytest-to-pytest.ini",
        "coveragerc-to-pyproject",
        "tool:pytest-to-pyproject",
    ],
)
def test_configuration_moved_to_another_file_is_not_deleted(base: dict, head: dict) -> None:
    assert rules(base, head) == []


def test_a_move_covers_only_the_tool_that_moved() -> None:
    """`[tool.ruff]` moved to ruff.toml does not excuse `[tool.mypy]` dropped on the way, nor does a
    tool configured in the other file already at base count as a move."""
    base = {"pyproject.toml": PYPROJECT_RUFF + "\n[tool.mypy]\nstrict = true\n"}
    head = {"pyproject.toml": '[project]\nname = "p"\n', "ruff.toml": "line-length = 99\n"}
    found = run(base, head)
    assert [f.rule for f in found] == ["tooling-config-deleted"]
    assert found[0].message.endswith("mypy.strict")
    kept = {"pyproject.toml": PYPROJECT_RUFF, "ruff.toml": "line-length = 99\n"}
    found = run(
        kept, {"pyproject.toml": '[project]\nname = "p"\n', "ruff.toml": "line-length = 99\n"}
    )
    assert [f.rule for f in found] == ["tooling-config-deleted"]
