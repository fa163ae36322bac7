"""Downloads that resume (kiosk/bundles/fetch.py) against a real HTTP server with byte
ranges (drivers/sim/file_server.py), cut mid-body by the server itself, by the fault proxy
(drivers/sim/net_proxy.py) and by SIGKILL of the downloading process."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.sim.file_server import FileServer
from drivers.sim.net_proxy import NetProxy
from kiosk.bundles.fetch import (
    DownloadCancelled,
    DownloadError,
    FetchError,
    RateLimiter,
    check_url,
    download,
    part_paths,
)

SIZE = 300_000


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FileServer, Path]]:
    root = tmp_path / "srv"
    root.mkdir()
    (root / "b.kbundle").write_bytes(os.urandom(SIZE))
    with FileServer(root) as server:
        yield server, root / "b.kbundle"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _statuses(server: FileServer) -> list[int]:
    assert server.settled()
    return [s.status for s in server.log]


def _range_starts(server: FileServer) -> list[int | None]:
    return [int(s.range[6:].split("-")[0]) if s.range else None for s in server.log]


def test_a_download_arrives_whole_and_leaves_no_part(served, tmp_path: Path) -> None:
    server, src = served
    seen: list[tuple[int, int, str]] = []
    dest = download(f"{server.url}/b.kbundle", tmp_path / "dl" / "b.kbundle", size=SIZE,
                    sha256=_sha(src), progress=lambda *a: seen.append(a))
    assert dest.read_bytes() == src.read_bytes()
    assert not any(p.exists() for p in part_paths(dest))
    assert seen[-1] == (SIZE, SIZE, "download")
    assert all(step == "download" and total == SIZE for _, total, step in seen)
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)


def test_a_cut_mid_body_resumes_with_range_and_if_range(served, tmp_path: Path) -> None:
    server, src = served
    server.cuts = [100_000, 200_001]
    dest = download(f"{server.url}/b.kbundle", tmp_path / "b.kbundle", size=SIZE,
                    sha256=_sha(src))
    assert dest.read_bytes() == src.read_bytes()
    assert _range_starts(server) == [None, 100_000, 200_001]
    assert all(s.if_range for s in server.log[1:])  # the ETag kept in .part.json
    assert server.body_bytes("/b.kbundle") == SIZE  # no byte came twice


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(1, SIZE - 1), min_size=1, max_size=6, unique=True))
def test_cuts_at_any_offsets_resume_and_verify(served, tmp_path: Path, cuts: list[int]) -> None:
    server, src = served
    server.log.clear()
    server.cuts = list(cuts)
    dest = tmp_path / "fuzz" / "b.kbundle"
    dest.unlink(missing_ok=True)
    download(f"{server.url}/b.kbundle", dest, size=SIZE, sha256=_sha(src))
    assert _sha(dest) == _sha(src)
    assert _range_starts(server) == [None, *sorted(cuts)]
    assert server.body_bytes("/b.kbundle") == SIZE


def test_a_server_that_ignores_range_makes_it_start_over(served, tmp_path: Path) -> None:
    server, src = served
    server.ignore_range = True
    server.cuts = [150_000]
    dest = download(f"{server.url}/b.kbundle", tmp_path / "b.kbundle", size=SIZE,
                    sha256=_sha(src))
    assert dest.read_bytes() == src.read_bytes()
    assert _statuses(server) == [200, 200]  # asked for a range, got it all


def _stop_after(n: int) -> tuple[threading.Event, object]:
    cancel = threading.Event()

    def progress(done: int, total: int, step: str) -> None:
        if done >= n:
            cancel.set()

    return cancel, progress


def test_a_file_changed_on_the_server_comes_back_whole(served, tmp_path: Path) -> None:
    server, src = served
    dest = tmp_path / "b.kbundle"
    url = f"{server.url}/b.kbundle"
    cancel, progress = _stop_after(100_000)
    with pytest.raises(DownloadCancelled):
        download(url, dest, progress=progress, cancel=cancel)  # no index: no size, no sha
    kept = part_paths(dest)[0].stat().st_size
    assert kept >= 100_000
    new = os.urandom(SIZE + 10)
    src.write_bytes(new)
    os.utime(src, ns=(1, 2_000_000_000_000_000_000))  # a new mtime: a new ETag
    download(url, dest)
    assert dest.read_bytes() == new
    assert server.settled()
    last = server.log[-1]
    assert last.range == f"bytes={kept}-" and last.if_range and last.status == 200


def test_a_server_ignoring_if_range_is_caught_by_the_etag(served, tmp_path: Path) -> None:
    server, src = served
    server.ignore_if_range = True
    dest = tmp_path / "b.kbundle"
    url = f"{server.url}/b.kbundle"
    cancel, progress = _stop_after(50_000)
    with pytest.raises(DownloadCancelled):
        download(url, dest, progress=progress, cancel=cancel)
    new = os.urandom(SIZE)
    src.write_bytes(new)
    os.utime(src, ns=(1, 2_000_000_000_000_000_000))
    download(url, dest)
    assert dest.read_bytes() == new
    assert _statuses(server)[-2:] == [206, 200]  # spliced bytes refused


def test_a_complete_part_is_finished_on_416(served, tmp_path: Path) -> None:
    server, src = served
    dest = tmp_path / "b.kbundle"
    part, meta = part_paths(dest)
    part.write_bytes(src.read_bytes())
    meta.write_text(json.dumps({"url": f"{server.url}/b.kbundle", "size": None,
                                "sha256": None, "etag": None, "last_modified": None}))
    download(f"{server.url}/b.kbundle", dest)
    assert dest.read_bytes() == src.read_bytes()
    assert _statuses(server) == [416]


def test_a_part_longer_than_the_file_starts_over(served, tmp_path: Path) -> None:
    server, src = served
    dest = tmp_path / "b.kbundle"
    part, meta = part_paths(dest)
    part.write_bytes(os.urandom(SIZE + 5000))
    meta.write_text(json.dumps({"url": f"{server.url}/b.kbundle", "size": None,
                                "sha256": None}))
    download(f"{server.url}/b.kbundle", dest)
    assert dest.read_bytes() == src.read_bytes()
    assert _statuses(server) == [416, 200]


def test_a_wrong_sha256_removes_the_part_with_a_clear_error(served, tmp_path: Path) -> None:
    server, _ = served
    dest = tmp_path / "b.kbundle"
    with pytest.raises(DownloadError, match="sha256 does not match the index"):
        download(f"{server.url}/b.kbundle", dest, size=SIZE, sha256="0" * 64)
    assert not dest.exists() and not any(p.exists() for p in part_paths(dest))


def test_a_size_other_than_the_index_is_refused(served, tmp_path: Path) -> None:
    server, _ = served
    with pytest.raises(DownloadError, match="index says 12"):
        download(f"{server.url}/b.kbundle", tmp_path / "b.kbundle", size=12)


def test_missing_file_and_dead_server_are_one_sentence(served, tmp_path: Path) -> None:
    server, _ = served
    with pytest.raises(DownloadError, match="answered 404"):
        download(f"{server.url}/nope.kbundle", tmp_path / "n.kbundle")
    server.stop()
    with pytest.raises(DownloadError, match="download failed"):
        download(f"{server.url}/b.kbundle", tmp_path / "b.kbundle", retries=1)


def test_a_part_that_cannot_be_written_is_one_sentence(served, tmp_path: Path) -> None:
    server, _ = served
    dest = tmp_path / "b.kbundle"
    part_paths(dest)[0].mkdir()  # in the way, as a full or read-only disk would be
    with pytest.raises(DownloadError, match="b.kbundle: cannot be written"):
        download(f"{server.url}/b.kbundle", dest)


@pytest.mark.parametrize("url", ["ftp://h/x", "file:///etc/passwd", "", "http://", "h/x"])
def test_only_http_urls_are_taken(url: str) -> None:
    with pytest.raises(FetchError):
        check_url(url)


def test_drops_through_the_fault_proxy_resume_and_verify(served, tmp_path: Path) -> None:
    server, src = served
    with NetProxy(server.server_address[:2], seed=3) as proxy:
        # a cut between the others: each failure with no new byte waits only the first pause
        plan = ["drop_before", "cut", "reset", "cut", "http_500", "cut", "drop_after", "cut"]
        proxy.plan(*plan)
        dest = download(f"{proxy.url}/b.kbundle", tmp_path / "b.kbundle", size=SIZE,
                        sha256=_sha(src), retries=3)
        assert proxy.outcomes[:8] == plan
    assert dest.read_bytes() == src.read_bytes()
    # every resumed request asked for the bytes after the ones already kept
    starts = [s for s in _range_starts(server) if s is not None]
    assert starts == sorted(starts) and len(starts) >= 3


_CHILD = """
import sys
from kiosk.bundles.fetch import download
download(sys.argv[1], sys.argv[2], size=int(sys.argv[3]), sha256=sys.argv[4],
         bandwidth_kbps=150)
