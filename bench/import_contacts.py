"""Benchmark: import a 1,000,000-row contact CSV on PostgreSQL, then page through it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/megafono_bench \\
        .venv/bin/python bench/import_contacts.py [--rows 1000000]

Creates the database tables if needed, generates `var/bench/contacts-<rows>.csv`
once (phone, first name, last name, two attributes; about 5% invalid and 3%
duplicate numbers in mixed national and international formats), imports it
through the real service (`contact_import_create` + `contact_import_run`, the
Celery task's body) and prints wall time, rows/s and peak RSS. The floor is
`psql \\copy` of the same file into a plain table, printed as a ratio. Last,
the list page is opened at its first, middle and last keyset pages.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

FIRST = ["Marco", "Giulia", "Luca", "Sara", "Paolo", "Anna", "Davide", "Niccolò"]
LAST = ["Rossi", "Bianchi", "Esposito", "Romano", "Colombo", "Ricci", "Marino"]


def _national(rng: random.Random, is_valid) -> str:
    """A valid Italian mobile number, national digits only (checked, not assumed)."""
    while True:
        n = f"3{rng.randrange(10**9):09d}"
        if is_valid(n):
            return n


def _shape(rng: random.Random, n: str) -> str:
    """One of the ways marketers' spreadsheets hold the same number."""
    shape = rng.random()
    if shape < 0.45:
        return n
    if shape < 0.75:
        return f"+39 {n[:3]} {n[3:6]} {n[6:]}"
    if shape < 0.85:
        return f"0039{n}"
    if shape < 0.95:
        return f"39{n}"
    return f"+39-{n[:3]}-{n[3:]}"


def _invalid_number(rng: random.Random) -> str:
    return rng.choice(
        [
            "",
            f"{rng.randrange(1000):03d}",
            f"+39 3{rng.randrange(10**4):04d}",
            "n/a",
            f"+999{rng.randrange(10**9)}",
            f"0039{rng.randrange(10**14):014d}",
        ]
    )


def generate(path: Path, rows: int) -> None:
    """Write the CSV: 5% invalid, 3% repeats of earlier numbers in another shape."""
    from contacts.phones import PhoneNormalizer

    normalizer = PhoneNormalizer("IT")

    def is_valid(n: str) -> bool:
        return normalizer.normalize(n).valid

    rng = random.Random(20261123)
    path.parent.mkdir(parents=True, exist_ok=True)
    seen: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("phone,first name,last name,code,link\n")
        for i in range(rows):
            draw = rng.random()
            if draw < 0.05:
                phone = _invalid_number(rng)
            elif draw < 0.08 and seen:
                phone = _shape(rng, seen[rng.randrange(len(seen))])
            else:
                n = _national(rng, is_valid)
                phone = _shape(rng, n)
                if len(seen) < 200_000:
                    seen.append(n)
            out.write(
                f"{phone},{rng.choice(FIRST)},{rng.choice(LAST)},"
                f"SC{i:07d},https://shop.example.it/p/{i:x}\n"
            )


