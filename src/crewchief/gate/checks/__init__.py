"""Built-in checks, one module each; registered through the `crewchief.checks` entry points."""
