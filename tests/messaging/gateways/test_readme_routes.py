"""The README's example route bodies are valid settings of their kinds."""

from __future__ import annotations

import json
import re
from pathlib import Path

from messaging.gateways.kinds import KINDS

README = Path(__file__).resolve().parents[3] / "README.md"


def test_every_example_route_in_the_readme_validates():
    text = README.read_text()
    routes = text[text.index("## Routes") : text.index("## Not yet")]
    bodies = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", routes, re.S)]
    assert {b["kind"] for b in bodies} >= {"twilio", "http-json"}
    for body in bodies:
        assert body["channel"] in KINDS[body["kind"]].channels
        KINDS[body["kind"]].Settings.model_validate(body["settings"])
