"""A host-triggered scanner reads while the identify step shows (config
devices.scanner_trigger): it is told to start when a visit reaches that step and to stop when
the visit leaves it. Without a trigger the scanner reads whenever a code is held to it, and
this does nothing.

The session calls its listeners on the UI thread, and a Zebra scanner takes up to a second to
acknowledge a command, so the commands go out on one worker thread, in order.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence

from kiosk.devices import ScannerService
from kiosk.session import Screen, Session


class IdentifyStepTrigger:
    def __init__(self, session: Session, scanners: Sequence[ScannerService]) -> None:
        self._scanners = [s for s in scanners if s.trigger]
        self._reading = False
        self._commands: queue.Queue[bool | None] = queue.Queue()  # None: stop the worker
        if self._scanners:
            threading.Thread(target=self._send, name="scanner trigger", daemon=True).start()
            session.subscribe(self._on_session_changed)

    def _on_session_changed(self, session: Session) -> None:
        wanted = session.screen is Screen.IDENTIFY
        if wanted != self._reading:
            self._reading = wanted
            self._commands.put(wanted)

    def stop(self) -> None:
        self._commands.put(None)

    def _send(self) -> None:
        while (start := self._commands.get()) is not None:
            for scanner in self._scanners:
                # Never raises: a scanner that does not answer is logged and left as it is.
                scanner.set_decoding(start)
