"""Attachments that must not be passed on: programs, scripts, documents with macros, and
archives holding them or that cannot be looked into.

Such a file is kept with its mail (`mailbot case N` lists it) but never forwarded to a
helper or the vendor's support: a parent's «снимок.exe» would otherwise leave the help
address signed by the school. The rules are data (the tables below); `risk` is pure.

How a file is judged, each step enough on its own:
- its name's extension (the last one: «фото.jpg.exe» is an .exe; trailing dots and spaces,
  which Windows drops, are dropped first);
- its declared content type;
- its first bytes (an .exe renamed «справка.pdf» still starts with «MZ»);
- for a ZIP archive (and the Office formats built on ZIP), the names inside it: a risky
  name, a macro project (vbaProject.bin: a .docm renamed .docx), a password-protected entry
  or a nested archive that is risky in turn; an archive that cannot be read is withheld;
- an old-style Office document (OLE) carrying a VBA project;
- RAR and 7z: the standard library cannot list them and there is no well-kept pure reader
  in our dependencies, so they are withheld as archives whose contents cannot be checked.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

EXECUTABLE = "исполняемый файл"
MACROS = "документ с макросами"
ENCRYPTED = "архив защищён паролем, проверить его содержимое нельзя"
UNCHECKED = "архив, содержимое которого служба не может проверить"
BROKEN = "повреждённый архив, проверить его содержимое нельзя"

# The last extension of a file's name -> why it is withheld.
EXTENSIONS: Mapping[str, str] = {
    **dict.fromkeys((
        # programs and installers
        "exe", "scr", "com", "pif", "msi", "msp", "mst", "dll", "cpl", "sys", "drv", "ocx",
        "jar", "class", "apk", "app", "appx", "appxbundle", "msix", "msixbundle", "deb",
        "rpm", "dmg", "pkg", "run", "bin", "elf", "gadget", "application", "xbap",
        # shortcuts and system settings that run something
        "lnk", "url", "scf", "inf", "reg", "msc", "settingcontent-ms", "library-ms",
        # scripts
        "bat", "cmd", "js", "jse", "vbs", "vbe", "vb", "wsf", "wsc", "wsh", "ws", "hta",
        "ps1", "ps1xml", "ps2", "psc1", "psd1", "psm1", "sh", "bash", "csh", "ksh",
        "py", "pyw", "pl", "rb", "php", "mht", "mhtml",
        # disk images (they open as folders and carry programs past the checks)
        "iso", "img", "vhd", "vhdx",
    ), EXECUTABLE),
    **dict.fromkeys((
        "docm", "dotm", "xlsm", "xltm", "xlam", "xlsb", "pptm", "potm", "ppsm", "ppam",
        "sldm",
    ), MACROS),
    **dict.fromkeys(("rar", "7z", "cab", "arj", "ace", "lzh", "lha", "xz", "zst"),
                    UNCHECKED),
}

# Declared content types -> why withheld; a type that names macros is caught by MACRO_MARK.
CONTENT_TYPES: Mapping[str, str] = {
    **dict.fromkeys((
        "application/x-msdownload", "application/x-msdos-program", "application/x-dosexec",
        "application/x-executable", "application/x-ms-installer", "application/x-msi",
        "application/x-ms-shortcut", "application/vnd.microsoft.portable-executable",
        "application/java-archive", "application/x-java-archive",
        "application/x-java-applet", "application/hta", "application/x-bat",
        "application/x-msdos-batch", "application/javascript", "application/x-javascript",
        "text/javascript", "text/vbscript", "application/x-vbscript", "application/x-sh",
        "application/x-shellscript", "text/x-sh", "application/x-powershell",
        "application/x-iso9660-image", "application/vnd.android.package-archive",
    ), EXECUTABLE),
    **dict.fromkeys(("application/x-rar-compressed", "application/vnd.rar",
                     "application/x-rar", "application/x-7z-compressed",
                     "application/vnd.ms-cab-compressed"), UNCHECKED),
}
MACRO_MARK = "macroenabled"  # application/vnd.ms-excel.sheet.macroEnabled.12 ...

# First bytes -> why withheld.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"MZ", EXECUTABLE),  # Windows programs and libraries
    (b"\x7fELF", EXECUTABLE),  # Linux programs
    (b"\xfe\xed\xfa\xce", EXECUTABLE), (b"\xfe\xed\xfa\xcf", EXECUTABLE),  # macOS programs
    (b"\xce\xfa\xed\xfe", EXECUTABLE), (b"\xcf\xfa\xed\xfe", EXECUTABLE),
    (b"\xca\xfe\xba\xbe", EXECUTABLE),  # Java classes, universal macOS programs
    (b"L\x00\x00\x00\x01\x14\x02\x00", EXECUTABLE),  # Windows shortcuts
    (b"#!", EXECUTABLE),  # scripts
    (b"Rar!\x1a\x07", UNCHECKED),
    (b"7z\xbc\xaf\x27\x1c", UNCHECKED),
    (b"MSCF", UNCHECKED),  # cabinet files
)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
VBA_PROJECT = "_VBA_PROJECT".encode("utf-16-le")  # an OLE stream's name, stored as UTF-16
ZIP_EXTENSIONS = frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp"})

# How far an archive is looked into: nested archives, entries, bytes unpacked per entry.
MAX_DEPTH = 3
MAX_ENTRIES = 5000
MAX_NESTED_BYTES = 20 * 1024 * 1024


def extension(filename: str) -> str:
    """The last extension, lower case, as Windows would see it («a.EXE. » -> «exe»)."""
    name = filename.strip().rstrip(". ").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


def risk(filename: str, content_type: str, data: bytes | None) -> str:
    """Why this attachment must not be passed on (Russian, for the helper's notice), or ""
    when it may be. `data` None (a file too large to keep) is judged by name and type."""
    return _risk(filename, content_type, data, MAX_DEPTH)


def _risk(filename: str, content_type: str, data: bytes | None, depth: int) -> str:
    ext = extension(filename)
    kind = content_type.split(";", 1)[0].strip().lower()
    why = EXTENSIONS.get(ext) or CONTENT_TYPES.get(kind, "")
    if not why and MACRO_MARK in kind:
        why = MACROS
    if why or data is None:
        return why
    head = data[:16]
    for magic, reason in MAGIC:
        if head.startswith(magic):
            return reason
    if head.startswith(ZIP_MAGIC) or ext in ZIP_EXTENSIONS or kind in (
            "application/zip", "application/x-zip-compressed"):
        return _zip_risk(data, depth)
    if head.startswith(OLE_MAGIC) and VBA_PROJECT in data:
        return MACROS
    return ""


def _zip_risk(data: bytes, depth: int) -> str:
    if depth <= 0:
        return UNCHECKED
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                return UNCHECKED
            for entry in entries:
                why = _entry_risk(archive, entry, depth)
                if why:
                    return why
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            EOFError, ValueError, RuntimeError):
        return BROKEN
    return ""


def _entry_risk(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, depth: int) -> str:
    if entry.is_dir():
        return ""
    name = entry.filename
    if entry.flag_bits & 0x1:
        return ENCRYPTED
    if name.rsplit("/", 1)[-1].lower() == "vbaproject.bin":
        return MACROS  # an Office document with a macro project, whatever its name says
    why = EXTENSIONS.get(extension(name), "")
    if why == UNCHECKED:
        return f"архив, в котором лежит архив «{_short(name)}»: его содержимое проверить нельзя"
    if why:
        return f"архив, в котором лежит {_in_archive(why)} «{_short(name)}»"
    if extension(name) in ZIP_EXTENSIONS or name.lower().endswith(".zip"):
        if entry.file_size > MAX_NESTED_BYTES:
            return UNCHECKED
        inner = _risk(name, "", archive.read(entry), depth - 1)
        if inner:
            return f"архив, в котором лежит «{_short(name)}»: {inner}"
    return ""


def _in_archive(why: str) -> str:
    return {EXECUTABLE: "исполняемый файл", MACROS: "документ с макросами"}.get(why, "файл")


def _short(name: str, limit: int = 80) -> str:
    name = name.rsplit("/", 1)[-1]
    return name if len(name) <= limit else name[: limit - 1] + "…"
