"""Issuing tickets through the real simulated printer over TCP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image, ImageChops

from drivers.printer import decode_job, render_job_png
from kiosk.config import load_config
from kiosk.i18n import translate
from kiosk.paths import ROOT
from kiosk.ticket_layout import (
    SIDE_MARGIN_DOTS,
    TicketContent,
    TicketLayout,
    is_printer_text,
    render_text,
    text_shaping_available,
)
from kiosk.tickets import TicketService

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_printed_ticket_decodes_back_to_what_the_database_holds(config, store,
                                                                sim_printer) -> None:
    ticket = TicketService(config, store).issue_ticket("A", "en")
    assert ticket.printed and ticket.problem is None
    record = store.get(ticket.id)
    assert (record.number, record.status) == (ticket.number, "printed")
    assert sim_printer.wait_for_jobs(1, timeout=10)
    raw = sim_printer.jobs[0]
    assert len(raw) == ticket.bytes_sent
    job = decode_job(raw)
    texts = [t.strip() for t in job.texts]
    assert record.number in texts
    assert f"People ahead: {ticket.people_ahead}" in texts
    assert job.qr_payloads == [record.id.encode()]
    assert len(job.cuts) == 1
    # The QR as a phone or the kiosk's scanner would read it off the paper.
    decoded = zxingcpp.read_barcodes(render_job_png(raw).convert("L"))
    assert [d.text for d in decoded] == [record.id]


@pytest.mark.parametrize(("lang", "tcvn3"), [("en", False), ("vi", True)])
def test_printed_ticket_names_the_counters(config, store, sim_printer, lang: str,
                                           tcvn3: bool) -> None:
    """The citizen reads on the paper where to go: the service's counters."""
    cfg = replace(config, printer_tcvn3=tcvn3)
    TicketService(cfg, store).issue_ticket("A", lang)  # counters 1 and 2 in the config
    assert sim_printer.wait_for_jobs(1, timeout=10)
    texts = [t.strip() for t in decode_job(sim_printer.jobs[0]).texts]
    assert translate(lang, "Counter: {numbers}").format(numbers="1, 2") in texts


def test_kho_ticket_rasterises_only_what_the_printer_cannot_encode(config, store,
                                                                   sim_printer) -> None:
    ticket = TicketService(config, store).issue_ticket("B", "kpm")
    assert sim_printer.wait_for_jobs(1, timeout=10)
    job = decode_job(sim_printer.jobs[0])
    texts = [t.strip() for t in job.texts]
    assert ticket.number in texts  # the number in the printer's own font
    assert any(t.startswith(f"{ticket.issued_at:%d/%m/%Y}") for t in texts)
    # centre name, service, counter, people ahead, closing line: Vietnamese (K'Ho falls back)
    blocks = job.raster_blocks(576)
    assert len(blocks) == 5
    for block in blocks:
        # cropped to the ink: the first and last rows hold black dots
        rows = [ink_box(block.crop((0, y, block.width, y + 1))) for y in (0, block.height - 1)]
        assert None not in rows
    for img in job.images:  # each strip cropped to its ink across (GS v 0 sends whole
        box = ink_box(img)  # bytes: the width is padded to a multiple of 8 with white)
        if box is not None:  # the blank strip between two wrapped lines only feeds paper
            assert box[0] == 0 and box[2] > img.width - 8


