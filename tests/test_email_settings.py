"""Mail settings come from EMAIL_URL: the console in the quick start, SMTP anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke

NAMES = [
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
    "DEFAULT_FROM_EMAIL",
]


def _mail_settings(**env: str) -> dict[str, object]:
    """The settings a fresh process reads from `env` (settings are read at start)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "DEFAULT_FROM", "DEBUG"))
    }
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {NAMES!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[1],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_quick_start_prints_mail_on_the_console():
    mail = _mail_settings(DEBUG="1")
    assert mail["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_smtp_with_starttls_from_one_url():
    mail = _mail_settings(
        EMAIL_URL="smtp://megafono%40shop.it:s3cr%3Ft@mail.shop.it:587/?tls=True",
        DEFAULT_FROM_EMAIL="Megafono <noreply@shop.it>",
    )
    assert mail == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.shop.it",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "megafono@shop.it",
        "EMAIL_HOST_PASSWORD": "s3cr?t",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
        "DEFAULT_FROM_EMAIL": "Megafono <noreply@shop.it>",
    }


def test_without_debug_mail_goes_to_the_local_smtp_server():
    mail = _mail_settings()
    assert mail["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (mail["EMAIL_HOST"], mail["EMAIL_PORT"]) == ("localhost", 25)
