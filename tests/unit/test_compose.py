import email
from datetime import datetime
from email import policy
from pathlib import Path

from mailbot.compose import Rendered, Templates, build

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
        requester_name="<b>Анна</b>",
        case_number=42,
        subject="Не могу войти <script>",
        tagged_subject="[ЭЖ #42] Не могу войти",
        received_local="23.11.2026 10:00",
    )
    assert rendered.subject == "[ЭЖ #42] Не могу войти"
    assert "42" in rendered.text and "Здравствуйте, <b>Анна</b>!" in rendered.text
    assert "&lt;b&gt;Анна&lt;/b&gt;" in rendered.html and "<script>" not in rendered.html
