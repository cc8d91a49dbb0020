"""Value types of the text rule files: categories, etiquette and knowledge.

Each type annotates a field of a `tomlfile.RuleModel` and refuses a wrong value with a short
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


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be a whole number of at least 1, got {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be non-empty text, got {value!r}")
    return value


def _any_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {value!r}")  # noqa: TRY004
    return value


def _table(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("must be a table")  # noqa: TRY004
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
Count = Annotated[int, BeforeValidator(_count)]
Text = Annotated[str, BeforeValidator(_text)]  # stripped, not empty
AnyText = Annotated[str, BeforeValidator(_any_text)]  # stripped, may be empty
# As written, spaces included: a regular expression, or a key that is shown back to people.
# (The constraint must come before the validator, or pydantic strips all the same.)
Verbatim = Annotated[str, StringConstraints(strip_whitespace=False), BeforeValidator(_any_text)]
Table = BeforeValidator(_table)  # «must be a table» instead of pydantic's class name
TextList = BeforeValidator(_list)
FilledTextList = BeforeValidator(_filled_list)
Texts = Annotated[tuple[Text, ...], TextList]
FilledTexts = Annotated[tuple[Text, ...], FilledTextList]


def choice(*allowed: str) -> Any:
    """A text that must be one of `allowed`."""
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}")
        return value
    return Annotated[str, BeforeValidator(check)]


def list_of_tables(name: str, *, filled: bool = False) -> BeforeValidator:
    """A [[name]] list: «must be a list of [[name]] tables» for anything else."""
    def check(value: Any) -> Any:
        if (not isinstance(value, list) or not all(isinstance(v, dict) for v in value)
                or (filled and not value)):
            need = "a non-empty" if filled else "a"
            raise ValueError(f"must be {need} list of [[{name}]] tables")
        return value
    return BeforeValidator(check)
