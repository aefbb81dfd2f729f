"""How long SMS counting takes per message, on 200k personalized Italian messages.

Run from the repository root: ``python -m bench.segments [count]``. N us/message
means N seconds for a campaign of 1M recipients.
"""

from __future__ import annotations

import random
import string
import sys
import time
from collections.abc import Callable

from messaging.personalization import render
from messaging.segments import analyze, parts, transliterate

FIRST_NAMES = [
    "Marco", "Giulia", "Francesca", "Alessandro", "Chiara", "Luca", "Sofia", "Matteo",
    "Martina", "Lorenzo", "Giorgia", "Andrea", "Aurora", "Niccolò", "Nicolò", "Gioele",
    "Beatrice", "Federico", "Anna Maria", "Gian Luca", "Mattia", "Elisa", "Davide",
    "Noemi", "Riccardo", "Ilaria", "Tommaso", "Alice", "Pietro", "Ginevra",
    # A few that are not GSM-7 as typed: transliteration matters for these.
    "Èlia", "Zoë", "Łukasz", "José", "Raphaël", "Dragoș",
]  # fmt: skip
CITIES = [
    "Milano", "Roma", "Torino", "Napoli", "Bologna", "Firenze", "Forlì", "Cantù",
    "Sant'Agata di Militello", "Città di Castello", "Reggio nell'Emilia", "Bari",
    "Palermo", "Genova", "Verona", "Padova", "Trieste", "Cagliari", "Lecce", "Aosta",
]  # fmt: skip
TEMPLATES = [
    # 130-175 characters: around the 160 boundary, plain GSM-7.
    "Ciao {{first_name}}! Black Friday: -30% su tutto con il codice {{code}}. "
    "Valido fino al 30/11 nel negozio di {{city}}. Scopri di più: "
    "https://shop.example.it/bf",
    # Extension characters (€, {}) that can sit on a part boundary.
    "{{ first_name }}, per te un buono da 10€ da usare a {{city}} entro domenica "
    "{solo online}. Codice: {{code}} - Info e condizioni: https://shop.example.it/b10",
    # An emoji: UCS-2, and a surrogate pair that can sit on a part boundary.
    "🎁 {{first_name}}, il tuo regalo ti aspetta a {{city}}! Usa {{code}} in cassa.",
]


Values = dict[str, str]


def recipients(count: int, rng: random.Random) -> list[Values]:
    alphabet = string.ascii_uppercase + string.digits
    return [
        {
            "first_name": rng.choice(FIRST_NAMES),
            "city": rng.choice(CITIES),
            "code": "".join(rng.choices(alphabet, k=rng.randint(6, 10))),
        }
        for _ in range(count)
    ]


def per_message(label: str, run: Callable[[], object], count: int) -> None:
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    print(f"  {label:<52} {elapsed / count * 1e6:6.2f} us/message")


def main(count: int) -> None:
    people = recipients(count, random.Random(2026))
    for template in TEMPLATES:
        rendered = [render(template, values) for values in people]
        sizes = [len(text) for text in rendered]
        histogram: dict[int, int] = {}
        for text in rendered:
            n = parts(text)
            histogram[n] = histogram.get(n, 0) + 1
        print(
            f"{template[:40]!r}... {min(sizes)}-{max(sizes)} chars, "
            f"parts {dict(sorted(histogram.items()))}"
        )
        per_message("render", lambda t=template: [render(t, v) for v in people], count)
        per_message(
            "parts(text), pre-rendered", lambda r=rendered: list(map(parts, r)), count
        )
        per_message(
            "analyze(text), pre-rendered",
            lambda r=rendered: list(map(analyze, r)),
            count,
        )
        per_message(
            "render + parts",
            lambda t=template: [parts(render(t, v)) for v in people],
            count,
        )
        per_message(
            "transliterate values + render + parts",
            lambda t=template: [
                parts(render(t, {k: transliterate(x) for k, x in v.items()}))
                for v in people
            ],
            count,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
