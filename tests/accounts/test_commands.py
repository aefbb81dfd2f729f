"""Management commands that scripts and the quick start rely on."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from accounts.models import Account, LedgerEntry
from tests.conftest import ApiClient

pytestmark = pytest.mark.smoke


def test_create_account_prints_one_json_line_with_a_working_key(db):
    out = StringIO()
    call_command("create_account", "--name", "Acme", "--credit", "1500.00", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    account = Account.objects.get(pk=data["account_id"])
    assert account.balance == Decimal("1500.00")
    assert LedgerEntry.objects.get(account=account).kind == "top_up"
    response = ApiClient(data["api_key"]).get("/api/partner-gateway/v1/account")
    assert response.json()["availableCredit"] == 1500.0


def test_create_account_with_owner(db):
    out = StringIO()
    call_command("create_account", "--name", "Acme", "--owner", "o@acme.it", stdout=out)
    account = Account.objects.get(pk=json.loads(out.getvalue())["account_id"])
    assert account.memberships.get().user.email == "o@acme.it"


def test_load_demo_is_idempotent(db):
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    assert Account.objects.filter(name="Demo Shop").count() == 1
    account = Account.objects.get(name="Demo Shop")
    assert LedgerEntry.objects.filter(account=account, kind="top_up").count() == 1
    # Sign-in throttling needs the request the login page would pass.
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="demo", password="demo") is not None


def test_default_price_list_is_installed(db):
    from messaging.models import Price

    prices = {p.channel: p.price for p in Price.objects.filter(country="")}
    assert prices == {
        "SMS": Decimal("0.0350"),
        "RCS": Decimal("0.0700"),
        "WHATSAPP": Decimal("0.1500"),
    }
