"""Read one benchmark run's output: pytest-benchmark JSON, pyperf JSON, or one number per line.

Each run is reduced to one value per benchmark: the minimum of that run's inner samples. On a shared
machine (CI, or the gate's other checks running beside the benchmark) interference only ever adds
time, so the fastest sample is the one least disturbed, and a slow noisy sample has no influence on
it at all. The minimum cannot be dragged down by noise either: a timing cannot come out shorter than
the work.

The minimum is only as clean as the cleanest sample, so the benchmark's shape matters more than any
statistic: many samples, each well under the scheduler's time slice. With 4 runnable processes on 2
cores a process runs a few milliseconds at a time, and a sample longer than that is interrupted
every time, so even its minimum carries the load. Measured on this project's 2-core machine with two
busy processes and other work running (load 5 to 7, A/A pairs of runs of a toolz pipeline,
benchmarks/perf_detector.py; d = log of one run's minimum over its pair's):
- 25 samples of 2 ms (unloaded; 20 ms median under load): sd of d 0.58, 20 of 30 pairs off by more
  than 5%, run minima up to 9.8x the typical one.
- 200 samples of 2 ms: sd 0.093, 6 of 40 pairs off by more than 5%.
- 400 samples of 0.9 ms: sd 0.139, 6 of 30; 800 samples of 0.45 ms: sd 0.037, 3 of 30.
- 800 samples of 0.5 ms: sd 0.015, 0 of 40; 2000 of 0.2 ms: sd 0.018, 1 of 40.
So the check's `too-noisy` finding reports the samples' count and length (`sample_advice`) and asks
for hundreds of sub-millisecond ones when they are fewer or longer.

pytest-benchmark keeps raw samples only with --benchmark-save-data; without them its own `min` is
used. Output is untrusted (the head's code printed it), so anything malformed raises `Unparsable`
with a reason, never another exception.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
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


LONG_SAMPLE_S = 1e-3
"""An inner sample longer than this is often cut by the scheduler on a busy machine."""
FEW_SAMPLES = 100
"""With fewer inner samples than this per run, a busy machine can leave none of them clean."""


def sample_advice(runs: Sequence[Measured]) -> str:
    """How the runs' inner samples were shaped, and what would make them robust to load when
    they are not: many samples, each well under a scheduler time slice (see the module's note)."""
    if not runs:
        return ""
    count = statistics.median_low([len(m.samples) for m in runs])
    length = statistics.median([statistics.median(m.samples) for m in runs if m.samples])
    size = f"{length:.3g} s" if length >= 1 else f"{length * 1e3:.3g} ms"
    shape = f"each run gave {count} inner sample(s) of {size} (median)"
    if count >= FEW_SAMPLES and length <= LONG_SAMPLE_S:
        return shape
    return (
        f"{shape}; under load, hundreds of samples of under {LONG_SAMPLE_S * 1e3:g} ms each per "
        "run keep the fastest one clean of the scheduler's interruptions"
    )


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
