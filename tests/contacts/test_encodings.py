"""A CSV's encoding is decided from its bytes: Western text is read, the rest refused."""

from __future__ import annotations

import io

import pytest

from contacts.files import FileRejected, inspect_file

pytestmark = pytest.mark.smoke

JAPANESE = (
    "telefono,nome\n"
    "3331234567,田中太郎\n"
    "3201112222,鈴木一郎\n"
    "3477654321,山田花子\n"
    "3391112222,鈴木花子\n"
).encode("shift_jis")


def _inspect(data: bytes):
    return inspect_file(io.BytesIO(data), max_bytes=2**20)


def test_shift_jis_that_also_decodes_as_windows_1252_is_refused():
    # Every byte of these names is defined in Windows-1252: "田中" reads "“c".
    assert JAPANESE.decode("cp1252")
    with pytest.raises(FileRejected) as caught:
        _inspect(JAPANESE)
    assert caught.value.message == (
        "The file's text is not UTF-8 or Windows-1252 (it looks like cp932). "
        "Save it as “CSV UTF-8” and upload it again."
    )


def test_cyrillic_windows_1251_is_refused_not_read_as_accents():
    text = "telefono;nome\n3331234567;Иван Петров\n3201112222;Мария Иванова\n"
    content = text.encode("cp1251")
    assert content.decode("cp1252").splitlines()[1] == "3331234567;Èâàí Ïåòðîâ"
    with pytest.raises(FileRejected, match=r"\(it looks like cp1251\)"):
        _inspect(content)


@pytest.mark.parametrize(
    "text",
    [
        "telefono;nome;cognome\n3331234567;Niccolò;Perché\n",
        "telefono;nome\n3331234567;São Paulo\n",  # the detector alone says Big5
        "telefono;nome\n3331234567;Ångström\n",
        "telefono;nota\n3331234567;“promo” – 5 €–10 €…\n",
        "telefono;nota\n3331234567;«È vero», disse\n",
        "phone;name\n3331234567;Jürgen Müller, Straße 5\n",
        "phone;name\n3331234567;François Lefèvre\n3201112222;Muñoz Peña\n",
    ],
)
def test_western_text_in_windows_1252_is_read(text):
    info = _inspect(text.encode("cp1252"))
    assert info.encoding == "cp1252"
    assert info.sample[-1][1] == text.splitlines()[-1].split(";")[1]


def test_utf8_japanese_is_read_as_it_is():
    info = _inspect(JAPANESE.decode("shift_jis").encode())
    assert (info.encoding, info.sample[0]) == ("utf-8", ["3331234567", "田中太郎"])
