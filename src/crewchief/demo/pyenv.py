"""The sample project's own environment: a virtualenv with pytest and coverage, as a real project
has. crewchief itself does not depend on pytest, so the demo cannot borrow crewchief's interpreter
(that would be the very mistake the gate avoids). The environment is built once per Python version
in the user's cache folder (`pip install pytest coverage`, the only time the demo needs a package
index) and reused by every later demo, offline.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from crewchief import proc
from crewchief.errors import UserError

PACKAGES = ("pytest", "coverage")
READY = ".crewchief-demo-ready"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "crewchief"


def say(line: str) -> None:
    """Progress on stderr, so the demo's printed story on stdout stays as it was."""
    print(line, file=sys.stderr, flush=True)


def demo_env(say: Callable[[str], None] | None = None) -> Path:
    """The demo project's interpreter (`<env>/bin/python`), building the environment if needed."""
    version = f"py{sys.version_info[0]}.{sys.version_info[1]}"
    home = cache_root() / f"demo-env-{version}"
    python = home / "bin" / "python"
    if (home / READY).exists() and python.exists():
        return python
    if say is not None:
        say(f"preparing the sample project's environment in {home} (pip install pytest, once)")
    if home.exists():
        shutil.rmtree(home)
    home.parent.mkdir(parents=True, exist_ok=True)
    steps = (
        (sys.executable, "-m", "venv", str(home)),
        (str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PACKAGES),
    )
    for argv in steps:
        done = proc.run(proc.Request(argv, timeout=600, merge_stderr=True))
        if not done.ok:
            tail = done.text().strip()[-400:]
            raise UserError(
                f"cannot prepare the demo project's environment ({' '.join(argv[:4])}...): {tail}"
            )
    (home / READY).write_text("ok\n", encoding="utf-8")
    return python
