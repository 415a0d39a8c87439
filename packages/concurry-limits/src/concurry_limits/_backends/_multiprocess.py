"""Multiprocess backend: one limit state in shared memory for every process of a machine.

The state of a LimitSet is an array of doubles in a file under ``/dev/shm`` (a
RAM-backed tmpfs; the temp directory elsewhere), mapped with ``mmap`` by every
process that uses the set; the algorithms run directly on that memory. Mutual
exclusion is a ``flock`` on the same file plus a thread lock per process, so a
process that dies while holding it cannot wedge the others (the kernel drops
its lock), and one stopped while holding it for over a minute makes the others
raise :class:`LimitBackendError` instead of hanging. Nothing goes through a server process: an acquire is two system
calls plus the algorithm.

Sharing: pickling the LimitSet (into a ``fork``, ``spawn`` or ``forkserver``
child, a pool's task, or any process on the same machine) carries the file
path; unpickling maps the same memory.

Lifetime: the process that created the set owns the file and unlinks it when
the LimitSet is garbage collected, when ``LimitSet.close()`` is called, or at
interpreter exit. Processes that already mapped it keep working; new attaches
after that fail with :class:`LimitBackendError`. Keep the LimitSet alive in the
creating process for as long as others may attach. Only a SIGKILLed creator
leaves a small file behind in ``/dev/shm``.

Waiting: a blocked acquire sleeps until the earliest time the algorithms allow,
but at most 20 ms at a time, so that releases and refunds made by other
processes are noticed (releases within the same process wake waiters at once);
waits on a resource back off from 1 ms to 20 ms.
"""

from __future__ import annotations

import mmap
import os
import threading
import weakref
from array import array
from time import monotonic, sleep

from concurry_limits._algorithms import initial_state
from concurry_limits._backends._base import Backend, Entries
from concurry_limits._backends._inprocess import InProcessStore
from concurry_limits._errors import LimitBackendError
from concurry_limits._limits import Limit

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["MultiprocessBackend", "SharedStore"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def _directory() -> str:
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    import tempfile

    return tempfile.gettempdir()


def _unlink(path: str, owner: int) -> None:
    if os.getpid() == owner:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


# A holder keeps the file lock for microseconds; one holding it this long is stopped
# (SIGSTOP, a debugger), and waiting on it must end in an error rather than a hang.
_LOCK_BOUND = 60.0


def _flock(fd: int) -> None:
    """Take the exclusive file lock, giving up after ``_LOCK_BOUND`` seconds."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    deadline = monotonic() + _LOCK_BOUND
    pause = 0.00005
    while True:
        sleep(pause)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if monotonic() >= deadline:
                raise LimitBackendError(
                    f"the shared limit lock must be released within {_LOCK_BOUND:g} s, "
                    "got it held longer; is the process holding it stopped?"
                ) from None
            pause = min(pause * 2, 0.002)


class _ProcessLock:
    """A thread lock of this process, then an exclusive ``flock`` of the shared file."""

    __slots__ = ("_fd", "_local")

    def __init__(self, fd: int) -> None:
        self._local = threading.Lock()
        self._fd = fd

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not self._local.acquire(blocking, timeout):
            return False
        try:
            _flock(self._fd)
        except BaseException:
            self._local.release()
            raise
        return True

    def release(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._local.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


class SharedStore(InProcessStore):
    """An in-process store whose states live in a shared, memory-mapped file."""

    max_wait = 0.02

    def __init__(
        self, limits: tuple[Limit, ...], path: str, offsets: tuple[tuple[int, int], ...], owner: int
    ) -> None:
        if fcntl is None:  # pragma: no cover
            raise LimitBackendError("the multiprocess backend needs a POSIX system (fcntl)")
        self._path = path
        self._offsets = offsets
        self._owner = owner
        try:
            self._file = open(path, "r+b")  # noqa: SIM115 - lives as long as the store
        except FileNotFoundError:
            raise LimitBackendError(
                f"shared limit state {path!r} is gone; keep the LimitSet alive in the process "
                "that created it while other processes use it"
            ) from None
        size = os.fstat(self._file.fileno()).st_size
        self._mmap = mmap.mmap(self._file.fileno(), size)
        view = memoryview(self._mmap).cast("d")
        states = [view[a:b] for a, b in offsets]
        super().__init__(limits, states)
        if os.getpid() == owner:
            self._finalizer = weakref.finalize(self, _unlink, path, owner)

    @classmethod
    def create(cls, limits: tuple[Limit, ...], directory: str | None = None) -> SharedStore:
        """Allocate a new shared file holding fresh states of ``limits``."""
        data = array("d")
        offsets = []
        for limit in limits:
            state = initial_state(limit)
            offsets.append((len(data), len(data) + len(state)))
            data.extend(state)
        folder = directory or _directory()
        path = os.path.join(folder, f"concurry-limits-{os.getpid()}-{os.urandom(6).hex()}")
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        try:
            os.write(fd, data.tobytes())
        finally:
            os.close(fd)
        return cls(limits, path, tuple(offsets), os.getpid())

    @property
    def path(self) -> str:
        """The shared file."""
        return self._path

    def _reset_locks(self) -> None:
        super()._reset_locks()
        self._lock = _ProcessLock(self._file.fileno())
        self._cond = threading.Condition(self._lock)

    def compile(self, entries: Entries) -> Callable[[], float]:
        store = self
        flock, un = fcntl.flock, fcntl.LOCK_UN
        attempt = self._attempt
        if len(entries) == 1:
            ((i, n),) = entries
            take = self._takes[i]
            state = self._states[i]

            def attempt_one(entries: Entries, now: float) -> float:
                return take(state, n, now)

            attempt = attempt_one

        def fast() -> float:
            lock = store._lock  # read each time: a forked child gets a new one
            local = lock._local
            local.acquire()
            try:
                _flock(lock._fd)
                try:
                    return attempt(entries, monotonic())
                finally:
                    flock(lock._fd, un)
            finally:
                local.release()

        return fast

    def _after_fork(self) -> None:
        # after fork the child shares the parent's open file description, and
        # with it the flock: give the child its own
        try:
            self._file = open(self._path, "r+b")  # noqa: SIM115
        except FileNotFoundError:
            return
        self._reset_locks()

    def close(self) -> None:
        _unlink(self._path, self._owner)

    def __reduce__(self) -> tuple[Any, ...]:
        return (SharedStore, (self._limits, self._path, self._offsets, self._owner))


class MultiprocessBackend(Backend):
    """Share a LimitSet's state between processes on one machine (shared memory).

    ``LimitSet(limits, shared=True, mode="process")`` selects it; so does
    ``backend="multiprocess"``. See the module documentation for lifetime.

    Args:
        directory: Where the shared file lives (default ``/dev/shm``, else the
            temp directory).
    """

    name = "multiprocess"

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory

    def create_store(self, limits: tuple[Limit, ...]) -> SharedStore:
        """Allocate the state of ``limits`` in a new memory-mapped file in ``directory``."""
        return SharedStore.create(limits, self.directory)

    def __repr__(self) -> str:
        return "MultiprocessBackend()"
