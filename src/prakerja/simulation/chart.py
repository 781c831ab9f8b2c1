"""The funnel as an SVG chart: one bar per stage, with the calibrated and 2020 marks.

Written by hand (a few dozen elements), so the chart needs no plotting library and the
same run gives the same file.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path

from prakerja.simulation.funnel import ALL_STAGES, Funnel

_WIDTH, _LABEL, _BAR, _ROW, _TOP = 860, 150, 560, 34, 64
_COLOURS = {"bar": "#2f6f9f", "calibrated": "#d9822b", "published": "#444444"}


def funnel_svg(
    funnel: Funnel,
    calibrated: Mapping[str, float],
    published: Mapping[str, float],
    title: str,
) -> str:
    """Bars: share of registrations reaching each stage. Orange tick: this system's
    calibrated share; grey dot: wave 1 of 2020 as published."""
    registered = funnel.counts.get("registered", 0) or 1
    height = _TOP + _ROW * len(ALL_STAGES) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}"'
        f' viewBox="0 0 {_WIDTH} {height}" font-family="sans-serif" font-size="13">',
        f'<rect width="{_WIDTH}" height="{height}" fill="white"/>',
        f'<text x="16" y="26" font-size="16" font-weight="bold">{escape(title)}</text>',
        _legend(),
    ]
    for row, stage in enumerate(ALL_STAGES):
        y = _TOP + row * _ROW
        count = funnel.counts.get(stage, 0)
        share = count / registered
        width = max(1.0, _BAR * share)
        parts += [
            f'<text x="{_LABEL - 8}" y="{y + 17}" text-anchor="end">{escape(stage)}</text>',
            f'<rect x="{_LABEL}" y="{y + 4}" width="{width:.1f}" height="{_ROW - 10}"'
            f' fill="{_COLOURS["bar"]}"/>',
            f'<text x="{_LABEL + width + 6:.1f}" y="{y + 17}">'
            f"{count:,} ({100 * share:.1f}%)</text>",
        ]
        if stage in calibrated:
            x = _LABEL + _BAR * calibrated[stage]
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 1}" y2="{y + _ROW - 3}"'
                f' stroke="{_COLOURS["calibrated"]}" stroke-width="3"/>'
            )
        if stage in published:
            x = _LABEL + _BAR * published[stage]
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y + _ROW / 2:.1f}" r="4"'
                f' fill="{_COLOURS["published"]}"/>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend() -> str:
    y = 46
    return "".join(
        (
            f'<rect x="16" y="{y - 10}" width="12" height="12" fill="{_COLOURS["bar"]}"/>',
            f'<text x="34" y="{y}">measured</text>',
            f'<line x1="120" x2="120" y1="{y - 11}" y2="{y + 2}"'
            f' stroke="{_COLOURS["calibrated"]}" stroke-width="3"/>',
            f'<text x="128" y="{y}">calibrated (this system)</text>',
            f'<circle cx="310" cy="{y - 4}" r="4" fill="{_COLOURS["published"]}"/>',
            f'<text x="320" y="{y}">wave 1, 2020 (published)</text>',
        )
    )


def write_chart(svg: str, folder: Path) -> Path:
    path = folder / "funnel.svg"
    path.write_text(svg)
    return path
