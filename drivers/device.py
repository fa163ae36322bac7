"""What every device driver shares: the state vocabulary, what an OS error on open means,
and a write to a non-blocking file descriptor bounded by a deadline.

One vocabulary for every device (docs/architecture.md, Devices): a supervisor compares the
states of the printer, the scanner and the MRZ reader with the same enum.
"""

from __future__ import annotations

import enum
import errno
import os
import select
import socket
import time


class DeviceState(enum.Enum):
    ONLINE = "online"
    OFFLINE = "offline"
    NODEVICE = "nodevice"
    HWERROR = "hwerror"
    USERERROR = "usererror"
    BUSY = "busy"
    UNKNOWN = "unknown"


def open_failure(e: OSError, timeout: float | None = None) -> tuple[DeviceState, str]:
    """What an OSError from opening or connecting a device means: its state, and a reason
    for staff (without the device's name; callers put that in front). ``timeout`` is the
    connect time-out, quoted when it ran out."""
    why = e.strerror or str(e)
    if isinstance(e, TimeoutError):
        return DeviceState.OFFLINE, ("no answer to connect"
                                     + (f" within {timeout:g} s" if timeout else f" ({why})"))
    if isinstance(e, socket.gaierror):
        return DeviceState.NODEVICE, f"cannot resolve host ({why})"
    if isinstance(e, ConnectionRefusedError):
        return DeviceState.NODEVICE, "connection refused (nothing listening)"
    if e.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return DeviceState.NODEVICE, f"no such device (unplugged or wrong path; {why})"
    if e.errno in (errno.EACCES, errno.EPERM):
        # Staff can fix it (udev rule, group membership), so a user error, not hardware.
        return DeviceState.USERERROR, (f"permission denied (add the kiosk user to the group "
                                       f"owning the device: dialout, lp or input; {why})")
    if e.errno in (errno.EBUSY, errno.EAGAIN):
        return DeviceState.BUSY, f"device busy, in use by another program ({why})"
    if e.errno == errno.EINVAL:
        return DeviceState.USERERROR, why
    return DeviceState.NODEVICE, f"cannot open ({why})"


def write_all(fd: int, data: bytes, timeout: float) -> None:
    """Write all of ``data`` to the non-blocking ``fd``, waiting for room at most ``timeout``
    s in all. TimeoutError (saying how much was left) if the reader never made room."""
    deadline = time.monotonic() + timeout
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            n = 0
        if n == 0:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise TimeoutError(f"{len(view)} of {len(data)} bytes not accepted within "
                                   f"{timeout:g} s")
        view = view[n:]
