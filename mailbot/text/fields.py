"""Value types of the text rule files: categories, etiquette and knowledge.

The plain values (Text, AnyText, Count, Table, choice, list_of_tables) are tomlfile's, shared
with the school's files; these are the text files' own. Each type annotates a field of a
`tomlfile.RuleModel` and refuses a wrong value with a short
reason; `tomlfile` puts the file and the key in front, list entries counted from 1, so a
mistake reads `config/knowledge.toml: article[3].words[2]: must be non-empty text, got 3`.
Numbers are checked strictly: TOML has numbers, so "3" or true where a number belongs is a
mistake, not something to convert. A wrong type raises ValueError, not TypeError: pydantic
makes a field error only of a ValueError (hence the `noqa: TRY004`).

The checks that come after the types (a regular expression, one entry against another) raise
`RuleError("key: why")`, and the loader puts the file name in front, so every mistake has the
same form.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints

from mailbot.school.tomlfile import Text


class RuleError(ValueError):
    """A mistake found after the types, as `key: why`; the loader puts the file name in front."""


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, got {value!r}")  # noqa: TRY004
    return float(value)


def _positive(value: Any) -> float:
    if _number(value) <= 0:
        raise ValueError(f"must be greater than 0, got {value!r}")
    return float(value)


def _not_negative(value: Any) -> float:
    if _number(value) < 0:
        raise ValueError(f"must be at least 0, got {value!r}")
    return float(value)


def _share(value: Any) -> float:
    if _not_negative(value) > 1:
        raise ValueError(f"must be a share from 0 to 1, got {value!r}")
    return float(value)


def _confidence(value: Any) -> float:
    if not 0 < _number(value) <= 1:
        raise ValueError(f"must be a number in (0, 1], got {value!r}")
    return float(value)


def _as_written(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {value!r}")  # noqa: TRY004
    return value


def _list(value: Any) -> Any:
    if not isinstance(value, list):
        raise ValueError("must be a list of text")  # noqa: TRY004
    return value


def _filled_list(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of text")
    return value


Number = Annotated[float, BeforeValidator(_number)]
Positive = Annotated[float, BeforeValidator(_positive)]
NotNegative = Annotated[float, BeforeValidator(_not_negative)]
Share = Annotated[float, BeforeValidator(_share)]
Confidence = Annotated[float, BeforeValidator(_confidence)]
# As written, spaces included: a regular expression, or a key that is shown back to people.
# (The constraint must come before the validator, or pydantic strips all the same.)
Verbatim = Annotated[str, StringConstraints(strip_whitespace=False), BeforeValidator(_as_written)]
TextList = BeforeValidator(_list)
FilledTextList = BeforeValidator(_filled_list)
Texts = Annotated[tuple[Text, ...], TextList]
FilledTexts = Annotated[tuple[Text, ...], FilledTextList]
