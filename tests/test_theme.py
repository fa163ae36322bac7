from kiosk.ui import theme


def test_every_text_colour_pair_reaches_7_to_1_in_every_palette() -> None:
    for palette in theme.PALETTES.values():
        for fg, bg in theme.TEXT_PAIRS:
            ratio = theme.contrast_ratio(getattr(palette, fg), getattr(palette, bg))
            assert ratio >= 7.0, (palette.name, fg, bg, ratio)


def test_high_contrast_is_black_white_and_yellow_with_outlines() -> None:
    hc = theme.HIGH_CONTRAST
    colours = {getattr(hc, role) for role in theme.colour_roles()}
    assert colours - {theme.BLACK, theme.WHITE, theme.YELLOW} == {hc.unavailable}
    assert hc.edge_dp > 0 and hc.paper == theme.BLACK
    # Well beyond AAA's 7:1 on every pair (the normal palette's weakest pair is 7.6:1).
    for fg, bg in theme.TEXT_PAIRS:
        assert theme.contrast_ratio(getattr(hc, fg), getattr(hc, bg)) >= 10.0, fg


def test_every_colour_role_is_used_by_a_screen() -> None:
    from pathlib import Path

    kv = "".join(p.read_text() for p in (Path(theme.__file__).parent / "kv").glob("*.kv"))
    unused = [r for r in theme.colour_roles() if f"palette.{r}" not in kv
              and r not in ("option", "option_ink", "unavailable", "unavailable_ink",
                            "button_ink")]  # reached by name from IconButton.kind
    assert not unused


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert round(theme.contrast_ratio((0, 0, 0, 1), (1, 1, 1, 1)), 1) == 21.0
    assert round(theme.contrast_ratio((1, 1, 1, 1), (1, 1, 1, 1)), 1) == 1.0
    # #767676 on white is the well-known 4.54:1
    grey = (0x76 / 255,) * 3
    assert round(theme.contrast_ratio(grey, (1, 1, 1)), 2) == 4.54


def test_touch_target_is_at_least_15_mm_on_lobby_screens() -> None:
    # 1 dp = 1/160 inch; 15 mm = 0.5906 inch.
    assert theme.TOUCH_MIN_DP / 160 * 25.4 >= 15.0
