"""Authentication-Results as real servers write them: only our own server's topmost fields
count, and what they say about DMARC, DKIM and SPF."""

from __future__ import annotations

import pytest

from mailbot.reading import auth_results
from mailbot.reading.auth_results import Result
from mailbot.reading.parsing import parse

GMAIL_PASS = (
    "mx.google.com;\r\n"
    "       dkim=pass header.i=@school.example header.s=mail header.b=Kq1sZ3xP;\r\n"
    "       spf=pass (google.com: domain of n.ivanova@school.example designates 203.0.113.5 as\r\n"
    "        permitted sender) smtp.mailfrom=n.ivanova@school.example;\r\n"
    "       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=school.example")
GMAIL_FAIL = (
    "mx.google.com;\r\n"
    "       spf=fail (google.com: domain of n.ivanova@school.example does not designate\r\n"
    "        198.51.100.7 as permitted sender) smtp.mailfrom=n.ivanova@school.example;\r\n"
    "       dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=school.example")
YANDEX_FAIL = (
    "mxfront9q.mail.yandex.net; spf=fail (mxfront9q.mail.yandex.net: domain of school.example\r\n"
    "\tdoes not designate 198.51.100.7 as permitted sender, rule=[-all])\r\n"
    "\tsmtp.mail=n.ivanova@school.example; dkim=fail header.i=@school.example")
MAILRU_PASS = (
    "mxs.mail.ru; spf=pass (mx227.i.mail.ru: domain of school.example designates 203.0.113.5\r\n"
    " as permitted sender) smtp.mailfrom=n.ivanova@school.example\r\n"
    " smtp.helo=mail.school.example;\r\n\t dkim=pass header.d=school.example")
MICROSOFT = (
    "spf=fail (sender IP is 198.51.100.7)\r\n smtp.mailfrom=school.example; dkim=none (message"
    " not signed)\r\n header.d=none;dmarc=fail action=oreject\r\n header.from=school.example;"
    "compauth=fail reason=000")
# Postfix with OpenDMARC, OpenDKIM and policyd-spf: one field each, above the Received field
# of the border server; below it, the forger's own "pass".
POSTFIX_FORGED = [
    ("Authentication-Results", ("mx.school.example; dmarc=fail (p=reject dis=none)"
                               " header.from=school.example")),
    ("Authentication-Results", ('mx.school.example;\r\n\tdkim=fail reason="signature'
                               ' verification failed" (2048-bit key; unprotected)'
                               " header.d=school.example header.i=@school.example"
                               ' header.b="AbCdEf12";\r\n\tdkim-atps=neutral')),
    ("Authentication-Results", ("mx.school.example; spf=fail (sender SPF authorized)"
                               " smtp.mailfrom=school.example (client-ip=198.51.100.7;"
                               " helo=forger.example; envelope-from=n.ivanova@school.example)")),
    ("Received", ("from forger.example (forger.example [198.51.100.7])\r\n\tby"
                 " mx.school.example (Postfix) with ESMTP id 4ABC123\r\n\tfor"
                 " <help@school.example>; Thu,  3 Dec 2026 10:00:00 +0500 (+05)")),
    ("Authentication-Results", ("mx.school.example; dmarc=pass header.from=school.example;"
                               " dkim=pass header.d=school.example; spf=pass"
                               " smtp.mailfrom=school.example")),
]


def _fields(*values: str, above: tuple[tuple[str, str], ...] = ()) -> list[tuple[str, str]]:
    return [*above, *(("Authentication-Results", v) for v in values),
            ("Received", "from mail.school.example by mx.school.example")]


