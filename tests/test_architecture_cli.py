"""`crewchief architecture suggest|show` on a real git repository: the contracts suggested hold
(the gate passes them on the same commit and blocks a change that breaks one), the layers read off
the graph, and bad input is one line with exit 2."""

from __future__ import annotations

import json
import tomllib

import pytest

from crewchief.gate.engine import GateRequest, run_gate
from tests.helpers.cli import run_cli
from tests.helpers.repo import Repo
from tests.helpers.schemas import assert_matches

SHOP = {
    "src/shop/__init__.py": "",
    "src/shop/cli.py": "from shop import web, reports\nimport requests\n",
    "src/shop/reports.py": "from shop import util\n",
    "src/shop/web/__init__.py": "from shop.web import views\n",
    "src/shop/web/views.py": "from shop import service\n",
    "src/shop/service.py": "from shop.db import models\nfrom shop import util\n",
    "src/shop/db/__init__.py": "",
    "src/shop/db/models.py": "import sqlalchemy\nfrom shop import util\n",
    "src/shop/util.py": "import os\n",
}


@pytest.fixture
def shop(make_repo) -> Repo:
    repo: Repo = make_repo(SHOP)
    return repo


def test_suggest_prints_a_policy_snippet_whose_contracts_hold_and_guard(capsys, shop) -> None:
    result = run_cli(capsys, "architecture", "suggest", "--repo", str(shop.path))
    assert result.code == 0, result.err
    policy = tomllib.loads(result.out)["architecture"]
    layers = next(c for c in policy["contracts"] if c["type"] == "layers")
    assert layers["layers"] == [
        "shop.cli",
        "shop.web",
        "shop.service",
        "shop.db | shop.reports",
        "shop.util",
    ]
    names = [c["name"] for c in policy["contracts"]]
    assert "shop.web does not import shop.reports" in names
    assert "only shop.db import sqlalchemy" in names

    base = shop.commit({"crewchief.toml": result.out}, "adopt the suggested contracts")
    head = shop.commit(
        {"src/shop/db/models.py": SHOP["src/shop/db/models.py"] + "from shop import web\n"}
    )
    request = GateRequest(
        repo=shop.path, base=base, head=head, only=["architecture"], use_cache=False
    )
    report = run_gate(request)
    assert report.verdict == "block"
    assert {f.rule for f in report.checks[0].findings} >= {"layer-violation"}


def test_show_prints_layers_counts_and_contract_states(capsys, shop) -> None:
    result = run_cli(capsys, "architecture", "show", "--repo", str(shop.path), "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert_matches("architecture", data)
    (package,) = data["packages"]
    assert package["layers"][0] == [["shop.cli"]]
    assert {"importer": "shop.service", "imported": "shop.db", "count": 1} in package["between"]
    text = run_cli(capsys, "architecture", "show", "--repo", str(shop.path)).out
    assert "shop.service -> shop.db: 1" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("suggest", "--root", "nope"), "no package 'nope'"),
        (("show", "--rev", "no-such-ref"), "unknown ref 'no-such-ref'"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(capsys, shop, args, message) -> None:
    result = run_cli(capsys, "architecture", *args, "--repo", str(shop.path))
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_show_says_whether_each_contract_in_force_holds(capsys, shop) -> None:
    policy = (
        '[[architecture.contracts]]\nname = "db below service"\ntype = "layers"\n'
        'layers = ["shop.service", "shop.db"]\n'
    )
    shop.commit({"crewchief.toml": policy})
    result = run_cli(capsys, "architecture", "show", "--repo", str(shop.path), "--format", "json")
    data = json.loads(result.out)
    assert_matches("architecture", data)
    assert data["contracts"] == [
        {"name": "db below service", "type": "layers", "kept": True, "chains": 0}
    ]


def test_a_malformed_contract_is_one_line_with_exit_2(capsys, shop) -> None:
    shop.write({"crewchief.toml": '[[architecture.contracts]]\nname = "x"\ntype = "layers"\n'})
    shop.commit(message="a contract without layers")
    result = run_cli(capsys, "architecture", "show", "--repo", str(shop.path))
    assert result.code == 2
    assert "contract 'x' (layers) is malformed: layers: This is a required field." in result.err
