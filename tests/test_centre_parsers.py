"""Every parser of the centre's input, fuzzed: what staff type (listen addresses, host
names, codes, fingerprints, the [centre_service] table) and what a terminal sends (JSON
bodies, times, tokens). Each either gives a value or refuses with its own one-line error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kiosk.centre.pki import normalise_fingerprint
from kiosk.centre.requests import ApiError, moment, parse_body
from kiosk.centre.terminals import CODE_ALPHABET, normalise_code
from kiosk.config import ConfigError, is_host_name, load_config, parse_listen


@settings(deadline=None)  # a loaded machine: speed is for benchmarks
@given(st.text(max_size=80))
@example("[::1]:8443")
@example("centre.lan:0")
@example(":8443")
@example("host:８４４３")  # full-width digits: isdigit() says yes, int() would take them
def test_parse_listen_gives_a_port_in_range_or_a_value_error(text: str) -> None:
    try:
        host, port = parse_listen(text)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    assert 1 <= port <= 65535 and is_host_name(host)


@pytest.mark.parametrize(("text", "expected"), [
    ("0.0.0.0:8443", ("0.0.0.0", 8443)),
    ("[::]:8443", ("::", 8443)),
    ("centre.lan:443", ("centre.lan", 443)),
])
def test_parse_listen_reads_what_staff_write(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@settings(deadline=None)  # a loaded machine: speed is for benchmarks
@given(st.text(max_size=40))
@example("ppjg-vqhm-dkhd-yd28")
@example("OOOO IIII LLLL 0000")
def test_a_typed_code_is_sixteen_code_letters_or_refused(text: str) -> None:
    try:
        code = normalise_code(text)
    except ValueError:
        return
    assert len(code) == 16 and set(code) <= set(CODE_ALPHABET)


@settings(deadline=None)  # a loaded machine: speed is for benchmarks
@given(st.text(max_size=120))
def test_a_typed_fingerprint_is_32_hex_pairs_or_refused(text: str) -> None:
    try:
        shown = normalise_fingerprint(text)
    except ValueError:
        return
    assert len(shown.split(":")) == 32 and normalise_fingerprint(shown) == shown


@settings(deadline=None)  # a loaded machine: speed is for benchmarks
@given(raw=st.binary(max_size=300), content_type=st.sampled_from(
    [None, "application/json", "application/json; charset=utf-8", "text/plain"]))
@example(raw=b"[" * 5000 + b"]" * 5000, content_type="application/json")
@example(raw=b'{"a": NaN}', content_type="application/json")
def test_a_body_is_a_json_object_or_a_sentence(raw: bytes, content_type: str | None) -> None:
    try:
        assert isinstance(parse_body(raw, content_type), dict)
    except ApiError as exc:
        assert exc.status in (400, 415) and "\n" not in str(exc)


@settings(deadline=None)  # a loaded machine: speed is for benchmarks
@given(st.one_of(st.text(max_size=40), st.integers(), st.none(), st.lists(st.text())))
@example("2026-11-30T08:00:00+07:00")
@example("2026-11-30T08:00:00")
def test_a_time_field_is_aware_or_refused(value: object) -> None:
    try:
        when = moment({"issued_at": value}, "issued_at")
    except ApiError as exc:
        assert exc.status == 400 and "\n" not in str(exc)
        return
    assert when is None or when.tzinfo is not None


table_values = st.one_of(st.text(max_size=30), st.integers(), st.booleans(),
                         st.lists(st.text(max_size=20), max_size=3))


def toml_value(value: object) -> str:
    """`value` written as TOML: strings with every character outside printable ASCII
    escaped, so any text survives the file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, str)
    return '"' + "".join(c if c.isascii() and c.isprintable() and c not in '"\\'
                         else f"\\U{ord(c):08X}" for c in value) + '"'


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(["database", "listen", "state_dir", "hostnames"]),
       value=table_values)
def test_any_centre_service_table_loads_or_is_one_config_error(
        tmp_path_factory: pytest.TempPathFactory, key: str, value: object) -> None:
    path = Path(tmp_path_factory.mktemp("cfg")) / "centre.toml"
    path.write_text(f"[centre_service]\n{key} = {toml_value(value)}\n", encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as exc:
        assert "\n" not in str(exc) and f"centre_service.{key}" in str(exc)
