"""Reusable test helpers, in one place so a suite never imports another suite's modules.

Each module is a toolbox several suites share (running the CLI in-process, runs as the runner leaves
them, real projects' sdists as repositories, agent invocations, the scripted model server, the web
app on a live socket). Fixtures stay in the `conftest.py` files; a suite's own case tables stay with
its suite.
"""
