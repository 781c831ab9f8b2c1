"""A tiny wave through the whole service: every process, real HTTP, PostgreSQL and Redis."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from prakerja.db.server import DatabaseAddress
from prakerja.simulation.database import url_of
from prakerja.simulation.simulate import SimulationConfig, simulate
from prakerja.simulation.stack import StackOptions

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.timeout(600),
]


def test_fifty_applicants_give_the_funnel_their_flags_promise(
    postgres_server: DatabaseAddress, tmp_path: Path
) -> None:
    config = SimulationConfig(
        applicants=50,
        out=tmp_path / "out",
        server_url=url_of(postgres_server),
        concurrency=50,
        stack=StackOptions(api_processes=1, verification_threads=4),
    )
    result = simulate(config)
    report = result.report
    assert report["errors"]["count"] == 0, report["errors"]["samples"]
    counts = {row["stage"]: row["applicants"] for row in report["funnel"]}
    expected = {row["stage"]: row["expected_from_population"] for row in report["comparison"]}
    assert counts["registered"] == 50
    # Every case decided as the person's flags say (joining depends on which two of a
    # family card's applicants get in first: a fraction in the expectation).
    for stage in ("email_verified", "nik_valid"):
        assert counts[stage] == expected[stage], stage
    assert abs(counts["joined"] - expected["joined"]) < 1
    assert counts["selected"] == report["wave"]["quota"] == 1
    assert report["wave"]["status_at_end"] == "sk_delivered"
    server = report["server_funnel"]
    assert server["available"], server
    assert server["milestones"]["registered"] == 50
    assert server["milestones"]["joined_wave"] == counts["joined"]
    names = sorted(path.name for path in result.files)
    assert names == ["funnel.csv", "funnel.json", "funnel.svg", "provinces.csv"]
    assert json.loads((config.out / "funnel.json").read_text())["applicants"] == 50