"""


def test_a_killed_download_resumes_in_a_new_process_without_refetching(
        tmp_path: Path) -> None:
    root = tmp_path / "srv"
    root.mkdir()
    data = os.urandom(1_500_000)
    (root / "big.kbundle").write_bytes(data)
    dest = tmp_path / "dl" / "big.kbundle"
    part = part_paths(dest)[0]
    with FileServer(root) as server:
        url = f"{server.url}/big.kbundle"
        sha = hashlib.sha256(data).hexdigest()
        child = subprocess.Popen([sys.executable, "-c", _CHILD, url, str(dest), str(len(data)),
                                  sha])
        try:
            bound = time.monotonic() + 30
            while (not part.exists() or part.stat().st_size < 200_000) and child.poll() is None:
                assert time.monotonic() < bound, "the child downloaded nothing"
                time.sleep(0.02)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert child.returncode == -signal.SIGKILL
        kept = part.stat().st_size
        assert 200_000 <= kept < len(data)
        assert server.settled()  # the killed child's answer has ended
        download(url, dest, size=len(data), sha256=sha)
    assert dest.read_bytes() == data and server.settled()
    resumed = server.log[1:]
    assert [s.range for s in resumed] == [f"bytes={kept}-"]
    assert resumed[0].status == 206 and resumed[0].sent == len(data) - kept


def test_the_limiter_paces_bytes_to_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(200_000, clock=lambda: now[0])
    sent = 0
    for _ in range(400):  # 400 chunks of 16 kB = 6.4 MB at 200 kB/s
        pause = limiter.take(16_000)
        sent += 16_000
        now[0] += pause + 0.001  # the network time of a chunk, then the pause
    # the first burst (rate/4) is free; everything after it goes at the rate
    expected = (sent - limiter.burst) / 200_000
    assert abs(now[0] - expected) / expected < 0.01


def test_the_limiter_does_not_save_up_during_a_pause() -> None:
    now = [0.0]
    limiter = RateLimiter(100_000, burst=25_000, clock=lambda: now[0])
    now[0] = 3600.0  # an hour idle
    pauses = [limiter.take(25_000) for _ in range(3)]
    assert pauses[0] == 0 and pauses[1] == pytest.approx(0.25) and pauses[2] == pytest.approx(
        0.5)


class _FakeTime(threading.Event):
    """A cancel event whose waits pass on a fake clock at once, and are recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.pauses: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(timeout or 0.0)
        self.now += timeout or 0.0
        return self.is_set()


def test_a_capped_download_is_paced_by_the_limiter(served, tmp_path: Path) -> None:
    server, src = served
    fake = _FakeTime()
    download(f"{server.url}/b.kbundle", tmp_path / "b.kbundle", bandwidth_kbps=50,
             clock=lambda: fake.now, cancel=fake)
    # 300 kB at 50 kB/s, less the first burst of 12.5 kB (a quarter second): 5.75 s of pauses
    assert sum(fake.pauses) == pytest.approx((SIZE - 12_500) / 50_000, rel=0.01)
