"""Put the bundled sample mail into an empty local mailbox, so a first run shows something."""

from __future__ import annotations

from pathlib import Path

from mailbot.adapters.maildir_source import deliver, ensure_maildir


def seed(samples: Path, maildir: Path) -> int:
    """Copy data/samples/*.eml into an empty Maildir; returns how many were added."""
    ensure_maildir(maildir)
    if any((maildir / "new").iterdir()) or any((maildir / "cur").iterdir()):
        return 0
    files = sorted(samples.glob("*.eml"))
    for index, path in enumerate(files):
        deliver(maildir, path.read_bytes(), f"{1_700_000_000 + index}.sample{index:03d}.mailbot")
    return len(files)
