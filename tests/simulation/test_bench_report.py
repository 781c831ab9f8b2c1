"""The benchmark suite's verdicts and its Markdown table."""

from __future__ import annotations

from pathlib import Path

from bench.measure import closed_loop, percentile, summarise
from bench.report import Measurement, Target, markdown, skipped, write


def test_targets_say_by_how_much_they_are_missed() -> None:
    ratio = Target("≥ 0.8 of raw", "ratio_min", 0.8)
    assert ratio.verdict(100.0, 0.9) == (True, "met (0.900 ≥ 0.800)")
    assert ratio.verdict(100.0, 0.6) == (False, "missed by 25% (0.600 < 0.800)")
    latency = Target("p99 ≤ 50 ms", "value_max", 50.0)
    assert latency.verdict(75.0, None) == (False, "missed by 50% (75.00 > 50.00)")
    assert latency.verdict(None, None) == (None, "not measured")


def test_a_measurement_reports_value_baseline_ratio_and_verdict() -> None:
    row = Measurement(
        "x",
        "Writes",
        "requests/s",
        400.0,
        "direct",
        500.0,
        1_000,
        Target("≥ 500 requests/s", "value_min", 500.0),
    ).as_dict()
    assert row["ratio"] == 0.8
    assert row["met"] is False
    assert row["verdict"] == "missed by 20% (400 < 500)"
    judged = Measurement(
        "f",
        "Face",
        "images/s",
        3.0,
        "plain",
        2.0,
        target=Target("≤ 5%", "value_max", 5.0),
        target_value=12.0,
    ).as_dict()
    assert judged["met"] is False  # the overhead is judged, not the rate


def test_markdown_and_json_files(tmp_path: Path) -> None:
    results = {
        "started_at": "2026-11-21T07:00:00+00:00",
        "command": "python -m bench",
        "load_average_at_start": [1.0, 1.0, 1.0],
        "load_average_at_end": [1.0, 1.0, 1.0],
        "machine": {
            "cpu": "AMD EPYC",
            "cores": 2,
            "memory_gib": 23.5,
            "python": "3.11",
            "postgres": "18.4",
        },
        "measurements": [
            Measurement(
                "a", "Reads", "requests/s", 900.0, "direct", 1_500.0, 5_000, note="p99 9 ms"
            ).as_dict(),
            skipped("b", "Face", None, "no photos").as_dict(),
        ],
    }
    table = markdown(results)
    assert "| Reads | 5,000 | 900 requests/s | 1,500 requests/s: direct | 0.60 |  |" in table
    assert "| Face |  | not measured: no photos |" in table
    assert "- Reads (5,000): p99 9 ms" in table
    json_path, md_path = write(results, tmp_path, "run")
    assert md_path.read_text() == table
    assert json_path.exists()


def test_timing_helpers() -> None:
    assert percentile([float(n) for n in range(1, 101)], 0.99) == 99.0
    assert summarise([], 2, 1.0).operations == 0
    calls: list[int] = []
    run = closed_loop(calls.append, threads=2, seconds=0.05)
    assert run.operations == len(calls) > 0
    assert run.errors == 0
