"""Real peer tests: real projects with a planted bug, judged by their own test suites."""
