"""concurry's fork server: worker processes forked from a preloaded server.

``fork`` from the application is unsafe once threads run (a lock held by
another thread at the moment of the fork stays held in the child forever), and
``spawn`` pays a whole interpreter start per worker. A fork server is the safe
middle: one single-threaded helper process, started once (with
``subprocess``, so it inherits no threads and no locks), imports what a worker
child needs and then forks a child per worker on request.

This one does only that, so a worker starts in a few milliseconds: the parent
sends the worker's pipe end (``SCM_RIGHTS``) and its pickled runtime; the
server forks; the child runs ``child_main`` at once (or ``one_shot_main``, the
one-call child of an on-demand pool). There is no ``Process``
object to pickle, and the main script is not run again in the child (the
worker class and whatever it uses from ``__main__`` travel by value, with
cloudpickle), so a script without an ``if __name__ == "__main__":`` guard
works too.

Exit codes: for each child the server keeps the write end of a small status
pipe and hands the read end to the parent; when it reaps the child it writes
the exit code there. That read end is the parent's *sentinel*: readable once
the child has exited (or the server is gone).

Life: the server ends when the parent's end of its control socket closes;
children end when their worker pipe closes. At interpreter exit the parent
closes that socket itself and reaps the server (``_Server.shutdown``, an
``atexit`` hook registered when this module is imported, so it runs after the
exit hooks of the process transports, which are registered later and stop
their children first): no server outlives its parent, and ``subprocess``
reports no server "still running".
"""

from __future__ import annotations

import atexit
import gc
import os
import pickle
import signal
import socket
import struct
import sys
import threading
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any

from ._child import child_main

__all__ = ["ForkedProcess", "spawn"]

# Imported by the server once, so every forked child starts with them loaded.
_PRELOAD = (
    "concurry_workers._backends._child",
    "concurry_workers._backends._one_shot_child",
    "concurry_limits",
    "concurry_limits._backends._inprocess",  # the store of every worker's (empty) LimitSet
    "concurry_retry",
)
_HEADER = struct.Struct("!QQ")  # lengths of the request's two parts
_PID = struct.Struct("!q")
_CODE = struct.Struct("!i")
_SHUTDOWN_GRACE = 5.0  # seconds the server gets to exit after its socket closes


class ForkedProcess:
    """A worker child of the fork server, with the ``multiprocessing.Process`` methods used.

    Normally only the transport's reader waits on it; at interpreter exit the
    exit hook may too, so reading the exit status is guarded by a lock.

    Args:
        pid: The child's process id.
        sentinel: Read end of its status pipe (readable once it has exited).
        name: Its name (for reprs and errors).
    """

    def __init__(self, pid: int, sentinel: int, name: str) -> None:
        self.pid = pid
        self.sentinel = sentinel
        self.name = name
        self._exitcode: int | None = None
        self._lock = threading.Lock()

    def _poll(self, timeout: float | None) -> bool:
        if self._exitcode is not None:
            return True
        try:
            ready = bool(wait([self.sentinel], timeout))
        except (OSError, ValueError):
            ready = True  # another thread read the status and closed the pipe meanwhile
        if not ready:
            return False
        with self._lock:  # the status is read, and the pipe closed, once
            if self._exitcode is None:
                self._read_status()
        return True

    def _read_status(self) -> None:
        data = os.read(self.sentinel, _CODE.size)
        os.close(self.sentinel)
        if len(data) == _CODE.size:
            self._exitcode = _CODE.unpack(data)[0]
        else:
            # No status: the server itself was killed, so nobody will report this
            # child. Make sure it is gone, and report 255 (as multiprocessing does).
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._exitcode = 255

    def join(self, timeout: float | None = None) -> None:
        """Wait until the child has exited (at most ``timeout`` seconds)."""
        self._poll(timeout)

    def is_alive(self) -> bool:
        """True until the child has exited."""
        return not self._poll(0)

    @property
    def exitcode(self) -> int | None:
        """The exit code (negative: killed by that signal), None while it runs."""
        self._poll(0)
        return self._exitcode

    def terminate(self) -> None:
        """SIGTERM."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL."""
        self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        if self._exitcode is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def __repr__(self) -> str:
        return f"<ForkedProcess {self.name} pid={self.pid} exitcode={self._exitcode}>"


