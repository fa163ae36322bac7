"""The serial device every pty simulator plugs in: a raw pty pair, its slave symlinked at a
path the host opens with pyserial."""

from __future__ import annotations

import contextlib
import os
import tty
from pathlib import Path


class PtyDevice:
    """A pty pair: the simulator serves ``master`` (non-blocking), the host opens ``link``.

    The simulator keeps its own ``slave`` fd open, so the host may close and reopen the port
    freely. ``close()`` removes the link first (a host that sees the line die must not find
    it again), then closes both ends, so the host's reads fail with EIO, as when a cable is
    pulled. Refuses to replace ``link`` if something other than a symlink is there."""

    def __init__(self, link: Path) -> None:
        if link.exists() and not link.is_symlink():
            raise FileExistsError(f"{link} exists and is not a symlink: not replacing it")
        self.link = link
        self.master, self.slave = os.openpty()
        self.closed = False
        try:
            tty.setraw(self.slave)  # no echo, no CR/LF mangling before the host opens it
            os.set_blocking(self.master, False)
            self.slave_name = os.ttyname(self.slave)
            tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            os.symlink(self.slave_name, tmp)
            os.replace(tmp, link)  # atomic: a stale link is replaced, never briefly missing
        except BaseException:
            self.slave_name = ""
            self.close()
            raise

    def close(self) -> None:
        """Unplug (idempotent)."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            if self.slave_name and os.readlink(self.link) == self.slave_name:
                os.unlink(self.link)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
