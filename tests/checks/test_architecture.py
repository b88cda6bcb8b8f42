"""The architecture check: each rule fires on the import a change adds and stays quiet on the
look-alikes a real project has (an old violation left alone, an allowed import, an untouched
package), on changes from dicts of files and end to end on real git repositories."""

from __future__ import annotations

import sqlite3

import pytest

from crewchief import statepaths
from crewchief.errors import UserError
from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext, CheckSkipped
from crewchief.gate.checks.architecture import CHECK_NAME
from crewchief.gate.checks.architecture.check import CHECK
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Finding
from crewchief.spec.policy import Policy
from tests.helpers.repo import Repo

CONTRACTS = {
    "architecture": {
        "contracts": [
            {
                "name": "web never reaches the database",
                "type": "forbidden",
                "source_modules": ["shop.web"],
                "forbidden_modules": ["shop.db"],
            },
            {"name": "layers", "type": "layers", "layers": ["shop.web", "shop.service", "shop.db"]},
        ]
    }
}

BASE = {
    "src/shop/__init__.py": "",
    "src/shop/web/__init__.py": "",
    "src/shop/web/views.py": "from shop import service\n\n\ndef index():\n    return service.list_items()\n",
    "src/shop/service.py": "from shop.db import models\n\n\ndef list_items():\n    return models.ITEMS\n",
    "src/shop/db/__init__.py": "",
    "src/shop/db/models.py": "ITEMS = []\n",
    "src/shop/db/session.py": "import sqlite3\n",
}


def run(head_changes: dict, base: dict | None = None, policy: dict | None = None) -> list[Finding]:
    base = dict(base or BASE)
    head = {**base, **head_changes}
    head = {k: v for k, v in head.items() if v is not None}
    change = Change.from_files(base, head)
    ctx = CheckContext(change, Policy.model_validate(CONTRACTS if policy is None else policy))
    return list(CHECK.run(ctx))


def test_a_new_direct_forbidden_import_blocks_naming_contract_modules_and_line() -> None:
    views = BASE["src/shop/web/views.py"] + "from shop.db import session\n"
    (finding,) = run({"src/shop/web/views.py": views})
    assert finding.rule == "forbidden-import"
    assert finding.blocking
    assert (finding.path, finding.line) == ("src/shop/web/views.py", 6)
    assert "web never reaches the database" in finding.message
    assert "shop.web.views imports shop.db.session" in finding.message


def test_a_new_indirect_chain_names_the_intermediate_module() -> None:
    views = "from shop import cache\n" + BASE["src/shop/web/views.py"]
    found = run(
        {"src/shop/cache.py": "from shop.db import session\n", "src/shop/web/views.py": views}
    )
    assert [f.rule for f in found] == ["forbidden-import"]
    assert "shop.web.views -> shop.cache -> shop.db.session" in found[0].message


def test_a_layer_inversion_blocks() -> None:
    models = "from shop import service\n\nITEMS = []\n"
    (finding,) = run({"src/shop/db/models.py": models})
    assert (finding.rule, finding.path, finding.line) == (
        "layer-violation",
        "src/shop/db/models.py",
        1,
    )
    assert finding.blocking


def test_an_old_violation_left_alone_is_quiet() -> None:
    base = {**BASE, "src/shop/web/legacy.py": "from shop.db import session\n"}
    legacy = "from shop.db import session\n\n\ndef old():\n    return session\n"
    assert run({"src/shop/web/legacy.py": legacy}, base=base) == []


def test_an_allowed_import_downwards_is_quiet() -> None:
    views = BASE["src/shop/web/views.py"] + "from shop.service import list_items\n"
    assert run({"src/shop/web/views.py": views}) == []


def test_policy_can_make_violations_review() -> None:
    policy = {"architecture": {**CONTRACTS["architecture"], "violation": "review"}}
    views = BASE["src/shop/web/views.py"] + "from shop.db import session\n"
    (finding,) = run({"src/shop/web/views.py": views}, policy=policy)
    assert not finding.blocking


def test_independence_contract_reports_new_import_between_siblings() -> None:
    policy = {
        "architecture": {
            "contracts": [
                {"name": "apps apart", "type": "independence", "modules": ["shop.web", "shop.db"]}
            ]
        }
    }
    models = "from shop.web import views\n\nITEMS = []\n"
    (finding,) = run({"src/shop/db/models.py": models}, policy=policy)
    assert finding.rule == "independence-broken"
    assert not finding.blocking


def test_a_new_cycle_between_siblings_is_reported() -> None:
    policy = {
        "architecture": {
            "contracts": [{"name": "no cycles", "type": "acyclic_siblings", "ancestors": ["shop"]}]
        }
    }
    models = "from shop import service\n\nITEMS = []\n"
    found = run({"src/shop/db/models.py": models}, policy=policy)
    assert [f.rule for f in found] == ["import-cycle"]
    assert found[0].path == "src/shop/db/models.py"


