"""The browser review UI (`crewchief serve`): FastAPI, server-rendered Jinja2, offline.

Import `create_app` / `serve` from `crewchief.web.app`; this package's import stays light so the
CLI does not pay for FastAPI unless it serves.
"""
