"""A stand-in for `crewchief run` that the crash test kills with SIGKILL mid-batch.

Usage: python crash_driver.py REPO SANDBOX PARALLEL
Works the queue with PARALLEL threads, each claiming queued runs and executing them.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from crewchief.runs.runner import RunOptions, execute_run
from crewchief.store import RunState, open_store
from crewchief.store.db import TransitionError


def main() -> None:
    repo, mode, parallel = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = open_store(repo)
    options = RunOptions(sandbox=mode, static_gate=True)  # type: ignore[arg-type]

    def worker() -> None:
        while True:
            queued = store.runs([RunState.QUEUED])
            if not queued:
                return
            for run in queued:
                try:
                    execute_run(store, repo, run.id, options=options)
                    break
                except TransitionError:
                    continue

    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
