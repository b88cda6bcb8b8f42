"""A labelled scenario suite: agent-like changes on real open-source projects, each with the verdict
and the checks a senior reviewer expects, so the static gate is measured on real code."""
