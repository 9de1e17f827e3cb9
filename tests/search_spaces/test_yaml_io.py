"""The safe YAML reader: alias bombs, deep nesting, huge files and odd bytes are one clear error."""

from __future__ import annotations

import time

import pytest

from search_spaces.errors import SpecError, UserError
from search_spaces.yaml_io import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_QUOTE_CHARS,
    MAX_YAML_BYTES,
    parse_yaml,
    quote,
    read_yaml_file,
)


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The 'billion laughs' document: ``width ** levels`` strings from a few hundred bytes."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text,match",
    [
        (alias_bomb(), "alias bomb"),  # over the alias count
        (alias_bomb(levels=7), "alias bomb"),  # few aliases, over a hundred thousand values expanded
        ("a: &a [1, *a]\n", "contains it"),  # an alias inside its own anchor: an infinite value
        ("[" * 100_000 + "]" * 100_000, f"more than {MAX_DEPTH} levels"),
        ("a:\n" + "".join(" " * i + "b:\n" for i in range(1, 200)), f"more than {MAX_DEPTH} levels"),
        ("n: " + "9" * 5000 + "\n", "not valid YAML"),  # more digits than Python converts
        ("a: [1\n", "not valid YAML"),
    ],
)
def test_hostile_documents_are_refused_fast_naming_the_source(text, match):
    started = time.monotonic()
    with pytest.raises(UserError, match=match) as info:
        parse_yaml(text, "given.yaml")
    assert time.monotonic() - started < 1.0
    message = str(info.value)
    assert message.startswith("given.yaml: ") and "\n" not in message and len(message) < 300


def test_ordinary_anchors_and_merge_keys_still_load():
    text = "base: &b {kernel: 3, se: 0.25}\nstage:\n  <<: *b\n  kernel: 5\nsame: *b\n"
    assert parse_yaml(text, "x") == {
        "base": {"kernel": 3, "se": 0.25},
        "stage": {"kernel": 5, "se": 0.25},
        "same": {"kernel": 3, "se": 0.25},
    }
    many = "a: &a 1\n" + "".join(f"k{i}: *a\n" for i in range(MAX_ALIASES))
    assert len(parse_yaml(many, "x")) == MAX_ALIASES + 1


def test_error_class_is_the_callers():
    with pytest.raises(SpecError, match="not valid YAML"):
        parse_yaml("a: [", "arch.yaml", SpecError)


def test_file_limits_and_failures_name_the_file(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("a: 1\n" + "#" * (MAX_YAML_BYTES + 10) + "\n")
    with pytest.raises(UserError, match=r"big\.yaml: proxy file is over the 1,048,576-byte limit"):
        read_yaml_file(big, "proxy file")
    binary = tmp_path / "model.pt"
    binary.write_bytes(b"\x80\x02\x00\xff" * 10)
    with pytest.raises(UserError, match=r"cannot read proxy file .*model\.pt: not UTF-8"):
        read_yaml_file(binary, "proxy file")
    with pytest.raises(UserError, match="is a directory"):
        read_yaml_file(tmp_path, "proxy file")
    with pytest.raises(UserError, match=r"proxy file not found: .*nope\.yaml \(hint\)"):
        read_yaml_file(tmp_path / "nope.yaml", "proxy file", hint=" (hint)")
    good = tmp_path / "good.yaml"
    good.write_text("epochs: 3\n")
    assert read_yaml_file(good, "proxy file") == {"epochs": 3}


def test_quote_is_short_whatever_the_value():
    assert quote("x" * 10_000).endswith("...") and len(quote("x" * 10_000)) == MAX_QUOTE_CHARS
    assert quote(list(range(10**6))) == "a list of 1000000 item(s)"
    assert quote("a\nb") == "'a\\nb'"
    assert quote(float("nan")) == "nan"
