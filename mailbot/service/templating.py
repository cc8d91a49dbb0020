"""The template environment of a running mailbot: the school's folder over the bundled one.

A school that names `worker.templates_path` replaces any bundled template by putting a file
of the same name there; every template it does not have comes from mailbot itself.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader

from mailbot.config import Config, ConfigError
from mailbot.outgoing.compose import Templates
from mailbot.service import bundled


def school_folder(config: Config) -> Path | None:
    """The school's own template folder, or None when the file names none."""
    value = config.worker.templates_path
    if not value:
        return None
    folder = config.resolve(value)
    if not folder.is_dir():
        raise ConfigError(f"{config.source_path}: worker.templates_path: no such folder "
                          f"{folder}")
    return folder


def build(config: Config) -> Templates:
    try:
        shipped = Path(str(bundled.templates()))
    except FileNotFoundError as exc:
        raise ConfigError(str(exc)) from None
    own = school_folder(config)
    templates = Templates(shipped)
    if own is not None and own.resolve() != shipped.resolve():
        templates.env.loader = ChoiceLoader([FileSystemLoader(str(own)),
                                             FileSystemLoader(str(shipped))])
    return templates
