"""The `hygiene` check's rules: what a reviewer of agent output looks for first."""

from __future__ import annotations

from crewchief.gate.analysis.pyfiles import line_text
from crewchief.gate.change import FileChange
from crewchief.gate.findings import Finding, Rule, RuleTable, Severity, fingerprint

NAME = "hygiene"

RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        "stray-file",
        Severity.MEDIUM,
        "a new file that looks like a by-product (output, log, data, reproduction script, notes) "
        "and that nothing in the change or the repository refers to",
        "delete the file, or allow it: a glob in the policy's [hygiene] allow, a glob in the "
        "task's allow_files, or the file's exact name in the task's scope",
    ),
    Rule(
        NAME,
        "backup-copy",
        Severity.MEDIUM,
        "a new backup or copy of a file (*.bak, *.orig, *~, *_backup.py, `x copy.py`, "
        "x_copy.py beside x.py, a module that mostly repeats another module, changed or not)",
        "delete the copy and make the edit in the original file",
    ),
    Rule(
        NAME,
        "build-artifact",
        Severity.HIGH,
        "build or cache output committed (build/, dist/, *.egg-info, .pytest_cache); committed "
        "bytecode is the scope check's unreviewed-code",
        "delete the generated files and ignore them in .gitignore",
        blocking=True,
    ),
    Rule(
        NAME,
        "debug-print",
        Severity.MEDIUM,
        "a print/pprint call (in JavaScript or TypeScript, console.log/debug/trace/dir) added to "
        "a library module that did not print before",
        "remove the call, or use the module's logger",
    ),
    Rule(
        NAME,
        "debugger",
        Severity.HIGH,
        "a debugger breakpoint (breakpoint(), pdb.set_trace(), a JavaScript `debugger;` "
        "statement) added to library code: the program stops there (in JavaScript, whenever an "
        "inspector or the browser's developer tools are open)",
        "remove the breakpoint",
        blocking=True,
    ),
    Rule(
        NAME,
        "debugger-import",
        Severity.LOW,
        "a debugger module (pdb, ipdb, pudb) imported by library code",
        "remove the import",
    ),
    Rule(
        NAME,
        "import-time-call",
        Severity.MEDIUM,
        "a new module-level call in a library module that runs on every import (often a "
        "reproduction function defined and then called)",
        "remove the call, or move it under `if __name__ == '__main__':`",
    ),
    Rule(
        NAME,
        "import-time-config",
        Severity.MEDIUM,
        "a library module that now configures the process when imported: sys.path, os.environ, "
        "the working directory, django.setup() or settings.configure(), logging.basicConfig(), "
        "the recursion limit, or a warnings filter that ignores every package's warnings",
        "do the configuration in the program's entry point (a script, manage.py, a conftest) or "
        "in a function the caller runs; a library should not change the process that imports it",
    ),
    Rule(
        NAME,
        "gutted-function",
        Severity.HIGH,
        "a function that had a body at base now only raises NotImplementedError, passes, or "
        "holds a TODO",
        "restore the implementation, or say in the task why the function is being removed",
    ),
    Rule(
        NAME,
        "commented-out-code",
        Severity.LOW,
        "a new block of commented-out statements: code disabled rather than deleted",
        "delete the code (git keeps its history) or restore it",
    ),
    Rule(
        NAME,
        "removed-return",
        Severity.HIGH,
        "a function that returned a value at base has no `return <value>` at head, so its "
        "callers now get None",
        "restore the return statement",
    ),
    Rule(
        NAME,
        "unused-after-delete",
        Severity.HIGH,
        "a local variable the function used at base is still assigned but no longer read: the "
        "code that used it was deleted (high, like ruff's F841, which the quality check leaves "
        "to this rule on the same line)",
        "restore the deleted use, or remove the variable if the deletion was intended",
    ),
    Rule(
        NAME,
        "tooling-config-deleted",
        Severity.MEDIUM,
        "coverage, lint, type-check or test configuration removed (a file, a section of "
        "pyproject.toml, setup.cfg or tox.ini, or a key); settings of a tool the change "
        "configures elsewhere instead were moved, not removed",
        "restore the configuration; changing project tooling is not part of an agent's task",
    ),
)


def added_line_finding(
    rule: str, file: FileChange, line: int, message: str, key: str | None = None
) -> Finding:
    """A finding on one added line, shown with that line. Its fingerprint is the line's text (or
    `key`, such as a variable's name), not its number, so it survives edits above it."""
    text = line_text(file.new, line).strip()
    return RULES[rule].finding(
        message,
        path=file.path,
        line=line,
        snippet=text[:200],
        fingerprint=fingerprint(rule, file.path, text if key is None else key),
    )
