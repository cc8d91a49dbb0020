"""`mailbot init DIR`: a starter configuration a school's administrator edits.

Writes the commented mailbot.toml and the example rule files, never over a file that is
there already, and tells the operator what to edit next. `--schools A B ...` writes a
district's instead: the district file, and in schools/NAME/ each school's own starter file
and rule files, each school with a help address of its own to edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mailbot.district.deployment import SCHOOL_NAME
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

DISTRICT_NEXT_STEPS = """\
Готово: настройки района записаны в {folder}, школы: {names}.
Что исправить дальше:
  1. {folder}/mailbot.toml — общая база данных ([database]) и получатели сводки по району
     ([district] admins).
  2. В папке каждой школы ({folder}/schools/ИМЯ/) — её mailbot.toml: адрес службы помощи
     (у каждой школы свой), название школы, почтовый сервер; затем people.toml, routes.toml,
     schedule.toml и calendar.toml, как для одной школы.
Затем проверьте, ничего не меняя: mailbot --config {folder}/mailbot.toml check"""

# The starter's placeholder address; a district's schools each get one of their own, since
# two schools with one address are refused.
_STARTER_ADDRESS = "help@school.example"


class InitError(Exception):
    """Nothing was written; phrased as one line."""


def planned_files(folder: Path, schools: Sequence[str] = ()) -> dict[Path, str]:
    """Every file init writes, with its text: one school's, or with `schools` a district's."""
    if not schools:
        return _school_files(folder, bundled.starter_config())
    files = {folder / "mailbot.toml": district_config(schools)}
    for name in schools:
        starter = bundled.starter_config().replace(_STARTER_ADDRESS,
                                                   f"help@{name.replace('_', '-')}.school.example")
        files.update(_school_files(folder / "schools" / name, starter))
    return files


def _school_files(folder: Path, config: str) -> dict[Path, str]:
    files = {folder / "mailbot.toml": config}
    rules = bundled.rules()
    for name in bundled.RULE_FILES:
        files[folder / f"{name}.toml"] = (rules / f"{name}.toml").read_text(encoding="utf-8")
    return files


def district_config(schools: Sequence[str]) -> str:
    """The district file: the commented starter and one [[school]] entry per name."""
    entries = "".join(f'\n[[school]]\nname = "{name}"\nconfig = "schools/{name}/mailbot.toml"\n'
                      for name in schools)
    return bundled.district_starter_config() + entries


def _checked_names(schools: Sequence[str]) -> list[str]:
    """The school names, or InitError naming the first one the district file would refuse."""
    for i, name in enumerate(schools):
        if not SCHOOL_NAME.fullmatch(name):
            raise InitError(f"--schools: «{name}»: имя школы — строчные латинские буквы, цифры, "
                            "- и _ (до 40 знаков); по нему выбирают школу в --school")
        if name in schools[:i]:
            raise InitError(f"--schools: «{name}» указано дважды")
    return list(schools)


def init(folder: Path, schools: Sequence[str] = ()) -> str:
    """Write the starter files into `folder`; refuse if any of them exists."""
    names = _checked_names(schools)
    try:
        files = planned_files(folder, names)
    except FileNotFoundError as exc:
        raise InitError(str(exc)) from None
    existing = [str(path.relative_to(folder)) for path in files if path.exists()]
    if existing:
        more = f" и ещё {len(existing) - 3}" if len(existing) > 3 else ""
        raise InitError(f"{folder}: уже есть {', '.join(existing[:3])}{more}; ничего не "
                        "записано (выберите пустую папку или удалите эти файлы)")
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
    except OSError as exc:
        raise InitError(f"{folder}: не удалось записать: {exc.strerror or exc}") from None
    if names:
        return DISTRICT_NEXT_STEPS.format(folder=folder, names=", ".join(names))
    return NEXT_STEPS.format(folder=folder)
