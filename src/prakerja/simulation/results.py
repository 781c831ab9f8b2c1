"""The report of a simulation run: the funnel beside its calibration, the settings that
are the simulation's own, and the files it writes (JSON, CSV, SVG)."""

from __future__ import annotations

import datetime as dt
import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prakerja.simulation.calibration import (
    FUNNEL_STAGES,
    calibrated_shares,
    compare,
    published_shares,
)
from prakerja.simulation.chart import funnel_svg, write_chart
from prakerja.simulation.expected import expected_counts
from prakerja.simulation.funnel import Funnel, write_csv
from prakerja.simulation.machine import load_average
from prakerja.simulation.stack import StackOptions
from prakerja.simulators.population import Population

if TYPE_CHECKING:
    from prakerja.simulation.simulate import Run, SimulationConfig

WAVE = 1


def build_report(
    config: SimulationConfig,
    options: StackOptions,
    funnel: Funnel,
    run: Run,
    seconds: float,
    started_at: dt.datetime,
    load_at_start: list[float],
    server_funnel: dict[str, Any],
) -> dict[str, Any]:
    registered = funnel.counts["registered"]
    calibrated = calibrated_shares(
        options.rates, corrections=config.corrections, quota_share=run.quota / config.applicants
    )
    people = Population(config.seed, config.applicants, rates=options.rates, as_of=run.as_of)
    expected = expected_counts(people, corrections=config.corrections, quota=run.quota)
    comparison = compare(funnel.counts, calibrated, expected)
    durations = sorted(o.seconds for o in run.outcomes) or [0.0]
    errors = [o for o in run.outcomes if o.error]
    hashing = options.password_hashing
    return {
        "command": _command(config),
        "started_at": started_at.isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "applicants": config.applicants,
        "applicants_per_second": round(len(run.outcomes) / seconds, 1) if seconds else None,
        "requests": sum(o.requests for o in run.outcomes),
        "typical_waits_s": run.waits,
        "journey_seconds": {
            "p50": round(statistics.median(durations), 2),
            "p90": round(durations[int(0.9 * (len(durations) - 1))], 2),
            "max": round(durations[-1], 2),
        },
        "settings": {
            "seed": config.seed,
            "concurrency": config.concurrency,
            "corrections": config.corrections,
            "behaviour": (
                "applicants correct typos and re-upload failed selfies (this system)"
                if config.corrections
                else "2020 rules: a typo or a failed selfie ends the application"
            ),
            "password_hashing": (
                f"argon2id time_cost={hashing.time_cost} memory={hashing.memory_cost_kib} KiB"
                f" parallelism={hashing.parallelism} (simulation only; production default"
                " time_cost=2, 19456 KiB)"
            ),
            "face": (
                "simulated: the real face step (registry photo over HTTP, encrypted selfie,"
                " decision event) with the image analysis replaced by the selfie's marker"
                " (policy simulated-face@1)"
                if options.face == "simulated"
                else "real: face_recognition / dlib"
            ),
            "processes": {
                "api": options.api_processes,
                "verification_workers": (
                    f"{options.verification_processes} x {options.verification_threads} threads"
                ),
                "face_workers": options.face_processes,
                "broker": "redis (private)" if config.broker_url is None else "given",
            },
            "rates": options.rates.model_dump(),
        },
        "wave": {
            "note": run.wave_note,
            "number": WAVE,
            "quota": run.quota,
            "candidates": run.draw.candidates if run.draw else None,
            "selected": len(run.draw.selected) if run.draw else None,
            "draw_seed": run.draw.seed if run.draw else None,
            "candidates_sha256": run.draw.candidates_sha256 if run.draw else None,
            "selected_sha256": run.draw.selected_sha256 if run.draw else None,
            "status_at_end": run.wave_status,
        },
        "funnel": funnel.as_rows(),
        "provinces": funnel.provinces,
        "comparison": [c.as_dict() for c in comparison],
        "comparison_within_2pp": all(
            c.within_tolerance for c in comparison if run.draw or c.stage in FUNNEL_STAGES[:3]
        ),
        "calibrated_shares": calibrated,
        "published_2020_shares": published_shares(),
        "server_funnel": server_funnel,
        "errors": {
            "count": len(errors),
            "registered_of_applicants": f"{registered} of {config.applicants}",
            "samples": [{"index": o.index, "error": o.error} for o in errors[:20]],
        },
        "load_average_at_start": load_at_start,
        "load_average_at_end": load_average(),
    }


def _command(config: SimulationConfig) -> str:
    parts = ["prakerja simulate", f"--applicants {config.applicants}", f"--seed {config.seed}"]
    if config.corrections:
        parts.append("--corrections")
    return " ".join(parts)


def write_files(folder: Path, report: dict[str, Any], funnel: Funnel) -> list[Path]:
    json_path = folder / "funnel.json"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    stages_csv, provinces_csv = write_csv(funnel, folder)
    title = (
        f"Simulated wave: {report['applicants']:,} applicants, seed {report['settings']['seed']}"
    )
    svg = funnel_svg(funnel, report["calibrated_shares"], report["published_2020_shares"], title)
    return [json_path, stages_csv, provinces_csv, write_chart(svg, folder)]
