"""Where the kiosk's content comes from: a content update, else what shipped.

The procedure catalogue and the voice recordings ship in assets/. A content update (the
province's official catalogue, recordings made by native speakers) is placed in
<data_dir>/content/ with the same layout:

    <data_dir>/content/procedures.toml
    <data_dir>/content/audio/<lang>/<prompt-id>.ogg (or .wav)

An updated file wins over the shipped one. An updated catalogue that does not validate is
refused with its reason in the log, and the shipped catalogue is shown instead: a broken
update never empties the procedures screen.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.catalogue import DEFAULT_CATALOGUE, Catalogue, CatalogueError, load_or_keep
from kiosk.config import Config
from kiosk.prompts import AUDIO_DIR

log = logging.getLogger(__name__)

CATALOGUE_NAME = DEFAULT_CATALOGUE.name  # procedures.toml


def content_dir(cfg: Config) -> Path:
    return cfg.data_dir / "content"


def audio_dirs(cfg: Config) -> tuple[Path, ...]:
    """Where recordings are looked for, the updated ones first."""
    return (content_dir(cfg) / "audio", AUDIO_DIR)


def load_content_catalogue(
    cfg: Config,
) -> tuple[Catalogue | None, Path, list[CatalogueError]]:
    """The catalogue to show, the file it came from, and the problems met on the way."""
    problems: list[CatalogueError] = []
    languages = list(cfg.languages)
    updated = content_dir(cfg) / CATALOGUE_NAME
    if updated.is_file():
        catalogue, problem = load_or_keep(updated, None, languages=languages)
        if catalogue is not None:
            return catalogue, updated, problems
        assert problem is not None
        problems.append(problem)
        log.error("content update %s refused; showing the shipped catalogue", updated)
    catalogue, problem = load_or_keep(DEFAULT_CATALOGUE, None, languages=languages)
    if problem is not None:
        problems.append(problem)
    return catalogue, DEFAULT_CATALOGUE, problems
