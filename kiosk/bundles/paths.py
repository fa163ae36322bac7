"""Where installed bundles are, for those that only read them (kiosk/content.py, the
launcher): no cryptography or tarfile imported for that."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.config import Config


def content_root(cfg: Config) -> Path | None:
    """The current content version's folder (resolved, so that a later switch does not
    change what a reader holds), or None: then the shipped content and <data_dir>/content/
    are used."""
    link = cfg.updates_dir / "content" / "current"
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return target if target.is_dir() else None
