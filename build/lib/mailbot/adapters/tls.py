"""TLS for the mail servers: certificates and host names are always checked; a school's
own CA (a PEM file) may be trusted in addition to the system's, never instead of checking."""

from __future__ import annotations

import ssl
from pathlib import Path


def context(ca_file: Path | None) -> ssl.SSLContext:
    # create_default_context(cafile=...) would drop the system's CAs, hence two steps.
    tls = ssl.create_default_context()
    if ca_file is not None:
        tls.load_verify_locations(cafile=str(ca_file))
    return tls


def untrusted(exc: ssl.SSLCertVerificationError, section: str) -> str:
    """One line for a server certificate we do not trust, with what to do about it."""
    why = exc.verify_message or str(exc).strip() or type(exc).__name__
    return (f"server certificate not trusted ({why}); for a school's own CA "
            f"set {section}.ca_file to its PEM file")
