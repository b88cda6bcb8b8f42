"""Analyses several checks share: which changed files are Python, parsing under one lock, the
pytest view of a test module's AST, and the taint-flow primitives."""
