"""The api check: each kind of break griffe finds is reported with the object, the old and new
signature and the line, and the look-alikes stay quiet (a private helper renamed, a new optional
parameter, a break the task authorises, an ignored object)."""

from __future__ import annotations

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext, CheckSkipped
from crewchief.gate.checks.api import interface
from crewchief.gate.checks.api.check import CHECK
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Finding
from crewchief.spec.policy import Policy
from crewchief.spec.task import Task
from tests.helpers.repo import Repo

TEXT = (
    "def slugify(value, sep='-', *, lower=True):\n"
    "    return _clean(value).replace(' ', sep)\n"
    "\n\n"
    "def _clean(value):\n"
    "    return value.strip()\n"
    "\n\n"
    "class Slugger:\n"
    "    def run(self, value):\n"
    "        return slugify(value)\n"
)
BASE = {"src/textkit/__init__.py": "", "src/textkit/text.py": TEXT, "tests/test_text.py": ""}


def run(
    head_text: str | None, policy: dict | None = None, task: Task | None = None, path: str = ""
) -> list[Finding]:
    path = path or "src/textkit/text.py"
    head = {k: v for k, v in {**BASE, path: head_text}.items() if v is not None}
    change = Change.from_files(BASE, head)
    return list(CHECK.run(CheckContext(change, Policy.model_validate(policy or {}), task)))


def test_a_renamed_public_function_is_a_review_finding_with_the_old_signature() -> None:
    (finding,) = run(
        TEXT.replace("def slugify", "def make_slug").replace("return slugify", "return make_slug")
    )
    assert finding.rule == "public-object-removed"
    assert not finding.blocking
    assert finding.path == "src/textkit/text.py"
    assert (
        "textkit.text.slugify: Public object was removed (renamed to make_slug?)" in finding.message
    )
    assert "def slugify(value, sep = '-', lower = True)" in finding.message
    assert "base line 1" in finding.message


def test_a_removed_parameter_names_it_with_both_signatures_and_the_head_line() -> None:
    (finding,) = run(
        "\n"
        + TEXT.replace("value, sep='-', *, lower=True", "value, *, lower=True").replace(
            "replace(' ', sep)", "replace(' ', '-')"
        )
    )
    assert finding.rule == "parameter-removed"
    assert finding.line == 2
    assert "Parameter was removed: sep" in finding.message
    assert "before: def slugify(value, sep = '-', lower = True); " in finding.message
    assert "after: def slugify(value, lower = True)" in finding.message


def test_a_new_required_parameter_on_a_method_is_reported() -> None:
    (finding,) = run(TEXT.replace("def run(self, value)", "def run(self, value, strict)"))
    assert (finding.rule, finding.line) == ("parameter-now-required", 10)
    assert "textkit.text.Slugger.run" in finding.message


def test_a_changed_default_is_reported() -> None:
    (finding,) = run(TEXT.replace("sep='-'", "sep='_'"))
    assert finding.rule == "default-changed"


def test_a_removed_public_module_is_reported() -> None:
    (finding,) = run(None)
    assert finding.rule == "public-object-removed"
    assert "textkit.text" in finding.message


def test_a_renamed_private_helper_is_quiet() -> None:
    assert run(TEXT.replace("_clean", "_strip")) == []


def test_a_new_optional_parameter_is_quiet() -> None:
    assert run(TEXT.replace("*, lower=True", "*, lower=True, ascii=False")) == []


def test_a_private_module_is_not_public_api() -> None:
    head = "def helper(a):\n    return a\n"
    base_private = {**BASE, "src/textkit/_impl.py": "def helper():\n    return 1\n"}
    change = Change.from_files(base_private, {**base_private, "src/textkit/_impl.py": head})
    assert list(CHECK.run(CheckContext(change, Policy()))) == []