class _Server:
    """The parent's handle on the fork server (one per parent process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._proc: Any = None
        self._owner = 0

    def _ensure(self) -> socket.socket:
        if self._sock is not None and self._owner == os.getpid() and self._proc.poll() is None:
            return self._sock
        import subprocess

        if self._sock is not None:
            self._sock.close()
        old = self._proc
        if old is not None and self._owner == os.getpid() and old.poll() is None:
            old.kill()  # it stopped answering: a new server replaces it
            old.wait()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        code = (
            f"import sys; sys.path[:] = {sys.path!r}; "
            "from concurry_workers._backends._forkserver import serve; "
            f"serve({theirs.fileno()})"
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL
        )
        theirs.close()
        self._sock, self._owner = ours, os.getpid()
        return ours

    def spawn(
        self, payload: bytes, name: str, modules: list[str], one_shot: bool = False
    ) -> tuple[ForkedProcess, Connection]:
        mine, theirs = Pipe(duplex=True)
        from multiprocessing import current_process

        # the parent's authkey, so that Manager proxies passed to a worker connect
        authkey = bytes(current_process().authkey)
        meta = pickle.dumps(
            (sys.path, os.getcwd(), modules, one_shot, authkey), pickle.HIGHEST_PROTOCOL
        )
        try:
            with self._lock:
                sock = self._ensure()
                try:
                    header = _HEADER.pack(len(meta), len(payload))
                    socket.send_fds(sock, [header], [theirs.fileno()])
                    sock.sendall(meta)
                    sock.sendall(payload)
                    data, fds, _, _ = socket.recv_fds(sock, _PID.size, 1)
                except OSError:
                    data, fds = b"", []
                if len(data) != _PID.size or len(fds) != 1:
                    for fd in fds:
                        os.close(fd)
                    self._sock = None  # gone: the next spawn starts a new server
                    raise OSError("the concurry fork server did not answer")
        finally:
            theirs.close()
        return ForkedProcess(_PID.unpack(data)[0], fds[0], name), mine

    def shutdown(self) -> None:
        """Close the control socket (the server exits on reading its end) and reap the server.

        A no-op without a server, and in a forked child of the process that
        started it (the server is not our child there). A server that does not
        exit within ``_SHUTDOWN_GRACE`` seconds is killed.
        """
        import subprocess

        # A daemon thread may have died holding the lock mid-spawn: do not wait for it forever.
        locked = self._lock.acquire(timeout=_SHUTDOWN_GRACE)
        try:
            sock, proc, owner = self._sock, self._proc, self._owner
            self._sock = self._proc = None
        finally:
            if locked:
                self._lock.release()
        if sock is not None:
            sock.close()
        if proc is None or owner != os.getpid():
            return
        try:
            proc.wait(_SHUTDOWN_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_server = _Server()
atexit.register(_server.shutdown)


def spawn(
    payload: bytes, name: str, modules: list[str], one_shot: bool = False
) -> tuple[ForkedProcess, Connection]:
    """Fork a worker child that runs ``child_main(conn, payload)``.

    ``modules`` (the worker class's module, say) are imported by the server
    first, once: every later child starts with them loaded instead of
    importing them itself, as a fork server with those preloads would.

    Args:
        payload: The pickled runtime.
        name: The child's name (reprs and errors).
        modules: Modules the server imports before forking.
        one_shot: Run ``one_shot_main`` (one call, then exit) instead.

    Returns:
        The child and the parent's end of its duplex pipe.

    Raises:
        OSError: The fork server could not be started or did not answer.
    """
    return _server.spawn(payload, name, modules, one_shot)


# -- the server ---------------------------------------------------------------------------
def serve(fd: int) -> None:
    """Main loop of the fork server process (started by ``_Server._ensure``)."""
    import importlib
    import selectors

    for module in _PRELOAD:
        importlib.import_module(module)
    # Everything loaded so far is shared with every child until written: keep the
    # children's garbage collector off it (its bookkeeping writes would copy pages).
    gc.freeze()
    sock = socket.socket(fileno=fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the application, not us
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the selector through wake_w
    statuses: dict[int, int] = {}  # child pid -> write end of its status pipe
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj == wake_r:
                while True:
                    try:
                        if not os.read(wake_r, 4096):
                            break
                    except BlockingIOError:
                        break
                _reap(statuses)
                continue
            try:
                header, fds, _, _ = socket.recv_fds(sock, _HEADER.size, 1)
            except OSError:
                header, fds = b"", []
            if len(header) != _HEADER.size or len(fds) != 1:
                return  # the parent is gone: children end when their pipes close
            meta_size, payload_size = _HEADER.unpack(header)
            sys_path, cwd, modules, one_shot, authkey = pickle.loads(_recv_exactly(sock, meta_size))
            payload = _recv_exactly(sock, payload_size)
            _prepare(sys_path, cwd, modules, authkey)
            status_r, status_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                closing = [wake_r, wake_w, status_r, status_w, *statuses.values()]
                _child(fds[0], payload, sock, selector, closing, one_shot)
            os.close(fds[0])
            statuses[pid] = status_w
            socket.send_fds(sock, [_PID.pack(pid)], [status_r])
            os.close(status_r)


def _prepare(sys_path: list[str], cwd: str, modules: list[str], authkey: bytes) -> None:
    """Take the parent's import path, directory and authkey; import what children need."""
    import importlib
    from multiprocessing import current_process

    current_process().authkey = authkey

    sys.path[:] = sys_path
    try:
        os.chdir(cwd)
    except OSError:
        pass
    fresh = False
    for name in modules:
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except BaseException:  # the child imports it again and reports the error
                continue
            fresh = True
    if fresh:
        gc.freeze()


def _reap(statuses: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        fd = statuses.pop(pid, None)
        if fd is not None:
            try:
                os.write(fd, _CODE.pack(os.waitstatus_to_exitcode(status)))
            except OSError:
                pass  # the parent stopped watching this child: the server must not die of it
            finally:
                os.close(fd)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError("the parent closed the fork server's socket mid-request")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _child(
    conn_fd: int, payload: bytes, sock: Any, selector: Any, closing: list[int], one_shot: bool
) -> None:
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        selector.close()
        sock.close()
        for fd in closing:
            os.close(fd)
        if one_shot:
            from ._one_shot_child import one_shot_main

            one_shot_main(Connection(conn_fd), payload)
        else:
            child_main(Connection(conn_fd), payload)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)
