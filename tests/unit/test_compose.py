import email
from datetime import datetime
from email import policy
from pathlib import Path

from mailbot.outgoing.compose import (
    FileAttachment,
    Rendered,
    Templates,
    build,
    indent_quote,
    text_to_html,
)

ROOT = Path(__file__).resolve().parents[2]


def test_headers_are_encoded_and_cannot_be_injected() -> None:
    raw = build(
        sender=("Служба помощи", "help@school.example"),
        to=[('Иванова "Мама" Анна\r\nBcc: evil@x.example', "mama@mail.example")],
        rendered=Rendered(
            subject="[ЭЖ #1] Тема\r\nBcc: evil@x.example", text="Текст", html="<p>Текст</p>"
        ),
        message_id="m1@school.example",
        date=datetime(2026, 11, 23, 5, 0),
        loop_domain="school.example",
        in_reply_to="orig@mail.example",
        references=("older@mail.example",),
    )
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in head and b"\r\nBcc:" not in head
    assert all(byte < 128 for byte in head), "headers must be 7-bit encoded"
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "[ЭЖ #1] Тема Bcc: evil@x.example"
    assert msg["In-Reply-To"] == "<orig@mail.example>"
    assert msg["References"] == "<older@mail.example> <orig@mail.example>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Message-ID"] == "<m1@school.example>"
    assert msg.get_body(("plain",)).get_content().strip() == "Текст"


def test_ack_template_renders_both_parts_and_escapes_html() -> None:
    templates = Templates(ROOT / "templates")
    rendered = templates.render(
        "ack",
        helpdesk_name="Служба",
        school="Школа",
        system_name="ЭПОС.Школа",
        requester_name="Петрова Анна Сергеевна",
        case_number=42,
        subject="Не могу войти <script>",
        tagged_subject="[ЭЖ #42] Не могу войти",
        received_local="23.11.2026 10:00",
        complaint_to="",
        to_vendor=False,
        helper_position="администратор электронного журнала",
        articles=[],
        consultations=[],
    )
    assert rendered.subject == "[ЭЖ #42] Не могу войти"
    assert "42" in rendered.text and "Здравствуйте, Анна Сергеевна!" in rendered.text
    assert "Не могу войти &lt;script&gt;" in rendered.html and "<script>" not in rendered.html


def test_text_to_html_escapes_and_keeps_structure() -> None:
    html = str(text_to_html(
        "Здравствуйте, <b>Анна</b>!\n\n- первый пункт\n  продолжение\n- второй: "
        "https://school.example/a?b=1&c=2.\n\n> цитата <script>\n> вторая строка"
    ))
    assert "&lt;b&gt;Анна&lt;/b&gt;" in html and "<script>" not in html
    assert "<li>первый пункт продолжение</li>" in html
    assert '<a href="https://school.example/a?b=1&amp;c=2">' in html  # the dot stays outside
    assert html.count("<blockquote") == 1 and "вторая строка" in html


def test_attachments_keep_their_russian_names() -> None:
    raw = build(
        sender=("Служба помощи", "help@school.example"),
        to=[("Иванова", "n.ivanova@school.example")],
        rendered=Rendered(subject="Тема", text="Текст", html="<p>Текст</p>"),
        message_id="m2@school.example",
        date=datetime(2026, 11, 23, 5, 0),
        loop_domain="school.example",
        reply_to="help+c1.ivanova.0123456789abcdef0123@school.example",
        attachments=[FileAttachment("снимок экрана.png", "image/png", b"\x89PNG data"),
                     FileAttachment("письмо.eml", "message/rfc822", b"From: x")],
    )
    msg = email.message_from_bytes(raw, policy=policy.default)
    files = {part.get_filename(): part for part in msg.iter_attachments()}
    assert set(files) == {"снимок экрана.png", "письмо.eml"}
    assert files["снимок экрана.png"].get_content() == b"\x89PNG data"
    assert files["письмо.eml"].get_content_type() == "application/octet-stream"
    assert msg["Reply-To"].addresses[0].addr_spec.startswith("help+c1.ivanova.")
    assert msg.get_body(("plain",)).get_content().strip() == "Текст"


def test_the_subject_line_is_not_repeated_in_the_body() -> None:
    templates = Templates(ROOT / "templates")
    rendered = templates.render(
        "unverified", helpdesk_name="Служба", school="", tag="ЭЖ", case_number=5,
        tagged_subject="[ЭЖ #5] Тема", person_full_name="Иванова Надежда Павловна",
        from_addr="n.ivanova@school.example", doubt="token",
    )
    assert rendered.subject.startswith("[ЭЖ #5] Тема")
    assert rendered.text.startswith("Здравствуйте, Надежда Павловна!")


def test_a_list_with_a_lead_in_and_a_paragraph_after_it() -> None:
    html = str(text_to_html("Команды:\n- #закрыть — закрыть\n  обращение\n- #помощь — памятка\n"
                            "Текст после команд уходит пользователю."))
    assert '<p style="margin-bottom:4px;">Команды:</p>' in html
    assert "<li>#закрыть — закрыть обращение</li><li>#помощь — памятка</li></ul>" in html
    assert html.endswith("<p>Текст после команд уходит пользователю.</p>")


def test_a_quote_under_its_lead_in_is_a_block_of_paragraphs_not_wrapped_lines() -> None:
    quote = indent_quote("Не могу зайти в электронный дневник ребенка, хотя захожу через\n"
                         "госуслуги и ввожу логин и пароль.\n\nДочь Полина, 4 А.")
    html = str(text_to_html("Текст обращения:\n" + quote))
    assert html.startswith("<p>Текст обращения:</p><blockquote")
    assert "через госуслуги" in html and "&gt;" not in html
    assert html.count('<p style="margin:4px 0;">') == 2
