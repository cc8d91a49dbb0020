"""`mailbot init DIR`: a starter configuration a school's administrator edits.

Writes the commented mailbot.toml and the example rule files, never over a file that is
there already, and tells the operator what to edit next.
"""

from __future__ import annotations

from pathlib import Path

from mailbot.service import bundled

NEXT_STEPS = """\
Готово: настройки записаны в {folder}.
Что исправить дальше:
  1. {folder}/mailbot.toml — адрес службы помощи и название школы ([helpdesk]), почтовый
     сервер ([mailbox], [smtp]); пароли — в переменных окружения или файлах (password_env,
     password_file), не в самом файле.
  2. {folder}/people.toml — сотрудники школы, их руководители, кто получает сводку,
     и служба поддержки системы ([vendor]); в примере — вымышленные люди.
  3. {folder}/routes.toml, schedule.toml и calendar.toml — кому какие вопросы передавать,
     консультации и семинары, каникулы школы.
Затем проверьте, ничего не меняя: mailbot --config {folder}/mailbot.toml check"""


class InitError(Exception):
    """Nothing was written; phrased as one line."""


def planned_files(folder: Path) -> dict[Path, str]:
    """Every file init writes, with its text."""
    files = {folder / "mailbot.toml": bundled.starter_config()}
    rules = bundled.rules()
    for name in bundled.RULE_FILES:
        files[folder / f"{name}.toml"] = (rules / f"{name}.toml").read_text(encoding="utf-8")
    return files


def init(folder: Path) -> str:
    """Write the starter files into `folder`; refuse if any of them exists."""
    try:
        files = planned_files(folder)
    except FileNotFoundError as exc:
        raise InitError(str(exc)) from None
    existing = [path.name for path in files if path.exists()]
    if existing:
        raise InitError(f"{folder}: уже есть {', '.join(existing)}; ничего не записано "
                        f"(выберите пустую папку или удалите эти файлы)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path, text in files.items():
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
    except OSError as exc:
        raise InitError(f"{folder}: не удалось записать: {exc.strerror or exc}") from None
    return NEXT_STEPS.format(folder=folder)
