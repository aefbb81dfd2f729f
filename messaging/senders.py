"""What may stand as an SMS sender: one rule for campaigns and single sends."""

from __future__ import annotations

import re

_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9 .\-&']{1,11}$")
# A number fits the 15-character column with its "+": E.164's 15 digits less one.
_NUMERIC = re.compile(r"^(\+[0-9]{1,14}|[0-9]{1,15})$")


def sender_valid(sender: str) -> bool:
    """Up to 11 letters and digits (what networks show), or a number that fits."""
    return bool(_ALPHANUMERIC.match(sender) or _NUMERIC.match(sender))
