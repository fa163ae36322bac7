"""Import python-escpos without its side effect on logging.

escpos.capabilities calls ``logging.basicConfig()`` at import time, which installs a root
handler and turns the application's own later ``logging.basicConfig(...)`` into a silent
no-op. This module is imported first by the package and removes only what escpos added.
"""

from __future__ import annotations

import logging

_root = logging.getLogger()
_before = list(_root.handlers)

import escpos.capabilities  # noqa: E402,F401  (the import whose side effect is undone)

for _handler in list(_root.handlers):
    if _handler not in _before:
        _root.removeHandler(_handler)
