"""GB 32100-2015 check characters and the hash chain."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from domain.chain import GENESIS, VerifiedChains, link_hash, verify_chain
from domain.creditcode import ALPHABET, check_character, credit_code_problem, make_credit_code

prefixes = st.tuples(
    st.sampled_from("1234569ANY"),
    st.sampled_from("123459"),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
).map("".join)


def test_published_codes_check_out() -> None:
    # The worked example of GB 32100-2015 and a code from a public business register.
    for code in ("91350100M000100Y43", "91110000600037341L"):
        assert credit_code_problem(code) is None, code


@given(prefixes)
def test_a_completed_code_is_valid(prefix: str) -> None:
    assert credit_code_problem(make_credit_code(prefix)) is None


@given(prefixes, st.integers(0, 17), st.sampled_from(ALPHABET))
def test_any_single_character_change_is_caught(prefix: str, position: int, char: str) -> None:
    code = make_credit_code(prefix)
    altered = code[:position] + char + code[position + 1 :]
    if altered != code:
        assert credit_code_problem(altered) is not None


def test_check_character_of_a_known_prefix() -> None:
    assert check_character("91350100M000100Y4") == "3"


def _link(prev: str, version: int, **fields: object) -> tuple[str, dict[str, object]]:
    body: dict[str, object] = {
        "originator_version": version,
        "timestamp": datetime(2024, 1, version, tzinfo=UTC),
        "occurred_on": date(2024, 1, version),
        "prev_hash": prev,
        **fields,
    }
    body["chain_hash"] = link_hash("t:E", body)
    return ("t:E", body)


def test_chain_verifies_and_names_the_first_altered_event() -> None:
    first = _link(GENESIS, 1, name="a")
    second = _link(str(first[1]["chain_hash"]), 2, name="b")
    third = _link(str(second[1]["chain_hash"]), 3, name="c")
    assert verify_chain([first, second, third]) is None
    tampered = ("t:E", {**second[1], "name": "B"})
    broken = verify_chain([first, tampered, third])
    assert broken is not None
    assert broken.position == 2
    assert verify_chain([first, third]) is not None  # a deleted event breaks the chain too


def _chain(n: int) -> list[tuple[str, dict[str, object]]]:
    links: list[tuple[str, dict[str, object]]] = []
    previous = GENESIS
    for version in range(1, n + 1):
        links.append(_link(previous, version, name=f"e{version}"))
        previous = str(links[-1][1]["chain_hash"])
    return links


def test_a_kept_prefix_is_verified_from_on_and_keeps_only_what_held() -> None:
    iid = uuid4()
    verified = VerifiedChains()
    links = _chain(5)
    assert verified.verify(iid, links[:3], lambda link: link) is None
    assert verified.prefix(iid) == (3, links[2][1]["chain_hash"])
    # An event after the prefix altered: found, and the prefix grows only to before it.
    altered = [*links[:4], ("t:E", {**links[4][1], "name": "E"})]
    broken = verified.verify(iid, altered, lambda link: link)
    assert broken is not None
    assert broken.position == 5
    assert verified.prefix(iid) == (4, links[3][1]["chain_hash"])
    assert verified.verify(iid, altered, lambda link: link) is not None  # still found
    # The prefix's last event no longer the one verified: checked from the start.
    replaced = [*links[:3], ("t:E", {**links[3][1], "chain_hash": "0" * 64}), links[4]]
    broken = verified.verify(iid, replaced, lambda link: link)
    assert broken is not None
    assert broken.position == 4
    assert verified.verify(iid, links, lambda link: link) is None
    assert verified.prefix(iid) == (5, links[4][1]["chain_hash"])
