"""The `api` check: breaking changes to the public API, found by griffe."""
