"""Throughput of the face check on this machine, printed as JSON.

Uses the sample photos shipped in the matplotlib and scikit-image wheels (test
dependencies): the astronaut passes the quality rules and is matched (the full path:
quality, two encodings), Grace Hopper fails on glasses (the short path). Each selfie is
the photo scaled onto a canvas of the measured size and saved as JPEG; the reference is
a 300 x 400 head-and-shoulders crop of the same photo, like a registry photo. One
process, one thread, as in a worker. CPU time is reported beside wall time: it is what
to trust on a busy machine.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image

from prakerja.face.detection import detect_faces
from prakerja.face.verifier import FaceVerdict, FaceVerifier

SIZES = ((640, 480), (1280, 960))


def sample_photos() -> dict[str, Image.Image]:
    """The two sample portraits, from the installed matplotlib and scikit-image."""
    from matplotlib import cbook
    from skimage import data

    grace = Image.open(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    astronaut = data.astronaut()  # type: ignore[no-untyped-call]
    return {"astronaut": Image.fromarray(astronaut), "grace_hopper": grace.convert("RGB")}


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def selfie_at(photo: Image.Image, size: tuple[int, int]) -> bytes:
    """The photo scaled to fill the height of a canvas of ``size``, as JPEG."""
    width, height = size
    scale = height / photo.height
    scaled = photo.resize((round(photo.width * scale), height), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", size, (200, 200, 200))
    canvas.paste(scaled, ((width - scaled.width) // 2, 0))
    return _jpeg(canvas)


def registry_photo(photo: Image.Image) -> bytes:
    """A 300 x 400 head-and-shoulders crop around the largest face, as JPEG."""
    faces = detect_faces(photo, max_side=640, upsample=1)
    if not faces:
        raise ValueError("no face on the sample photo")
    face = faces[0]
    centre_x, centre_y = (face.left + face.right) / 2, (face.top + face.bottom) / 2
    half = face.size * 0.9
    box = (centre_x - half, centre_y - 1.3 * half, centre_x + half, centre_y + 1.37 * half)
    crop = photo.crop(box)
    return _jpeg(crop.resize((300, 400), Image.Resampling.LANCZOS))


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class _Samples:
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=dict)
    outcome: str = ""

    def add(self, verdict: FaceVerdict, wall_ms: float, cpu_ms: float) -> None:
        self.wall_ms.append(wall_ms)
        self.cpu_ms.append(cpu_ms)
        self.outcome = f"{verdict.outcome} {[str(code) for code in verdict.reasons]}"
        for stage, ms in verdict.timings_ms.items():
            self.stages.setdefault(stage, []).append(ms)

    def summary(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "verify_ms_median": round(statistics.median(self.wall_ms), 1),
            "verify_ms_p95": round(_percentile(self.wall_ms, 0.95), 1),
            "cpu_ms_median": round(statistics.median(self.cpu_ms), 1),
            "stage_ms_median": {k: round(statistics.median(v), 1) for k, v in self.stages.items()},
        }


def measure(runs: int) -> dict[str, object]:
    """Time ``runs`` verifications per photo and size."""
    started = time.perf_counter()
    FaceVerifier.preload()
    load_seconds = time.perf_counter() - started
    verifier = FaceVerifier()
    photos = sample_photos()
    references = {name: registry_photo(photo) for name, photo in photos.items()}
    results: dict[str, object] = {"model_load_s": round(load_seconds, 2), "runs": runs}
    for width, height in SIZES:
        every, by_photo = _Samples(), {name: _Samples() for name in photos}
        began = time.perf_counter()
        for name, photo in photos.items():
            selfie = selfie_at(photo, (width, height))
            for _ in range(runs):
                tick, cpu_tick = time.perf_counter(), time.process_time()
                verdict = verifier.verify(selfie, references[name])
                wall_ms = (time.perf_counter() - tick) * 1000
                cpu_ms = (time.process_time() - cpu_tick) * 1000
                every.add(verdict, wall_ms, cpu_ms)
                by_photo[name].add(verdict, wall_ms, cpu_ms)
        elapsed = time.perf_counter() - began
        overall = every.summary()
        del overall["outcome"]
        results[f"{width}x{height}"] = {
            **overall,
            "images_per_second": round(len(every.wall_ms) / elapsed, 2),
            "by_photo": {name: samples.summary() for name, samples in by_photo.items()},
        }
    return results


def main(argv: Sequence[str] | None = None) -> None:
    """Print the measurements as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20, help="verifications per photo and size")
    arguments = parser.parse_args(argv)
    print(json.dumps(measure(arguments.runs), indent=2))


if __name__ == "__main__":
    main()
