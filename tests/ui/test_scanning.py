"""Scans through a real scanner on a pty, into the real window."""

from __future__ import annotations

import sqlite3

from kiosk.session import Screen

CCCD = ("068199006789||K'Sơr Ha Ƀiă|01011999|Nữ|Thôn Đạ Nghịt, xã Lạc Dương, Lâm Đồng|"
        "15082021")
SECRETS = ["068199006789", "99006789", "K'Sơr", "Ƀiă", "01011999", "Đạ Nghịt"]


def shown(k) -> str:  # type: ignore[no-untyped-def]
    return k.app.manager.current


def choose(k, name: str) -> None:  # type: ignore[no-untyped-def]
    k.harness.tap(k.app.screen("attract"))
    k.harness.next_frame()
    [button] = [b for b in k.app.screen("language").ids.choices.children if b.text == name]
    k.harness.tap(button)
    k.harness.next_frame()


def test_identify_greets_prefills_and_forgets(k, caplog) -> None:  # type: ignore[no-untyped-def]
    choose(k, "Kơho")
    assert shown(k) == "identify"
    assert k.scanner.scan(CCCD.encode())
    k.harness.wait_until(lambda: k.session.screen is Screen.HOME, "home after the card")
    k.harness.settle()
    # K'Ho falls back to Vietnamese, with the small mark that tells staff it is missing.
    assert k.app.banner == "Xin chào, Ƀiă!\u2009·"
    identity = k.session.data.identity
    assert identity.given_name == "Ƀiă"
    k.harness.tap(k.app.screen("home").ids.take_number)
    k.harness.next_frame()
    jobs = len(k.printer.jobs)
    [button] = [b for b in k.app.screen("services").ids.choices.children if b.letter == "E"]
    k.harness.tap(button)
    k.harness.wait_until(lambda: k.session.screen is Screen.TICKET, "the ticket")
    k.harness.settle()  # a person taps only what has been drawn
    record = k.store.get(k.app.last_ticket.id)
    assert record.person_hash and len(record.person_hash) == 64
    assert k.printer.wait_for_jobs(jobs + 1, timeout=10)
    k.harness.tap(k.app.screen("ticket").ids.done)
    k.harness.next_frame()
    assert shown(k) == "attract" and k.app.banner == ""
    assert identity.wiped and identity.id_number == "" and k.session.data.identity is None
    # Nothing personal reached the database, the printer or the log.
    path = k.app.kiosk_config.database_path
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(FULL)")
    blobs = [p.read_bytes() for p in path.parent.iterdir() if p.is_file()]
    blobs += k.printer.jobs
    blobs.append(caplog.text.encode())
    for blob in blobs:
        for secret in SECRETS:
            assert secret.encode() not in blob, secret


def test_scanning_a_ticket_shows_where_it_stands(k) -> None:  # type: ignore[no-untyped-def]
    ticket = k.app.tickets.issue_ticket("C", "vi")
    assert shown(k) == "attract"
    assert k.scanner.scan(ticket.id.encode())
    k.harness.wait_until(lambda: k.session.screen is Screen.TICKET_STATUS, "ticket status")
    k.harness.settle()
    screen = k.app.screen("ticket_status")
    assert screen.ids.number.text == ticket.number
    assert screen.ids.ahead.text == f"Số người chờ trước: {ticket.people_ahead}"
    k.harness.tap(screen.ids.done)
    k.harness.next_frame()
    assert shown(k) == "home"


def test_unknown_and_refused_codes_get_a_calm_message(k) -> None:  # type: ignore[no-untyped-def]
    choose(k, "English")
    k.harness.tap(k.app.screen("identify").ids.skip)
    k.harness.next_frame()
    assert k.scanner.scan(b"https://example.org/some-advert")
    k.harness.wait_until(lambda: k.app.banner != "", "a message")
    assert k.app.banner == "This code is not one the kiosk knows. Please ask the staff."
    assert k.scanner.scan(CCCD.replace("01011999", "31021999").encode())
    k.harness.wait_until(lambda: "ID card" in k.app.banner, "the ID card message")
    assert shown(k) == "home" and k.session.data.identity is None
    assert k.scanner.scan(b"\xff" * 20_000)  # a hostile, huge code
    k.harness.wait_until(lambda: "could not be read" in k.app.banner or
                         "not one the kiosk knows" in k.app.banner, "a message")
    assert shown(k) == "home"


# A made-up Vietnamese card (check digits worked by hand in tests/drivers/test_drv_idcard_mrz.py)
VN_MRZ = ("IDVNM1920045670068192004567<<6",
          "9203158F3203156VNM<<<<<<<<<<<4",
          "NGUYEN<<THI<MAI<<<<<<<<<<<<<<<")


def test_identify_with_the_mrz_reader(k) -> None:  # type: ignore[no-untyped-def]
    choose(k, "Tiếng Việt")
    assert shown(k) == "identify"
    k.mrz_reader.send_garbage(40)  # noise on the line first: no crash, no identity
    k.mrz_reader.send_mrz(VN_MRZ)
    k.harness.wait_until(lambda: k.session.screen is Screen.HOME, "home after the MRZ")
    identity = k.session.data.identity
    assert identity.id_number == "068192004567" and identity.given_name == "MAI"
    assert k.app.banner == "Xin chào, Mai!"
    k.session.end()
    assert identity.wiped


def test_the_chip_completes_the_mrz_identity(k) -> None:  # type: ignore[no-untyped-def]
    from drivers.idcard import parse_td1
    from drivers.sim.emrtd_card import FakeCccdChip, dg1, dg13

    ef_com = bytes.fromhex("60145F0104303130365F36063034303030305C026175")
    fields = {1: "068192004567", 2: "Nguyễn Thị Mai", 3: "15/03/1992", 4: "Nữ",
              9: "Thôn Đưng K'Si, Xã Lạc Dương, Tỉnh Lâm Đồng"}
    k.chip_card["card"] = FakeCccdChip(parse_td1(VN_MRZ).mrz_information,
                                       {0x011E: ef_com, 0x0101: dg1(VN_MRZ),
                                        0x010D: dg13(fields)})
    choose(k, "English")
    k.mrz_reader.send_mrz(VN_MRZ)
    k.harness.wait_until(lambda: getattr(k.session.data.identity, "source", "") == "chip",
                         "the chip's identity")
    identity = k.session.data.identity
    assert identity.full_name == "Nguyễn Thị Mai" and "Lạc Dương" in identity.address
    assert k.app.banner == "Hello, Mai!"
    k.session.end()
    assert identity.wiped


def test_without_the_chip_the_mrz_identity_stays(k) -> None:  # type: ignore[no-untyped-def]
    choose(k, "English")
    k.mrz_reader.send_mrz(VN_MRZ)  # no card on the chip reader
    k.harness.wait_until(lambda: k.session.screen is Screen.HOME, "home after the MRZ")
    assert k.session.data.identity.full_name == "NGUYEN THI MAI"


def test_a_message_said_soon_after_another_gets_its_own_time(k) -> None:  # type: ignore[no-untyped-def]
    # A greeting, then a few frames later a code the kiosk does not know: the second
    # message stays its full time from when it was said, not what was left of the first's.
    choose(k, "English")
    k.app.say("first")
    clear = k.app._banner_clear
    first_deadline = clear._last_dt + clear.timeout
    k.harness.settle()
    assert k.scanner.scan(b"https://example.org/an-advert")
    k.harness.wait_until(lambda: k.app.banner.startswith("This code is not"), "the message")
    assert clear.is_triggered
    assert clear._last_dt + clear.timeout > first_deadline
