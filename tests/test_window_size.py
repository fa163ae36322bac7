"""The kiosk's window on the display it opens on (issue 10, item 5): without Kivy."""

from __future__ import annotations

import pytest

from kiosk.cli import main
from kiosk.ui.env import KIOSK_SIZE, density_for, parse_size, windowed_size


@pytest.mark.parametrize("display", [(1280, 800), (1920, 1080), (1080, 1920), (1024, 768),
                                     (3840, 2160)])
def test_a_window_fits_the_display_and_keeps_its_orientation(display: tuple[int, int]) -> None:
    width, height = windowed_size(display)
    assert width <= display[0] and height <= display[1]
    assert (width > height) == (display[0] > display[1])


def test_the_kiosk_itself_is_drawn_one_pixel_per_dp() -> None:
    assert density_for(KIOSK_SIZE) == 1


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800), (720, 1280)])
def test_every_other_screen_holds_at_least_the_room_the_layouts_need(
        size: tuple[int, int]) -> None:
    density = density_for(size)
    assert size[0] / density >= 1080 - 1e-6 and size[1] / density >= 1440 - 1e-6


def test_a_bad_screenshot_size_is_one_line_and_exit_2(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["screenshots", "--out", str(tmp_path), "--size", "big"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--size" in err and "1080x1920" in err and "\n" not in err
    assert parse_size("1280X800") == (1280, 800)
