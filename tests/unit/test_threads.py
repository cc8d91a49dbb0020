from mailbot.desk.threads import ThreadFacts, find_tag, match, strip_prefixes, tagged_subject


def test_strip_prefixes_russian_and_english() -> None:
    cases = {
        "Re: вопрос": "вопрос",
        "RE: Re[2]: вопрос": "вопрос",
        "Отв: Ответ: не вижу оценки": "не вижу оценки",
        "Fwd: FW: Пересл: дневник": "дневник",
        "VS: AW: WG: Re^3: журнал": "журнал",
        "Re (2): тема": "тема",
        "Ответы на вопросы": "Ответы на вопросы",
        "Refund": "Refund",
        "Пересдача": "Пересдача",
    }
    for subject, expected in cases.items():
        assert strip_prefixes(subject) == expected, subject


def test_find_tag_behind_prefixes_and_spacing() -> None:
    assert find_tag("Re: [ЭЖ #42] Не могу войти", "ЭЖ") == 42
    assert find_tag("Отв: [эж #7] вопрос", "ЭЖ") == 7
    assert find_tag("[ЭЖ# 15]", "ЭЖ") == 15
    assert find_tag("Re: #42 вопрос", "ЭЖ") is None
    assert find_tag("[ЭД #42]", "ЭЖ") is None


def test_tagged_subject_replaces_old_tag_and_prefixes() -> None:
    assert tagged_subject("Re: Не могу войти", "ЭЖ", 5) == "[ЭЖ #5] Не могу войти"
    assert tagged_subject("Re: [ЭЖ #5] Не могу войти", "ЭЖ", 5) == "[ЭЖ #5] Не могу войти"
    assert tagged_subject("", "ЭЖ", 5) == "[ЭЖ #5]"


def test_match_prefers_references_over_tag() -> None:
    facts = ThreadFacts(
        by_reference={"a@x": 3}, tagged_case=9, tagged_participants=frozenset({"p@x"})
    )
    assert match(("a@x",), "p@x", facts).case == 3


def test_match_reply_that_arrived_before_its_original() -> None:
    assert match((), "p@x", ThreadFacts(referencing_me=(8,))).case == 8


def test_tag_only_joins_for_participants() -> None:
    facts = ThreadFacts(tagged_case=9, tagged_participants=frozenset({"mama@mail.example"}))
    assert match((), "mama@mail.example", facts).case == 9
    stranger = match((), "other@mail.example", facts)
    assert stranger.case is None and "ignored" in stranger.reasons[0]
    assert match((), "other@mail.example", facts, tag_requires_participant=False).case == 9


def test_no_evidence_opens_new_case() -> None:
    assert match(("unknown@x",), "p@x", ThreadFacts()).case is None


def test_reasons_name_cases_by_their_number_in_the_school() -> None:
    """The database's ids are not what people know: case id 12 is the school's #3."""
    facts = ThreadFacts(by_reference={"a@x": 12}, numbers={12: 3})
    assert match(("a@x",), "p@x", facts).reasons == ("answers <a@x> of case #3",)
    early = match((), "p@x", ThreadFacts(referencing_me=(12,), numbers={12: 3}))
    assert early.reasons == ("case #3 holds a reply to this mail",)
    tagged = ThreadFacts(tagged_case=12, numbers={12: 3})
    assert match((), "p@x", tagged).reasons == (
        "subject tag of case #3 ignored: p@x has not written in it",)
    assert match(("a@x",), "p@x", ThreadFacts(by_reference={"a@x": 12})).reasons == (
        "answers <a@x> of case id 12",)  # a number not read: the id, said to be one
