"""Where the kiosk finds its bundled files (fonts, icons, catalogues).

The package is installed in editable mode from the repository, so bundled files live
beside the packages at the repository root.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
FONTS = ASSETS / "fonts"
ICONS = ASSETS / "icons"
LOCALES = ROOT / "locales"

FONT_REGULAR = FONTS / "NotoSans-Regular.ttf"
FONT_BOLD = FONTS / "NotoSans-Bold.ttf"
# The procedures catalogue that ships (kiosk/catalogue.py reads it; a content update's
# replaces it, kiosk/content.py).
DEFAULT_CATALOGUE = ASSETS / "content" / "procedures.toml"
DEFAULT_CONFIG = Path(__file__).resolve().parent / "default_config.toml"
