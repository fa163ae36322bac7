"""This kiosk's voice for the centre's other kiosks (docs/architecture.md, Voice).

What the studio kept here (<data_dir>/content/audio) and the translations typed here
(<data_dir>/content/locales) are copied into a folder laid out as a content bundle's
payload: audio/<lang>/<id>.ogg, audio/<lang>/segments/<name>.ogg and
locales/<lang>/LC_MESSAGES/kiosk.po. Whoever holds the centre's signing key then makes
the bundle with `kiosk bundle build --kind content --from <folder>`; a kiosk never holds
that key. The .po is the whole catalogue of the language (the shipped translations with the
typed ones over them, fuzzy staying fuzzy): a content bundle's catalogue replaces the
shipped one for its language, so one holding only the typed entries would lose the rest.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import Config
from kiosk.i18n_tools import DOMAIN, export_po
from kiosk.paths import LOCALES
from kiosk.typed_translations import typed_locales, typed_po
from kiosk.voice_studio import studio_audio_dir

AUDIO_FILES = ("*.ogg", "*.wav", "segments/*.ogg", "segments/*.wav")


@dataclass(frozen=True)
class SharedVoice:
    lang: str
    recordings: int
    translations: bool  # a .po went in (the language has typed entries)


def export_voice(cfg: Config, out: Path, languages: list[str]) -> list[SharedVoice]:
    """Copies this kiosk's recordings and typed translations of `languages` into `out`
    (which must be empty or absent). ValueError with one sentence when it cannot."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out} is not an empty folder; give a new one")
    audio = studio_audio_dir(cfg)
    shared = []
    for lang in languages:
        files = sorted({p for pattern in AUDIO_FILES for p in (audio / lang).glob(pattern)
                        if p.is_file()})
        for path in files:
            target = out / "audio" / lang / path.relative_to(audio / lang)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        typed = typed_po(cfg, lang).is_file()
        if typed:
            po = out / "locales" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            po.parent.mkdir(parents=True, exist_ok=True)
            export_po(lang, LOCALES, po, typed_locales=typed_locales(cfg))
        shared.append(SharedVoice(lang, len(files), typed))
    return shared
