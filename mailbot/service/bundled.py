"""The files mailbot ships with: mail templates and the example rule files.

In an installed package they are package data under `mailbot/bundled/` (setup.py copies the
top-level templates/ and config/ there at build time) and are read through
importlib.resources. Running from the checkout (an editable install, `python -m mailbot`)
they are the checkout's own templates/ and config/, so both ways read the same files.
"""

from __future__ import annotations

from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

RULE_FILES = ("people", "categories", "routes", "etiquette", "knowledge", "calendar",
              "schedule")
_CHECKOUT = Path(__file__).resolve().parents[2]


def _folder(packaged: str, checkout: str) -> Traversable:
    inside = resources.files("mailbot") / "bundled" / packaged
    if inside.is_dir():
        return inside
    local = _CHECKOUT / checkout
    if (_CHECKOUT / "pyproject.toml").is_file() and local.is_dir():
        return local
    raise FileNotFoundError(f"mailbot is installed without its {packaged} (mailbot/bundled/"
                            f"{packaged}): reinstall the package")


def templates() -> Traversable:
    """The folder of the bundled mail templates."""
    return _folder("templates", "templates")


def rules() -> Traversable:
    """The folder of the example rule files (people.toml, routes.toml, ...)."""
    return _folder("rules", "config")


def starter_config() -> str:
    """The commented mailbot.toml that `mailbot init` writes."""
    return (resources.files("mailbot.service") / "starter.toml").read_text(encoding="utf-8")


def district_starter_config() -> str:
    """The commented district file that `mailbot init --schools` writes, without its
    [[school]] entries."""
    return (resources.files("mailbot.service") / "district_starter.toml").read_text(
        encoding="utf-8")


def version() -> str:
    try:
        return metadata.version("mailbot")
    except metadata.PackageNotFoundError:
        return "unknown"
