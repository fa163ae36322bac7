"""Signed bundles: app and content updates, checked before anything is touched, installed
beside the running version and switched to atomically (docs/architecture.md, Updates).
No Kivy here: the staff screen, the CLI and the launcher all use this package.

The names below are imported on first use: the running kiosk reads kiosk.bundles.paths
without loading cryptography and tarfile.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.bundles.archive import DEFAULT_SIZE_CAP, verify_bundle
    from kiosk.bundles.installer import Installer
    from kiosk.bundles.manifest import REASONS, BundleRefused, FileEntry, Manifest
    from kiosk.bundles.paths import content_root

_HOMES = {"DEFAULT_SIZE_CAP": "archive", "verify_bundle": "archive", "Installer": "installer",
          "REASONS": "manifest", "BundleRefused": "manifest", "FileEntry": "manifest",
          "Manifest": "manifest", "content_root": "paths"}
__all__ = ["DEFAULT_SIZE_CAP", "REASONS", "BundleRefused", "FileEntry", "Installer", "Manifest",
           "content_root", "verify_bundle"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'kiosk.bundles' has no attribute {name!r}")
    return getattr(importlib.import_module(f"kiosk.bundles.{_HOMES[name]}"), name)