def test_a_change_outside_the_packages_is_not_scanned() -> None:
    assert run({"README.md": "# shop\n"}) == []


def test_a_syntax_error_in_a_changed_module_does_not_crash() -> None:
    assert run({"src/shop/web/views.py": "def broken(:\n"}) == []


def test_no_contracts_skips_with_a_hint() -> None:
    with pytest.raises(CheckSkipped, match="architecture suggest"):
        run({"src/shop/web/views.py": "x = 1\n"}, policy={})


def test_malformed_contract_is_a_one_line_error() -> None:
    policy = {
        "architecture": {"contracts": [{"name": "bad", "type": "forbidden", "source": ["shop"]}]}
    }
    with pytest.raises(UserError, match="contract 'bad' \\(forbidden\\) is malformed"):
        run({"src/shop/web/views.py": "import shop.db\n"}, policy=policy)


def test_repository_importlinter_config_is_used_when_policy_has_none() -> None:
    config = (
        "[importlinter]\nroot_package = shop\n\n"
        "[importlinter:contract:web-db]\nname = web keeps off db\ntype = forbidden\n"
        "source_modules =\n    shop.web\nforbidden_modules =\n    shop.db\n"
    )
    base = {**BASE, ".importlinter": config}
    views = BASE["src/shop/web/views.py"] + "import shop.db.session\n"
    found = run({"src/shop/web/views.py": views}, base=base, policy={})
    assert [f.rule for f in found] == ["forbidden-import"]
    assert "web keeps off db" in found[0].message


def test_end_to_end_on_a_git_repo_with_the_graph_cached(make_repo) -> None:
    policy = (
        '[[architecture.contracts]]\nname = "web never reaches the database"\ntype = "forbidden"\n'
        'source_modules = ["shop.web"]\nforbidden_modules = ["shop.db"]\n'
    )
    repo: Repo = make_repo({**BASE, "crewchief.toml": policy})
    base = repo.git("rev-parse", "HEAD")
    views = BASE["src/shop/web/views.py"] + "from shop.db import session\n"
    head = repo.commit({"src/shop/web/views.py": views})
    request = GateRequest(repo=repo.path, base=base, head=head, only=[CHECK_NAME])
    for _ in range(2):  # the second run reads the imports from the cache
        report = run_gate(request)
        (result,) = report.checks
        assert [(f.rule, f.path, f.line) for f in result.findings] == [
            ("forbidden-import", "src/shop/web/views.py", 6)
        ]
        assert report.verdict == "block"
    with sqlite3.connect(statepaths.gate_cache(repo.path)) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM memo")]
    assert sum(k.startswith("architecture-imports") for k in keys) == 2  # base and head


def run_ctx(head_changes: dict, policy: dict | None = None) -> tuple[list[Finding], CheckContext]:
    head = {**BASE, **head_changes}
    ctx = CheckContext(
        Change.from_files(dict(BASE), head), Policy.model_validate(policy or CONTRACTS)
    )
    return list(CHECK.run(ctx)), ctx


def test_a_change_adding_only_imports_no_contract_names_skips_the_whole_tree_scan() -> None:
    views = "import logging\nimport json\n" + BASE["src/shop/web/views.py"]
    found, ctx = run_ctx({"src/shop/web/views.py": views})
    assert found == []
    assert "the change adds no import a contract can see" in ctx.details


def test_a_new_import_of_an_outside_package_a_contract_names_is_still_judged() -> None:
    policy = {
        "architecture": {
            "contracts": [
                {
                    "name": "web stays off sqlite",
                    "type": "forbidden",
                    "source_modules": ["shop.web"],
                    "forbidden_modules": ["sqlite3"],
                }
            ]
        }
    }
    views = "import sqlite3\n" + BASE["src/shop/web/views.py"]
    found, ctx = run_ctx({"src/shop/web/views.py": views}, policy)
    assert "the change adds no import a contract can see" not in ctx.details
    assert [f.rule for f in found] == ["forbidden-import"]
    assert "shop.web.views imports sqlite3" in found[0].message


def test_a_new_module_that_an_unchanged_import_now_resolves_to_is_judged() -> None:
    """`from shop import helpers` names an attribute of `shop` at base; once `shop/helpers.py`
    exists the same unchanged line imports that module, whose own import reaches the database.
    Only the whole graph sees that: the changed modules alone add no edge from `shop.web`."""
    base = {**BASE, "src/shop/__init__.py": "helpers = None\n"}
    base["src/shop/web/views.py"] = "from shop import helpers\n" + BASE["src/shop/web/views.py"]
    found = run({"src/shop/helpers.py": "from shop.db import session\n"}, base=base)
    assert [f.rule for f in found] == ["forbidden-import"]
    assert "shop.web.views -> shop.helpers -> shop.db.session" in found[0].message
