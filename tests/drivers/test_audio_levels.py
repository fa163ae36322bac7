"""drivers.audio.levels.check_take: what a listener would say about a take (silent, too quiet,
clipped, too short, too long), and the take trimmed and brought to -20 LUFS. Fuzzed: never
raises, stays within [-1, 1], never longer than the take."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from drivers.audio.clip import Clip, concat, silence
from drivers.audio.levels import (
    MARGIN_SECONDS,
    PEAK_LIMIT_DBFS,
    TARGET_LUFS,
    TakeProblem,
    check_take,
    loudness,
)
from drivers.sim.voice import speech_like

RATE = 48000


def noise(seconds: float, dbfs: float, seed: int = 0, rate: int = RATE) -> Clip:
    """Room noise: white, at ``dbfs`` RMS (a lobby's hubbub is broadband too)."""
    rng = np.random.default_rng(seed)
    return Clip((rng.standard_normal(int(seconds * rate)) * 10 ** (dbfs / 20))
                .clip(-1, 1).astype(np.float32), rate)


def mix(a: Clip, b: Clip) -> Clip:
    n = min(a.frames, b.frames)
    return Clip(np.clip(a.samples[:n] + b.samples[:n], -1, 1), a.rate)


def final_loudness(clip: Clip) -> float:
    value = loudness(clip.samples, clip.rate)
    assert value is not None
    return value


def test_a_good_take_is_kept_trimmed_and_normalised() -> None:
    take = speech_like(1.5, -28.0, seed=11, lead=1.0, tail=1.0)
    check = check_take(take)
    assert check.ok and check.clip is not None
    # Trimmed to the voice and a margin: most of the 2 s of room is gone.
    assert 1.5 <= check.clip.seconds <= 1.5 + 2 * MARGIN_SECONDS + 0.05
    peak = float(np.max(np.abs(check.clip.samples)))
    assert 20 * math.log10(peak) <= PEAK_LIMIT_DBFS + 0.01
    # -20 LUFS, unless the peak limit held it lower.
    lufs = final_loudness(check.clip)
    assert lufs == pytest.approx(TARGET_LUFS, abs=0.3) or \
        20 * math.log10(peak) == pytest.approx(PEAK_LIMIT_DBFS, abs=0.01)
    assert check.loudness_lufs is not None and check.loudness_lufs < -25
    assert 0.8 < check.voiced_seconds <= 1.5


@pytest.mark.parametrize(("voice_db", "noise_db", "problems"), [
    (-25.0, -50.0, ()),                            # normal voice, lobby noise
    (-20.0, -45.0, ()),                            # a louder voice in a noisier lobby
    (-32.0, -60.0, ()),                            # a soft voice in a quiet room
    (-38.0, -45.0, (TakeProblem.TOO_QUIET,)),      # barely above the hubbub
    (-46.0, -75.0, (TakeProblem.TOO_QUIET,)),      # microphone gain far too low
])
def test_a_voice_in_a_lobby(voice_db: float, noise_db: float,
                            problems: tuple[TakeProblem, ...]) -> None:
    take = mix(speech_like(2.0, voice_db, seed=12, lead=0.5, tail=0.5),
               noise(3.0, noise_db, seed=13))
    check = check_take(take)
    assert tuple(p for p in check.problems if p is not TakeProblem.TOO_SHORT) == problems
    if not problems:
        assert check.ok


@pytest.mark.parametrize("noise_db", [-75.0, -55.0, -45.0, -35.0])
def test_room_noise_alone_is_silent(noise_db: float) -> None:
    check = check_take(noise(2.0, noise_db, seed=14))
    assert check.problems == (TakeProblem.SILENT,) and check.clip is None


def test_digital_silence_and_nothing_are_silent() -> None:
    for clip in (silence(1.0, RATE), silence(0.0, RATE)):
        check = check_take(clip)
        assert check.problems == (TakeProblem.SILENT,)
        assert check.peak_dbfs == -120.0 and check.loudness_lufs is None
        assert check.voiced_seconds == 0.0


def test_a_click_is_too_short() -> None:
    click = concat([silence(0.5, RATE), speech_like(0.05, -18, seed=15, lead=0, tail=0),
                    silence(0.5, RATE)])
    check = check_take(click)
    assert TakeProblem.TOO_SHORT in check.problems and check.clip is not None


def test_clipping_is_a_run_at_full_scale_not_one_peak() -> None:
    take = speech_like(1.0, -18, seed=16)
    one_peak = take.samples.copy()
    one_peak[30000] = 1.0
    assert check_take(Clip(one_peak, RATE)).ok
    flat = take.samples.copy()
    flat[30000:30004] = -1.0
    assert check_take(Clip(flat, RATE)).problems == (TakeProblem.CLIPPED,)


def test_too_long_counts_the_spoken_part() -> None:
    assert check_take(speech_like(3.0, seed=17, lead=5, tail=5), max_seconds=4.0).ok
    check = check_take(speech_like(5.0, seed=17), max_seconds=4.0)
    assert check.problems == (TakeProblem.TOO_LONG,)


def test_a_dc_offset_changes_nothing() -> None:
    take = speech_like(1.0, -25, seed=18)
    offset = Clip(np.clip(take.samples + 0.2, -1, 1), RATE)
    assert check_take(take).ok and check_take(offset).ok
    assert check_take(silence(1.0, RATE)).problems == \
        check_take(Clip(np.full(RATE, 0.2, np.float32), RATE)).problems


def test_peaky_take_is_limited_to_minus_one_dbfs() -> None:
    # Quiet speech with a loud knock: -20 LUFS would push the knock over full scale.
    take = speech_like(1.0, -35, seed=19).samples.copy()
    take[20000:20050] = 0.9
    check = check_take(Clip(take, RATE))
    assert check.clip is not None
    assert 20 * math.log10(float(np.max(np.abs(check.clip.samples)))) <= PEAK_LIMIT_DBFS + 0.01


def test_short_and_low_rate_takes_are_measured() -> None:
    short = speech_like(0.2, -20, seed=20, lead=0.02, tail=0.02)  # under pyloudnorm's 0.4 s
    check = check_take(short)
    assert check.loudness_lufs is not None and check.clip is not None
    low = speech_like(1.0, -20, seed=21, rate=4000)
    assert check_take(low).clip is not None


@settings(max_examples=150)
@given(arrays(np.float32, st.integers(0, 30000),
              elements=st.one_of(st.floats(-4, 4, width=32),
                                 st.sampled_from([math.nan, math.inf, -math.inf, 1.0, -1.0]))),
       st.sampled_from([1, 100, 4000, 8000, 16000, 44100, 48000]),
       st.floats(0.01, 60))
def test_any_samples_never_raise(samples: np.ndarray, rate: int, max_seconds: float) -> None:
    # Clip refuses nothing about values: a float file may hold NaN or 4.0.
    check = check_take(Clip(samples, rate), max_seconds=max_seconds)
    assert all(isinstance(p, TakeProblem) for p in check.problems)
    assert (check.clip is None) == (TakeProblem.SILENT in check.problems)
    assert math.isfinite(check.peak_dbfs) and check.voiced_seconds >= 0
    if check.clip is not None:
        assert check.clip.frames <= len(samples) and check.clip.rate == rate
        assert np.all(np.abs(check.clip.samples) <= 1.0)
        assert np.all(np.isfinite(check.clip.samples))


@settings(max_examples=60)
@given(st.floats(0, 3), st.floats(-60, -3), st.integers(0, 2**16), st.floats(0, 1),
       st.floats(0, 1))
def test_speech_like_takes_never_grow(seconds: float, level: float, seed: int, lead: float,
                                      tail: float) -> None:
    take = speech_like(seconds, level, seed=seed, lead=lead, tail=tail, rate=16000)
    check = check_take(take)
    if check.clip is not None:
        assert check.clip.frames <= take.frames
        assert np.all(np.abs(check.clip.samples) <= 1.0)
