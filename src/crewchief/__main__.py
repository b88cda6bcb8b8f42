from __future__ import annotations

from crewchief.cli.main import main

main()
