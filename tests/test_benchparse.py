from __future__ import annotations

import json

import pytest

from crewchief.gate.checks.performance.benchparse import (
    MAX_STORED,
    Measured,
    Unparsable,
    parse_json,
    parse_numbers,
    parse_output,
    sample_advice,
)

PYTEST_BENCHMARK = {
    "machine_info": {"node": "x"},
    "commit_info": {},
    "benchmarks": [
        {
            "group": None,
            "name": "test_fast",
            "fullname": "tests/bench_test.py::test_fast",
            "params": None,
            "stats": {"min": 1e-6, "median": 2e-6, "mean": 2.1e-6, "rounds": 5},
        },
        {
            "name": "test_data",
            "fullname": "tests/bench_test.py::test_data",
            "stats": {"median": 9.0, "data": [3.0, 1.0, 2.0, 100.0, 2.5]},
        },
    ],
    "version": "5.1.0",
}

PYPERF = {
    "version": "1.0",
    "metadata": {"name": "sort_list", "unit": "second", "loops": 64},
    "benchmarks": [
        {
            "runs": [
                {"metadata": {"calibrate_loops": 64}, "warmups": [[1, 0.1], [2, 0.09]]},
                {"warmups": [[64, 0.002]], "values": [0.0021, 0.0020, 0.0022]},
                {"warmups": [[64, 0.002]], "values": [0.0019, 0.0023, 0.5]},
            ]
        }
    ],
}


def test_pytest_benchmark_uses_raw_data_when_present_else_its_min() -> None:
    parsed = parse_json(json.dumps(PYTEST_BENCHMARK).encode())
    assert parsed.format == "pytest-benchmark"
    assert parsed.benchmarks["tests/bench_test.py::test_fast"].value == 1e-6
    data = parsed.benchmarks["tests/bench_test.py::test_data"]
    assert data.value == 1.0  # the fastest sample: the slow 100.0 outlier has no say
    assert data.samples == (3.0, 1.0, 2.0, 100.0, 2.5)


def test_pyperf_values_across_runs_with_the_name_in_common_metadata() -> None:
    parsed = parse_json(json.dumps(PYPERF).encode())
    assert parsed.format == "pyperf"
    assert list(parsed.benchmarks) == ["sort_list"]
    measured = parsed.benchmarks["sort_list"]
    assert len(measured.samples) == 6
    assert measured.value == pytest.approx(0.0019)


def test_pyperf_suite_names_each_benchmark() -> None:
    suite = {
        "version": "1.0",
        "benchmarks": [
            {"metadata": {"name": "a"}, "runs": [{"values": [1.0, 2.0]}]},
            {"metadata": {"name": "b"}, "runs": [{"values": [3.0]}]},
        ],
    }
    assert {k: v.value for k, v in parse_json(json.dumps(suite).encode()).benchmarks.items()} == {
        "a": 1.0,
        "b": 3.0,
    }


def test_numbers_ignore_other_lines_and_bad_values() -> None:
    text = "warming up\n0.5\n 0.7 \nnan\n-1\ninf\n0\n1e-1\nWARNING: x\n"
    parsed = parse_numbers(text, "cmd")
    assert parsed.benchmarks["cmd"].samples == (0.5, 0.7, 0.1)
    assert parsed.benchmarks["cmd"].value == 0.1


@pytest.mark.parametrize(
    "data",
    [b"", b"no numbers here\n", b"-3\n0\n", b"\xff\xfe\x00garbage", b"nan\ninf\n"],
)
def test_output_without_numbers_is_unparsable(data: bytes) -> None:
    with pytest.raises(Unparsable):
        parse_output(data, None, "cmd")


@pytest.mark.parametrize(
    "data",
    [
        b"{not json",
        b"[1, 2]",
        b'{"benchmarks": 3}',
        b'{"benchmarks": [1, "x", null]}',
        b'{"benchmarks": [{"name": "t", "stats": {"min": "fast"}}]}',
        b'{"benchmarks": [{"runs": [{"values": [true, -1, "1"]}]}]}',
        b"[" * 100_000,
    ],
)
def test_hostile_json_files_are_unparsable_not_crashes(data: bytes) -> None:
    with pytest.raises(Unparsable):
        parse_output(b"", data, "cmd")


def test_json_on_stdout_is_read_and_plain_text_that_looks_like_json_falls_back() -> None:
    assert parse_output(json.dumps(PYPERF).encode(), None, "cmd").format == "pyperf"
    assert parse_output(b"{oops}\n2.0\n", None, "cmd").benchmarks["cmd"].value == 2.0


def test_evidence_keeps_a_bounded_number_of_samples() -> None:
    text = "\n".join("1.0" for _ in range(MAX_STORED + 10))
    measured = parse_numbers(text, "cmd").benchmarks["cmd"]
    stored = measured.to_json()
    assert stored["count"] == MAX_STORED + 10
    assert len(stored["samples"]) == MAX_STORED


def runs(count: int, length_s: float) -> list[Measured]:
    samples = tuple(length_s * (1 + i / count) for i in range(count))
    return [Measured(min(samples), samples), Measured(min(samples), samples)]


def test_sample_advice_only_reports_the_shape_of_many_short_samples() -> None:
    assert (
        sample_advice(runs(800, 0.0005)) == "each run gave 800 inner sample(s) of 0.75 ms (median)"
    )
    assert sample_advice([]) == ""


@pytest.mark.parametrize(("count", "length_s"), [(25, 0.0005), (800, 0.003), (1, 2.0)])
def test_sample_advice_asks_for_many_short_samples_when_they_are_few_or_long(
    count: int, length_s: float
) -> None:
    advice = sample_advice(runs(count, length_s))
    assert advice.startswith(f"each run gave {count} inner sample(s) of ")
    assert "hundreds of samples of under 1 ms each" in advice
