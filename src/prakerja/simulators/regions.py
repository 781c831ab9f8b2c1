"""Where the synthetic people live: the 34 provinces of 2020, weighted by population."""

from __future__ import annotations

from prakerja.domain.nik import PROVINCES_2020

POPULATION_2020_MILLIONS: dict[str, float] = {
    "11": 5.27,
    "12": 14.80,
    "13": 5.53,
    "14": 6.39,
    "15": 3.55,
    "16": 8.47,
    "17": 2.01,
    "18": 9.01,
    "19": 1.46,
    "21": 2.06,
    "31": 10.56,
    "32": 48.27,
    "33": 36.52,
    "34": 3.67,
    "35": 40.67,
    "36": 11.90,
    "51": 4.32,
    "52": 5.32,
    "53": 5.33,
    "61": 5.41,
    "62": 2.67,
    "63": 4.07,
    "64": 3.77,
    "65": 0.70,
    "71": 2.62,
    "72": 2.99,
    "73": 9.07,
    "74": 2.62,
    "75": 1.17,
    "76": 1.42,
    "81": 1.85,
    "82": 1.28,
    "91": 4.30,
    "92": 1.13,
}
"""Rounded 2020 census counts per province code (BPS, Sensus Penduduk 2020)."""

PROVINCE_CODES: tuple[str, ...] = PROVINCES_2020
PROVINCE_CUMULATIVE_WEIGHTS: tuple[float, ...] = tuple(
    sum(POPULATION_2020_MILLIONS[code] for code in PROVINCES_2020[: n + 1])
    for n in range(len(PROVINCES_2020))
)
