"""Keep credentials out of every message, log line, manifest, notebook and report.

A data source URL may carry a password, in its userinfo (``postgresql://user:secret@host/db``,
a password with spaces or any character SQLAlchemy accepts) or as a ``password`` query
argument (``postgresql://user@host/db?password=secret``). The URL is parsed with SQLAlchemy's
``make_url``, never guessed at with a pattern, and the workbench only ever shows and stores
the masked form ``postgresql://user:***@host/db`` (a query password moves into the masked
userinfo, which the drivers treat the same). The real password travels in the environment
variable :data:`PASSWORD_ENV`, which the loader reads when it meets the ``***`` placeholder;
a password set there by the user is masked wherever it appears, too.
"""

from __future__ import annotations

import html
import json
import os
import re
from urllib.parse import quote, quote_plus

MASK = "***"
#: Environment variable holding the password of a masked data URL.
PASSWORD_ENV = "SALESOPS_DB_PASSWORD"

_PLACEHOLDER = "SALESOPSMASKEDPASSWORD"
# free text: URL userinfo passwords without spaces, and password= arguments
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<tail>@)")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&;]password=)(?P<pw>[^&\s'\"]+)", re.IGNORECASE)
_SECRET_ENV = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN)", re.IGNORECASE)


def _parse(url: str):
    """The SQLAlchemy URL object of ``url``, or None when it is no database URL."""
    text = str(url)
    if "://" not in text or text.startswith(("http://", "https://", "file://")):
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(text)
    except (ArgumentError, ValueError, TypeError):
        return None


def _query_password(u) -> str | None:
    value = u.query.get("password")
    if isinstance(value, tuple):
        value = value[0] if value else None
    return value or None


def url_password(url: str) -> str | None:
    """The password carried by ``url`` (decoded), from its userinfo or its ``password`` query
    argument; None when there is none or it is already the ``***`` placeholder."""
    u = _parse(url)
    if u is None:
        m = _URL_PASSWORD.search(str(url))
        pw = m.group("pw") if m else None
    else:
        pw = u.password or _query_password(u)
    if pw in (None, "", MASK):
        return None
    return str(pw)


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (a query password becomes a masked
    userinfo password). Text that is no database URL is masked as free text."""
    u = _parse(url)
    if u is None:
        return _mask_patterns(str(url))
    pw = u.password or _query_password(u)
    if pw in (None, ""):
        return str(url)
    if str(pw) == MASK and "password" not in u.query:
        return str(url)
    query = {k: v for k, v in u.query.items() if k != "password"}
    shown = u.set(username=u.username or "", password=_PLACEHOLDER, query=query)
    return shown.render_as_string(hide_password=False).replace(_PLACEHOLDER, MASK)


def secret_values(extra: tuple[str, ...] = ()) -> list[str]:
    """Values that must never be shown: ``extra``, their URL-encoded forms, and the values of
    secret-looking environment variables (``SALESOPS_DB_PASSWORD`` among them)."""
    values = [v for v in extra if v]
    for name, value in os.environ.items():
        if _SECRET_ENV.search(name) and value and len(value) >= 4 and value != MASK:
            values.append(value)
    # as they may appear: URL-encoded, inside JSON strings (notebooks, manifests), in HTML
    values += [f(v, safe="") for v in list(values) for f in (quote, quote_plus)]
    values += [json.dumps(v)[1:-1] for v in list(values)]
    values += [html.escape(v) for v in list(values)]
    # longest first, so a secret containing another is masked whole
    return sorted({v for v in values if v}, key=len, reverse=True)


def _mask_patterns(text: str) -> str:
    out = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + m.group("tail"), text)
    return _QUERY_PASSWORD.sub(lambda m: m.group("head") + MASK, out)


def mask_text(text: str, extra: tuple[str, ...] = ()) -> str:
    """``text`` with known secret values (``extra``, secret environment variables) and URL
    passwords replaced by ``***``."""
    out = str(text)
    for value in secret_values(extra):
        out = out.replace(value, MASK)
    return _mask_patterns(out)


def mask_params(params: dict, extra: tuple[str, ...] = ()) -> dict:
    """A copy of a parameter dict with every string value masked."""
    return {k: mask_text(v, extra) if isinstance(v, str) else v for k, v in params.items()}