def test_gmails_field_with_folding_comments_and_three_results() -> None:
    found = auth_results.parse(GMAIL_PASS)
    assert found.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in found.results] == [
        ("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
    assert found.results[1].prop("smtp.mailfrom") == "n.ivanova@school.example"
    assert found.results[2].prop("header.from") == "school.example"


def test_yandex_and_mailru_shapes() -> None:
    yandex = auth_results.parse(YANDEX_FAIL)
    assert yandex.authserv_id == "mxfront9q.mail.yandex.net"
    assert yandex.results == (
        Result("spf", "fail", "", (("smtp.mail", "n.ivanova@school.example"),)),
        Result("dkim", "fail", "", (("header.i", "@school.example"),)))
    mailru = auth_results.parse(MAILRU_PASS)
    assert mailru.authserv_id == "mxs.mail.ru"
    assert mailru.results[0].properties == (("smtp.mailfrom", "n.ivanova@school.example"),
                                            ("smtp.helo", "mail.school.example"))


def test_microsoft_365_names_no_server_so_it_is_never_ours() -> None:
    found = auth_results.parse(MICROSOFT)
    assert found.authserv_id == ""
    assert [(r.method, r.result) for r in found.results] == [
        ("spf", "fail"), ("dkim", "none"), ("dmarc", "fail"), ("compauth", "fail")]
    assert found.results[3].reason == "000"
    fields = _fields(MICROSOFT)
    assert auth_results.failure(fields, "outlook.com") == ""
    assert auth_results.failure(fields, "") == ""


@pytest.mark.parametrize(("value", "expected"), [
    ("mx.school.example 1; none", ("mx.school.example", ())),
    ('"mx.school.example"; spf=pass smtp.mailfrom=a@school.example',
     ("mx.school.example", (Result("spf", "pass", "", (("smtp.mailfrom", "a@school.example"),)),))),
    ('mx.school.example; dkim=fail reason="bad; really (not a comment)" header.d=x.example',
     ("mx.school.example", (Result("dkim", "fail", "bad; really (not a comment)",
                                   (("header.d", "x.example"),)),))),
    ("mx.school.example; (a (nested) comment) x-vendor-check/2 = PASS policy.x=1; garbage",
     ("mx.school.example", (Result("x-vendor-check", "pass", "", (("policy.x", "1"),)),))),
    ("", ("", ())),
])
def test_odd_but_legal_shapes(value: str, expected: tuple[str, tuple[Result, ...]]) -> None:
    found = auth_results.parse(value)
    assert (found.authserv_id, found.results) == expected


def test_only_the_topmost_run_of_our_own_server_is_trusted() -> None:
    run = auth_results.trusted(POSTFIX_FORGED, "MX.School.Example")
    assert [r.results[0].method for r in run] == ["dmarc", "dkim", "spf"]
    assert run[1].results[0].reason == "signature verification failed"
    assert auth_results.failure(POSTFIX_FORGED, "mx.school.example") == (
        "DMARC fail per mx.school.example (header.from=school.example)")
    # The forged "pass" alone, without our server's fields above it: nothing is believed
    # of other servers, and the field below the first Received stays the forger's.
    assert auth_results.trusted(POSTFIX_FORGED, "mx.other.example") == ()


def test_gmail_puts_its_field_below_its_own_received() -> None:
    fields = [("Received", "from forger.example by mx.google.com with ESMTPS"),
              ("Authentication-Results", GMAIL_FAIL),
              ("Received", "from forger-inside by forger.example"),
              ("Authentication-Results", GMAIL_PASS)]
    assert auth_results.failure(fields, "mx.google.com") == (
        "DMARC fail per mx.google.com (header.from=school.example)")


def test_a_forged_pass_next_to_the_real_fail_changes_nothing() -> None:
    forged = "mx.school.example; dmarc=pass header.from=school.example"
    assert auth_results.failure(_fields(GMAIL_FAIL.replace("mx.google.com", "mx.school.example"),
                                        forged), "mx.school.example").startswith("DMARC fail")


def test_dkim_and_spf_failing_without_dmarc_and_a_wildcard_server() -> None:
    assert auth_results.failure(_fields(YANDEX_FAIL), "*.mail.yandex.net") == (
        "DKIM and SPF fail per mxfront9q.mail.yandex.net (smtp.mail=n.ivanova@school.example)")
    assert auth_results.failure(_fields(YANDEX_FAIL), "mail.yandex.net") == ""


@pytest.mark.parametrize("value", [
    GMAIL_PASS,
    MAILRU_PASS,
    # SPF fails (a forwarder) but the signature survived: the mail is genuine.
    ("mx.school.example; spf=fail smtp.mailfrom=a@school.example; dkim=fail header.d=list.example;"
    " dkim=pass header.d=school.example"),
    # DMARC passes: SPF and DKIM failures beside it do not matter.
    "mx.school.example; spf=softfail smtp.mailfrom=a@school.example; dmarc=pass",
    # DKIM fails, SPF only soft-fails, no DMARC: not enough to call it forged.
    "mx.school.example; spf=softfail smtp.mailfrom=a@school.example; dkim=fail",
])
def test_no_failure_to_report(value: str) -> None:
    ours = auth_results.parse(value).authserv_id
    assert auth_results.failure(_fields(value), ours) == ""


def test_several_headers_read_from_a_real_mail() -> None:
    raw = (b"Authentication-Results: mx.school.example; dmarc=fail (p=quarantine)\r\n"
           b"\theader.from=school.example\r\n"
           b"Received: from forger.example by mx.school.example; Thu, 3 Dec 2026 10:00 +0500\r\n"
           b"Authentication-Results: mx.school.example; dmarc=pass\r\n"
           b"From: n.ivanova@school.example\r\nTo: help@school.example\r\nSubject: x\r\n"
           b"Message-ID: <x@forger.example>\r\n\r\nbody\r\n")
    fields = parse(raw).headers.items()
    assert auth_results.failure(fields, "mx.school.example") == (
        "DMARC fail per mx.school.example (header.from=school.example)")
    assert auth_results.failure(fields, "") == ""
