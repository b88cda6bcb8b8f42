"""Read one benchmark run's output: pytest-benchmark JSON, pyperf JSON, or one number per line.

Each run is reduced to one value per benchmark: the minimum of that run's inner samples. On a shared
machine (CI, or the gate's other checks running beside the benchmark) interference only ever adds
time, so the fastest sample is the one least disturbed, and a slow noisy sample has no influence on
it at all. Measured on this project's 2-core machine at load 6 (benchmarks/perf_detector.py, toolz,
60 short samples per run): the run-to-run spread, sd of log, was 0.016 for the minimum against
0.047 for the median, and the 95% interval of a 5-round comparison was 1.06x wide against 2.2x.
The minimum cannot be dragged down by noise either: a timing cannot come out shorter than the work.
pytest-benchmark keeps raw samples only with --benchmark-save-data; without them its own `min` is
used. Output is untrusted (the head's code printed it), so anything malformed raises `Unparsable`
with a reason, never another exception.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Format = Literal["pytest-benchmark", "pyperf", "numbers"]
MAX_STORED = 20_000
"""Inner samples written to the evidence per benchmark and run (pytest-benchmark can take millions
of sub-microsecond samples); the statistic is always computed from all of them."""


class Unparsable(ValueError):
    """The run's output holds no benchmark values this module can read; the message says why."""


@dataclass(frozen=True)
class Measured:
    """One benchmark in one run."""

    value: float
    """The per-run statistic that is compared: the minimum of `samples`."""
    samples: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "count": len(self.samples),
            "samples": list(self.samples[:MAX_STORED]),
        }


@dataclass(frozen=True)
class Parsed:
    format: Format
    benchmarks: dict[str, Measured]


def _usable(values: Iterable[object]) -> list[float]:
    out: list[float] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        number = float(value)
        if math.isfinite(number) and number > 0:
            out.append(number)
    return out


def _measured(samples: list[float]) -> Measured | None:
    if not samples:
        return None
    return Measured(min(samples), tuple(samples))


def parse_pytest_benchmark(doc: Mapping[str, Any]) -> dict[str, Measured]:
    found: dict[str, Measured] = {}
    for entry in doc.get("benchmarks") or []:
        if not isinstance(entry, dict):
            continue
        name = entry.get("fullname") or entry.get("name")
        stats = entry.get("stats")
        if not isinstance(name, str) or not isinstance(stats, dict):
            continue
        raw = stats.get("data")
        samples = _usable(raw) if isinstance(raw, list) else []
        if samples:
            measured = _measured(samples)
        else:
            fastest = _usable([stats.get("min")])
            measured = Measured(fastest[0], tuple(fastest)) if fastest else None
        if measured:
            found[name] = measured
    return found


def parse_pyperf(doc: Mapping[str, Any]) -> dict[str, Measured]:
    """pyperf keeps metadata common to all benchmarks (often the name, for a single one) at the
    top level and the rest on each benchmark; calibration runs have warmups but no values."""
    common = doc.get("metadata")
    common = common if isinstance(common, dict) else {}
    found: dict[str, Measured] = {}
    for index, entry in enumerate(doc.get("benchmarks") or []):
        if not isinstance(entry, dict):
            continue
        own = entry.get("metadata")
        metadata = {**common, **(own if isinstance(own, dict) else {})}
        name = metadata.get("name")
        if not isinstance(name, str) or not name:
            name = f"benchmark {index + 1}"
        values: list[object] = []
        for run in entry.get("runs") or []:
            if isinstance(run, dict) and isinstance(run.get("values"), list):
                values.extend(run["values"])
        measured = _measured(_usable(values))
        if measured:
            found[name] = measured
    return found


def parse_json(data: bytes) -> Parsed:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise Unparsable(f"not valid JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise Unparsable("JSON without a 'benchmarks' list (neither pytest-benchmark nor pyperf)")
    entries = [e for e in doc["benchmarks"] if isinstance(e, dict)]
    fmt: Format = "pyperf" if any("runs" in e for e in entries) else "pytest-benchmark"
    found = parse_pyperf(doc) if fmt == "pyperf" else parse_pytest_benchmark(doc)
    if not found:
        raise Unparsable(f"{fmt} JSON with no positive timing values")
    return Parsed(fmt, found)


def parse_numbers(text: str, name: str) -> Parsed:
    """One benchmark named `name`; every line that is a positive number is a sample, any other
    line (a warning on stderr, a header) is ignored."""
    values: list[object] = []
    for line in text.splitlines():
        token = line.strip()
        if not token or len(token) > 64:
            continue
        try:
            values.append(float(token))
        except ValueError:
            continue
    measured = _measured(_usable(values))
    if measured is None:
        raise Unparsable("no line of the output is a positive number")
    return Parsed("numbers", {name: measured})


def parse_output(output: bytes, json_file: bytes | None, name: str) -> Parsed:
    """A run's results: the JSON file it wrote when there is one, else its output, read as JSON
    when it is a JSON document and as one number per line otherwise."""
    if json_file is not None:
        return parse_json(json_file)
    text = output.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        try:
            return parse_json(output)
        except Unparsable:
            pass
    return parse_numbers(text, name)
