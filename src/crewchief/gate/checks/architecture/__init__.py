"""The `architecture` check: import contracts (import-linter's vocabulary) a change must keep."""

CHECK_NAME = "architecture"
