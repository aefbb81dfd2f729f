"""Placeholder parsing and rendering."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.personalization import pieces, placeholders, render


def test_placeholders_unique_in_order_case_insensitive():
    template = "Ciao {{first_name}}, codice {{ code }}: {{FIRST_NAME}} {{ Code}} {{1}}"
    assert placeholders(template) == ["first_name", "code", "1"]


@pytest.mark.parametrize(
    "template",
    ["no placeholders", "{{}}", "{{ first name }}", "{first_name}", "{{ä-b}}"],
)
def test_non_placeholders_are_ignored(template):
    assert placeholders(template) == []
    assert render(template, {"first_name": "X"}) == template


def test_render():
    template = "Ciao {{ First_Name }}, usa {{code}} entro il {{scadenza}}!"
    values = {"FIRST_NAME": "Anna", "code": "BF2026"}
    assert render(template, values) == "Ciao Anna, usa BF2026 entro il !"


def test_render_missing_and_none_values_are_empty():
    assert render("[{{a}}|{{b}}]", {"a": None}) == "[|]"


def test_render_exact_key_wins_over_case_folded_one():
    assert render("{{name}}", {"NAME": "upper", "name": "exact"}) == "exact"


def test_values_are_not_expanded_again():
    assert render("{{a}}{{b}}", {"a": "{{b}}", "b": "x"}) == "{{b}}x"


def test_pieces_alternate_static_text_and_names():
    assert pieces("Ciao {{ Nome }}, {{code}}!") == ("Ciao ", "nome", ", ", "code", "!")
    assert pieces("{{a}}{{a}}") == ("", "a", "", "a", "")


# No "}" in the static text, so it can never close a placeholder of its own.
_WORDS = st.text(st.sampled_from("ab €😀{\\Ж"), max_size=20)


@given(names=st.lists(st.sampled_from(["a", "b", "c"]), max_size=5), data=st.data())
def test_rendered_text_is_the_fixed_pieces_with_each_value_in_place(names, data):
    size = len(names) + 1
    statics = data.draw(st.lists(_WORDS, min_size=size, max_size=size))
    template = statics[0] + "".join(
        f"{{{{{name}}}}}{text}" for name, text in zip(names, statics[1:], strict=True)
    )
    values = data.draw(st.fixed_dictionaries({n: _WORDS for n in "abc"}))
    split = pieces(template)
    expected = split[0] + "".join(
        values[name] + text for name, text in zip(split[1::2], split[2::2], strict=True)
    )
    assert render(template, values) == expected
