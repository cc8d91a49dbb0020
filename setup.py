"""Build hook: the top-level templates/ and config/ become package data of the wheel.

The project keeps templates/ and config/ at the top of the checkout, where a school's
administrator and the README expect them. An installed mailbot must not depend on a
checkout, so building copies them into the package as `mailbot/bundled/templates` and
`mailbot/bundled/rules` (the example rule files; mailbot.toml itself stays out: `mailbot
init` writes a starter file of its own). mailbot.service.bundled reads them back through
importlib.resources. Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = (("templates", "templates", "*.j2"), ("config", "rules", "*.toml"))
NOT_BUNDLED = {"mailbot.toml"}


class BuildWithBundledFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's folders
            return
        for source, target, pattern in BUNDLED:
            folder = Path(self.build_lib) / "mailbot" / "bundled" / target
            folder.mkdir(parents=True, exist_ok=True)
            files = sorted((ROOT / source).glob(pattern))
            if not files:
                raise SystemExit(f"setup.py: no {pattern} in {ROOT / source}")
            for path in files:
                if path.name not in NOT_BUNDLED:
                    shutil.copy2(path, folder / path.name)


setup(cmdclass={"build_py": BuildWithBundledFiles})
