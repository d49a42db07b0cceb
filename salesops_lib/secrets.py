"""Keep credentials out of every message, log line, manifest, notebook and report.

A data source URL may carry a password (``postgresql://user:secret@host/db``). The workbench
only ever shows and stores the masked form (``postgresql://user:***@host/db``); the real
password travels in the environment variable :data:`PASSWORD_ENV`, which the loader reads when
it meets the ``***`` placeholder.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

MASK = "***"
#: Environment variable holding the password of a masked data URL.
PASSWORD_ENV = "SALESOPS_DB_PASSWORD"

_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<tail>@)")
_SECRET_ENV = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN)", re.IGNORECASE)


def url_password(url: str) -> str | None:
    """The password carried by ``url`` (URL-decoded), or None."""
    m = _URL_PASSWORD.search(str(url))
    if not m or m.group("pw") in ("", MASK):
        return None
    return unquote(m.group("pw"))


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    return _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + m.group("tail"), str(url))


def secret_values(extra: tuple[str, ...] = ()) -> list[str]:
    """Values that must never be shown: ``extra`` plus secret-looking environment variables."""
    values = [v for v in extra if v]
    for name, value in os.environ.items():
        if _SECRET_ENV.search(name) and value and len(value) >= 4:
            values.append(value)
    # longest first, so a secret containing another is masked whole
    return sorted(set(values), key=len, reverse=True)


def mask_text(text: str, extra: tuple[str, ...] = ()) -> str:
    """``text`` with URL passwords and known secret values replaced by ``***``."""
    out = mask_url(text)
    for value in secret_values(extra):
        out = out.replace(value, MASK)
    return out


def mask_params(params: dict) -> dict:
    """A copy of a parameter dict with every string value masked."""
    return {k: mask_text(v) if isinstance(v, str) else v for k, v in params.items()}
