"""``python -m bench``: the benchmark suite, from a clean clone (see docs/benchmarks.md).

    .venv/bin/python -m bench                    # small scale: 5,000 and 20,000 applicants
    .venv/bin/python -m bench --scale full       # 100,000 and 1,000,000 applicants
    .venv/bin/python -m bench --only registration,http --sizes 5000

Writes ``bench/results/bench-<scale>-<time>.json`` and ``.md`` (and ``latest.*``); with
``--write-docs``, replaces the results table in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench import report, suite


@dataclass(frozen=True)
class Scale:
    sizes: tuple[int, ...]
    seconds: float
    face_images: int
    query_samples: int


SCALES = {
    "small": Scale((5_000, 20_000), 5.0, 10, 300),
    "full": Scale((100_000, 1_000_000), 20.0, 60, 2_000),
}
DOCS = Path("docs/benchmarks.md")
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--sizes", help="applicants loaded, comma-separated (overrides --scale)")
    parser.add_argument("--seconds", type=float, help="length of each timed loop")
    parser.add_argument("--threads", type=int, default=4, help="application-layer threads")
    parser.add_argument("--rate", type=float, default=300.0, help="offered requests/s")
    parser.add_argument("--only", help=f"some of: {','.join(suite.MEASUREMENTS)}")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server for the scratch databases (prakerja_bench_*)"
        " [default: PRAKERJA_DATABASE_URL, else the embedded server]",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--write-docs", action="store_true", help=f"update the table in {DOCS}")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else scale.sizes
    only = tuple(args.only.split(",")) if args.only else suite.MEASUREMENTS
    unknown = set(only) - set(suite.MEASUREMENTS)
    if unknown:
        parser.error(f"unknown measurements: {', '.join(sorted(unknown))}")
    plan = suite.Plan(
        server_url=args.database_url or _default_server(),
        sizes=sizes,
        seconds=args.seconds or scale.seconds,
        threads=args.threads,
        rate=args.rate,
        face_images=scale.face_images,
        query_samples=scale.query_samples,
        only=only,
        work_dir=args.out / "work",
    )
    console = Console()
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    results = suite.run(plan, command.strip(), console)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path, md_path = report.write(results, args.out, f"bench-{args.scale}-{stamp}")
    shutil.copyfile(json_path, args.out / "latest.json")
    shutil.copyfile(md_path, args.out / "latest.md")
    console.print(md_path.read_text())
    console.print(f"results: {json_path}, {md_path}")
    if args.write_docs:
        _write_docs(md_path.read_text())
        console.print(f"updated {DOCS}")
    return 0


def _default_server() -> str:
    from prakerja.db.server import resolve_database
    from prakerja.settings import Settings
    from prakerja.simulation.database import url_of

    return url_of(resolve_database(Settings()))


def _write_docs(table: str) -> None:
    text = DOCS.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOCS} has no {BEGIN} … {END} block to replace")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOCS.write_text(f"{head}{BEGIN}\n{table}{END}{tail}")


if __name__ == "__main__":
    sys.exit(main())
