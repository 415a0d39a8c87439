"""mkdocs hook: render the configuration reference from the config model itself.

``docs/configuration.md`` holds the marker ``<!-- config-reference -->``; at build
time it is replaced by tables generated from ``concurry_workers.GlobalConfig``
(every section and field, the values a fresh config has, and what each field
accepts, read from the docstring of the validator the config itself uses) and
from ``concurry_limits.LimitDefaults``. Only the one-line meanings are written
here, in ``MEANINGS``; a field of the model without a meaning, or a meaning for
a field the model no longer has, fails the build, so the page cannot drift.
"""

from __future__ import annotations

import enum
from typing import Any

MARKER = "<!-- config-reference -->"

#: field -> what it does. Checked against the model's fields at every build.
MEANINGS: dict[str, str] = {
    "mode": "execution mode of a worker built without `mode=` (and of `@task`)",
    "blocking": "methods return values instead of futures",
    "max_workers": "workers in a pool; `> 1` makes a pool (on demand, 0 means `cpu_count() - 1`)",
    "load_balancing": "how a persistent pool picks a worker",
    "load_balancing_on_demand": "how an on-demand pool picks a worker",
    "max_queued_tasks": "calls handed to one worker at once; more wait client-side (`None`: no cap)",
    "unwrap_futures": "future arguments are replaced by their results before the call",
    "num_retries": "retries after the first attempt of a method call",
    "retry_on": "exception types and/or predicates that cause a retry",
    "retry_algorithm": "how the wait between attempts grows: `exponential`, `linear`, `fibonacci`, `fixed`",
    "retry_wait": "base wait between attempts, in seconds",
    "retry_jitter": "random fraction taken off each wait, in [0, 1]",
    "retry_until": "validators every result must pass (else the call is retried)",
    "stop_timeout": "seconds `stop()` waits when given no timeout (a finite number)",
    "task_decorator_on_demand": "`@task` on thread, process and ray makes an on-demand pool",
    "mp_context": "process start method: `fork`, `spawn` or `forkserver` (default `forkserver` on Linux, `spawn` elsewhere)",
}

#: limit_defaults attribute -> what it does.
LIMIT_MEANINGS: dict[str, str] = {
    "algorithm": "algorithm of a `RateLimit` / `CallLimit` created without `algorithm=`",
}


def _value(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, type):
        return value.__name__
    return repr(value)


def _accepts(validator: Any, field: str) -> str:
    doc = (validator.__doc__ or "").strip()
    if not doc:
        raise ValueError(
            f"config field {field!r}: its validator {validator.__name__} has no docstring "
            f"(the configuration page shows it as what the field accepts)"
        )
    text = doc.splitlines()[0].rstrip(".").replace("``", "`").replace("|", "\\|")
    text = text.removeprefix("Accept ")
    return text[0].upper() + text[1:]


def _check(model_fields: list[str], meanings: dict[str, str], what: str) -> None:
    missing = [field for field in model_fields if field not in meanings]
    stale = [field for field in meanings if field not in model_fields]
    if missing or stale:
        raise ValueError(
            f"docs/hooks/config_reference.py is out of date with {what}: "
            f"fields without a meaning {missing}, meanings of no field {stale}"
        )


def render() -> str:
    """The configuration reference, as markdown."""
    from concurry_limits import LimitDefaults
    from concurry_workers._config import GlobalConfig
    from concurry_workers._sentinel import _NO_ARG
    from concurry_workers._validate import VALIDATORS

    config = GlobalConfig()  # a fresh one: the library's defaults, whatever a build changed
    modes = [name for name in config.model_dump() if name != "defaults"]
    all_fields: list[str] = list(config.defaults.fields())
    for mode in modes:
        all_fields += [f for f in config.section(mode).fields() if f not in all_fields]
    _check(all_fields, MEANINGS, "concurry_workers.GlobalConfig")

    out = ["### `global_config.defaults`", ""]
    out.append("| field | accepts | default | meaning |")
    out.append("|---|---|---|---|")
    for field in config.defaults.fields():
        out.append(
            f"| `{field}` | {_accepts(VALIDATORS[field], field)} | "
            f"`{_value(config.defaults.raw(field))}` | {MEANINGS[field]} |"
        )
    out.append("")
    for mode in modes:
        section = config.section(mode)
        own = [f for f in section.fields() if section.raw(f) is not _NO_ARG]
        only_here = [f for f in section.fields() if f not in config.defaults.fields()]
        inherited = [f for f in section.fields() if f not in own and f not in only_here]
        out += [f"### `global_config.{mode}`", ""]
        out.append("| field | accepts | default | meaning |")
        out.append("|---|---|---|---|")
        for field in [*own, *only_here]:
            if field in own:
                default = f"`{_value(section.raw(field))}`"
            else:
                default = f"`{_value(getattr(section, field))}` on this machine"
            out.append(
                f"| `{field}` | {_accepts(VALIDATORS[field], field)} | {default} | "
                f"{MEANINGS[field]} |"
            )
        out.append("")
        out.append(
            "Inherited from `defaults` unless set here: "
            + ", ".join(f"`{field}`" for field in inherited)
            + "."
        )
        out.append("")

    limit_fields = sorted(
        name for name, value in vars(LimitDefaults).items() if isinstance(value, property)
    )
    _check(limit_fields, LIMIT_MEANINGS, "concurry_limits.LimitDefaults")
    fresh = LimitDefaults()
    out += ["### `limit_defaults` (concurry-limits)", ""]
    out.append("| field | accepts | default | meaning |")
    out.append("|---|---|---|---|")
    for field in limit_fields:
        prop = vars(LimitDefaults)[field]
        accepts = (prop.__doc__ or "").strip().splitlines()[0].rstrip(".")
        out.append(
            f"| `{field}` | {accepts} | `{_value(getattr(fresh, field))}` | "
            f"{LIMIT_MEANINGS[field]} |"
        )
    out.append("")
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs event: put the generated reference where the page has the marker."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render())
