"""Production code that watches or rewires the test runner (`test-runner-tampering`): sniffing
the run through `sys.modules`, the environment or `sys.argv`, importing pytest's internals or
crewchief, patching them. Each has the look-alike an honest change writes (starting pytest,
configuring it for a child, a pytest plugin module), which must stay quiet. The check needs no task:
every pytest run, the base oracle's included, sees a fix that only applies under pytest."""

from __future__ import annotations

import textwrap

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.test_integrity.check import CHECK
from crewchief.gate.checks.test_integrity.runner_tampering import sniffs
from crewchief.spec.policy import Policy

BASE = "def slugify(text):\n    return text.lower()\n"


def sniffed(added: str, path: str = "pkg/text.py") -> list[tuple[int, str]]:
    head = BASE + textwrap.dedent(added)
    change = Change.from_files({path: BASE}, {path: head})
    offset = BASE.count("\n")
    return [(s.line - offset, s.code) for s in sniffs(change.files)]


@pytest.mark.parametrize(
    "code",
    [
        'import sys\nif "pytest" in sys.modules:\n    pass\n',
        'import sys\nif sys.modules.get("_pytest") is not None:\n    pass\n',
        'import os\nif os.environ.get("PYTEST_CURRENT_TEST"):\n    pass\n',
        'import os\nif "PYTEST_CURRENT_TEST" in os.environ:\n    pass\n',
        'import os\nif os.getenv("PYTEST_VERSION"):\n    pass\n',
        'from os import environ\nif environ["PYTEST_XDIST_WORKER"]:\n    pass\n',
        'import sys\nif "pytest" in sys.argv[0]:\n    pass\n',
        'import sys\nif any("py.test" in a for a in sys.argv):\n    pass\n',
        'import sys\nif sys.argv[0].endswith("pytest"):\n    pass\n',
        'import sys\nif "pytest" in " ".join(sys.argv):\n    pass\n',
        "import _pytest\n",
        "from _pytest.fixtures import FixtureRequest\n",
        "import crewchief.runner\n",
        "from crewchief import plugin\n",
        "import pytest\npytest.main = print\n",
        "import pytest as p\nsetattr(p, 'skip', print)\n",
        "from _pytest import runner  # noqa\n",
        "import _pytest.runner as r  # noqa\n",
        "import pytest\ndel pytest.fail\n",
        "import sys\nsys.modules['pytest'] = None\n",
        "import importlib\nrunner = importlib.import_module('_pytest.runner')\n",
        "hit = 'pytest' in __import__('sys').modules\n",
        "hit = 'PYTEST_CURRENT_TEST' in __import__('os').environ\n",
    ],
)
def test_code_that_sniffs_the_test_run_is_caught(code: str) -> None:
    hits = sniffed(code)
    assert len(hits) == 1, hits
    assert hits[0][0] == len(code.splitlines()) - (1 if code.endswith("pass\n") else 0)


@pytest.mark.parametrize(
    "code",
    [
        # starting pytest, or configuring it for a child process, is not sniffing the own run
        'import os, subprocess, sys\nsubprocess.run(["pytest", *sys.argv[1:]])\n',
        'import os\nenv = {**os.environ, "PYTEST_ADDOPTS": "-p no:cacheprovider"}\n',
        'import os\nos.environ["PYTEST_ADDOPTS"] = "-q"\n',
        'import os\nextra = os.environ.get("PYTEST_ADDOPTS", "")\n',
        # other modules and variables
        'import sys\nif "numpy" in sys.modules:\n    pass\n',
        'import os\nif os.environ.get("CI"):\n    pass\n',
        # a plain "pytest" string away from sys/os
        'command = ["python", "-m", "pytest"]\nif "pytest" in command:\n    pass\n',
    ],
)
def test_running_pytest_is_not_sniffing(code: str) -> None:
    assert sniffed(code) == []


def test_a_pytest_plugin_may_import_pytest_internals() -> None:
    assert sniffed("from _pytest.nodes import Item\n", path="pkg/pytest_plugin.py") == []
    assert sniffed("import _pytest\n", path="pkg/core.py") == [(1, "import _pytest")]


@pytest.mark.parametrize(
    "code",
    [
        # using pytest's public API, or an unrelated module, is not rewiring it
        "import pytest\nraises = pytest.raises\n",
        "import json\njson.dumps = print\n",
        "import pytest\nclass X:\n    main = pytest.main\n",
        "AGENT = 'crewchief'\n",
        "NAME = 'pytest'\n",
    ],
)
def test_using_pytest_is_not_tampering(code: str) -> None:
    assert sniffed(code) == []


def test_crewchief_may_import_itself() -> None:
    """Dogfooding: crewchief's own package judged by crewchief imports crewchief."""
    assert sniffed("from crewchief.gate import check\n", path="src/crewchief/x.py") == []
    assert sniffed("import crewchief\n", path="src/other/x.py") == [(1, "import crewchief")]


def test_a_coding_cookie_cannot_hide_the_sniff() -> None:
    """Python reads `+AAo-` as a newline under utf-7: the sniff is a statement, not a comment."""
    cookie = "# -*- coding: utf-7 -*-\n"
    base = cookie + "def f():\n    return 1\n"
    head = base + "# +AAo-import sys+AAo-UNDER = 'pytest' in sys.modules\n"
    change = Change.from_files({"pkg/m.py": base}, {"pkg/m.py": head})
    assert [s.code for s in sniffs(change.files)] == ["'pytest' in sys.modules"]


def test_the_check_blocks_without_a_task_and_leaves_test_files_alone() -> None:
    """No task, no acceptance: the static test-integrity check still blocks; conftests and test
    files may sniff all they like."""
    sniffing = BASE.replace(
        "    return", '    if "pytest" in sys.modules:\n        return ""\n    return'
    )
    change = Change.from_files(
        {"pkg/text.py": BASE, "tests/conftest.py": "", "tests/test_text.py": ""},
        {
            "pkg/text.py": "import sys\n" + sniffing,
            "tests/conftest.py": 'import sys\nUNDER = "pytest" in sys.modules\n',
            "tests/test_text.py": "import _pytest\n",
        },
    )
    found = CHECK.run(CheckContext(change, Policy.model_validate({}), None))
    rules = sorted((f.rule, f.path, f.line, f.blocking) for f in found)
    assert rules == [("test-runner-tampering", "pkg/text.py", 3, True)]
