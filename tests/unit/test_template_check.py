"""The template check works out a template's variables only when its sample lacks one, and
then fails or passes exactly as when it always did."""

from __future__ import annotations

from pytest import MonkeyPatch

from mailbot.service import sample_mail, template_check
from mailbot.service.check import _offline_app
from tests.unit.flowkit import school


def _app():  # type: ignore[no-untyped-def]
    config, rules = school()
    return _offline_app(config, rules)


def test_bundled_samples_need_no_stand_ins(monkeypatch: MonkeyPatch) -> None:
    looked: list[str] = []
    real = template_check.variables
    monkeypatch.setattr(template_check, "variables",
                        lambda *a, **k: looked.append(a[1]) or real(*a, **k))
    assert template_check.problems(_app())[1] == []
    assert looked == []


def test_a_variable_the_sample_lacks_gets_its_stand_in(monkeypatch: MonkeyPatch) -> None:
    real = sample_mail.contexts

    def without_case_number(app):  # type: ignore[no-untyped-def]
        found = real(app)
        found["ack"] = {k: v for k, v in found["ack"].items() if k != "case_number"}
        return found

    monkeypatch.setattr(sample_mail, "contexts", without_case_number)
    looked: list[str] = []
    uses = template_check.variables
    monkeypatch.setattr(template_check, "variables",
                        lambda *a, **k: looked.append(a[1]) or uses(*a, **k))
    assert template_check.problems(_app())[1] == []
    assert looked == ["ack.txt.j2"]
