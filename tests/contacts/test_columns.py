"""Column detection from English and Italian headers, or from the values."""

from __future__ import annotations

import pytest

from contacts.columns import attribute_key, detect_mapping, header_key

pytestmark = pytest.mark.smoke

ROWS = [["3331234567", "Anna", "Neri", "A1"], ["3201112222", "Bruno", "Blu", "B2"]]


@pytest.mark.parametrize(
    "header",
    [
        ["Telefono", "Nome", "Cognome", "Codice"],
        ["phone", "First name", "Last name", "code"],
        ["Cellulare", "nome", "COGNOME", "codice"],
        ["Mobile Number", "First_Name", "Surname", "Code"],
        ["N° cellulare", "Nome", "Cognome", "Codice sconto"],
    ],
)
def test_headers_in_english_and_italian(header):
    mapping = detect_mapping(header, ROWS, region="IT")
    assert mapping is not None
    assert (mapping["header"], mapping["phone"]) == (True, 0)
    assert (mapping["first_name"], mapping["last_name"]) == (1, 2)
    assert [index for _key, index in mapping["attributes"]] == [3]


def test_mobile_column_wins_over_landline():
    rows = [row[:3] for row in ROWS]
    mapping = detect_mapping(["Telefono", "Cellulare", "Nome"], rows, region="IT")
    assert mapping["phone"] == 1
    assert mapping["attributes"] == [["telefono", 0]]


def test_unnamed_phone_column_is_found_by_its_values():
    mapping = detect_mapping(
        ["Cliente", "Contatto"], [["Anna", "333 1234567"]] * 3, region="IT"
    )
    assert (mapping["header"], mapping["phone"]) == (True, 1)
    assert mapping["attributes"] == [["cliente", 0]]


def test_first_row_of_numbers_is_data_not_a_header():
    mapping = detect_mapping(
        ["3331234567", "Anna"], [["3201112222", "Bruno"]], region="IT"
    )
    assert (mapping["header"], mapping["phone"], mapping["first_name"]) == (
        False,
        0,
        None,
    )
    assert mapping["attributes"] == [["column_2", 1]]


def test_no_phone_column_at_all():
    assert (
        detect_mapping(["name", "email"], [["Anna", "a@example.com"]], region="IT")
        is None
    )


def test_width_is_the_usual_row_not_one_stray_long_row():
    rows = [["333", "A"], ["320", "B", "stray"], ["340", "C"]]
    assert len(detect_mapping(["phone", "name"], rows, region="IT")["columns"]) == 2
    wider = [["333", "A", "x"], ["320", "B", "y"]]
    mapping = detect_mapping(["phone", "name"], wider, region="IT")
    assert mapping["attributes"] == [["column_3", 2]]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Codice Sconto", "codice_sconto"),
        ("Città", "citta"),
        ("Link pagamento (URL)", "link_pagamento_url"),
        ("2024 spend", "c_2024_spend"),
        ("!!!", "column"),
    ],
)
def test_attribute_keys_are_placeholder_names(text, key):
    assert attribute_key(text, set()) == key


def test_attribute_keys_are_unique():
    taken: set[str] = set()
    assert [attribute_key("Code", taken) for _ in range(3)] == [
        "code",
        "code_2",
        "code_3",
    ]


def test_header_key_folds_case_accents_and_punctuation():
    assert header_key(" N° Cellulare ") == "ncellulare"
