"""Render every template with sample data: one line per template that fails.

The sample contexts (sample_mail.py) hold what the flows pass. A variable a bundled
template uses that the samples lack (the wording changed since) gets a blank stand-in, so
only real mistakes fail: a template that is missing or does not parse, an include that is
not there, a filter that breaks, or a school's own template asking for a variable that
mailbot never passes to that mail.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jinja2 import (
    ChainableUndefined,
    Environment,
    FileSystemLoader,
    TemplateError,
    UndefinedError,
    meta,
)

from mailbot.app import App
from mailbot.service import bundled, sample_mail


def problems(app: App) -> tuple[int, list[str]]:
    """(templates rendered, one line per failure naming the template and why)."""
    failures: list[str] = []
    available = {name.removesuffix(".txt.j2") for name in app.templates.env.list_templates()
                 if name.endswith(".txt.j2")}
    # A sample whose template is gone belongs to a mail mailbot no longer writes.
    samples = {k: v for k, v in sample_mail.contexts(app).items() if k in available}
    shipped = _shipped_env(app.templates.env)
    read: dict[str, tuple[set[str], list[str]]] = {}  # each template parsed once
    for name, context in sorted(samples.items()):
        try:
            _render(app, name, context, lambda n: variables(shipped, n, read))
        except TemplateError as exc:
            where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
            failures.append(f"{name}.txt.j2{where}: {type(exc).__name__}: {_first(exc)}")
    return len(samples), failures


def _render(app: App, name: str, context: dict[str, object],
            uses: Callable[[str], set[str]]) -> None:
    """Render one mail with its sample context, stand-ins for what the samples lack.

    The stand-ins are worked out only when the sample misses a variable (reading a
    template's variables costs as much as compiling it, and the samples hold what the
    bundled templates use): a render that used no missing variable is the same with them,
    as an Undefined that did not fail behaves alike in both kinds. Otherwise the mail is
    rendered again with them, exactly as always, and fails or not as it did.
    """
    try:
        app.templates.render(name, **context)
        return
    except UndefinedError:
        pass
    stand_ins = {var: ChainableUndefined(name=var)
                 for var in uses(f"{name}.txt.j2") - set(context)}
    app.templates.render(name, **stand_ins, **context)


def variables(env: Environment, name: str,
              read: dict[str, tuple[set[str], list[str]]] | None = None) -> set[str]:
    """The variables a template and the templates it includes use from its context.

    `read`: what each template already looked at uses and includes, shared between the
    calls of one check (most mails include the same few templates, and a parse with its
    variables costs as much as compiling the template).
    """
    read = {} if read is None else read
    found: set[str] = set()
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current not in read:
            read[current] = _uses(env, current)
        used, included = read[current]
        found |= used
        todo += included
    return found


def _uses(env: Environment, name: str) -> tuple[set[str], list[str]]:
    """(variables one template uses, templates it includes); nothing for a missing one."""
    try:
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    except TemplateError:
        return set(), []
    tree = env.parse(source)
    return (meta.find_undeclared_variables(tree),
            [ref for ref in meta.find_referenced_templates(tree) if ref])


def _shipped_env(school: Environment) -> Environment:
    """The bundled templates alone, with the filters of the real environment."""
    env = Environment(loader=FileSystemLoader(str(Path(str(bundled.templates())))))
    env.filters.update(school.filters)
    return env


def _first(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
