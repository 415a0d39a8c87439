"""What the original's per-mode proxy classes (``ThreadWorkerProxy``, ...) stand for now.

concurry has one proxy class for every mode (``concurry_workers.WorkerProxy``);
the mode is a property of the proxy. The per-mode classes of the original
survive as stand-ins whose ``isinstance`` asks for a single-worker proxy
running in that mode. They are not for constructing workers (use
``Worker.options(mode=...).init(...)``), and they import nothing: an object
can only be a proxy once ``concurry_workers`` is imported, so until then the
answer is False without importing it (or Ray).
"""

from __future__ import annotations

import sys
from typing import Any

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_workers import WorkerProxy

__all__ = ["ModeProxy", "ModeProxyType"]


class ModeProxyType(type):
    """Metaclass of the per-mode stand-ins; each class names its mode in ``mode_name``."""

    mode_name: str

    def __instancecheck__(cls, obj: object) -> bool:
        workers = sys.modules.get("concurry_workers")
        if workers is None:
            return False
        proxy_class = workers.WorkerProxy
        if not isinstance(obj, proxy_class):
            return False
        # the property itself: a worker method named ``mode`` shadows it on the proxy
        mode = proxy_class.mode.__get__(obj, type(obj))
        return mode is workers.ExecutionMode(cls.mode_name)  # type: ignore[no-any-return]

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"{cls.__name__} is for isinstance() checks; start a worker with "
            f"Worker.options(mode={cls.mode_name!r}).init(...)"
        )


if TYPE_CHECKING:
    # what type checkers see: a per-mode class is a WorkerProxy (isinstance narrows to one)
    ModeProxy = WorkerProxy
else:

    class ModeProxy(metaclass=ModeProxyType):
        """Base of the per-mode stand-ins; each subclass sets ``mode_name``."""
