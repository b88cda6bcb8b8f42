"""The `crewchief` command line: one module per subcommand, parsed by typer."""
