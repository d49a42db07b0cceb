"""Masking by parsing: every form a password takes in a data source URL, and free text."""

from __future__ import annotations

import json

import pytest

from salesops_lib.secrets import PASSWORD_ENV, mask_text, mask_url, url_password

CASES = [
    ("postgresql://ops:Hunter2@db:5432/crm", "postgresql://ops:***@db:5432/crm", "Hunter2"),
    ("postgresql://ops@db/crm?password=Hunter2&sslmode=require",
     "postgresql://ops:***@db/crm?sslmode=require", "Hunter2"),
    ("postgresql://ops:pass word with spaces@db/crm", "postgresql://ops:***@db/crm",
     "pass word with spaces"),
    ("postgresql+psycopg://ops:a:b{c}$^_\\!@db/crm", "postgresql+psycopg://ops:***@db/crm",
     "a:b{c}$^_\\!"),
    ("postgresql://ops:p%40ss%2Fw@db/crm", "postgresql://ops:***@db/crm", "p@ss/w"),
    ("postgresql://db/crm?password=x%20y", "postgresql://:***@db/crm", "x y"),
    ("postgresql://ops:***@db/crm", "postgresql://ops:***@db/crm", None),
    ("duckdb:///tmp/crm.duckdb", "duckdb:///tmp/crm.duckdb", None),
    ("sample:accounts=500,reps=10", "sample:accounts=500,reps=10", None),
]


@pytest.mark.parametrize(("url", "shown", "password"), CASES)
def test_mask_url_parses_every_form(url, shown, password):
    assert mask_url(url) == shown
    assert url_password(url) == password


def test_mask_text_hides_the_secret_in_every_encoding(monkeypatch):
    secret = 'pa ss"w<rd>&'
    text = (f"raw {secret} | url {'pa%20ss%22w%3Crd%3E%26'} | plus {'pa+ss%22w%3Crd%3E%26'} | "
            f"json {json.dumps(secret)} | html pa ss&quot;w&lt;rd&gt;&amp;")
    masked = mask_text(text, (secret,))
    for piece in ("pa ss", "pa%20ss", "pa+ss"):
        assert piece not in masked, masked
    monkeypatch.setenv(PASSWORD_ENV, "from-the-environment")
    assert mask_text("login with from-the-environment") == "login with ***"
    assert mask_text("see postgresql://u@h/db?password=abc now") == (
        "see postgresql://u@h/db?password=*** now")
    assert mask_text("postgresql://u:abc@h/db") == "postgresql://u:***@h/db"