def test_raster_text_matches_the_rendered_line() -> None:
    """The raster on paper is the bundled font's drawing of the translated text."""
    text = translate("kpm", "People ahead: {count}").format(count=7)
    assert not is_printer_text(text)
    img = render_text(text, TicketLayout.AHEAD_SIZE, False, 576 - 2 * SIDE_MARGIN_DOTS)
    block = decode_job(_compose(lang="kpm", ahead=7)).raster_blocks(576)[3]  # after the counter
    box = ink_box(block)
    assert box is not None and block.crop(box).tobytes() == img.tobytes()
    # centred as the printer centres a whole raster padded to bytes
    assert box[0] == (576 - (img.width + 7) // 8 * 8) // 2


def test_text_is_shaped_so_stacked_marks_sit_right() -> None:
    """setup.sh installs libfribidi0, which turns on Pillow's HarfBuzz layout."""
    assert text_shaping_available(), "Pillow has no raqm layout: install libfribidi0"


def ink_box(img: Image.Image) -> tuple[int, int, int, int] | None:
    """The box around an image's black (printed) dots, None when it has none."""
    return ImageChops.invert(img.convert("L")).getbbox()


def _compose(lang: str, ahead: int) -> bytes:
    content = TicketContent("00ff00ff00ff00ff", "C042", "Trung tâm Phục vụ hành chính công",
                            "Đất đai", ahead, datetime(2026, 11, 28, 9, 30, tzinfo=HCM), lang,
                            counters=(4,))
    return TicketLayout(576).compose(content)


@pytest.mark.parametrize("fault", ["paper-out", "cover-open", "offline", "silent", "garbage",
                                   "slow", "disconnect-mid-job"])
def test_printer_that_cannot_print_gives_a_shown_not_printed_number(config, store, sim_printer,
                                                                    fault: str) -> None:
    sim_printer.set_fault(fault)
    ticket = TicketService(config, store).issue_ticket("A", "vi")
    assert not ticket.printed and ticket.number == "A001"
    record = store.get(ticket.id)
    assert record.status == "shown_not_printed" and record.print_error
    assert sim_printer.jobs == []  # nothing printed, not even half a ticket
    # The next citizen, after staff fixed it, gets the next number and a print of it only.
    sim_printer.set_fault(None)
    # Once the printer is done with the first connection: it serves one at a time, and the
    # slow one still "thinks" about its reply for a second after the kiosk gave up on it
    # (on a loaded machine the second ticket's status query then timed out as well).
    assert sim_printer.wait_for_closed(1, timeout=10)
    second = TicketService(config, store).issue_ticket("A", "vi")
    assert second.printed and second.number == "A002"
    assert sim_printer.wait_for_jobs(1, timeout=10)
    assert len(sim_printer.jobs) == 1
    assert decode_job(sim_printer.jobs[0]).qr_payloads == [second.id.encode()]


def test_paper_low_still_prints(config, store, sim_printer) -> None:
    sim_printer.set_fault("paper-low")
    assert TicketService(config, store).issue_ticket("A", "vi").printed


def test_unreachable_printer_still_gives_a_number(config, store) -> None:
    cfg = replace(config, printer_url=f"tcp://127.0.0.1:{free_port()}")
    ticket = TicketService(cfg, store).issue_ticket("D", "en")
    assert not ticket.printed and ticket.number == "D001"
    assert store.get(ticket.id).status == "shown_not_printed"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_ticket_json_reports_the_printed_ticket(tmp_path, sim_printer) -> None:
    proc = run_cli("ticket", "--service", "E", "--lang", "en", "--printer", sim_printer.url,
                   "--data-dir", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert set(report) >= {"id", "number", "service", "issued_at", "printed"}
    assert (report["number"], report["service"], report["printed"]) == ("E001", "E", True)
    assert datetime.fromisoformat(report["issued_at"]).utcoffset().total_seconds() == 7 * 3600
    assert sim_printer.wait_for_jobs(1, timeout=10)
    assert decode_job(sim_printer.jobs[0]).qr_payloads == [report["id"].encode()]


def test_cli_ticket_without_printer_exits_non_zero_and_says_why(tmp_path) -> None:
    proc = run_cli("ticket", "--service", "A", "--printer", f"tcp://127.0.0.1:{free_port()}",
                   "--data-dir", str(tmp_path), "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["printed"] is False
    assert "NOT printed" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_ticket_unknown_service_is_a_usage_error(tmp_path) -> None:
    proc = run_cli("ticket", "--service", "Z", "--data-dir", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "kiosk: error: --service 'Z': not a configured service; expected one of A, B, C, D, E")


def sim_printer_process(port: int, jobs, *extra: str) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    sim = subprocess.Popen([sys.executable, "-m", "kiosk", "sim", "printer", "--listen",
                            f"127.0.0.1:{port}", "--jobs", str(jobs), *extra],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert sim.stdout.readline().startswith(f"simulated printer on tcp://127.0.0.1:{port}")
    return sim


def test_cli_sim_printer_writes_each_job_to_a_file(tmp_path) -> None:
    port = free_port()
    jobs = tmp_path / "jobs"
    sim = sim_printer_process(port, jobs)
    try:
        proc = run_cli("ticket", "--service", "B", "--printer", f"tcp://127.0.0.1:{port}",
                       "--data-dir", str(tmp_path / "data"), "--json")
        assert proc.returncode == 0, proc.stderr
        number = json.loads(proc.stdout)["number"]
    finally:
        sim.terminate()
        sim.wait(30)
    files = sorted(jobs.glob("*.bin"))
    assert len(files) == 1
    assert number in [t.strip() for t in decode_job(files[0].read_bytes()).texts]


def test_cli_sim_printer_with_a_fault_prints_nothing(tmp_path) -> None:
    port = free_port()
    jobs = tmp_path / "jobs"
    sim = sim_printer_process(port, jobs, "--fault", "paper-out")
    try:
        proc = run_cli("ticket", "--service", "A", "--printer", f"tcp://127.0.0.1:{port}",
                       "--data-dir", str(tmp_path / "data"))
    finally:
        sim.terminate()
        sim.wait(30)
    assert proc.returncode == 1
    assert "A001 issued but NOT printed" in proc.stderr and "paper" in proc.stderr.lower()
    assert list(jobs.glob("*.bin")) == []


@pytest.mark.parametrize("lang", ["vi", "en", "kpm"])
def test_standard_ticket_on_80_mm_needs_at_most_4_kb(lang: str) -> None:
    """A whole-ticket raster is ~29 KB (30 s at 9600 baud); ours must stay under 4 KB."""
    job = _compose(lang=lang, ahead=12)
    assert len(job) <= 4096, len(job)


def _service_ticket(letter: str, lang: str, width: int) -> tuple[bytes, TicketContent]:
    """The ticket as the kiosk prints it for a configured service (its counters, no wait
    estimate: no centre), as benchmarks/ticket.py measures it."""
    cfg = load_config()
    area = cfg.service(letter)
    content = TicketContent("3f9a0c71d2e84b65", f"{letter}042", cfg.centre_name(lang),
                            area.name(lang), 12, datetime(2026, 11, 28, 9, 41, tzinfo=HCM),
                            lang, counters=area.counters)
    return TicketLayout(width).compose(content), content


def _found_on_page(page: Image.Image, drawing: Image.Image, x: int) -> bool:
    """`drawing` (mode "1") appears whole on the rendered page with its left edge at x."""
    want = drawing.convert("L").tobytes()
    return any(page.crop((x, y, x + drawing.width, y + drawing.height)).tobytes() == want
               for y in range(page.height - drawing.height + 1))


@pytest.mark.parametrize("width", [576, 384])
@pytest.mark.parametrize("lang", ["kpm", "rad"])
@pytest.mark.parametrize("letter", [area.letter for area in load_config().services])
def test_every_services_kho_and_ede_ticket_needs_at_most_4_kb_and_reads_as_before(
        letter: str, lang: str, width: int) -> None:
    """Issue 14: at most 4 KB on the wire (3.4 s at 9600 baud), and no less on the paper:
    the number in the printer's font, and every drawn line whole, as the bundled font
    draws it, where the printer would have centred it as one image."""
    job, content = _service_ticket(letter, lang, width)
    assert len(job) <= 4096, len(job)
    decoded = decode_job(job)
    assert content.number in [t.strip() for t in decoded.texts]
    page = render_job_png(job, width_dots=width)
    assert [d.text for d in zxingcpp.read_barcodes(page)] == [content.ticket_id]
    _ = lambda message: translate(lang, message)  # noqa: E731
    drawn = [(content.centre_name, TicketLayout.CENTRE_SIZE, False),
             (content.service_name, TicketLayout.SERVICE_SIZE, True),
             (_("Counter: {numbers}").format(numbers=", ".join(map(str, content.counters))),
              TicketLayout.COUNTERS_SIZE, True),
             (_("People ahead: {count}").format(count=12), TicketLayout.AHEAD_SIZE, False),
             (_("Please wait until your number is called."), TicketLayout.CLOSING_SIZE, False)]
    blocks = decoded.raster_blocks(width)
    assert len(blocks) == len(drawn)
    for block, (text, size, bold) in zip(blocks, drawn, strict=True):
        drawing = render_text(text, size, bold, width - 2 * SIDE_MARGIN_DOTS)
        box = ink_box(block)
        assert box is not None and block.crop(box).tobytes() == drawing.tobytes(), text
        assert box[0] == (width - (drawing.width + 7) // 8 * 8) // 2, text
        assert _found_on_page(page, drawing, box[0]), text


def test_raster_strips_switched_off_send_each_line_whole_onto_the_same_dots() -> None:
    """devices.printer_raster_strips = false, for a printer that ignores GS L."""
    job, content = _service_ticket("E", "kpm", 576)
    whole = TicketLayout(576, strips=False).compose(content)
    assert b"\x1dL" not in whole and len(decode_job(whole).images) == 5  # one per line
    assert len(job) < len(whole)
    assert render_job_png(job).tobytes() == render_job_png(whole).tobytes()


def test_tcvn3_switched_on_sends_vietnamese_as_printer_text(config, store, sim_printer) -> None:
    cfg = replace(config, printer_tcvn3=True)
    ticket = TicketService(cfg, store).issue_ticket("C", "vi")
    assert sim_printer.wait_for_jobs(1, timeout=10)
    raw = sim_printer.jobs[0]
    job = decode_job(raw)
    texts = [t.strip() for t in job.texts]
    assert cfg.centre_name("vi") in texts and cfg.service("C").name("vi") in texts
    assert translate("vi", "People ahead: {count}").format(count=ticket.people_ahead) in texts
    assert job.images == []  # nothing left to rasterise
    assert len(raw) < 1024


def test_tcvn3_never_carries_kho_letters() -> None:
    content = TicketContent("00ff00ff00ff00ff", "A001", "Trung tâm", "ƀơ̆ service", 0,
                            datetime(2026, 11, 28, 9, 30, tzinfo=HCM), "kpm")
    job = decode_job(TicketLayout(576, tcvn3=True).compose(content))
    assert "Trung tâm" in [t.strip() for t in job.texts]
    assert len(job.raster_blocks(576)) == 1  # the service name with K'Ho letters is drawn


def test_cli_sim_printer_on_a_pty_with_a_slow_link(tmp_path) -> None:
    link = tmp_path / "ttyPRINTER"
    sim = subprocess.Popen([sys.executable, "-m", "kiosk", "sim", "printer", "--pty", str(link),
                            "--baudrate", "38400", "--jobs", str(tmp_path / "jobs"), "--png"],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = sim.stdout.readline()
        assert line.startswith(f"simulated printer on serial://{link}?baudrate=38400")
        url = line.split()[3].rstrip(",")
        proc = run_cli("ticket", "--service", "A", "--lang", "kpm", "--printer", url,
                       "--data-dir", str(tmp_path / "data"), "--json")
        assert proc.returncode == 0, proc.stderr
    finally:
        sim.terminate()
        sim.wait(30)
    assert not link.exists()  # the simulator removes its link when it stops
    assert sorted(p.name for p in (tmp_path / "jobs").iterdir()) == ["job-0001.bin",
                                                                    "job-0001.png"]


def test_cli_sim_printer_takes_faults_at_run_time(tmp_path) -> None:
    port = free_port()
    sim = subprocess.Popen([sys.executable, "-m", "kiosk", "sim", "printer", "--listen",
                            f"127.0.0.1:{port}", "--jobs", str(tmp_path / "jobs")],
                           cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    url = f"tcp://127.0.0.1:{port}"
    data = str(tmp_path / "data")
    try:
        assert sim.stdout.readline().startswith(f"simulated printer on {url}")
        sim.stdin.write("paper-out\n")
        sim.stdin.flush()
        assert sim.stdout.readline().strip() == "simulated printer: paper-out"
        assert run_cli("ticket", "--service", "A", "--printer", url, "--data-dir", data
                       ).returncode == 1
        sim.stdin.write("ok\n")
        sim.stdin.flush()
        assert sim.stdout.readline().strip() == "simulated printer: ok"
        assert run_cli("ticket", "--service", "A", "--printer", url, "--data-dir", data
                       ).returncode == 0
        sim.stdin.write("jobs\n")
        sim.stdin.flush()
        assert sim.stdout.readline().strip() == "1 jobs printed"
    finally:
        sim.terminate()
        sim.wait(30)


def test_an_identified_ticket_keeps_only_a_salted_hash(config, store, sim_printer) -> None:
    from drivers.idcard import parse_cccd_qr

    qr = "068199006789||K'Sơr Ha Ƀiă|01011999|Nữ|Thôn Đạ Nghịt, xã Lạc Dương, Lâm Đồng|15082021"
    service = TicketService(config, store)
    first = service.issue_ticket("A", "kpm", parse_cccd_qr(qr))
    second = service.issue_ticket("B", "kpm", parse_cccd_qr(qr))
    anonymous = service.issue_ticket("A", "kpm")
    link = store.get(first.id).person_hash
    assert link and len(link) == 64 and link == store.get(second.id).person_hash
    assert store.get(anonymous.id).person_hash is None
    assert sim_printer.wait_for_jobs(3, timeout=10)
    # Nothing personal anywhere on disk or paper: database, its WAL, the printed bytes.
    secrets_ = ["068199006789", "99006789", "K'Sơr", "Ƀiă", "01011999", "1999-01-01",
                "Đạ Nghịt"]
    blobs = [p.read_bytes() for p in config.data_dir.iterdir() if p.is_file()]
    blobs += sim_printer.jobs
    for blob in blobs:
        for secret in secrets_:
            assert secret.encode() not in blob
    salt = (config.data_dir / "person-salt.bin").stat()
    assert salt.st_size == 32 and salt.st_mode & 0o077 == 0


def test_the_number_is_handed_over_once_committed_and_before_anything_prints(
    config, store, sim_printer
) -> None:
    seen = []
    queries_before = sim_printer.status_queries

    def on_number(pending) -> None:  # type: ignore[no-untyped-def]
        # Called on the issuing thread, between the commit and the print.
        seen.append((pending, store.get(pending.id).status, len(sim_printer.jobs),
                     sim_printer.status_queries))

    ticket = TicketService(config, store).issue_ticket("A", "vi", on_number=on_number)
    [(pending, status_then, jobs_then, queries_then)] = seen
    assert pending.pending and not pending.printed and pending.problem is None
    assert (pending.id, pending.number, pending.people_ahead) == (
        ticket.id, ticket.number, ticket.people_ahead)
    assert status_then == "allocated" and jobs_then == 0  # committed, not yet printed
    # Not even asked yet: a silent printer's timeout cannot delay the number.
    assert queries_then == queries_before < sim_printer.status_queries
    assert ticket.printed and not ticket.pending
    assert sim_printer.wait_for_jobs(1, timeout=10)


def test_an_unreachable_printer_hands_the_number_over_too(config, store) -> None:
    seen = []
    cfg = replace(config, printer_url=f"tcp://127.0.0.1:{free_port()}")
    ticket = TicketService(cfg, store).issue_ticket("A", "vi", on_number=seen.append)
    assert [t.number for t in seen] == [ticket.number] and seen[0].pending
    assert not ticket.printed and not ticket.pending and ticket.problem


def test_an_unexpected_failure_after_the_commit_still_gives_a_recorded_number(
    config, store, caplog
) -> None:
    from kiosk.devices import PrinterSupervisor

    def broken_driver(url: str):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug in a driver")  # not a PrinterError: unexpected

    seen = []
    service = TicketService(config, store, PrinterSupervisor(config.printer_url,
                                                             printer_factory=broken_driver))
    ticket = service.issue_ticket("B", "vi", on_number=seen.append)
    assert [t.number for t in seen] == [ticket.number]  # the citizen saw it...
    assert not ticket.printed and ticket.problem == "printing failed: RuntimeError"
    assert store.get(ticket.id).status == "shown_not_printed"  # ...and it is on record
    assert "a bug in a driver" in caplog.text  # with its trace, for staff


def test_a_failing_number_callback_does_not_stop_the_ticket(config, store, sim_printer) -> None:
    def broken_screen(_ticket) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("the screen is gone")

    ticket = TicketService(config, store).issue_ticket("A", "vi", on_number=broken_screen)
    assert ticket.printed and store.get(ticket.id).status == "printed"


# -- a TCP printer behind a slow serial bridge (issue 10, item 9) ---------------------------
def test_a_ticket_through_a_9600_baud_bridge_is_recorded_as_printed(config, store) -> None:
    """The whole K'Ho ticket (about 3.5 KB, some 3.7 s on a 9600-baud wire) reaches the
    printer, so the database must say printed, and the printer got exactly that job."""
    from drivers.sim import SimPrinter

    with SimPrinter(baudrate=9600) as bridge:
        cfg = replace(config, printer_url=bridge.url)
        service = TicketService(cfg, store)
        ticket = service.issue_ticket("B", "kpm")
        assert bridge.wait_for_jobs(1, timeout=30)
    record = store.get(ticket.id)
    assert (ticket.printed, record.status) == (True, "printed"), ticket.problem
    sent = service.layout.compose(TicketContent(
        ticket_id=record.id, number=record.number, centre_name=cfg.centre_name("kpm"),
        service_name=cfg.service("B").name("kpm"), people_ahead=ticket.people_ahead,
        issued_at=record.issued_at, lang="kpm", counters=cfg.service("B").counters))
    assert len(sent) > 3000  # a job longer than the old 3 s budget at this speed
    assert bridge.jobs == [sent]
    assert decode_job(bridge.jobs[0]).qr_payloads == [record.id.encode()]
