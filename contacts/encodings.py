"""Decide a CSV file's text encoding from its bytes, or that it cannot be read.

Accepted: UTF-8 (what modern tools write, with or without BOM), UTF-16 with its
BOM (Excel's "Unicode text") and Windows-1252 (Excel's "CSV" on Western
Windows). Anything else is refused rather than guessed: a wrong guess would
import every accented name garbled.

Windows-1252 leaves only five bytes undefined, so that a file decodes with it
proves little: Shift-JIS kanji names decode too ("田中" becomes "“c"). It is
accepted only when the text reads as Western: every line holding non-ASCII
bytes is checked for characters no Western name or note puts side by side
(a symbol such as "†" or "‰" against another non-ASCII character, or a run of
accented letters as Cyrillic or Greek make of it). When at
least half of those lines look odd, charset-normalizer has the last word: if
its best reading of them uses only Latin letters, the file is still accepted
(the product is for Western lists, so doubt goes to Windows-1252), otherwise it
is refused and its name for the encoding goes in the message.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from typing import IO

from charset_normalizer import from_bytes

_CHUNK = 1 << 20
# Enough lines with non-ASCII bytes to judge a file; the detector's time grows
# with the sample, so it stays small.
_SAMPLE_BYTES = 32 * 1024
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
# Non-ASCII punctuation that Western text puts next to accented letters and to
# each other: « È vero », “Perché”, 5 €–10 €, “fine”…
_WESTERN_MARKS = frozenset("‘’“”„«»–—…€£°")


@dataclass(frozen=True)
class TextEncoding:
    """The file's codec name and line count; `name` is None if it cannot be read.

    `likely` is charset-normalizer's name for what the file seems to be, for
    the refusal message ("" when it has no idea).
    """

    name: str | None
    lines: int
    likely: str = ""


def detect_encoding(fileobj: IO[bytes], head: bytes) -> TextEncoding:
    """Decode the whole file once per candidate encoding and pick the first that fits.

    The whole file is decoded (about 0.3 s per 100 MB) because a Windows-1252
    byte on row 900,000 must not fail the import after the user has left.
    """
    bom = bom_encoding(head)
    for encoding in [bom] if bom else ["utf-8", "cp1252"]:
        ok, lines, sample = _decode(fileobj, encoding)
        if not ok:
            continue
        if encoding != "cp1252" or _reads_as_western(sample):
            return TextEncoding(encoding, lines)
        return TextEncoding(None, 0, _likely(sample))
    fileobj.seek(0)
    return TextEncoding(None, 0, _likely(fileobj.read(_CHUNK)))


def bom_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark at the start of the file announces."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text": tab-separated UTF-16
    return None


def _decode(fileobj: IO[bytes], encoding: str) -> tuple[bool, int, bytes]:
    """Decode the whole file: (ok, line count, a sample of its non-ASCII lines)."""
    fileobj.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    newlines, last = 0, ""
    sample = bytearray()
    try:
        while chunk := fileobj.read(_CHUNK):
            text = decoder.decode(chunk)
            newlines += text.count("\n")
            last = text[-1:] or last
            if len(sample) < _SAMPLE_BYTES and not chunk.isascii():
                sample += _non_ascii_lines(chunk, _SAMPLE_BYTES - len(sample))
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, 0, b""
    return True, newlines + (1 if last not in ("\n", "") else 0), bytes(sample)


def _non_ascii_lines(chunk: bytes, budget: int) -> bytes:
    """The chunk's lines that hold non-ASCII bytes, up to `budget` bytes."""
    lines = bytearray()
    position = 0
    while len(lines) < budget and (found := _HIGH_BYTE.search(chunk, position)):
        start = chunk.rfind(b"\n", 0, found.start()) + 1
        end = chunk.find(b"\n", found.start())
        end = len(chunk) if end < 0 else end
        lines += chunk[start:end] + b"\n"
        position = end + 1
    return bytes(lines[:budget])


def _reads_as_western(sample: bytes) -> bool:
    """True unless the sample's Windows-1252 text is odd and the detector disagrees."""
    lines = sample.decode("cp1252").splitlines()
    odd = sum(1 for line in lines if _looks_odd(line))
    if odd * 2 < len(lines):
        return True
    best = from_bytes(sample).best()
    return best is not None and all(map(_latin_or_not_a_letter, str(best)))


def _looks_odd(line: str) -> bool:
    """Characters side by side as no Western text has them.

    A symbol touching another non-ASCII character ("’†", Shift-JIS), or three
    accented letters in a row ("Ïåòðîâ", Cyrillic or Greek read as Western).
    """
    letters = 0
    for index, char in enumerate(line):
        if char.isascii():
            letters = 0
            continue
        if _is_latin_letter(char):
            letters += 1
            if letters == 3:
                return True
            continue
        letters = 0
        for other in line[max(index - 1, 0) : index] + line[index + 1 : index + 2]:
            if other.isascii():
                continue
            if char in _WESTERN_MARKS and (
                other in _WESTERN_MARKS or _is_latin_letter(other)
            ):
                continue
            return True
    return False


def _is_latin_letter(char: str) -> bool:
    # "ƒ" is a letter to Unicode but the florin sign to anyone writing it.
    return (
        char.isalpha()
        and char != "ƒ"
        and unicodedata.name(char, "").startswith("LATIN")
    )


def _latin_or_not_a_letter(char: str) -> bool:
    return (
        char.isascii()
        or not char.isalpha()
        or unicodedata.name(char, "").startswith("LATIN")
        or unicodedata.category(char) == "Lm"  # modifier letters: ˆ ˇ ˜
    )


def _likely(data: bytes) -> str:
    best = from_bytes(data).best() if data else None
    return best.encoding if best else ""
