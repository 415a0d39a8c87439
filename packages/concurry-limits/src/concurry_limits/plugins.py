"""Optional plugins found by entry point, loaded once and cached.

A package that provides a plugin publishes it as an entry point, e.g. in its
``pyproject.toml``::

    [project.entry-points."concurry.limit_backends"]
    ray = "concurry_ray._limits:RayBackend"

and the package that uses it asks for it by group and name::

    backend_factory = load_plugin(
        "concurry.limit_backends", "ray", install_hint="pip install concurry[ray]"
    )

Every concurry package finds its optional plugins this way (concurry-workers
depends on concurry-limits and uses this module too).
"""

from __future__ import annotations

from concurry_limits._errors import PluginNotFoundError

__all__ = ["PluginNotFoundError", "load_plugin"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_LOADED: dict[tuple[str, str], Any] = {}


def load_plugin(group: str, name: str, install_hint: str) -> Any:
    """The object the entry point ``name`` of ``group`` names, loaded once and cached.

    Only successful loads are cached, so a plugin installed after a failed
    lookup is found by the next one. When several distributions publish the same
    name, the first found on ``sys.path`` wins.

    Args:
        group: The entry point group (e.g. ``"concurry.limit_backends"``).
        name: The entry point name within the group (e.g. ``"ray"``).
        install_hint: What the user should do when it is missing, shown in the
            error (e.g. ``"pip install concurry[ray]"``).

    Returns:
        The loaded object (a module, class or function, as the entry point says).

    Raises:
        PluginNotFoundError: (a ``LookupError``) no such entry point is installed;
            the message names the group, the name and the install hint.
        ImportError: the entry point exists but its module cannot be imported.
    """
    key = (group, name)
    try:
        return _LOADED[key]
    except KeyError:
        pass
    # importlib.metadata costs milliseconds to import; only a lookup needs it
    from importlib.metadata import entry_points

    for entry_point in entry_points(group=group, name=name):
        # setdefault: threads racing on a first load all get the same object
        return _LOADED.setdefault(key, entry_point.load())
    raise PluginNotFoundError(group, name, install_hint)
