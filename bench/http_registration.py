"""Registration throughput over HTTP against a running service.

    .venv/bin/python bench/http_registration.py --url http://127.0.0.1:8000 --seconds 20

Sends registrations (unique emails) from N concurrent clients for a fixed time and
writes requests/s, p50 and p99 latency, and error counts to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import uuid
from pathlib import Path

import httpx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path("bench/results/http_registration.json"))
    args = parser.parse_args()

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    run = uuid.uuid4().hex[:8]
    deadline = time.monotonic() + args.seconds

    def client(number: int) -> None:
        with httpx.Client(base_url=args.url, timeout=30) as http:
            i = 0
            while time.monotonic() < deadline:
                body = {"email": f"bench-{run}-{number}-{i}@example.com", "password": "rahasia-123"}
                started = time.perf_counter()
                status = http.post("/v1/applicants", json=body).status_code
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
                i += 1

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began
    ordered = sorted(latencies)
    result = {
        "measurement": "HTTP registration",
        "clients": args.clients,
        "seconds": round(wall, 2),
        "requests": len(ordered),
        "requests_per_s": round(len(ordered) / wall, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
        "statuses": statuses,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
