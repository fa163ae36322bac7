"""drivers.audio.clip: clips, their files (real .wav/.ogg/.flac through libsndfile), resampling
and joining; garbage files are one-sentence AudioFileErrors."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.audio.clip import (
    AudioFileError,
    Clip,
    clip_bytes,
    concat,
    read_clip,
    resample,
    silence,
    write_clip,
)
from drivers.sim.voice import speech_like


def tone(seconds: float = 0.5, rate: int = 48000, freq: float = 440.0,
         level: float = 0.5) -> Clip:
    t = np.arange(int(seconds * rate)) / rate
    return Clip((level * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


def test_clip_is_mono_float32_read_only_and_knows_its_length() -> None:
    c = Clip(np.zeros(24000, np.float64), 48000)
    assert c.samples.dtype == np.float32 and c.seconds == 0.5 and c.frames == 24000
    with pytest.raises(ValueError):
        c.samples[0] = 1.0
    mine = np.zeros(10, np.float32)
    Clip(mine, 8000)
    mine[0] = 0.5  # the caller's own array stays theirs
    with pytest.raises(ValueError, match="mono"):
        Clip(np.zeros((10, 2), np.float32), 48000)
    with pytest.raises(ValueError, match="rate"):
        Clip(np.zeros(10, np.float32), 0)


@pytest.mark.parametrize("fmt", ["wav", "ogg", "flac"])
def test_written_clip_reads_back(tmp_path: Path, fmt: str) -> None:
    c = tone(1.0)
    path = tmp_path / f"t.{fmt}"
    write_clip(path, c, fmt)
    back = read_clip(path)
    assert back.rate == 48000
    assert abs(back.seconds - 1.0) < 0.01
    if fmt != "ogg":  # lossless: the same samples to 16-bit precision
        assert np.max(np.abs(back.samples - c.samples)) < 1e-4
    else:  # lossy, but the same tone at the same level
        n = min(len(back.samples), len(c.samples))
        rms = float(np.sqrt(np.mean(back.samples[:n] ** 2)))
        assert abs(rms - 0.5 / np.sqrt(2)) < 0.02
    assert path.read_bytes() == clip_bytes(c, fmt) or fmt == "ogg"  # Vorbis has a serial no.


def test_ogg_is_vorbis_and_small(tmp_path: Path) -> None:
    import soundfile as sf

    c = speech_like(3.0)
    data = clip_bytes(c, "ogg")
    info = sf.info(io.BytesIO(data))
    assert (info.format, info.subtype) == ("OGG", "VORBIS")
    assert len(data) < len(clip_bytes(c, "wav")) / 4


def test_stereo_is_mixed_to_mono(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    left = (np.full(4800, 0.5) * 32767).astype("<i2")
    right = np.zeros(4800, "<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(np.column_stack([left, right]).tobytes())
    c = read_clip(path)
    assert c.samples.shape == (4800,)
    assert abs(float(c.samples.mean()) - 0.25) < 1e-3


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"not audio at all",
                                     b"OggS" + bytes(200), bytes(range(256)) * 10])
def test_garbage_file_is_one_sentence(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "take.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFileError) as e:
        read_clip(path)
    text = str(e.value)
    assert "take.wav" in text and "\n" not in text and "Traceback" not in text


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="nothing.ogg"):
        read_clip(tmp_path / "nothing.ogg")


def test_too_long_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    write_clip(path, silence(2.0, 8000), "wav")
    with pytest.raises(AudioFileError, match="longer than 1 s"):
        read_clip(path, max_seconds=1.0)


def test_float_wav_with_nan_and_overs_is_cleaned(tmp_path: Path) -> None:
    import soundfile as sf

    path = tmp_path / "float.wav"
    sf.write(str(path), np.array([np.nan, 3.0, -7.0, 0.25], np.float32), 8000,
             subtype="FLOAT")
    assert read_clip(path).samples.tolist() == [0.0, 1.0, -1.0, 0.25]


def test_unknown_format_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mp3"):
        write_clip(tmp_path / "x.mp3", tone(), "mp3")


@settings(max_examples=60)
@given(st.binary(max_size=2000), st.sampled_from(["wav", "ogg", "flac", "bin"]))
def test_read_clip_on_garbage_bytes_never_raises_anything_else(data: bytes, ext: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"f.{ext}"
        path.write_bytes(data)
        try:
            c = read_clip(path)
        except AudioFileError as e:
            assert "\n" not in str(e)
        else:
            assert c.samples.ndim == 1 and np.all(np.abs(c.samples) <= 1.0)


@settings(max_examples=80)
@given(st.integers(0, 20000), st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000]),
       st.sampled_from([8000, 16000, 44100, 48000, 96000]))
def test_resample_keeps_the_duration(n: int, rate: int, to: int) -> None:
    c = Clip(np.linspace(-1, 1, n, dtype=np.float32), rate)
    r = resample(c, to)
    assert r.rate == to
    assert abs(r.seconds - c.seconds) <= 1.0 / to
    assert np.all(np.abs(r.samples) <= 1.0)
    if to == rate:
        assert r is c


@settings(max_examples=80)
@given(st.lists(st.tuples(st.integers(0, 5000), st.sampled_from([8000, 16000, 48000])),
                max_size=5),
       st.floats(0, 0.5), st.sampled_from([None, 16000, 48000]))
def test_concat_duration_is_the_sum_plus_pauses(parts: list[tuple[int, int]], pause: float,
                                                 rate: int | None) -> None:
    clips = [Clip(np.full(n, 0.1, np.float32), r) for n, r in parts]
    out = concat(clips, pause=pause, rate=rate)
    want_rate = rate or (clips[0].rate if clips else 48000)
    assert out.rate == want_rate
    expected = sum(c.seconds for c in clips) + pause * max(0, len(clips) - 1)
    assert abs(out.seconds - expected) <= (2 * len(clips) + 1) / want_rate


def test_concat_puts_silence_between() -> None:
    a = Clip(np.ones(100, np.float32) * 0.5, 1000)
    out = concat([a, a], pause=0.05)
    assert out.samples.tolist() == [0.5] * 100 + [0.0] * 50 + [0.5] * 100


def test_silence() -> None:
    s = silence(0.25, 16000)
    assert s.frames == 4000 and not s.samples.any()
    with pytest.raises(ValueError):
        silence(-1, 16000)


@pytest.mark.parametrize("subtype", ["OPUS", "VORBIS"])
def test_ogg_opus_and_stereo_vorbis_from_elsewhere_are_read(tmp_path: Path,
                                                             subtype: str) -> None:
    """Recordings made on a phone or by a translator's tool arrive as Ogg Opus or stereo."""
    import soundfile as sf

    path = tmp_path / "prompt.ogg"
    t = np.arange(48000) / 48000
    wave_ = 0.3 * np.sin(2 * np.pi * 440 * t)
    sf.write(str(path), np.column_stack([wave_, wave_]).astype(np.float32), 48000,
             format="OGG", subtype=subtype)
    c = read_clip(path)
    assert c.rate == 48000 and abs(c.seconds - 1.0) < 0.02
    assert abs(float(np.sqrt(np.mean(c.samples ** 2))) - 0.3 / np.sqrt(2)) < 0.02
