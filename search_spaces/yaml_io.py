"""The one way effsearch reads a user's YAML: ``safe_load`` with limits, every failure one line.

Every YAML input (architecture, search space, proxy, coefficients files) goes through
:func:`read_yaml_file` or :func:`parse_yaml`. ``yaml.safe_load`` alone builds no objects but still
lets a small file cost unbounded time or memory, so three limits apply, all checked while the
document is composed, before any value reaches a caller:

- **size**: at most :data:`MAX_YAML_BYTES`; these files are a few KB, so a larger one is a mistake
  (a checkpoint or data file given by accident);
- **aliases**: at most :data:`MAX_ALIASES` alias uses, no alias inside its own anchor, and at most
  :data:`MAX_EXPANDED_NODES` nodes once aliases are expanded. PyYAML shares aliased nodes, so an
  alias bomb ("billion laughs") loads quickly -- and then hangs whichever code walks or prints the
  value. Counting the expanded size on the composed graph (memoised per node) refuses it in
  microseconds;
- **depth**: at most :data:`MAX_DEPTH` levels of nesting, so ``[[[[...]]]]`` is a clear error, not
  a ``RecursionError``.

Messages quote at most a short, truncated piece of the file (:func:`quote`), never a whole value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from search_spaces.errors import UserError

#: Largest YAML file read (bytes). The packaged space is about 3 KB; a baseline.yaml about 2 KB.
MAX_YAML_BYTES = 1024 * 1024
#: Most alias uses (``*name``) in one document; hand-written files use a handful.
MAX_ALIASES = 100
#: Most nodes of the document with every alias expanded: far above any real file.
MAX_EXPANDED_NODES = 100_000
#: Deepest nesting of lists and mappings; real files nest about five levels.
MAX_DEPTH = 50
#: Longest text quoted from a user's file in any message.
MAX_QUOTE_CHARS = 60


def quote(value: Any, limit: int = MAX_QUOTE_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages that echo a user's value.

    A container is summarised by type and length before ``repr`` can walk it, so a huge (or
    alias-expanded) value costs nothing to quote.
    """
    if isinstance(value, (list, tuple, dict, set)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    text = repr(value)
    if len(text) > 100_000:  # a huge scalar: cut before the second pass below
        text = text[:limit]
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."


class _LimitError(yaml.YAMLError):
    """A document over one of this module's limits (reported like any other YAML error)."""


class _LimitedLoader(yaml.SafeLoader):
    """``SafeLoader`` that counts aliases, refuses self-referencing ones and bounds the nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._open_anchors: list[str | None] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _LimitError(
                    f"more than {MAX_ALIASES} aliases (*name); refused as a possible alias bomb"
                )
            if event.anchor in self._open_anchors:
                raise _LimitError(f"alias *{quote(event.anchor, 30)} refers to a node that contains it")
            return super().compose_node(parent, index)
        if len(self._open_anchors) >= MAX_DEPTH:
            raise _LimitError(f"nested more than {MAX_DEPTH} levels deep")
        self._open_anchors.append(getattr(event, "anchor", None))
        try:
            return super().compose_node(parent, index)
        finally:
            self._open_anchors.pop()

    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        if node is not None:
            _expanded_size(node)
        return node


def _expanded_size(root: yaml.Node) -> int:
    """Nodes of ``root`` with aliases expanded, memoised per shared node; raises over the limit.

    An iterative post-order walk (children sized before their parent), so each distinct node is
    visited once whatever the expanded size, and no recursion limit is involved.
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
            continue
        size = 1 + sum(sizes[id(child)] for child in _children(node))
        if size > MAX_EXPANDED_NODES:
            raise _LimitError(
                f"more than {MAX_EXPANDED_NODES:,} values once aliases are expanded;"
                " refused as a possible alias bomb"
            )
        sizes[id(node)] = size
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def parse_yaml(text: str, source: str, error: type[UserError] = UserError) -> Any:
    """``text`` as plain Python data (safe types only); any problem one ``error`` naming ``source``."""
    if len(text) > MAX_YAML_BYTES:
        raise error(
            f"{source}: {len(text):,} characters is over the {MAX_YAML_BYTES:,}-byte limit for YAML files"
        )
    loader = _LimitedLoader(text)
    try:
        return loader.get_single_data()
    except _LimitError as exc:
        raise error(f"{source}: YAML refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML ({_first_line(exc)})") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more digits than Python converts
        raise error(f"{source}: not valid YAML ({_first_line(exc)})") from None
    finally:
        loader.dispose()


def read_yaml_file(path: str | Path, what: str, error: type[UserError] = UserError, hint: str = "") -> Any:
    """Read and parse the YAML file at ``path``; ``what`` names it in messages ("proxy file").

    Missing, unreadable, oversized and non-UTF-8 files are one ``error`` each, naming the path
    (``hint`` is added to the not-found message, e.g. the presets a user may have meant).
    """
    file = Path(path).expanduser()
    try:
        if file.is_dir():
            raise error(f"{what} {path} is a directory, not a YAML file")
        with file.open("rb") as handle:
            data = handle.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise error(f"{what} not found: {path}{hint}") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {_first_line(exc)}") from None
    if len(data) > MAX_YAML_BYTES:
        raise error(f"{path}: {what} is over the {MAX_YAML_BYTES:,}-byte limit for YAML files")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"cannot read {what} {path}: not UTF-8 text (byte {exc.start})") from None
    return parse_yaml(text, str(path), error)


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message, truncated: YAML errors quote the offending line."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first if len(first) <= 2 * MAX_QUOTE_CHARS else first[: 2 * MAX_QUOTE_CHARS - 3] + "..."


__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "MAX_QUOTE_CHARS",
    "MAX_YAML_BYTES",
    "parse_yaml",
    "quote",
    "read_yaml_file",
]
