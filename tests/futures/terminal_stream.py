"""A pseudo-terminal to draw progress bars on: a stream whose ``isatty()`` is True,
and everything written to it, read back from the other side."""

from __future__ import annotations

import fcntl
import os
import struct
import termios
import threading
from typing import Any


class Terminal:
    """``stream`` is the terminal side of a new pty (100 columns); ``output()``
    closes it and returns what was written (a thread drains the other side
    meanwhile, so a long bar never blocks on a full pty buffer)."""

    def __init__(self, columns: int = 100) -> None:
        self._reader, terminal = os.openpty()
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.stream: Any = open(terminal, "w", encoding="utf-8")  # noqa: SIM115 (closed by output)
        self._chunks: list[bytes] = []
        self._drain = threading.Thread(target=self._read, name="pty-drain", daemon=True)
        self._drain.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._reader, 65536)
            except OSError:  # EIO: the terminal side is closed and everything was read
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    def output(self) -> str:
        """Close the terminal side and return all that was written to it."""
        if not self.stream.closed:
            self.stream.close()
            self._drain.join(10)
            os.close(self._reader)
        return b"".join(self._chunks).decode("utf-8", "replace")

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *_: object) -> None:
        self.output()
