"""Labelled scenarios for the `architecture` and `api` checks on real projects: the boundary an
agent crosses (a new forbidden import, direct or through another module, a layer inversion) and
the public interface it breaks (a function renamed, a parameter removed or made required), next to
the look-alikes a reviewer lets through (an old violation left alone, an import downwards, a
private helper renamed, an API change the task authorises).

The contracts are the ones `crewchief architecture suggest` reads off each project's graph today,
trimmed as a lead would, so every base keeps them and only the change can break them."""

from __future__ import annotations

import textwrap

from tests.scenarios.harness import Scenario, Tree, scenario

ARCH, API = "architecture", "api"
ARCHITECTURE_SCENARIOS: list[Scenario] = []


def add(sc: Scenario) -> Scenario:
    ARCHITECTURE_SCENARIOS.append(sc)
    return sc


def _block(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


ARROW_POLICY = _block("""
    [[architecture.contracts]]
    name = "arrow layers: api, factory, the Arrow type, parsing, formatting, data"
    type = "layers"
    layers = [
        "arrow.api",
        "arrow.factory",
        "arrow.arrow",
        "arrow.parser",
        "arrow.formatter | arrow.util",
        "arrow.constants | arrow.locales",
    ]
    """)

FLASK_POLICY = _block("""
    [[architecture.contracts]]
    name = "signals and typing are leaves: no request machinery"
    type = "forbidden"
    source_modules = ["flask.signals", "flask.typing"]
    forbidden_modules = ["flask.globals", "flask.ctx", "flask.app", "flask.sansio"]
    """)

HUMANIZE_POLICY = _block("""
    [[architecture.contracts]]
    name = "humanize layers: time formats numbers, numbers translate"
    type = "layers"
    layers = ["humanize.time", "humanize.number", "humanize.filesize | humanize.i18n"]
    """)

BLOCK_BREAKS = '\n[api]\nbreaking = "block"\n'


@add
@scenario(
    "arrow-parser-imports-arrow-type",
    "arrow",
    "makes the parser build Arrow objects itself: the parser layer now imports the layer above it",
    "block",
    [ARCH],
    policy=ARROW_POLICY,
    rules=["architecture/layer-violation"],
)
def _(t: Tree) -> None:
    t.append(
        "arrow/parser.py",
        _block("""


        def parse_to_arrow(string: str, fmt: str):
            from arrow.arrow import Arrow

            return Arrow.fromdatetime(DateTimeParser().parse(string, fmt))
        """),
    )


@add
@scenario(
    "flask-signals-import-globals",
    "flask",
    "makes a signal helper read current_app directly: signals now import the request machinery",
    "block",
    [ARCH],
    policy=FLASK_POLICY,
    rules=["architecture/forbidden-import"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/signals.py",
        "from blinker import Namespace\n",
        "from blinker import Namespace\n\nfrom .globals import current_app\n",
    )
    t.append(
        "src/flask/signals.py",
        _block("""


        def send_for_current_app(signal, **extra):
            return signal.send(current_app._get_current_object(), **extra)
        """),
    )


@add
@scenario(
    "flask-typing-reaches-globals-through-json",
    "flask",
    "imports the JSON tagger into flask.typing for a type alias: json imports globals, so typing "
    "now reaches the request machinery through an intermediate module",
    "block",
    [ARCH],
    policy=FLASK_POLICY,
    rules=["architecture/forbidden-import"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/typing.py",
        "import typing as t\n",
        "import typing as t\n\nfrom .json.tag import TaggedJSONSerializer\n",
    )
    t.append("src/flask/typing.py", "\nSessionSerializer = TaggedJSONSerializer\n")


@add
@scenario(
    "humanize-filesize-imports-number",
    "humanize",
    "reuses intcomma in naturalsize: the bottom layer now imports the layer above it",
    "block",
    [ARCH],
    policy=HUMANIZE_POLICY,
    rules=["architecture/layer-violation"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/humanize/filesize.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nfrom .number import intcomma\n",
    )
    t.append(
        "src/humanize/filesize.py",
        _block("""


        def bytes_with_commas(value: int) -> str:
            return f"{intcomma(value)} Bytes"
        """),
    )


def _old_i18n_violation(t: Tree) -> None:
    t.append(
        "src/humanize/i18n.py",
        _block("""


        def grouped(value: int) -> str:
            from .number import intcomma

            return intcomma(value)
        """),
    )


@add
@scenario(
    "humanize-old-layer-violation-left-alone",
    "humanize",
    "edits i18n, which already imported number before the change (old debt, not this change's)",
    "not-block",
    policy=HUMANIZE_POLICY,
    base=_old_i18n_violation,
)
def _(t: Tree) -> None:
    t.replace(
        "src/humanize/i18n.py",
        "    return intcomma(value)\n",
        "    return intcomma(int(value))\n",
    )


@add
@scenario(
    "arrow-factory-imports-util-downwards",
    "arrow",
    "makes the factory use a helper from util: an import down the layers, as designed",
    "not-block",
    policy=ARROW_POLICY,
)
def _(t: Tree) -> None:
    t.replace(
        "arrow/factory.py",
        "from arrow.util import is_timestamp, iso_to_gregorian\n",
        "from arrow.util import is_timestamp, iso_to_gregorian, normalize_timestamp\n",
    )
    t.append(
        "arrow/factory.py",
        _block("""


        def normalized(timestamp: float) -> float:
            return normalize_timestamp(timestamp)
        """),
    )


def _rename_naturaldelta(t: Tree) -> None:
    t.replace("src/humanize/time.py", "def naturaldelta(", "def natural_delta(")
    t.replace("src/humanize/time.py", '    "naturaldelta",\n', '    "natural_delta",\n')
    t.replace("src/humanize/time.py", "naturaldelta(delta, months", "natural_delta(delta, months")
    t.replace("src/humanize/__init__.py", "    naturaldelta,\n", "    natural_delta,\n")
    t.replace("src/humanize/__init__.py", '    "naturaldelta",\n', '    "natural_delta",\n')


@add
@scenario(
    "humanize-renames-naturaldelta",
    "humanize",
    "renames the public naturaldelta to natural_delta 'for PEP 8', breaking every caller",
    "review",
    [API],
    may=["quality"],  # a renamed function is new to radon and the import block re-sorts
    rules=["api/public-object-removed"],
)
def _(t: Tree) -> None:
    _rename_naturaldelta(t)


@add
@scenario(
    "humanize-authorised-rename",
    "humanize",
    "the same rename, which the lead's task authorises (api_change: allowed) under a policy that "
    "blocks breaking changes",
    "not-block",
    policy=BLOCK_BREAKS,
    task_scope=["src/**"],
    may=["quality"],  # a renamed function is new to radon and the import block re-sorts
    task_front=["api_change: allowed"],
)
def _(t: Tree) -> None:
    _rename_naturaldelta(t)


@add
@scenario(
    "arrow-parser-drops-cache-size",
    "arrow",
    "removes the cache_size parameter of DateTimeParser as unused 'dead code'",
    "review",
    [API],
    rules=["api/parameter-removed"],
)
def _(t: Tree) -> None:
    t.replace(
        "arrow/parser.py",
        "def __init__(self, locale: str = DEFAULT_LOCALE, cache_size: int = 0) -> None:",
        "def __init__(self, locale: str = DEFAULT_LOCALE) -> None:",
    )
    t.replace("arrow/parser.py", "from functools import lru_cache\n", "")
    t.replace(
        "arrow/parser.py",
        "        if cache_size > 0:\n"
        "            self._generate_pattern_re = lru_cache(maxsize=cache_size)(  # type: ignore\n"
        "                self._generate_pattern_re\n"
        "            )\n",
        "",
    )


@add
@scenario(
    "arrow-renames-is-timestamp-under-block-policy",
    "arrow",
    "renames util.is_timestamp to is_ts where the policy blocks breaking changes and no task "
    "authorises one",
    "block",
    [API],
    policy=BLOCK_BREAKS,
    rules=["api/public-object-removed"],
)
def _(t: Tree) -> None:
    t.replace("arrow/util.py", "def is_timestamp(", "def is_ts(")
    t.replace("arrow/util.py", '"is_timestamp"', '"is_ts"')
    t.replace("arrow/arrow.py", "util.is_timestamp(", "util.is_ts(", count=3)
    t.replace("arrow/factory.py", "import is_timestamp,", "import is_ts,")
    t.replace("arrow/factory.py", "and is_timestamp(arg)", "and is_ts(arg)")


@add
@scenario(
    "flask-get-load-dotenv-default-required",
    "flask",
    "drops the default of get_load_dotenv since both callers pass it: outside callers break",
    "review",
    [API],
    rules=["api/parameter-now-required"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/helpers.py",
        "def get_load_dotenv(default: bool = True) -> bool:",
        "def get_load_dotenv(default: bool) -> bool:",
    )


@add
@scenario(
    "flask-renames-private-helper",
    "flask",
    "renames the private _split_blueprint_path helper and its two callers",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace("src/flask/helpers.py", "_split_blueprint_path", "_blueprint_path_parts", count=2)
    t.replace("src/flask/sansio/app.py", "_split_blueprint_path", "_blueprint_path_parts", count=2)
    t.replace("src/flask/wrappers.py", "_split_blueprint_path", "_blueprint_path_parts", count=2)
