"""What the kiosk does while nobody is at it: apply a content update, settle garbage."""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

from kiosk.content import audio_dirs, content_stamp, load_content_catalogue
from kiosk.session import Screen

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

log = logging.getLogger(__name__)

SETTLE_GARBAGE_SECONDS = 0.5  # on the attract screen, before collecting garbage
CONTENT_CHECK_SECONDS = 60  # how often an idle attract screen looks for a content update
NOT_READ = object()  # the content's stamp before the catalogue is first read
# Every object in memory is looked through only once the attract screen has stood this long
# untouched (looked at with the content, every CONTENT_CHECK_SECONDS).
FULL_COLLECTION_IDLE_SECONDS = 30


class Housekeeping:
    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.session = app.session
        self._content_stamp: object = NOT_READ

    def load_catalogue(self) -> None:
        """The procedures' catalogue, read once the first frame is drawn: only Home and
        the procedure screens need it, and the attract screen need not wait for it."""
        if self._content_stamp is NOT_READ:
            self._content_stamp = content_stamp(self.app.kiosk_config)
            self.app.use_catalogue(*load_content_catalogue(self.app.kiosk_config)[:2])

    def between_citizens(self, *_args) -> None:
        """Housekeeping while the attract screen waits for the next citizen."""
        if self.session.screen is not Screen.ATTRACT:
            return  # a citizen came in the meantime: next time
        self.reload_content_if_changed()
        self.settle_garbage()

    def look_for_content(self, *_args) -> None:
        """Also while the kiosk stands idle: the first citizen after an update gets it."""
        if self.session.screen is Screen.ATTRACT:
            self.reload_content_if_changed()
            self.settle_all_garbage()

    def reload_content_if_changed(self) -> None:
        """A content update copied in (or removed) since the last look applies now; a bad
        one is refused and the catalogue shown so far stays (kiosk/content.py)."""
        if self._content_stamp is NOT_READ:
            self.load_catalogue()  # not read yet: this is the first reading, not a change
            return
        app = self.app
        stamp = content_stamp(app.kiosk_config)
        if stamp == self._content_stamp:
            return
        self._content_stamp = stamp
        previous = (app.catalogue, app.catalogue_path) if app.catalogue else None
        catalogue, path, problems = load_content_catalogue(app.kiosk_config, previous)
        app.use_catalogue(catalogue, path)
        # A content bundle switched to (or rolled back) brings its own recordings' folder.
        if getattr(app, "prompts", None) is not None:
            app.prompts.audio_dir = audio_dirs(app.kiosk_config)
        app.content_loads += 1
        if not problems:
            log.info("procedure catalogue now from %s", app.catalogue_path)

    def settle_garbage(self, *_args) -> None:
        """Collect what the visit that just ended left behind, then exempt what survives
        from later collections.

        Python's full collection walks every live object; with Kivy and every screen in
        memory it paused the window for 210-250 ms in the middle of a visit
        (benchmarks/procedure_latency.py). Frozen objects are not looked at, so this
        collection (what was made since the last freeze) takes about a millisecond, and
        the next citizen, who may touch the screen now, does not wait for it."""
        if self.session.screen is not Screen.ATTRACT:
            return  # a citizen came in the meantime: next time
        gc.collect()
        gc.freeze()
        self.app.garbage_settled += 1

    def settle_all_garbage(self) -> None:
        """Once the attract screen has stood untouched a while: the frozen objects too
        (what lived through an earlier freeze and is garbage now: an earlier visit's, a
        replaced catalogue). The freeze is undone and everything collected: 150-650 ms
        with every screen in memory, on two loaded cores, which nobody waits for now."""
        session = self.session
        if (session.screen is not Screen.ATTRACT
                or session.clock() - session.last_activity < FULL_COLLECTION_IDLE_SECONDS):
            return
        gc.unfreeze()
        gc.collect()
        gc.freeze()
