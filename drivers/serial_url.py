"""pyserial URL options and one pyserial link, shared by the ticket printer, the scanner
and the MRZ reader.

All three take a serial port as ``serial:///dev/ttyUSB0?baudrate=9600&parity=E`` or as one
of pyserial's own URL handlers (``loop://``, ``socket://HOST:PORT``, ``rfc2217://HOST:PORT``),
with the same options. This module holds what their grammars share:

- ``parse_query``: the query string, with malformed and repeated keys refused;
- ``serial_options``: the pyserial keyword arguments (``SERIAL_PARAMS``), typed and
  range-checked;
- ``handler_target``: the URL handed to pyserial for its own handlers, with their options
  (``HANDLER_PARAMS``) checked;
- ``absolute_path`` / ``host_port``: the device path or HOST:PORT of a URL;
- ``split_device_url``: a URL, or a bare device path as pyserial takes it (the readers);
- ``serial_target``: what ``serial_for_url`` opens, and its options, for any of these URLs;
- ``SerialLink`` / ``as_oserror``: ``serial_for_url`` opened with a short read timeout, its
  errors turned into plain OSErrors (TimeoutError, FileNotFoundError ...).

Parsing raises ValueError only. Every message names the key (where there is one) and the URL,
and says whose URL it is through ``what`` ("printer URL", "scanner URL"), so each driver keeps
its own wording. Which schemes and keys a URL may have stays with each driver.
"""

from __future__ import annotations

import contextlib
import errno
from collections import Counter
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urlsplit

import serial

SERIAL_PARAMS = ("baudrate", "bytesize", "parity", "stopbits", "rtscts", "xonxoff", "dsrdtr",
                 "exclusive")
# Options pyserial's URL handlers read from their own query. "logging" is left out: it calls
# logging.basicConfig(), which would hijack the application's logging set-up and log traffic
# (scans may hold personal data).
HANDLER_PARAMS: dict[str, tuple[str, ...]] = {
    "loop": (), "socket": (), "rfc2217": ("ign_set_control", "poll_modem", "timeout")}
STOPBITS = {"1": 1, "1.5": 1.5, "2": 2}
BAUDRATE_RANGE = (50, 4_000_000)
BYTESIZE_RANGE = (5, 8)
HANDLER_TIMEOUT_MAX = 600.0  # s, rfc2217's ``timeout``
# The link's read timeout, set once at open: pyserial re-configures the port when a timeout
# changes (on some USB adapters a control transfer), so every read waits at most this long and
# callers loop for longer waits. It also bounds how late a reader thread notices close().
READ_SLICE = 0.05

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


# -- values ---------------------------------------------------------------------------------
def parse_bool(value: str, key: str, url: str, what: str) -> bool:
    """``1/0``, ``true/false``, ``yes/no``, ``on/off`` (any case); ValueError otherwise."""
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"{key}={value!r} in {what} {url!r} is not a boolean (1/0, true/false)")


def parse_int(value: str, key: str, url: str, what: str, lo: int, hi: int,
              base: int = 10) -> int:
    """An integer ``lo..hi``; ``base=0`` also takes 0x.. (USB endpoints)."""
    try:
        n = int(value.strip(), base)
    except ValueError:
        raise ValueError(f"{key}={value!r} in {what} {url!r} is not an integer") from None
    if not lo <= n <= hi:
        raise ValueError(f"{key}={n} in {what} {url!r} is not {lo}..{hi}")
    return n


