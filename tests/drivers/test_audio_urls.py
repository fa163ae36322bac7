"""Speaker and microphone URLs: what they choose, and one-line ValueErrors naming the scheme
or key otherwise (fuzzed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.audio.capture import parse_source_url
from drivers.audio.output import parse_output_url


@pytest.mark.parametrize(("url", "scheme", "device", "path", "speed"), [
    ("sounddevice://", "sounddevice", None, None, 1.0),
    ("sounddevice://2", "sounddevice", 2, None, 1.0),
    ("sounddevice://USB%20Audio%20Device", "sounddevice", "USB Audio Device", None, 1.0),
    ("sounddevice://hw:1,0", "sounddevice", "hw:1,0", None, 1.0),
    ("file:///tmp/out.wav", "file", None, Path("/tmp/out.wav"), 1.0),
    ("file:///tmp/out%20x.wav?speed=20", "file", None, Path("/tmp/out x.wav"), 20.0),
    ("FILE://localhost/tmp/o.wav?speed=0.5", "file", None, Path("/tmp/o.wav"), 0.5),
    ("null://", "null", None, None, 1.0),
])
def test_speaker_urls(url: str, scheme: str, device: object, path: Path | None,
                      speed: float) -> None:
    u = parse_output_url(url)
    assert (u.scheme, u.device, u.path, u.speed) == (scheme, device, path, speed)


@pytest.mark.parametrize(("url", "scheme", "rate", "seed", "speed"), [
    ("sounddevice://?rate=44100", "sounddevice", 44100, 0, 1.0),
    ("file:///tmp/take.wav?speed=4&rate=16000", "file", 16000, 0, 4.0),
    ("sim://voice", "sim", None, 0, 1.0),
    ("sim://voice?seed=7&speed=10", "sim", None, 7, 10.0),
])
def test_microphone_urls(url: str, scheme: str, rate: int | None, seed: int,
                         speed: float) -> None:
    u = parse_source_url(url)
    assert (u.scheme, u.rate, u.seed, u.speed) == (scheme, rate, seed, speed)


@pytest.mark.parametrize(("url", "named"), [
    ("pulse://", "'pulse'"),
    ("sim://voice", "'sim'"),               # not a speaker
    ("file:///tmp/o.wav?volume=3", "'volume'"),
    ("null://?speed=2", "'speed'"),
    ("sounddevice://?rate=48000", "'rate'"),  # speakers take the clip's rate
    ("file:///tmp/o.wav?speed=0", "speed="),
    ("file:///tmp/o.wav?speed=nan", "speed="),
    ("file:///tmp/o.wav?speed=1&speed=2", "speed"),
    ("file://host/tmp/o.wav", "three slashes"),
    ("file:///", "no file path"),
    ("null://x", "null://"),
    ("/tmp/o.wav", "no scheme"),
    ("", "empty"),
    ("file:///tmp/o.wav#x", "fragment"),
])
def test_bad_speaker_urls_name_the_problem(url: str, named: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_output_url(url)
    assert named in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize(("url", "named"), [
    ("null://", "'null'"),
    ("sim://printer", "sim://voice"),
    ("sim://voice?fault=1", "'fault'"),
    ("sounddevice://?rate=100", "rate=100"),
    ("file:///tmp/t.wav?seed=1", "'seed'"),
])
def test_bad_microphone_urls_name_the_problem(url: str, named: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_source_url(url)
    assert named in str(e.value)


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_any_text_parses_or_is_a_value_error(text: str) -> None:
    for parse in (parse_output_url, parse_source_url):
        try:
            parse(text)
        except ValueError as e:
            assert str(e) and "\n" not in str(e)


@settings(max_examples=300)
@given(st.sampled_from(["sounddevice", "file", "null", "sim", "xyz"]),
       st.text(alphabet="/abc:%20voice.wav", max_size=20),
       st.dictionaries(st.sampled_from(["speed", "rate", "seed", "volume", ""]),
                       st.text(alphabet="0123456789.-enaif", max_size=6), max_size=3))
def test_url_shaped_input_parses_or_is_a_value_error(scheme: str, rest: str,
                                                     query: dict[str, str]) -> None:
    url = f"{scheme}://{rest}" + ("?" + "&".join(f"{k}={v}" for k, v in query.items())
                                  if query else "")
    for parse in (parse_output_url, parse_source_url):
        try:
            u = parse(url)
        except ValueError as e:
            assert "\n" not in str(e)
        else:
            assert u.scheme == scheme and 0 < u.speed <= 10_000
