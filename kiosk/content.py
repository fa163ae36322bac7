"""Where the kiosk's content comes from: a content update, else what shipped.

The procedure catalogue, the voice recordings and the translations ship in assets/ and
locales/. A signed content bundle (kiosk/bundles, `kiosk bundle apply`) installs a content
version at <updates_dir>/content/current, looked at first:

    <current>/procedures.toml, <current>/audio/<lang>/…, <current>/locales/<lang>/…

A content update may also be copied in by hand to <data_dir>/content/ (the older way),
with the same layout:

    <data_dir>/content/procedures.toml
    <data_dir>/content/audio/<lang>/<prompt-id>.ogg (or .wav)
    <data_dir>/content/audio/<lang>/segments/<name>.ogg (number-call segments)

Recordings are the exception to "the bundle first": <data_dir>/content/audio is where the
voice studio records (kiosk/voice.py), so it comes first (audio_dirs).

An updated file wins over the shipped one. An updated catalogue that does not validate is
refused with its reason in the log, and the kiosk keeps showing the last valid catalogue
(at start, the shipped one): a broken update never empties the procedures screen. The
kiosk looks for a changed file between citizens (kiosk/ui/app.py), so an update copied in
from a USB stick applies without a restart.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import i18n
from kiosk.bundles.paths import content_root
from kiosk.config import Config
from kiosk.paths import DEFAULT_CATALOGUE
from kiosk.prompts import AUDIO_DIR

if TYPE_CHECKING:
    from kiosk.catalogue import Catalogue, CatalogueError

log = logging.getLogger(__name__)

CATALOGUE_NAME = DEFAULT_CATALOGUE.name  # procedures.toml


def content_dir(cfg: Config) -> Path:
    """The folder for content copied in by hand."""
    return cfg.data_dir / "content"


def content_dirs(cfg: Config) -> tuple[Path, ...]:
    """The updated content folders, the one looked at first first: the installed content
    bundle's (if any), then the hand-copied one."""
    root = content_root(cfg)
    return (root, content_dir(cfg)) if root is not None else (content_dir(cfg),)


def audio_dirs(cfg: Config) -> tuple[Path, ...]:
    """Where recordings are looked for, the newest first (docs/architecture.md, Voice):
    this kiosk's own (<data_dir>/content/audio, where the voice studio records, and where
    a hand-copied update goes), then the installed content bundle's, then what shipped.
    The studio's recording is the one a speaker just made here: no bundle made before it
    may hide it."""
    root = content_root(cfg)
    bundle = (root / "audio",) if root is not None else ()
    return (content_dir(cfg) / "audio", *bundle, AUDIO_DIR)


def content_locales(cfg: Config) -> Path | None:
    """The installed content bundle's translations, which come before the shipped ones."""
    root = content_root(cfg)
    return root / "locales" if root is not None else None


def _present(path: Path) -> bool:
    """True unless the file is plainly absent. One that cannot even be looked at (copied
    in as root) counts as present, so that loading it fails and is logged with the reason,
    instead of being silently ignored or raising (Path.is_file raises on EACCES)."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def updated_catalogue(cfg: Config) -> Path:
    """The updated catalogue to use: the content bundle's when it has one, else the
    hand-copied one (which may not exist)."""
    folders = content_dirs(cfg)
    for folder in folders[:-1]:
        if _present(folder / CATALOGUE_NAME):
            return folder / CATALOGUE_NAME
    return folders[-1] / CATALOGUE_NAME


def content_stamp(cfg: Config) -> tuple[object, ...] | None:
    """Changes whenever a content bundle is switched to or rolled back, or the updated
    catalogue is replaced, edited or removed."""
    root = content_root(cfg)
    try:
        st = updated_catalogue(cfg).stat()
        file: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except OSError:
        file = None
    if root is None and file is None:
        return None
    return str(root), file


def load_content_catalogue(
    cfg: Config,
    previous: tuple[Catalogue, Path] | None = None,
) -> tuple[Catalogue | None, Path, list[CatalogueError]]:
    """The catalogue to show, the file it came from, and the problems met on the way.

    `previous` is the catalogue shown now and its file: it is kept when the update is bad.
    The content bundle's translations become the ones shown (kiosk/i18n.py) too, with those
    typed on this kiosk (kiosk/typed_translations.py) after them.
    """
    # Loaded here, after the kiosk's first frame (docs/architecture.md, Start-up).
    from kiosk.catalogue import load_or_keep
    from kiosk.typed_translations import typed_locales

    i18n.use_content_locales(content_locales(cfg))
    i18n.use_typed_locales(typed_locales(cfg))
    problems: list[CatalogueError] = []
    # This centre's languages and service letters: a procedure sent to a counter the
    # centre does not have is refused at load, not found out on a citizen's screen.
    options = {"languages": list(cfg.known_languages),
               "services": [area.letter for area in cfg.services]}
    updated = updated_catalogue(cfg)
    if _present(updated):
        catalogue, problem = load_or_keep(updated, None, **options)
        if catalogue is not None:
            return catalogue, updated, problems
        assert problem is not None
        problems.append(problem)
        if previous is not None:
            log.error("content update %s refused; keeping the catalogue from %s",
                      updated, previous[1])
            return previous[0], previous[1], problems
        log.error("content update %s refused; showing the shipped catalogue", updated)
    catalogue, problem = load_or_keep(DEFAULT_CATALOGUE, None, **options)
    if problem is not None:
        problems.append(problem)
    return catalogue, DEFAULT_CATALOGUE, problems


def language_report(cfg: Config, languages: list[str], catalogue: Catalogue | None) -> list:
    """What each language has and lacks on this kiosk (kiosk/i18n_tools.py report): screen
    texts (typed ones included), prompts and number-call segments (kiosk/voice.py), and the
    catalogue's texts; `kiosk i18n report` and staff mode's Languages tab show it."""
    from kiosk.i18n_tools import report
    from kiosk.paths import LOCALES
    from kiosk.prompts import PROMPTS
    from kiosk.typed_translations import typed_locales
    from kiosk.voice import voice_items

    segments = {lang: [item.id for item in voice_items(cfg, lang) if item.kind == "segment"]
                for lang in languages}
    return report(LOCALES, languages, audio_dirs(cfg), list(PROMPTS), catalogue=catalogue,
                  updated_locales=content_locales(cfg), typed_locales=typed_locales(cfg),
                  segment_ids=segments)
