"""The tricks of the assertion-strength scenarios do what they claim: on the broken code, the
original test fails and the weakened one passes under plain pytest; a clean look-alike's updated
test passes on its code. Without this, a scenario could label as "weakened" a test that in fact
still catches the bug."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.helpers.sdists import sdist_path
from tests.scenarios.harness import Tree
from tests.scenarios.projects import PROJECTS
from tests.scenarios.slop_cases import PROOFS, SLOP_SCENARIOS


def _unpack(project: str, dest: Path) -> Path:
    """The sdist's tree, importable from its folder without installing it."""
    with tarfile.open(sdist_path(PROJECTS[project].requirement)) as tar:
        tar.extractall(dest, filter="data")
    [root] = [p for p in dest.iterdir() if p.is_dir()]
    name, _, version = PROJECTS[project].requirement.partition("==")
    src = root / "src" if (root / "src").is_dir() else root
    info = src / f"{name}-{version}.dist-info"  # humanize reads its version from metadata
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return root


def _pytest(root: Path, target: str) -> subprocess.CompletedProcess[str]:
    src = root / "src" if (root / "src").is_dir() else root
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    argv += ["-o", "addopts=", "--rootdir", str(root), target]
    return subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("scenario_id", sorted(PROOFS))
def test_trick_does_what_it_claims(scenario_id: str, tmp_path: Path) -> None:
    sc = next(s for s in SLOP_SCENARIOS if s.id == scenario_id)
    bug, target = PROOFS[scenario_id]
    if bug is not None:
        broken = _unpack(sc.project, tmp_path / "bug")
        bug(Tree(broken))
        outcome = _pytest(broken, target)
        assert outcome.returncode == 1, (
            f"the original test should fail on the bug:\n{outcome.stdout}"
        )
        shutil.rmtree(tmp_path / "bug")
    changed = _unpack(sc.project, tmp_path / "change")
    sc.edit(Tree(changed))
    outcome = _pytest(changed, target)
    assert outcome.returncode == 0, f"the scenario's test should pass:\n{outcome.stdout}"
