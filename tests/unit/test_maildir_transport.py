"""The Maildir transport writes each mail the Maildir way and says so, or says why not."""

from __future__ import annotations

import shutil
from pathlib import Path

from mailbot.adapters.maildir_source import deliver
from mailbot.adapters.transport import Item, MaildirTransport, Result


def _send(transport: MaildirTransport, items: list[Item]) -> list[tuple[int, Result]]:
    results: list[tuple[int, Result]] = []
    transport.send(items, lambda item, result: results.append((item.id, result)))
    return results


def _items(*ids: int) -> list[Item]:
    return [Item(i, "help@school.example", ["a@b.example"], f"mail {i}\r\n".encode())
            for i in ids]


def test_each_mail_is_a_file_in_new_and_nothing_is_left_in_tmp(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path / "sent")
    transport.check()
    results = _send(transport, _items(1, 2, 3))
    files = sorted((tmp_path / "sent" / "new").iterdir())
    assert [r.status for _, r in results] == ["sent"] * 3
    assert [f.read_bytes() for f in files] == [b"mail 1\r\n", b"mail 2\r\n", b"mail 3\r\n"]
    assert [r.detail for _, r in results] == [f"written to {f}" for f in files]
    assert not list((tmp_path / "sent" / "tmp").iterdir())


def test_a_maildir_removed_while_running_is_made_again(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path / "sent")
    _send(transport, _items(1))
    shutil.rmtree(tmp_path / "sent")
    assert [r.status for _, r in _send(transport, _items(2))] == ["sent"]
    assert len(list((tmp_path / "sent" / "new").iterdir())) == 1


def test_a_maildir_that_cannot_be_written_is_unreachable_with_the_reason(
    tmp_path: Path,
) -> None:
    (tmp_path / "sent").mkdir()
    (tmp_path / "sent" / "tmp").write_text("a file where the folder should be")
    try:
        deliver(tmp_path / "sent", b"x", "probe")
    except OSError as exc:
        why = f"Maildir {tmp_path / 'sent'}: {exc}"
    results = _send(MaildirTransport(tmp_path / "sent"), _items(1, 2))
    assert results == [(1, Result("unreachable", why)), (2, Result("unreachable", why))]
