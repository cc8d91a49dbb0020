"""What the school's own mail server says about a mail's authentication (RFC 8601
Authentication-Results), read without any network lookup.

    Authentication-Results: mx.school.example;
        dkim=fail (signature did not verify) header.d=school.example;
        spf=fail smtp.mailfrom=school.example;
        dmarc=fail (p=reject dis=none) header.from=school.example

Anyone can write such a header into a mail, so only the ones whose authserv-id (the first
word) is the school's own server are read (`security.authserv_id`, "" = off), and of those
only the topmost run: a server adds its field at the top of the header, and RFC 8601 §5
asks a border server to remove fields claiming its own name that arrived with the mail;
where it does not, a forger's copy sits below the border server's Received field. So the
run starts at the first field of ours and ends at the next Received field. Within it a
failure outweighs a pass for DMARC and SPF (a forged "pass" added next to the real "fail"
changes nothing); for DKIM any passing signature counts, as a mail can carry several.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mailbot.reading.mime_headers import split_params

_RESINFO = re.compile(r"^\s*([a-z0-9][a-z0-9_.-]*)\s*(?:/\s*\d+\s*)?=\s*([a-z0-9_-]+)(.*)$",
                      re.IGNORECASE | re.DOTALL)
_VALUE = r'("(?:[^"\\]|\\.)*"|[^\s";]+)'
_REASON = re.compile(rf"\breason\s*=\s*{_VALUE}", re.IGNORECASE)
_PROPERTY = re.compile(rf"\b([a-z0-9_-]+)\s*\.\s*([a-z0-9_.-]+)\s*=\s*{_VALUE}", re.IGNORECASE)


@dataclass(frozen=True)
class Result:
    method: str  # dkim, spf, dmarc, arc, auth, iprev, compauth, ... (lower case)
    result: str  # pass, fail, none, softfail, neutral, temperror, permerror, ...
    reason: str = ""
    properties: tuple[tuple[str, str], ...] = ()  # ("header.from", "school.example"), ...

    def prop(self, name: str) -> str:
        return next((value for key, value in self.properties if key == name), "")


@dataclass(frozen=True)
class AuthResults:
    authserv_id: str  # lower case; "" when the field names none (Microsoft 365 does that)
    results: tuple[Result, ...]


def parse(value: str) -> AuthResults:
    """One field's value; parts that are not understood are left out, never an error."""
    parts = [part for part in split_params(_uncomment(" ".join(value.split()))) if part.strip()]
    head = parts[0].strip() if parts else ""
    if "=" in head:  # no authserv-id at all: the first part is a result already
        ident, rest = "", parts
    else:
        ident, rest = (_unquote(head.split()[0]).lower() if head else ""), parts[1:]
    results = tuple(found for found in map(_result, rest) if found is not None)
    return AuthResults(ident, results)


def trusted(fields: Iterable[tuple[str, str]], authserv_id: str) -> tuple[AuthResults, ...]:
    """The topmost run of Authentication-Results fields written by our own server; header
    fields in their order in the mail, top first. `authserv_id` may be "*.example.net" for
    any host of a provider that names each of its servers ("mxfront9q.mail.yandex.net")."""
    if not authserv_id.strip():
        return ()
    run: list[AuthResults] = []
    for name, value in fields:
        lowered = name.strip().lower()
        if lowered == "received" and run:
            break
        if lowered != "authentication-results":
            continue
        found = parse(str(value))
        if _ours(found.authserv_id, authserv_id):
            run.append(found)
    return tuple(run)


def failure(fields: Iterable[tuple[str, str]], authserv_id: str) -> str:
    """Why our server says the mail is not from its From domain: "DMARC fail per
    mx.school.example (header.from=school.example)", or "" when it does not say so."""
    run = trusted(fields, authserv_id)
    results = [r for found in run for r in found.results]
    by = run[0].authserv_id if run else ""
    dmarc = _outcome(results, "dmarc", fail_wins=True)
    if dmarc is not None and dmarc.result == "fail":
        return f"DMARC fail per {by}{_about(dmarc, 'header.from')}"
    if dmarc is not None and dmarc.result not in ("none", "temperror", "permerror"):
        return ""
    dkim = _outcome(results, "dkim", fail_wins=False)
    spf = _outcome(results, "spf", fail_wins=True)
    if dkim is not None and spf is not None and dkim.result == spf.result == "fail":
        return f"DKIM and SPF fail per {by}{_about(spf, 'smtp.mailfrom', 'smtp.mail')}"
    return ""


def _outcome(results: Sequence[Result], method: str, *, fail_wins: bool) -> Result | None:
    mine = [r for r in results if r.method == method]
    for wanted in (("fail", "pass") if fail_wins else ("pass", "fail")):
        hit = next((r for r in mine if r.result == wanted), None)
        if hit is not None:
            return hit
    return mine[0] if mine else None


def _about(result: Result, *names: str) -> str:
    """The identity a result speaks of, under the first of `names` the field uses."""
    for name in names:
        if value := result.prop(name):
            return f" ({name}={value})"
    return ""


def _ours(found: str, wanted: str) -> bool:
    wanted = wanted.strip().lower()
    if wanted.startswith("*."):
        return found.endswith(wanted[1:])
    return found == wanted


def _result(part: str) -> Result | None:
    found = _RESINFO.match(part)
    if found is None:
        return None
    method, result, rest = found.group(1).lower(), found.group(2).lower(), found.group(3)
    reason = _REASON.search(rest)
    if reason is not None:
        rest = rest[:reason.start()] + " " + rest[reason.end():]
    props = tuple((f"{p.group(1).lower()}.{p.group(2).lower()}", _unquote(p.group(3)))
                  for p in _PROPERTY.finditer(rest))
    return Result(method, result, _unquote(reason.group(1)) if reason else "", props)


def _uncomment(text: str) -> str:
    """The text without (comments), nested ones too; quoted strings are kept as they are."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
        elif quoted:
            quoted = char != '"'
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            quoted = char == '"'
            out.append(char)
    return "".join(out)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
