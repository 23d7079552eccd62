"""The callback data grammar `v1:<verb>:<n>[:<m>]`."""

from __future__ import annotations

import pytest

from bot.callbacks import MAX_BYTES, Callback, Verb, parse, pattern_for

LARGEST = 999_999_999_999  # 12 digits: the most the grammar accepts
TWO_ARGS = {Verb.RATE}
ONE_ARG = [v for v in Verb if v not in TWO_ARGS]


def _sample(verb: Verb, arg: int = 7, arg2: int = 5) -> Callback:
    return Callback(verb, arg, arg2 if verb in TWO_ARGS else None)


@pytest.mark.parametrize("verb", list(Verb))
@pytest.mark.parametrize("arg", [0, 1, 42, LARGEST])
def test_round_trip(verb: Verb, arg: int) -> None:
    callback = _sample(verb, arg, arg)
    data = callback.pack()
    assert data.startswith(f"v1:{verb.value}:{arg}")
    assert parse(data) == callback


def test_packed_forms() -> None:
    assert Callback(Verb.CLAIM, 12).pack() == "v1:claim:12"
    assert Callback(Verb.RATE, 12, 5).pack() == "v1:rate:12:5"
    assert Callback(Verb.LANGUAGE, 1).pack() == "v1:lang:1"
    assert parse("v1:rate:3:4") == Callback(Verb.RATE, 3, 4)


def test_verb_values_are_distinct() -> None:
    assert len({v.value for v in Verb}) == len(Verb)


@pytest.mark.parametrize("verb", list(Verb))
def test_largest_ids_fit_in_telegram_limit(verb: Verb) -> None:
    data = _sample(verb, LARGEST, LARGEST).pack()
    assert len(data.encode()) <= MAX_BYTES == 64
    assert parse(data) is not None


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "v2:claim:1",
        "V1:claim:1",
        "claim:1",
        "v1:claim",
        "v1:claim:",
        "v1:nosuchverb:1",
        "v1:CLAIM:1",
        "v1:Claim:1",
        "v1::1",
        "v1:claim:-1",
        "v1:rate:-1:5",
        "v1:rate:1:-5",
        "v1:claim:abc",
        "v1:claim:1.5",
        "v1:claim:1e3",
        "v1:claim:0x10",
        "v1:claim: 1",
        "v1:rate:1",
        "v1:rate:1:",
        "v1:claim:1:2",
        "v1:lang:0:1",
        "v1:rate:1:2:3",
        "v1:claim:1x",
        "v1:claim:1:",
        "v1:claim:1 ",
        "v1:claim:1;drop",
        " v1:claim:1",
        "v1:claim:1000000000000",
        "v1:rate:1:1000000000000",
    ],
)
def test_parse_rejects(data: str | None) -> None:
    assert parse(data) is None


def test_parse_rejects_trailing_newline() -> None:
    assert parse("v1:claim:1\n") is None


def test_parse_rejects_non_ascii_digits() -> None:
    assert parse("v1:claim:١٢") is None  # Arabic-Indic digits


@pytest.mark.parametrize("verb", list(Verb))
def test_negative_numbers_refused(verb: Verb) -> None:
    with pytest.raises(ValueError, match="negative"):
        _sample(verb, -1).pack()
    if verb in TWO_ARGS:
        with pytest.raises(ValueError, match="negative"):
            Callback(verb, 1, -1).pack()


@pytest.mark.parametrize("verb", ONE_ARG)
def test_one_number_verbs_refuse_a_second(verb: Verb) -> None:
    with pytest.raises(ValueError, match="takes 1"):
        Callback(verb, 1, 2).pack()


def test_rate_needs_two_numbers() -> None:
    with pytest.raises(ValueError, match="takes 2"):
        Callback(Verb.RATE, 1).pack()


def test_pack_refuses_numbers_parse_would_refuse() -> None:
    # 13 digits: parse() would reject the packed data, so pack() must not produce it.
    with pytest.raises(ValueError, match="12 digits"):
        Callback(Verb.CLAIM, 10**12).pack()
    with pytest.raises(ValueError, match="12 digits"):
        Callback(Verb.RATE, 1, 10**60).pack()


def test_pattern_for_matches_only_its_verbs() -> None:
    pattern = pattern_for(Verb.CLAIM, Verb.RATE)
    assert pattern.match(Callback(Verb.CLAIM, 1).pack())
    assert pattern.match(Callback(Verb.RATE, 1, 5).pack())
    for verb in Verb:
        if verb not in (Verb.CLAIM, Verb.RATE):
            assert not pattern.match(_sample(verb).pack()), verb
    assert not pattern.match("v2:claim:1")
    assert not pattern.match("v1:claimx:1")


@pytest.mark.parametrize("verb", list(Verb))
def test_pattern_for_single_verb(verb: Verb) -> None:
    pattern = pattern_for(verb)
    for other in Verb:
        matched = pattern.match(_sample(other).pack()) is not None
        assert matched == (other is verb), (verb, other)


def test_prefix_verbs_do_not_overlap() -> None:
    # "cxl" is a prefix of "cxlok": each pattern must still match only its own verb.
    assert not pattern_for(Verb.CANCEL_REQUEST).match("v1:cxlok:1")
    assert not pattern_for(Verb.CANCEL_REQUEST_SURE).match("v1:cxl:1")
    assert pattern_for(Verb.CANCEL_REQUEST).match("v1:cxl:1")
