"""The YAML loader: positions, duplicates, aliases, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from adrgen.errors import ValidationFailed
from adrgen.records.loader import MAX_DEPTH, format_path, load_bytes, load_text

P = Path("0001-x.yaml")


def only_message(text: str) -> str:
    with pytest.raises(ValidationFailed) as caught:
        load_text(text, P)
    (problem,) = caught.value.problems
    return f"{problem.line}:{problem.col}: {problem.message}"


def test_positions_of_values_and_keys() -> None:
    doc = load_text("title: T\noptions:\n  - id: a\n    name: A\n", P)
    assert doc.data == {"title": "T", "options": [{"id": "a", "name": "A"}]}
    assert doc.position(("options", 0, "name")) == (4, 11)
    assert doc.position(("options", 0, "name"), key=True) == (4, 5)
    # A missing field points at its nearest parent.
    assert doc.position(("options", 0, "missing")) == (3, 5)


def test_duplicate_key_names_both_lines() -> None:
    assert (
        only_message("a: 1\nb:\n  c: 1\n  c: 2\n")
        == "4:3: duplicate key 'c' (first defined at line 3)"
    )


def test_alias_bomb_fails_fast() -> None:
    levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    # Refused by counting the expansion before it happens, not by a clock: the message says so.
    message = only_message("\n".join(levels) + "\n")
    assert "alias bomb" in message


def test_recursive_alias() -> None:
    assert only_message("a: &a [*a]\n").endswith("recursive alias)")


def test_deep_nesting_is_bounded() -> None:
    depth = MAX_DEPTH + 5
    assert "deeper than" in only_message("a: " + "[" * depth + "]" * depth + "\n")
    # libyaml's own limit catches absurd depth before anything recurses in Python.
    assert "YAML syntax error" in only_message("a: " + "[" * 100_000 + "]" * 100_000)


def test_merge_keys_work_and_explicit_keys_win() -> None:
    doc = load_text("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n", P)
    assert doc.data["m"] == {"x": 1, "y": 3}
    assert doc.position(("m", "y")) == (4, 6)


def test_python_tags_are_refused() -> None:
    assert "unsupported YAML tag" in only_message("a: !!python/name:os.system\n")


def test_non_utf8_points_at_the_byte() -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_bytes(b"a: ok\nb: caf\xe9\n", P)
    (problem,) = caught.value.problems
    assert (problem.line, problem.col) == (2, 7)
    assert problem.message == "file is not valid UTF-8 (byte 0xe9 at offset 12)"


def test_bom_is_accepted() -> None:
    assert load_bytes(b"\xef\xbb\xbfa: 1\n", P).data == {"a": 1}


def test_invalid_timestamp_is_kept_as_text_for_validation() -> None:
    assert load_text("date: 2024-02-30\n", P).data == {"date": "2024-02-30"}


def test_format_path() -> None:
    assert format_path(("options", 0, "flows", 1, "to")) == "options[0].flows[1].to"
