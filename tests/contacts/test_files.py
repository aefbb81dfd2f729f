"""The upload check: what a file is, and a clear refusal for what cannot be imported."""

from __future__ import annotations

import io

import pytest

from contacts.files import FileRejected, inspect_file, read_records
from tests.contacts.conftest import MESSY_CSV, xlsx

pytestmark = pytest.mark.smoke

MAX = 10 * 2**20


def _inspect(content: str | bytes, encoding: str = "utf-8"):
    data = content.encode(encoding) if isinstance(content, str) else content
    return inspect_file(io.BytesIO(data), max_bytes=MAX)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("phone,name\n3331234567,Anna\n3201112222,Bruno\n", ","),
        ("telefono;nome\n3331234567;Anna\n3201112222;Bruno\n", ";"),
        ("phone\tname\n3331234567\tAnna\n3201112222\tBruno\n", "\t"),
        ("phone|name\n3331234567|Anna\n", "|"),
        # Commas inside names do not fool it: semicolons split every row evenly.
        ("telefono;nome\n333;Rossi, Mario\n320;Bianchi, Anna\n", ";"),
        ("phone\n3331234567\n", ","),  # one column: any delimiter reads it
    ],
)
def test_delimiter_is_detected(text, delimiter):
    assert _inspect(text).delimiter == delimiter


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        (b"phone\n3331234567\n", "utf-8"),
        ("\ufeffphone\n3331234567\n".encode(), "utf-8-sig"),
        ("telefono,città\n3331234567,Forlì\n".encode("cp1252"), "cp1252"),
        ("phone\tname\n3331234567\tJosé\n".encode("utf-16"), "utf-16"),
    ],
)
def test_encoding_is_detected(content, encoding):
    assert _inspect(content).encoding == encoding


def test_bom_never_reaches_the_header():
    info = _inspect(MESSY_CSV)
    assert info.first == ["Telefono", "Nome", "Cognome", "Codice"]
    assert (info.file_format, info.rows) == ("csv", 12)


def test_xlsx_is_recognised_and_sampled():
    info = _inspect(xlsx([["Phone", "Name"], [3331234567, "Anna"]]))
    assert (info.file_format, info.first, info.sample) == (
        "xlsx",
        ["Phone", "Name"],
        [["3331234567", "Anna"]],
    )


def test_records_stream_every_row_including_blank_ones():
    data = io.BytesIO(b"phone\n\n3331234567\n")
    info = _inspect(b"phone\n\n3331234567\n")
    assert list(read_records(data, info)) == [["phone"], [], ["3331234567"]]
    assert not data.closed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\n\n;;;\n", "The file has no rows."),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
            "This is not a CSV or Excel file (it looks like binary data).",
        ),
        (
            bytes(range(256)) * 4,
            "This is not a CSV or Excel file (it looks like binary data).",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
            "Excel 97-2003 (.xls) files are not supported: save it as .xlsx or CSV.",
        ),
        (
            b"PK\x03\x04\x14\x00\x00\x00 a zip that is not a workbook",
            "This is not an Excel (.xlsx) workbook or a CSV file.",
        ),
    ],
)
def test_unusable_files_are_refused_with_a_reason(content, message):
    with pytest.raises(FileRejected) as caught:
        _inspect(content)
    assert caught.value.data == {"file": message}


def test_text_in_another_encoding_is_refused_not_garbled():
    # Windows-1252 leaves 0x81 undefined; Shift-JIS uses it for "ー" and "、".
    content = "telefono,nome\n3331234567,ラーメン、寿司\n".encode("shift_jis")
    with pytest.raises(FileRejected) as caught:
        _inspect(content * 3)
    assert caught.value.message == (
        "The file's text is not UTF-8 or Windows-1252 (it looks like cp932). "
        "Save it as “CSV UTF-8” and upload it again."
    )


def test_too_big_is_refused_before_reading():
    with pytest.raises(FileRejected) as caught:
        inspect_file(io.BytesIO(b"phone\n" + b"3331234567\n" * 20), max_bytes=100)
    assert caught.value.message == (
        "The file is 226\xa0bytes; the largest file accepted is 100\xa0bytes."
    )


def test_first_records_are_the_non_blank_ones_up_to_the_count():
    content = b"phone,name\n\n,\n3331234567\n3201112222\n3470000000\n"
    info = _inspect(content)
    records = read_records(io.BytesIO(content), info, first=2)
    assert list(records) == [["phone", "name"], ["3331234567"]]
