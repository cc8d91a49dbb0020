"""Which attachments are never passed on (reading/risky.py): by name, type, first bytes and
what an archive holds."""

from __future__ import annotations

import io
import zipfile

import pytest

from mailbot.reading.risky import (
    BROKEN,
    ENCRYPTED,
    EXECUTABLE,
    MACROS,
    UNCHECKED,
    extension,
    risk,
)


def zipped(*entries: tuple[str, bytes], encrypted: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    raw = bytearray(out.getvalue())
    if encrypted:  # the stdlib cannot encrypt: set the entry's "password" flag by hand
        at = raw.find(b"PK\x01\x02")  # central directory entries, which readers trust
        while at >= 0:
            size = int.from_bytes(raw[at + 28:at + 30], "little")
            if raw[at + 46:at + 46 + size] == encrypted.encode():
                raw[at + 8] |= 0x1
            at = raw.find(b"PK\x01\x02", at + 4)
    return bytes(raw)


@pytest.mark.parametrize(("name", "expected"), [
    ("setup.exe", "exe"), ("фото.JPG.exe", "exe"), ("счёт.pdf.scr. ", "scr"),
    ("C:\\temp\\run.BAT", "bat"), ("README", ""), (".hidden", "hidden")])
def test_the_extension_is_the_last_one_as_windows_sees_it(name: str, expected: str) -> None:
    assert extension(name) == expected


@pytest.mark.parametrize(("name", "content_type", "data", "why"), [
    ("setup.exe", "application/octet-stream", b"MZ\x90\x00", EXECUTABLE),
    ("фото.jpg.exe", "image/jpeg", b"\xff\xd8\xff", EXECUTABLE),
    ("script.js", "text/plain", b"alert(1)", EXECUTABLE),
    ("update.ps1", "text/plain", b"Get-Item", EXECUTABLE),
    ("link.lnk", "application/octet-stream", b"", EXECUTABLE),
    ("отчёт.xlsm", "application/octet-stream", b"PK\x03\x04", MACROS),
    ("отчёт.xlsx", "application/vnd.ms-excel.sheet.macroEnabled.12", b"", MACROS),
    ("справка.pdf", "application/pdf", b"MZ\x90\x00\x03", EXECUTABLE),  # a renamed program
    ("document", "application/x-msdownload", b"", EXECUTABLE),
    ("архив.rar", "application/octet-stream", b"Rar!\x1a\x07\x01\x00", UNCHECKED),
    ("данные.bin2", "application/octet-stream", b"7z\xbc\xaf\x27\x1c", UNCHECKED),
    ("большой.exe", "application/octet-stream", None, EXECUTABLE),  # too large to keep
])
def test_programs_scripts_macros_and_unreadable_archives(
        name: str, content_type: str, data: bytes | None, why: str) -> None:
    assert risk(name, content_type, data) == why


@pytest.mark.parametrize(("name", "content_type", "data"), [
    ("снимок.png", "image/png", b"\x89PNG\r\n\x1a\n"),
    ("заявление.pdf", "application/pdf", b"%PDF-1.7"),
    ("табель.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     zipped(("xl/workbook.xml", b"<workbook/>"))),
    ("снимки.zip", "application/zip", zipped(("1.jpg", b"\xff\xd8"), ("папка/", b""))),
    ("большой.png", "image/png", None),
])
def test_ordinary_files_pass(name: str, content_type: str, data: bytes | None) -> None:
    assert risk(name, content_type, data) == ""


def test_an_archive_is_judged_by_what_it_holds() -> None:
    assert risk("документы.zip", "application/zip",
                zipped(("1.jpg", b"\xff\xd8"), ("docs/setup.exe", b"MZ"))) == (
        "архив, в котором лежит исполняемый файл «setup.exe»")
    assert "документ с макросами «табель.docm»" in risk(
        "документы.zip", "application/zip", zipped(("табель.docm", b"PK")))
    # a zip sent under another name is still opened
    assert "setup.exe" in risk("снимок.png", "image/png", zipped(("setup.exe", b"MZ")))
    assert risk("a.zip", "application/zip", zipped(("b.rar", b"Rar!"))) == (
        "архив, в котором лежит архив «b.rar»: его содержимое проверить нельзя")


def test_archives_inside_archives_are_opened_too() -> None:
    inner = zipped(("run.vbs", b"x"))
    why = risk("a.zip", "application/zip", zipped(("b.zip", inner)))
    assert "«b.zip»" in why and "run.vbs" in why
    assert risk("a.zip", "application/zip", zipped(("b.zip", zipped(("ok.txt", b"x"))))) == ""


def test_an_office_document_with_a_macro_project_is_caught_whatever_its_name() -> None:
    docm = zipped(("word/document.xml", b"<w/>"), ("word/vbaProject.bin", b"\x00"))
    assert risk("приказ.docx", "application/octet-stream", docm) == MACROS
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "_VBA_PROJECT".encode("utf-16-le")
    assert risk("старый.doc", "application/msword", ole) == MACROS
    assert risk("старый.doc", "application/msword", ole[:72]) == ""


def test_a_locked_or_broken_archive_is_withheld() -> None:
    assert risk("a.zip", "application/zip",
                zipped(("ok.txt", b"x"), ("secret.txt", b"y"), encrypted="secret.txt")) == (
        ENCRYPTED)
    assert risk("a.zip", "application/zip", b"PK\x03\x04 not really a zip") == BROKEN
