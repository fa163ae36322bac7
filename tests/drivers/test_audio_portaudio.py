"""sounddevice:// through real PortAudio and ALSA, on a machine without a sound card: ALSA's
"null" PCM plugin (in every libasound2) stands in for the card. A fresh process gets an ALSA
configuration that adds the null device, since PortAudio reads ALSA's configuration once, when
it starts. The null plugin neither paces playback nor records silence (its capture buffer
holds whatever memory held), which is what a misbehaving driver would do too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.audio.output import AudioDeviceError, sounddevice_module

ALSA_CONF = Path("/usr/share/alsa/alsa.conf")

SCRIPT = r"""
import json, threading
import numpy as np
from drivers.audio.capture import open_source
from drivers.audio.output import AudioDeviceError, open_output
from drivers.sim.voice import speech_like

report = {}
out = open_output("sounddevice://kiosknull")
done = threading.Event()
results = []
out.play(speech_like(0.5), volume=0.5, on_done=lambda ok: (results.append(ok), done.set()))
report["played"] = done.wait(20) and results == [True] and out.last_error is None
out.stop()
out.close()

src = open_source("sounddevice://kiosknull?rate=16000")
levels = []
heard = threading.Event()
src.start(lambda peak: (levels.append(peak), len(levels) >= 3 and heard.set()))
report["levels"] = heard.wait(20)
clip = src.stop()
src.close()
report["rate"] = clip.rate
report["in_range"] = bool(clip.frames > 0 and np.all(np.abs(clip.samples) <= 1.0))
report["levels_in_range"] = all(0.0 <= x <= 1.0 for x in levels)
try:
    open_output("sounddevice://no-such-card")
except AudioDeviceError as e:
    report["missing"] = str(e)
print("REPORT " + json.dumps(report))
"""


def test_sounddevice_plays_and_records_through_alsa(tmp_path: Path) -> None:
    try:
        sounddevice_module()
    except AudioDeviceError as e:  # setup.sh installs libportaudio2
        pytest.skip(str(e))
    if not ALSA_CONF.exists():
        pytest.skip("no ALSA configuration on this machine")
    conf = tmp_path / "asound.conf"
    conf.write_text(f"<{ALSA_CONF}>\npcm.kiosknull {{ type null }}\n")
    env = {**os.environ, "ALSA_CONFIG_PATH": str(conf)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("REPORT "))
    report = json.loads(line.removeprefix("REPORT "))
    assert report["played"] and report["levels"] and report["in_range"]
    assert report["levels_in_range"] and report["rate"] == 16000
    assert "no-such-card" in report["missing"] and "Traceback" not in proc.stderr
