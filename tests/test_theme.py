from kiosk.ui import theme


def test_every_text_colour_pair_reaches_7_to_1() -> None:
    for name, (fg, bg) in theme.TEXT_PAIRS.items():
        assert theme.contrast_ratio(fg, bg) >= 7.0, name


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert round(theme.contrast_ratio((0, 0, 0, 1), (1, 1, 1, 1)), 1) == 21.0
    assert round(theme.contrast_ratio((1, 1, 1, 1), (1, 1, 1, 1)), 1) == 1.0
    # #767676 on white is the well-known 4.54:1
    grey = (0x76 / 255,) * 3
    assert round(theme.contrast_ratio(grey, (1, 1, 1)), 2) == 4.54


def test_touch_target_is_at_least_15_mm_on_lobby_screens() -> None:
    # 1 dp = 1/160 inch; 15 mm = 0.5906 inch.
    assert theme.TOUCH_MIN_DP / 160 * 25.4 >= 15.0
