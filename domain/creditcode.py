"""Unified social credit code (统一社会信用代码), GB 32100-2015."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (GB 32100-2015 §5, modulus 31)."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid credit code, or None when it is."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        return f"contains characters outside GB 32100-2015: {''.join(bad)}"
    if not code[2:8].isdigit():
        return "characters 3-8 must be the administrative division code (digits)"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]!r}, GB 32100-2015 gives {expected!r}"
    return None


def make_credit_code(first17: str) -> str:
    """Complete a 17-character prefix with its check character (demo data, tests)."""
    return first17 + check_character(first17)
