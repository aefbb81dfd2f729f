"""SMS characters, encoding and parts: the one place that decides how a text is billed.

The composer counter, the cost estimate and the sender all call this module, so the
number a user sees while typing is the number of parts we pay the carrier for.

Counting rules (3GPP TS 23.038 / 23.040):

* A text made only of GSM-7 characters is sent as GSM-7. Basic-table characters cost
  one septet; extension-table characters cost two (ESC + char). A single SMS holds 160
  septets, a concatenated one 153 per part (the UDH takes the rest).
* Anything else forces UCS-2 for the whole message: the cost is the number of UTF-16
  code units (an emoji outside the BMP is a surrogate pair: 2), 70 for a single SMS,
  67 per concatenated part.
* Handsets and SMSCs never split an escape pair or a surrogate pair across two parts;
  when one would straddle a boundary the part ends one unit early. That wasted unit is
  why parts are counted by filling them greedily and not by ``ceil(units / per_part)``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM_SINGLE: Final = 160
GSM_PER_PART: Final = 153
UCS2_SINGLE: Final = 70
UCS2_PER_PART: Final = 67

# The basic table in code-point order 0x00-0x7F, without 0x1B (ESC), which is not a
# character but the prefix of the extension table.
GSM_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension characters every SMSC supports (no national shift tables: support for
# those is patchy, and a wrong guess garbles the message instead of costing more).
GSM_EXTENSION: Final = "\f^{}\\[~]|€"
GSM_CHARS: Final = frozenset(GSM_BASIC + GSM_EXTENSION)

_BASIC_LATIN1 = GSM_BASIC.encode("latin-1", "ignore")  # all but the Greek capitals
_EXTENSION_LATIN1 = GSM_EXTENSION.encode("latin-1", "ignore")  # all but the euro sign
_NOT_GSM = re.compile(f"[^{re.escape(GSM_BASIC + GSM_EXTENSION)}]")
_EXTENSION = re.compile(f"[{re.escape(GSM_EXTENSION)}]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class SmsInfo:
    """Everything the composer shows about a text, and what cost and sending need."""

    encoding: Encoding
    characters: int  # code points: what the user perceives as the length
    units: int  # GSM-7 septets (extension chars count 2) or UTF-16 code units
    parts: int  # 0 for an empty text
    per_part: int  # 160/153 or 70/67, depending on whether the text is split
    remaining: int  # units still free in the last part
    ucs2_chars: tuple[tuple[int, str], ...]  # (index, char) of every non-GSM char
    too_long: bool  # parts > max_parts


def _gsm_escapes(text: str) -> int | None:
    """How many extension characters `text` has if it is all GSM-7, else None.

    This is the hot path of every count. All of GSM-7 but € and ten Greek capitals
    is Latin-1, and encoding to Latin-1 plus a bytes.translate runs in C at about
    1 ns a character, three times faster than the quickest regex scan; the regex
    is only the fallback for texts that leave Latin-1 for something other than €.
    """
    latin1 = text.encode("latin-1", "ignore")
    beyond_latin1 = len(text) - len(latin1)
    if beyond_latin1 and text.count("€") != beyond_latin1:
        if _NOT_GSM.search(text) is not None:
            return None
        return len(_EXTENSION.findall(text))
    outside_basic = latin1.translate(None, _BASIC_LATIN1)
    if outside_basic and outside_basic.translate(None, _EXTENSION_LATIN1):
        return None
    return len(outside_basic) + beyond_latin1  # beyond Latin-1 there is only €


def is_gsm7(text: str) -> bool:
    """Whether every character is in the GSM-7 basic or extension table."""
    return _gsm_escapes(text) is not None


def gsm_units(text: str) -> int:
    """Septets of a GSM-7 text: extension characters cost an extra escape septet.

    Meaningless for a text that is not GSM-7 (check ``is_gsm7`` first).
    """
    return len(text) + len(_EXTENSION.findall(text))


def ucs2_units(text: str) -> int:
    """UTF-16 code units: characters outside the BMP take a surrogate pair.

    A lone surrogate (JSON allows "\\ud83d") counts as the one unit it is instead of
    raising: counting is not the place to reject malformed text.
    """
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _limits(encoding: Encoding) -> tuple[int, int]:
    if encoding == "GSM-7":
        return GSM_SINGLE, GSM_PER_PART
    return UCS2_SINGLE, UCS2_PER_PART


def _fill(
    text: str, units: int, pairs: re.Pattern[str] | None, encoding: Encoding
) -> tuple[int, int]:
    """(parts, units in the last part), filling parts greedily without splitting a
    two-unit character (matched by `pairs`, None when the text has none).

    Greedy filling is also the minimum: ending a part earlier than needed can only
    push later boundaries back.
    """
    single, per_part = _limits(encoding)
    if units <= single:
        return (1 if units else 0), units
    if pairs is None:
        count = -(-units // per_part)
        return count, units - (count - 1) * per_part
    # Each earlier pair shifts a pair's unit offset one further than its index.
    starts = {m.start() + k for k, m in enumerate(pairs.finditer(text))}
    count, start = 1, 0
    while units - start > per_part:
        end = start + per_part
        if end - 1 in starts:  # the pair would straddle the boundary
            end -= 1
        start = end
        count += 1
    return count, units - start


def parts(text: str, encoding: Encoding | None = None) -> int:
    """Exact number of SMS parts for `text`; the bulk-cost path, so kept lean.

    `encoding` None picks GSM-7 when possible; "UCS-2" forces it (the campaign's
    unicode flag). Asking for "GSM-7" on a non-GSM text is a caller bug.
    """
    if encoding != "UCS-2":
        escapes = _gsm_escapes(text)
        if escapes is not None:
            units = len(text) + escapes
            count = parts_for(units, "GSM-7", pairs=escapes)
            return (
                _fill(text, units, _EXTENSION, "GSM-7")[0] if count is None else count
            )
        if encoding == "GSM-7":
            raise ValueError("text has characters outside GSM-7")
    units = ucs2_units(text)
    count = parts_for(units, "UCS-2", pairs=units - len(text))
    return _fill(text, units, _ASTRAL, "UCS-2")[0] if count is None else count


def analyze(text: str, *, unicode: bool = False, max_parts: int = 10) -> SmsInfo:
    """Encoding, length and parts of `text` as it will be sent.

    `unicode` forces UCS-2 even for GSM-7 text. `ucs2_chars` lists the characters
    that are not GSM-7 whatever the flag, so the UI can point at what to change.
    """
    if max_parts < 1:
        raise ValueError("max_parts must be at least 1")
    escapes = _gsm_escapes(text)
    non_gsm: tuple[tuple[int, str], ...] = ()
    if escapes is None:
        non_gsm = tuple((m.start(), m.group()) for m in _NOT_GSM.finditer(text))
    encoding: Encoding
    if escapes is not None and not unicode:
        encoding, units = "GSM-7", len(text) + escapes
        count, last = _fill(text, units, _EXTENSION if escapes else None, encoding)
    else:
        encoding, units = "UCS-2", ucs2_units(text)
        astral = _ASTRAL if units != len(text) else None
        count, last = _fill(text, units, astral, encoding)
    single, per_part = _limits(encoding)
    if count <= 1:
        per_part = single
    return SmsInfo(
        encoding=encoding,
        characters=len(text),
        units=units,
        parts=count,
        per_part=per_part,
        remaining=per_part - last,
        ucs2_chars=non_gsm,
        too_long=count > max_parts,
    )


def parts_for(units: int, encoding: Encoding, *, pairs: int = 0) -> int | None:
    """Parts for a text of `units` containing `pairs` two-unit characters, when the
    count does not depend on where those pairs sit; otherwise None.

    Each part that ends one unit early because of a pair wastes exactly one unit, so
    the true count is ``ceil((units + wasted) / per_part)`` with ``wasted <= pairs``.
    When adding every possible waste cannot reach another part, the count is exact;
    otherwise render the message and call ``parts(text)``. With few pairs that only
    happens within a few units under a multiple of the per-part size.
    """
    single, per_part = _limits(encoding)
    if units <= single:
        return 1 if units else 0
    count = -(-units // per_part)
    if pairs and -(-(units + pairs) // per_part) != count:
        return None
    return count


def split(text: str, encoding: Encoding) -> list[str]:
    """The text of each SMS part, cut exactly where `parts` counts them.

    What the SMPP route sends as concatenated parts, so the carrier bills the
    number of parts we priced: greedy filling, an escape pair (GSM-7) or a
    surrogate pair (UCS-2) never cut in two. A text that fits one SMS is one part.
    """
    single, per_part = _limits(encoding)
    wide = _EXTENSION if encoding == "GSM-7" else _ASTRAL
    units = gsm_units(text) if encoding == "GSM-7" else ucs2_units(text)
    if units <= single:
        return [text] if text else []
    chunks, start, used = [], 0, 0
    for index, char in enumerate(text):
        cost = 2 if wide.match(char) else 1
        if used + cost > per_part:
            chunks.append(text[start:index])
            start, used = index, 0
        used += cost
    chunks.append(text[start:])
    return chunks


# Typographic characters that editors and phones substitute automatically ("smart
# punctuation") and that look like a GSM-7 character. Each one alone would switch the
# whole message to UCS-2, more than doubling its cost.
LOOKALIKES: Final[dict[str, str]] = {
    # apostrophes and single quotes
    "\u2018": "'",  # ‘ left single quotation mark
    "\u2019": "'",  # ’ right single quotation mark (iOS/Word apostrophe)
    "\u201a": "'",  # ‚ single low-9 quotation mark
    "\u201b": "'",  # ‛ single high-reversed-9 quotation mark
    "\u2032": "'",  # ′ prime
    "\u2035": "'",  # ‵ reversed prime
    "\u02bc": "'",  # ʼ modifier letter apostrophe
    "\u02bb": "'",  # ʻ modifier letter turned comma
    "\u00b4": "'",  # ´ acute accent typed as an apostrophe
    "`": "'",  # grave accent: ASCII, but not GSM-7
    "\u2039": "'",  # ‹ single left-pointing angle quotation mark
    "\u203a": "'",  # › single right-pointing angle quotation mark
    # double quotes; guillemets are the Italian quote marks, " is what they mean
    "\u201c": '"',  # “ left double quotation mark
    "\u201d": '"',  # ” right double quotation mark
    "\u201e": '"',  # „ double low-9 quotation mark
    "\u201f": '"',  # ‟ double high-reversed-9 quotation mark
    "\u2033": '"',  # ″ double prime
    "\u2036": '"',  # ‶ reversed double prime
    "\u00ab": '"',  # « left-pointing double angle quotation mark
    "\u00bb": '"',  # » right-pointing double angle quotation mark
    # dashes and minus
    "\u2010": "-",  # ‐ hyphen
    "\u2011": "-",  # ‑ non-breaking hyphen
    "\u2012": "-",  # ‒ figure dash
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2015": "-",  # ― horizontal bar
    "\u2212": "-",  # − minus sign
    "\ufe63": "-",  # ﹣ small hyphen-minus
    "\uff0d": "-",  # － fullwidth hyphen-minus
    # spaces
    "\t": " ",
    "\u00a0": " ",  # no-break space
    "\u1680": " ",  # ogham space mark
    "\u2000": " ",
    "\u2001": " ",
    "\u2002": " ",  # en space
    "\u2003": " ",  # em space
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2007": " ",  # figure space
    "\u2008": " ",  # punctuation space
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u202f": " ",  # narrow no-break space (French/Italian typography before %)
    "\u205f": " ",  # medium mathematical space
    "\u3000": " ",  # ideographic space
    "\u2028": "\n",  # line separator
    "\u2029": "\n",  # paragraph separator
    # invisible characters picked up by copy and paste. The zero-width joiner and
    # the variation selectors are kept: they hold emoji sequences together.
    "\u00ad": "",  # soft hyphen
    "\u200b": "",  # zero-width space
    "\u200c": "",  # zero-width non-joiner
    "\u200e": "",  # left-to-right mark
    "\u200f": "",  # right-to-left mark
    "\u2060": "",  # word joiner
    "\ufeff": "",  # zero-width no-break space / byte order mark
    # other punctuation and symbols
    "\u2026": "...",  # … horizontal ellipsis
    "\u2022": "-",  # • bullet
    "\u2023": "-",  # ‣ triangular bullet
    "\u2043": "-",  # ⁃ hyphen bullet
    "\u25cf": "-",  # ● black circle used as a bullet
    "\u00b7": "-",  # · middle dot used as a separator
    "\u2044": "/",  # ⁄ fraction slash
    "\u2215": "/",  # ∕ division slash
    "\u00d7": "x",  # × multiplication sign
    "\u02c6": "^",  # ˆ modifier letter circumflex
    "\u02dc": "~",  # ˜ small tilde
    "\u00a9": "(C)",  # ©
    "\u00ae": "(R)",  # ®
    "\u2122": "TM",  # ™
}
_LOOKALIKE_TABLE: Final = str.maketrans(LOOKALIKES)


def replace_lookalikes(text: str) -> str:
    """Swap typographic characters for the GSM-7 characters they look like.

    The text is NFC-composed first: an accent typed or pasted as a separate combining
    mark (common from macOS) turns "più" into u + U+0300, which is not GSM-7 although
    it renders exactly like "ù", which is. GSM-7 characters are never changed.
    """
    if is_gsm7(text):
        return text
    return unicodedata.normalize("NFC", text).translate(_LOOKALIKE_TABLE)


# Letters with no Unicode decomposition but an obvious Latin spelling, and the Greek
# capitals that GSM-7 leaves out because they look like Latin ones (the standard
# intends "ΑΘΗΝΑ" to be sent as "AΘHNA").
_TRANSLITERATIONS: Final[dict[str, str]] = {
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ð": "D",
    "ð": "d",
    "Ħ": "H",
    "ħ": "h",
    "Ŧ": "T",
    "ŧ": "t",
    "ı": "i",
    "Œ": "OE",
    "œ": "oe",
    "Þ": "Th",
    "þ": "th",
    "ẞ": "SS",
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
}


def _transliterate_char(char: str) -> str:
    """The closest GSM-7 spelling of one non-GSM character, or the character itself.

    Combining marks are dropped one at a time from the end of the compatibility
    decomposition, so a character keeps as much of its accent as GSM-7 allows:
    "Ǻ" (A, ring, acute) becomes "Å", "È" becomes "E"; "½" becomes "1/2" through
    the look-alike fraction slash. A stray Latin combining accent is dropped.
    """
    if char in LOOKALIKES:
        return LOOKALIKES[char]
    if char in _TRANSLITERATIONS:
        return _TRANSLITERATIONS[char]
    if "\u0300" <= char <= "\u036f":
        return ""
    full = decomposed = unicodedata.normalize("NFKD", char)
    candidates = [full]
    while len(decomposed) > 1 and unicodedata.category(decomposed[-1]).startswith("M"):
        decomposed = decomposed[:-1]
        candidates.append(decomposed)
    candidates.append(
        "".join(c for c in full if not unicodedata.category(c).startswith("M"))
    )
    for candidate in candidates:
        spelled = unicodedata.normalize("NFC", candidate).translate(_LOOKALIKE_TABLE)
        if spelled and GSM_CHARS.issuperset(spelled):
            return spelled
    return char


class _TransliterationTable(dict[int, str]):
    """A str.translate table that works out each character the first time it is seen.

    Precomputing all of Unicode would cost most of a second at import; characters
    actually met are few. The cap keeps hostile input from growing it without bound.
    """

    _CAP: Final = 100_000

    def __missing__(self, codepoint: int) -> str:
        result = _transliterate_char(chr(codepoint))
        if len(self) < self._CAP:
            self[codepoint] = result
        return result


_TRANSLITERATION_TABLE: Final = _TransliterationTable({ord(c): c for c in GSM_CHARS})


def transliterate(text: str) -> str:
    """Spell `text` with GSM-7 characters where a sensible equivalent exists.

    Meant for personalization values (a name such as "Łukasz" or "ÈLIA" would switch a
    whole campaign to UCS-2). GSM-7 characters, accented ones included, are kept;
    look-alikes are replaced, other letters lose the accents GSM-7 lacks, and
    characters with no equivalent (Cyrillic, CJK, emoji) are left as they are.
    """
    if is_gsm7(text):
        return text
    return unicodedata.normalize("NFC", text).translate(_TRANSLITERATION_TABLE)
