"""Printer profile names and paper widths, checked without loading python-escpos.

The kiosk checks its config (the printer's URL and profile) before its window opens, but
opens the printer only after the first frame; python-escpos loads PyYAML, Pillow, qrcode
and its whole printer database on import. The names are read from the same database file
python-escpos reads (its ESCPOS_CAPABILITIES_FILE if set), so both agree on what exists.
"""

from __future__ import annotations

import importlib.util
import json
import os
from functools import cache

DEFAULT_PROFILE = "TM-T20II"
DEFAULT_WIDTH_DOTS = 576  # 80 mm paper at 8 dots/mm (58 mm: 384)
WIDTH_DOTS_RANGE = (8, 4096)


@cache
def profile_names() -> frozenset[str]:
    """The names of the printer profiles python-escpos knows."""
    path = os.environ.get("ESCPOS_CAPABILITIES_FILE")
    try:
        if path:
            with open(path, encoding="utf-8") as f:
                return frozenset(json.load(f)["profiles"])
        spec = importlib.util.find_spec("escpos")  # found, not imported
        folder = (spec.submodule_search_locations or [""])[0] if spec else ""
        with open(os.path.join(folder, "capabilities.json"), encoding="utf-8") as f:
            return frozenset(json.load(f)["profiles"])
    except (OSError, ValueError, KeyError, TypeError):
        # Not the JSON expected (python-escpos also reads YAML): ask python-escpos itself.
        from drivers.printer.job import known_profile_names

        return known_profile_names()


def check_profile(name: str | None) -> str:
    """`name` (None: the default) if python-escpos has such a profile; ValueError if not."""
    name = name or DEFAULT_PROFILE
    if name not in profile_names():
        raise ValueError(f"unknown python-escpos printer profile {name!r}")
    return name
