"""A repository as its developers run it: where its code and tests live, how its tests are run, and
which Python environment runs them. `crewchief init` and `crewchief doctor` are built on it."""
