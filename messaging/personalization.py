"""Placeholders such as ``{{first_name}}`` in campaign texts, and their rendering.

Names are matched case-insensitively and may be padded with spaces (``{{ Code }}``)
because people type them by hand in the composer. Digits are allowed as names so
that WhatsApp-style ``{{1}}`` templates use the same machinery.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@lru_cache(maxsize=256)
def pieces(template: str) -> tuple[str, ...]:
    """Static text and lower-cased placeholder names, alternating, static text first
    and last (possibly empty): ``pieces[::2]`` is the fixed text, ``pieces[1::2]``
    every placeholder occurrence.

    Cached because a campaign renders the same template for every recipient: joining
    pre-split pieces is several times faster than a regex substitution per message.
    It also lets a cost estimate measure the fixed text once (``segments.measure``).
    """
    split = _PLACEHOLDER.split(template)
    split[1::2] = [name.lower() for name in split[1::2]]
    return tuple(split)


def placeholders(template: str) -> list[str]:
    """Lower-cased placeholder names, unique, in order of first appearance."""
    return list(dict.fromkeys(pieces(template)[1::2]))


def render(template: str, values: Mapping[str, str | None]) -> str:
    """The template with each placeholder replaced by its value.

    Keys of `values` match names case-insensitively; a missing key or a None value
    renders as "" so one incomplete contact does not stop a campaign. Values are
    inserted verbatim, never expanded again, so a value containing "{{x}}" is safe.
    """
    split = pieces(template)
    if len(split) == 1:
        return template
    out = list(split)
    lowered: dict[str, str | None] | None = None
    for i in range(1, len(split), 2):
        name = split[i]
        value = values.get(name)
        if value is None:
            if lowered is None:
                lowered = {key.lower(): val for key, val in values.items()}
            value = lowered.get(name)
        out[i] = value or ""
    return "".join(out)
