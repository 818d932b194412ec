"""Spoken numbers and letters are findable either way."""

from __future__ import annotations

import pytest

from mmem.text_norm import normalize


@pytest.mark.parametrize(
    "spoken, written",
    [
        ("k seven", "K7"),
        ("nine", "9"),
        ("bin blue at f two now", "Bin blue at F2 now."),
        ("twenty-one pilots", "21 pilots"),
        ("room two hundred", "room 200"),
        ("Lay blue at X four now", "lay blue at x4 NOW"),
    ],
)
def test_spoken_and_written_forms_meet(spoken, written):
    assert normalize(spoken) == normalize(written)


def test_words_stay_words():
    assert normalize("Ask not what your country can do for you!") == \
        "ask not what your country can do for you"
