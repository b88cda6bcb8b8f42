"""pytest settings judged by an allow-list: a changed setting is fine only when it is known not to
change which tests run or how their outcomes count.

A deny-list of dangerous options (`-k`, `--deselect`, `testpaths`) misses what it does not name:
`-p no:randomly`, `filterwarnings` that drops an `error` filter, `empty_parameter_set_mark`, a
plugin's option. So every setting or addopts flag a change adds, removes or alters is reported for
review unless it is on the lists below, which hold only output, logging, caching and markers, and
flags that can only make a run stricter or louder. The base-oracle run judges head's code with the
base's settings anyway; this finding asks a human whether the project's own setting should change.
"""

from __future__ import annotations

from crewchief.gate.checks.test_integrity.testconfig import PytestSettings, narrowing_options

JUDGED_ELSEWHERE = frozenset(
    {
        "addopts",
        "testpaths",
        "norecursedirs",
        "python_files",
        "python_classes",
        "python_functions",
        "xfail_strict",
    }
)
"""Settings other rules of this check compare in detail."""

HARMLESS_KEYS = frozenset(
    {
        "markers",
        "minversion",
        "console_output_style",
        "cache_dir",
        "faulthandler_timeout",
        "timeout",
        "junit_family",
        "junit_suite_name",
        "junit_logging",
        "junit_log_passing_tests",
        "junit_duration_report",
        "log_auto_indent",
        "log_cli",
        "log_cli_level",
        "log_cli_format",
        "log_cli_date_format",
        "log_format",
        "log_date_format",
        "log_level",
        "log_file",
        "log_file_level",
        "log_file_format",
        "log_file_date_format",
        "tmp_path_retention_count",
        "tmp_path_retention_policy",
        "truncation_limit_lines",
        "truncation_limit_chars",
        "verbosity_assertions",
        "verbosity_test_cases",
        "asyncio_default_fixture_loop_scope",
    }
)

HARMLESS_FLAGS = (
    "-q",
    "-v",
    "-vv",
    "-vvv",
    "-l",
    "-ra",
    "-rA",
    "-rf",
    "-rfE",
    "-rxXs",
    "--quiet",
    "--verbose",
    "--showlocals",
    "--strict-markers",
    "--strict-config",
    "--doctest-modules",
    "--tb=",
    "--color=",
    "--code-highlight=",
    "--durations=",
    "--durations-min=",
    "-p no:cacheprovider",
)
"""Flags (or `--flag=` prefixes) that change only output, or make the run stricter."""


def _unjudged(option: str) -> bool:
    """Neither known harmless nor already reported as deselecting (`narrowing_options`)."""
    if any(option == f or (f.endswith("=") and option.startswith(f)) for f in HARMLESS_FLAGS):
        return False
    return not narrowing_options(tuple(option.split(" ", 1)))


def _options(addopts: tuple[str, ...]) -> list[str]:
    """addopts as whole options: `-p no:x` and `--tb short` stay together."""
    out: list[str] = []
    args = list(addopts)
    while args:
        arg = args.pop(0)
        if arg in ("-p", "-k", "-m", "-W", "--deselect", "--ignore") and args:
            arg = f"{arg} {args.pop(0)}"
        elif arg in ("--tb", "--color", "--durations") and args:
            arg = f"{arg}={args.pop(0)}"
        out.append(arg)
    return out


def unlisted_changes(before: PytestSettings, after: PytestSettings) -> list[tuple[str, str]]:
    """(setting or flag, what changed) for each change not on the allow-lists."""
    old, new = dict(before.options), dict(after.options)
    found: list[tuple[str, str]] = []
    for key in sorted(set(old) | set(new)):
        if key in JUDGED_ELSEWHERE or key in HARMLESS_KEYS or old.get(key) == new.get(key):
            continue
        if key not in new:
            found.append((key, f"setting `{key}` was removed (was `{old[key]}`)"))
        elif key not in old:
            found.append((key, f"setting `{key}` was added (`{new[key]}`)"))
        else:
            found.append((key, f"setting `{key}` changed from `{old[key]}` to `{new[key]}`"))
    was, now = _options(before.addopts), _options(after.addopts)
    for flag in now:
        if flag not in was and _unjudged(flag):
            found.append((flag, f"addopts gained `{flag}`"))
    for flag in was:
        if flag not in now and _unjudged(flag):
            found.append((flag, f"addopts lost `{flag}`"))
    return found
