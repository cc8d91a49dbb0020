"""Reading the school's TOML files: one place for the one-line errors every loader needs."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read(path: Path, error: type[ValueError]) -> dict[str, Any]:
    """The file as a dict, or `error` whose message is one line naming the file and why."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8: {exc.reason}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
