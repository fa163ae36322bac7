"""Bundle downloads (kiosk/bundles/fetch.py) through a dropping network: time, bytes fetched
twice, and how close the bandwidth cap keeps to its rate.

    .venv/bin/python benchmarks/bundle_download.py [--mb 20] [--cuts 5] [--cap-kbps 200]
        [--cap-mb 2]

A `--mb` file of random bytes is served by drivers/sim/file_server.py (byte ranges, ETag)
through the fault proxy (drivers/sim/net_proxy.py), which cuts the first `--cuts` answers
at a random point inside their body. The download resumes after each cut and must verify
against its sha256. "Bytes fetched twice" is what the client received beyond the file's
size (0 if every resume asks exactly for the missing bytes). A run with no cuts comes
first, for comparison. Then a `--cap-mb` file is fetched with the cap at `--cap-kbps`
kilobytes (1000 bytes) per second, straight from the server; its accuracy is the measured
rate over the cap, counted after the limiter's first burst (a quarter second of bytes).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

from drivers.sim.file_server import FileServer
from drivers.sim.net_proxy import NetProxy
from kiosk.bundles.fetch import download


class Received:
    """Counts the body bytes the client received, across resumes, from the progress calls."""

    def __init__(self) -> None:
        self.bytes = 0
        self._last = 0

    def __call__(self, done: int, total: int, step: str) -> None:
        # A resume continues from the bytes kept (== _last); a restart begins again below.
        self.bytes += done - self._last if done >= self._last else done
        self._last = done


def run(url: str, dest: Path, size: int, sha: str, cap_kbps: float = 0) -> tuple[float, int]:
    received = Received()
    dest.unlink(missing_ok=True)
    start = time.perf_counter()
    download(url, dest, size=size, sha256=sha, bandwidth_kbps=cap_kbps, progress=received)
    elapsed = time.perf_counter() - start
    received.bytes -= size  # what came beyond the file's own bytes
    return elapsed, received.bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--cuts", type=int, default=5)
    parser.add_argument("--cap-kbps", type=float, default=200)
    parser.add_argument("--cap-mb", type=float, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "srv"
        root.mkdir()
        data = os.urandom(int(args.mb * 1_000_000))
        (root / "big.kbundle").write_bytes(data)
        small = os.urandom(int(args.cap_mb * 1_000_000))
        (root / "small.kbundle").write_bytes(small)
        sha = hashlib.sha256(data).hexdigest()
        dest = Path(tmp) / "dl" / "big.kbundle"
        with FileServer(root) as server, NetProxy(server.server_address[:2],
                                                  seed=args.seed) as proxy:
            url = f"{proxy.url}/big.kbundle"
            clean, _ = run(url, dest, len(data), sha)
            sent_before = server.body_bytes("/big.kbundle")
            proxy.plan(*["cut"] * args.cuts)
            first = len(server.log)
            cut, twice = run(url, dest, len(data), sha)
            resumes = [s.range for s in server.log[first:] if s.range]
            server_sent = server.body_bytes("/big.kbundle") - sent_before
            print(f"{args.mb:g} MB through the proxy, no cuts: {clean:.2f} s")
            print(f"{args.mb:g} MB with {args.cuts} cuts: {cut:.2f} s; "
                  f"{len(resumes)} resumes ({', '.join(resumes)}); "
                  f"bytes received twice: {twice}; bytes the server sent in all: "
                  f"{server_sent} (the proxy reads each answer whole before cutting it)")

            small_dest = Path(tmp) / "dl" / "small.kbundle"
            elapsed, _ = run(f"{server.url}/small.kbundle", small_dest, len(small),
                             hashlib.sha256(small).hexdigest(), args.cap_kbps)
            burst = args.cap_kbps * 1000 / 4
            rate = (len(small) - burst) / elapsed / 1000
            print(f"cap {args.cap_kbps:g} kB/s on {args.cap_mb:g} MB: {elapsed:.2f} s, "
                  f"{rate:.1f} kB/s after the first burst "
                  f"({100 * rate / args.cap_kbps:.1f} % of the cap)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
