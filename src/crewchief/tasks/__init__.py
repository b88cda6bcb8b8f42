"""Task files in a repository: finding, loading and linting them."""