def test_block_policy_blocks_unless_the_task_authorises_the_change() -> None:
    policy = {"api": {"breaking": "block"}}
    renamed = TEXT.replace("def slugify", "def make_slug")
    (finding,) = run(renamed, policy=policy)
    assert finding.blocking
    task = Task(id="rename", title="rename slugify", api_change="allowed")
    assert run(renamed, policy=policy, task=task) == []
    unauthorised = Task(id="other", title="something else")
    assert [f.blocking for f in run(renamed, policy=policy, task=unauthorised)] == [True]


def test_ignored_objects_are_quiet() -> None:
    renamed = TEXT.replace("def slugify", "def make_slug")
    assert run(renamed, policy={"api": {"ignore": ["textkit.text.slug*"]}}) == []


def test_packages_setting_limits_what_is_guarded() -> None:
    renamed = TEXT.replace("def slugify", "def make_slug")
    with pytest.raises(CheckSkipped, match=r"\[api\] packages"):
        run(renamed, policy={"api": {"packages": ["otherpkg"]}})


def test_end_to_end_on_a_git_repo(make_repo) -> None:
    repo: Repo = make_repo(BASE)
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit({"src/textkit/text.py": TEXT.replace("def slugify", "def make_slug")})
    report = run_gate(
        GateRequest(repo=repo.path, base=base, head=head, only=["api"], use_cache=False)
    )
    assert report.verdict == "review"
    assert [f.rule for f in report.checks[0].findings] == ["public-object-removed"]


def test_a_break_in_a_private_module_shows_through_its_public_reexport() -> None:
    base = {
        **BASE,
        "src/textkit/__init__.py": "from ._impl import helper\n\n__all__ = ['helper']\n",
        "src/textkit/_impl.py": "def helper(value):\n    return value\n\n\ndef _inner():\n    pass\n",
    }
    head_impl = "def helper(value, mode):\n    return value\n\n\ndef _inner2():\n    pass\n"
    change = Change.from_files(base, {**base, "src/textkit/_impl.py": head_impl})
    (finding,) = CHECK.run(CheckContext(change, Policy()))
    assert (finding.rule, finding.path, finding.line) == (
        "parameter-now-required",
        "src/textkit/_impl.py",
        1,
    )
    assert finding.message.startswith("textkit.helper: Parameter was added as required: mode")
    assert "re-exported from textkit._impl" in finding.message


MULTILINE = "def render(\n    template,\n    context=None,\n):\n    return template\n"


def test_a_parameter_inserted_into_a_multiline_signature_is_seen() -> None:
    head = MULTILINE.replace("    template,\n", "    template,\n    engine,\n")
    base = {**BASE, "src/textkit/render.py": MULTILINE}
    change = Change.from_files(base, {**base, "src/textkit/render.py": head})
    found = sorted(f.rule for f in CHECK.run(CheckContext(change, Policy())))
    assert found == ["parameter-moved", "parameter-now-required"]


def test_an_added_statement_that_rebinds_a_public_function_is_seen() -> None:
    base = {**BASE, "src/textkit/render.py": MULTILINE}
    head = MULTILINE + "\n\nrender = None\n"
    change = Change.from_files(base, {**base, "src/textkit/render.py": head})
    assert [f.rule for f in CHECK.run(CheckContext(change, Policy()))] == ["kind-changed"]


def test_body_edits_new_helpers_and_new_imports_are_quiet() -> None:
    head = "import json\n\n\n" + MULTILINE.replace("return template", "return json.dumps(template)")
    head += "\n\ndef extra(value):\n    return value\n"
    base = {**BASE, "src/textkit/render.py": MULTILINE}
    change = Change.from_files(base, {**base, "src/textkit/render.py": head})
    assert list(CHECK.run(CheckContext(change, Policy()))) == []
    (file,) = change.files
    removed = {n for n, _ in file.removed_lines}
    added = {n for n, _ in file.added_lines}
    assert not interface.may_break(MULTILINE, head, removed, added)  # griffe is not even asked
