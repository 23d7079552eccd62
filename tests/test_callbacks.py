"""The callback data grammar `v1:<verb>:<n>[:<m>]`."""

from __future__ import annotations

import ast
import inspect
from enum import StrEnum, unique

import pytest

from bot import callbacks
from bot.callbacks import MAX_BYTES, TWO_ARGS, WIZARD_VERBS, Callback, Verb, parse, pattern_for

LARGEST = 999_999_999_999  # 12 digits: the most the grammar accepts
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


def _verb_values_in_source() -> list[str]:
    """The string of every `NAME = "value"` line of the Verb class, as written."""
    tree = ast.parse(inspect.getsource(callbacks))
    verb = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Verb")
    return [
        str(node.value.value)
        for node in verb.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
    ]


def test_verb_values_are_distinct() -> None:
    # A repeated value in an Enum makes an alias, which iteration and len() never show; read
    # the class as written instead.
    values = _verb_values_in_source()
    assert len(values) == len(Verb.__members__) > 20
    assert len(values) == len(set(values)), sorted(v for v in values if values.count(v) > 1)


def test_a_repeated_verb_value_cannot_be_defined() -> None:
    # The same guard at import time: @unique refuses an alias.
    with pytest.raises(ValueError, match="duplicate"):

        @unique
        class Broken(StrEnum):
            ONE = "same"
            TWO = "same"


def test_wizard_buttons_carry_their_step() -> None:
    # Every wizard verb takes the step's nonce as its second number.
    assert WIZARD_VERBS <= TWO_ARGS
    assert parse("v1:ok:0") is None
    assert parse("v1:ok:0:123456") == Callback(Verb.CONFIRM, 0, 123456)


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


@pytest.mark.parametrize("verb", sorted(TWO_ARGS))
def test_two_number_verbs_need_both(verb: Verb) -> None:
    with pytest.raises(ValueError, match="takes 2"):
        Callback(verb, 1).pack()


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
