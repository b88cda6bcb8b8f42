"""`crewchief architecture suggest|show`: write down the design the import graph already has.

Both read the committed tree at `--rev` (default HEAD) through git, never the files on disk, so
what they describe is what the gate will judge against. Exit codes: 0 done, 2 bad input (no such
package, no such revision, malformed contracts).
"""

from __future__ import annotations

from pathlib import Path

import typer

from crewchief import git, statepaths
from crewchief.cli.common import ListFormat, print_json, repo_root
from crewchief.gate.cache import Cache
from crewchief.gate.checks.architecture import contracts as contract_lib
from crewchief.gate.checks.architecture import suggest as design_lib
from crewchief.gate.reader import read_files_at
from crewchief.spec.policy import POLICY_FILE, PYPROJECT, load_policy
from crewchief.textsafe import visible

app = typer.Typer(
    help="Propose import contracts that hold today, or show the package's layers.",
    no_args_is_help=True,
    add_completion=False,
)

REPO = typer.Option(Path("."), "--repo", help="Repository (default: here).")
REV = typer.Option("HEAD", "--rev", help="The commit to read (default: HEAD).")
ROOT = typer.Option(
    [], "--root", help="A top-level package (repeat; default: every package at the root or src/)."
)
FORMAT = typer.Option(ListFormat.text, "--format", help="Output format.")


def _designs(repo: Path, rev: str, roots: list[str]) -> dict[str, design_lib.Design]:
    root = repo_root(repo)
    cache = Cache(statepaths.gate_cache(root))
    try:
        return design_lib.load_tree(root, rev, roots, cache)
    finally:
        cache.close()


@app.command("suggest")
def suggest_command(roots: list[str] = ROOT, repo: Path = REPO, rev: str = REV) -> None:
    """Print contracts that hold now (layers, unused edges to forbid) as a crewchief.toml snippet."""
    designs = _designs(repo, rev, roots)
    specs = [spec for d in designs.values() for spec in design_lib.suggestions(d)]
    short = git.resolve_commit(repo_root(repo), rev)[:12]
    typer.echo(design_lib.to_toml(specs, list(designs), f"{rev} ({short})"), nl=False)


def _contract_states(
    repo: Path, rev: str, designs: dict[str, design_lib.Design]
) -> list[dict[str, object]]:
    """Each contract in force at `rev` (its policy, else its import-linter configuration) and
    whether it holds there; a malformed one is an input error."""
    root = repo_root(repo)
    policy = load_policy(read_files_at(root, rev, [POLICY_FILE, PYPROJECT]))[0]
    files = {
        k: v
        for k, v in read_files_at(root, rev, list(contract_lib.CONFIG_FILES)).items()
        if v is not None
    }
    found = contract_lib.in_force(policy, files)
    if found is None:
        return []
    graph = next(iter(designs.values())).graph
    roots = found.roots or tuple(designs)
    states: list[dict[str, object]] = []
    for spec in found.specs:
        contract = contract_lib.build(spec, roots)
        broken = contract_lib.check(contract, spec, graph)
        states.append(
            {"name": spec.name, "type": spec.type, "kept": not broken, "chains": len(broken)}
        )
    return states


@app.command("show")
def show_command(
    roots: list[str] = ROOT, repo: Path = REPO, rev: str = REV, fmt: ListFormat = FORMAT
) -> None:
    """Print each package's layers (top imports down) and the imports between its parts."""
    designs = _designs(repo, rev, roots)
    states = _contract_states(repo, rev, designs)
    if fmt == ListFormat.json:
        print_json(
            "crewchief.architecture/v1",
            {"packages": [_json(d) for d in designs.values()], "contracts": states},
        )
        return
    for d in designs.values():
        typer.echo(f"{d.root}: {len(d.side.paths)} modules, {len(d.edges)} imports")
        typer.echo("layers (each imports only the ones below it):")
        for n, layer in enumerate(d.layers, 1):
            typer.echo(f"  {n:>2}  {visible(design_lib.layer_expression(layer))}")
        typer.echo("imports between parts:")
        for (a, b), count in sorted(d.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            typer.echo(f"  {visible(a)} -> {visible(b)}: {count}")
    for state in states:
        verdict = "kept" if state["kept"] else f"broken ({state['chains']} chain(s))"
        typer.echo(f"contract '{visible(str(state['name']))}' ({state['type']}): {verdict}")


def _json(d: design_lib.Design) -> dict[str, object]:
    return {
        "package": d.root,
        "modules": len(d.side.paths),
        "imports": len(d.edges),
        "layers": [[list(group) for group in layer] for layer in d.layers],
        "between": [
            {"importer": a, "imported": b, "count": c} for (a, b), c in sorted(d.counts.items())
        ],
    }
