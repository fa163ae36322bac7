"""Import python-escpos without its side effects on logging and on /tmp.

escpos.capabilities calls ``logging.basicConfig()`` at import time, which installs a root
handler and turns the application's own later ``logging.basicConfig(...)`` into a silent
no-op. This module is imported before escpos (drivers/printer/job.py, transports/usb.py) and
removes only what escpos added.

It also caches its parsed printer database in ESCPOS_CAPABILITIES_PICKLE_DIR, by default a
new temporary folder per import: a kiosk would leave one in /tmp at every start and parse
the whole database (~150 ms) each time. A per-user cache folder is used instead.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path


def _cache_dir() -> str | None:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "lobby-kiosk" / "escpos"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # read-only home: let escpos use its temporary folder
    return str(folder)


if "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ:
    _folder = _cache_dir()
    if _folder:
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = _folder

_root = logging.getLogger()
_before = list(_root.handlers)

import escpos.capabilities  # noqa: E402,F401  (the import whose side effect is undone)

for _handler in list(_root.handlers):
    if _handler not in _before:
        _root.removeHandler(_handler)
