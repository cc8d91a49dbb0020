"""compose's shortcuts give what the plain ways give: the subject and text rendered in one
jinja2 context, the remembered HTML of short blocks."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from jinja2 import Template, UndefinedError

from mailbot.outgoing import compose

SUBJECT_TEMPLATES = {
    "plain.txt.j2": "{% block subject %}[#{{ n }}] {{ title }}{% endblock %}\nТекст {{ n }}.\n",
    "sets.txt.j2": ("{% set x = n * 2 %}{% block subject %}{% set y = 5 %}{{ title }} {{ y }}"
                    "{% endblock %}\n{{ x }} {{ y | default('-') }}\n"),
    "late.txt.j2": "Начало {{ n }}\n{% block subject %}{{ title }}{% endblock %}\nконец\n",
    "none.txt.j2": "Без темы {{ title }}\n",
    "base.txt.j2": "{% block subject %}База {{ n }}{% endblock %}\n{% block body %}{% endblock %}\n",
    "child.txt.j2": ('{% extends "base.txt.j2" %}{% block subject %}[{{ n }}] {{ title }}'
                     "{% endblock %}{% block body %}Текст {{ title }}{% endblock %}"),
    "loop.txt.j2": ("{% block subject %}{% for i in range(n) %}{{ i }},{% endfor %}{% endblock %}"
                    "\n{% for i in range(n) %}- {{ title }} {{ i }}\n{% endfor %}"),
}


@pytest.fixture
def templates(tmp_path: Path) -> compose.Templates:
    for name, source in SUBJECT_TEMPLATES.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    return compose.Templates(tmp_path)


@pytest.mark.parametrize("name", sorted(SUBJECT_TEMPLATES))
def test_subject_and_text_are_what_render_and_a_fresh_context_give(
    templates: compose.Templates, name: str,
) -> None:
    template: Template = templates.env.get_template(name)
    for n in range(4):
        context: dict[str, object] = {"n": n, "title": f"Тема <{n}> & «кавычки»"}
        block = template.blocks.get("subject")
        subject = "".join(block(template.new_context(dict(context)))) if block else ""
        assert compose._subject_and_text(template, context) == (
            subject, template.render(**context))
        assert context == {"n": n, "title": f"Тема <{n}> & «кавычки»"}


def test_a_missing_variable_still_fails_the_render(templates: compose.Templates) -> None:
    with pytest.raises(UndefinedError):
        templates.render("plain", n=1)  # no title: StrictUndefined, in the subject block
    with pytest.raises(UndefinedError):
        templates.render("none")  # no subject block, the text itself


def _block_text(rng: random.Random, size: int) -> str:
    pieces = ("> ", "- ", "  ", "слово ", "http://x.example/a?b=1&c=2 ", "<b>", "& ", ".",
              "«т» ", "a" * 70)
    lines = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 8)))
             for _ in range(size)]
    # No blank line inside, nothing for text_to_html's strip() at either end: one block.
    return "\n".join(line + "." for line in lines).lstrip()


def test_long_and_short_blocks_are_made_html_the_same_way() -> None:
    rng = random.Random(7)
    for _ in range(300):
        block = _block_text(rng, rng.choice((1, 3, 10, 200)))
        expected = compose._text_block_html(block)
        # Both ways through text_to_html (remembered or not), twice: the same HTML.
        assert str(compose.text_to_html(block)) == expected
        assert str(compose.text_to_html(block)) == expected
        assert compose._short_block_html(block) == expected


def test_text_to_html_of_repeated_blocks_keeps_each_mail_its_own() -> None:
    first = compose.text_to_html("Здравствуйте!\n\nТекст <один>\n\nС уважением,\nСлужба")
    second = compose.text_to_html("Здравствуйте!\n\nТекст <два>\n\nС уважением,\nСлужба")
    assert str(first) == ("<p>Здравствуйте!</p>\n<p>Текст &lt;один&gt;</p>\n"
                          "<p>С уважением,<br>Служба</p>")
    assert str(second) == str(first).replace("один", "два")


def _halved_block_html(lines: list[str]) -> str:
    """compose._block_html as it was: split at the first change of quoting, each half again."""
    quoted = [line.startswith(">") for line in lines]
    if any(quoted) and not all(quoted):
        cut = quoted.index(True) if not quoted[0] else quoted.index(False)
        return _halved_block_html(lines[:cut]) + _halved_block_html(lines[cut:])
    return compose._run_html(lines, quoted[0])


def test_a_block_is_made_html_run_by_run_as_by_halves() -> None:
    rng = random.Random(11)
    for _ in range(500):
        lines = _block_text(rng, rng.choice((1, 3, 10, 60))).splitlines()
        assert compose._block_html(lines) == _halved_block_html(lines)
    # Past the recursion limit that halving ran into: one run after the other.
    alternating = [("> вопрос" if i % 2 else "ответ") for i in range(5000)]
    assert compose._block_html(alternating).count("<blockquote") == 2500