# -- the query ------------------------------------------------------------------------------
def parse_query(query: str, url: str, what: str) -> dict[str, str]:
    """The query as a dict. A key given twice is refused rather than letting the last win:
    ``baudrate=9600&baudrate=1200`` is a typo either way, and silently picking one hides it."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ValueError(f"malformed query string {query!r} in {what} {url!r}") from None
    twice = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    if twice:
        raise ValueError(f"parameter(s) {', '.join(twice)} given more than once in {what} "
                         f"{url!r}")
    return dict(pairs)


def url_params(parts: SplitResult, url: str, what: str,
               allowed: tuple[str, ...]) -> dict[str, str]:
    """The query of a device URL, refusing keys not in `allowed` and a #fragment (neither
    means anything to a device, so either is a typo)."""
    params = parse_query(parts.query, url, what)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(map(repr, unknown))} in {what} "
                         f"{url!r}; allowed for {parts.scheme.lower()}://: {', '.join(allowed)}")
    if parts.fragment:
        raise ValueError(f"{what} {url!r} must not have a #fragment")
    return params


def serial_options(params: dict[str, str], url: str, what: str) -> dict[str, Any]:
    """pyserial keyword arguments (the ``SERIAL_PARAMS`` in ``params``), typed and
    range-checked here so that a typo is a ValueError at parse time, not an open failure
    found later on a reader thread. Other keys are ignored: the caller checks them."""
    opts: dict[str, Any] = {}
    for key in SERIAL_PARAMS:
        if key not in params:
            continue
        value = params[key]
        if key == "baudrate":
            opts[key] = parse_int(value, key, url, what, *BAUDRATE_RANGE)
        elif key == "bytesize":
            opts[key] = parse_int(value, key, url, what, *BYTESIZE_RANGE)
        elif key == "parity":
            v = value.strip().upper()
            if v not in serial.PARITY_NAMES:
                raise ValueError(f"parity={value!r} in {what} {url!r}: expected one of "
                                 f"{', '.join(serial.PARITY_NAMES)}")
            opts[key] = v
        elif key == "stopbits":
            stop = STOPBITS.get(value.strip())
            if stop is None:
                raise ValueError(f"stopbits={value!r} in {what} {url!r}: expected 1, 1.5 or 2")
            opts[key] = stop
        else:
            opts[key] = parse_bool(value, key, url, what)
    return opts


def split_device_url(url: str, what: str) -> tuple[str, SplitResult | None]:
    """(the URL stripped, its parts), parts None for a bare device path such as
    /dev/ttyACM0, which pyserial takes as it is. Refuses an empty URL, a NUL, and options on
    a bare path."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"{what} is empty")
    url = url.strip()
    if "\x00" in url:
        raise ValueError(f"{what} contains a NUL character")
    if "://" in url:
        return url, urlsplit(url)
    if "?" in url:
        raise ValueError(f"{what.removesuffix(' URL')} device path {url!r} has a '?': options "
                         f"need a URL, e.g. serial://{quote(url.split('?', 1)[0])}?baudrate=9600")
    return url, None


# -- where the URL points -------------------------------------------------------------------
def absolute_path(parts: SplitResult, url: str, scheme: str, what: str) -> str:
    """The device path of ``scheme:///dev/...`` (or ``scheme://localhost/dev/...``)."""
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"{scheme} {what} {url!r} must have an absolute path: "
                         f"{scheme}:///dev/... (three slashes)")
    path = unquote(parts.path)
    if not path.startswith("/") or path.rstrip("/") == "" or "\x00" in path:
        raise ValueError(f"{scheme} {what} {url!r} has no device path; expected "
                         f"{scheme}:///dev/...")
    return path


def host_port(parts: SplitResult, url: str, scheme: str, what: str,
              default_port: int | None = None) -> tuple[str, int]:
    """HOST and PORT of ``scheme://HOST:PORT``; the port is required unless a default is
    given. Credentials are refused: nothing here would send them, so they are a mistake."""
    if parts.username is not None or parts.password is not None:
        # The message goes to the log and the screen: it must not repeat the password.
        shown = url.replace(parts.netloc, "…@" + parts.netloc.rpartition("@")[2], 1)
        raise ValueError(f"{scheme} {what} {shown!r} must not contain user:password@")
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"{scheme} {what} {url!r} has no host; expected {scheme}://HOST:PORT")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{scheme} {what} {url!r}: port must be an integer 1..65535") from None
    if port is None:
        port = default_port
    if port is None or not 1 <= port <= 65535:
        raise ValueError(f"{scheme} {what} {url!r}: port must be 1..65535")
    if parts.path not in ("", "/"):
        raise ValueError(f"{scheme} {what} {url!r} must not have a path ({parts.path!r})")
    return host, port


