from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from prakerja.simulation.calibration import calibrated_shares, published_shares
from prakerja.simulation.chart import funnel_svg, write_chart
from prakerja.simulation.funnel import ALL_STAGES, Funnel
from prakerja.simulators.rates import PopulationRates

SVG = "{http://www.w3.org/2000/svg}"


def test_one_bar_per_stage_with_the_calibration_marks(tmp_path: Path) -> None:
    counts = {stage: 1000 - 90 * n for n, stage in enumerate(ALL_STAGES)}
    funnel = Funnel(counts=counts, provinces={}, errors=0)
    svg = funnel_svg(
        funnel, calibrated_shares(PopulationRates()), published_shares(), "Wave <1> & co"
    )
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Wave <1> & co" in texts  # escaped in the file, intact when read back
    assert all(stage in texts for stage in ALL_STAGES)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("height") == "24"]
    assert len(bars) == len(ALL_STAGES)
    assert len(list(root.iter(f"{SVG}line"))) == 1 + 5  # the legend's tick and five stages
    assert len(list(root.iter(f"{SVG}circle"))) == 1 + 5
    path = write_chart(svg, tmp_path)
    assert path.read_text() == svg
