"""A kiosk whose staff stopped offering a language keeps the centre's languages in view:
staff can offer it again, and the procedure catalogue (which has texts in it) stays valid
after a restart (kiosk/config.py Config.known_languages)."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import load_config
from kiosk.content import load_content_catalogue
from kiosk.kiosk_settings import StaffSettings, reset_settings, save_settings


def test_a_language_no_longer_offered_stays_known(tmp_path: Path) -> None:
    cfg = load_config(data_dir=tmp_path)
    assert cfg.known_languages == cfg.languages == ("vi", "en", "kpm", "rad")
    save_settings(cfg, StaffSettings(("vi",), "normal", 80, 60.0))
    restarted = load_config(data_dir=tmp_path)
    assert restarted.languages == ("vi",)
    assert restarted.known_languages == ("vi", "en", "kpm", "rad")
    catalogue, _path, problems = load_content_catalogue(restarted)
    assert catalogue is not None and not problems  # its English texts are not refused
    assert reset_settings(restarted).languages == ("vi", "en", "kpm", "rad")