def psql_copy(path: Path) -> float:
    """Seconds for `psql \\copy` of the file into a plain unindexed table."""
    url = os.environ["DATABASE_URL"]
    script = (
        "DROP TABLE IF EXISTS bench_copy;"
        "CREATE TABLE bench_copy (phone text, first_name text, last_name text,"
        " code text, link text);"
    )
    subprocess.run(["psql", url, "-q", "-c", script], check=True)
    started = time.perf_counter()
    subprocess.run(
        ["psql", url, "-q", "-c", f"\\copy bench_copy FROM '{path}' CSV HEADER"],
        check=True,
    )
    elapsed = time.perf_counter() - started
    subprocess.run(["psql", url, "-q", "-c", "DROP TABLE bench_copy"], check=True)
    return elapsed


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its children, in MB (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--append", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database")

    import django

    django.setup()
    path = ROOT / "var" / "bench" / f"contacts-{args.rows}.csv"
    if args.append:
        append(path, args.append)
        return
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import Membership
    from accounts.services import account_create
    from contacts.importing import contact_import_create, contact_import_run
    from contacts.models import ContactImport
    from contacts.services import contact_list_create

    call_command("migrate", verbosity=0)
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        generate(path, args.rows)
    size_mb = path.stat().st_size / 2**20

    account = account_create(name=f"Bench {time.time():.0f}", credit=Decimal("0"))
    contact_list = contact_list_create(account=account, name="Bench 1M")
    started = time.perf_counter()
    with path.open("rb") as fileobj:
        contact_import = contact_import_create(
            account=account,
            contact_list=contact_list,
            upload=File(fileobj, name=path.name),
            default_region="IT",
            start=False,
        )
    checked = time.perf_counter()
    contact_import_run(import_id=contact_import.pk)
    finished = time.perf_counter()
    contact_import = ContactImport.objects.get(pk=contact_import.pk)
    assert contact_import.status == ContactImport.Status.COMPLETED, contact_import.error
    wall = finished - started
    floor = psql_copy(path)
    rows = contact_import.total_rows
    print(f"file            {path.name}: {rows:,} rows, {size_mb:.0f} MB")
    print(
        f"summary         valid {contact_import.valid_rows:,}, invalid "
        f"{contact_import.invalid_rows:,}, duplicates {contact_import.duplicate_rows:,}"
    )
    print(f"upload check    {checked - started:6.2f} s")
    print(f"import (task)   {finished - checked:6.2f} s")
    print(f"wall total      {wall:6.2f} s   {rows / wall:,.0f} rows/s")
    print(f"peak RSS        {peak_rss_mb():6.0f} MB")
    print(f"psql \\copy      {floor:6.2f} s   ratio {wall / floor:.1f}x")

    setup_test_environment()
    user = get_user_model().objects.create_user(username=f"bench-{contact_list.pk}")
    Membership.objects.create(user=user, account=account, role=Membership.Role.OWNER)
    client = Client()
    client.force_login(user)
    ids = list(contact_list.contacts.order_by("pk").values_list("pk", flat=True)[:1])
    middle = ids[0] + rows // 2
    url = f"/contacts/lists/{contact_list.pk}/"
    for label, query in [
        ("first page", ""),
        ("middle page", f"?after={middle}"),
        ("last page", "?last=1"),
        ("invalid only", "?status=invalid"),
        ("next page", f"?after={middle + 50}"),
    ]:
        client.get(url + query, secure=True)  # warm the connection and caches
        started = time.perf_counter()
        response = client.get(url + query, secure=True)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        print(f"page {label:<14} {elapsed:6.1f} ms")

    # The same file again into the same list, in a fresh process like a worker's:
    # every valid row is now a duplicate of one of the million kept numbers.
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--rows",
            str(args.rows),
            "--append",
            str(contact_list.pk),
        ],
        check=True,
    )


def append(path: Path, list_id: int) -> None:
    """Import the file into an existing list; print time, summary and peak RSS."""
    from django.core.files import File

    from contacts.importing import contact_import_create, contact_import_run
    from contacts.models import ContactImport, ContactList

    contact_list = ContactList.objects.select_related("account").get(pk=list_id)
    started = time.perf_counter()
    with path.open("rb") as fileobj:
        again = contact_import_create(
            account=contact_list.account,
            contact_list=contact_list,
            upload=File(fileobj, name=path.name),
            default_region="IT",
            start=False,
        )
    contact_import_run(import_id=again.pk)
    again = ContactImport.objects.get(pk=again.pk)
    assert again.status == ContactImport.Status.COMPLETED, again.error
    print(
        f"second copy     {time.perf_counter() - started:6.2f} s   valid "
        f"{again.valid_rows:,}, duplicates {again.duplicate_rows:,}, "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()