def handler_target(parts: SplitResult, params: dict[str, str], url: str, what: str
                   ) -> tuple[str, str, int]:
    """(pyserial URL, host, port) for ``loop://`` ``socket://`` ``rfc2217://`` (host "" and
    port 0 for loop://). The pyserial URL carries only the handler's own options, checked
    and normalised; the serial options go to serial_for_url() as keyword arguments."""
    scheme = parts.scheme.lower()
    if scheme not in HANDLER_PARAMS:
        raise ValueError(f"{scheme!r} in {what} {url!r} is not a pyserial URL handler; "
                         f"expected one of {', '.join(s + '://' for s in HANDLER_PARAMS)}")
    host, port = "", 0
    if scheme == "loop":
        if parts.netloc or parts.path not in ("", "/"):
            raise ValueError(f"loop {what} {url!r} takes no host or path: loop://")
    else:
        host, port = host_port(parts, url, scheme, what)
    handler: dict[str, str] = {}
    for key in HANDLER_PARAMS[scheme]:
        if key == "timeout" and key in params:
            try:
                seconds = float(params[key])
            except ValueError:
                seconds = -1.0
            if not 0 < seconds <= HANDLER_TIMEOUT_MAX:  # also rejects nan
                raise ValueError(f"timeout={params[key]!r} in {what} {url!r} is not a number "
                                 f"of seconds 0..{HANDLER_TIMEOUT_MAX:g}")
            handler[key] = repr(seconds)
        elif key in params and parse_bool(params[key], key, url, what):
            handler[key] = ""  # pyserial only looks at the key
    netloc = parts.netloc.rsplit("@", 1)[-1]
    target = f"{scheme}://{netloc}" + (f"?{urlencode(handler)}" if handler else "")
    return target, host, port


def serial_target(parts: SplitResult, params: dict[str, str], url: str, what: str,
                  exclusive: bool = False) -> tuple[str, dict[str, Any], str, int]:
    """(what serial_for_url opens, its keyword options, host, port) for ``serial:///dev/...``
    or one of pyserial's URL handlers (host "" and port 0 where there is none).
    ``exclusive``: the default for that option on a device path (readers set it: a second
    reader on the same port would silently take half the data, so it gets "busy" instead)."""
    options = serial_options(params, url, what)
    if parts.scheme.lower() == "serial":
        options = {"exclusive": True, **options} if exclusive else options
        return absolute_path(parts, url, "serial", what), options, "", 0
    target, host, port = handler_target(parts, params, url, what)
    return target, options, host, port


# -- the link -------------------------------------------------------------------------------
def as_oserror(e: BaseException) -> OSError:
    """pyserial wraps OSErrors in SerialException, sometimes keeping only the message: the
    original (or an errno-carrying equivalent), so callers can tell a missing device from a
    busy one from a time-out by errno and type alone."""
    if isinstance(e, serial.SerialTimeoutException):
        return TimeoutError(str(e) or "write timeout")
    if isinstance(e, OSError) and e.errno is not None:
        # OSError(errno, text) picks the subclass: FileNotFoundError, PermissionError ...
        return OSError(e.errno, e.strerror or str(e))
    cause = e.__context__
    # socket:// and rfc2217:// wrap a connect time-out (TimeoutError, no errno): keep it one.
    if isinstance(cause, TimeoutError) or (isinstance(cause, OSError)
                                           and cause.errno is not None):
        return cause
    return OSError(errno.EIO, str(e) or type(e).__name__)


class SerialLink:
    """pyserial's ``serial_for_url`` for a device path or a loop:// socket:// rfc2217:// URL.

    Opened with ``timeout=READ_SLICE``: ``read_some()`` waits at most that long, so a reader
    thread or a deadline loop above it never blocks for long. Errors are OSError (see
    ``as_oserror``); ``ConnectionError`` when used while not open."""

    def __init__(self, target: str, options: dict[str, Any], description: str,
                 write_timeout: float) -> None:
        self.target = target
        self.options = dict(options)
        self.description = description
        self.write_timeout = write_timeout
        self._ser: serial.SerialBase | None = None

    def is_open(self) -> bool:
        return self._ser is not None

    def open(self) -> None:
        self.close()
        try:
            # pyserial flushes the input on open: bytes sent while nobody listened are gone.
            self._ser = serial.serial_for_url(self.target, timeout=READ_SLICE,
                                              write_timeout=self.write_timeout, **self.options)
        except serial.SerialException as e:
            raise as_oserror(e) from None
        except ValueError as e:  # a setting the port or driver refuses
            raise OSError(errno.EINVAL, f"invalid serial setting: {e}") from None

    def port(self) -> serial.SerialBase:
        if self._ser is None:
            raise ConnectionError("not open")
        return self._ser

    def read_some(self) -> bytes:
        """What has arrived, else waits at most READ_SLICE for one byte (b"" if none)."""
        ser = self.port()
        try:
            return bytes(ser.read(ser.in_waiting or 1))
        except (serial.SerialException, OSError) as e:  # unplugged tty: EIO on in_waiting
            raise as_oserror(e) from None

    def close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            with contextlib.suppress(Exception):  # termios.error is no OSError
                ser.close()
