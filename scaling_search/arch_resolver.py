"""The one reading of an architecture argument: ``--arch`` (cost, evaluate) and ``--base`` (scale,
export, coefficients) accept the same four forms and fail with the same messages.

1. A released model name, ``b0`` .. ``b7`` (any case, ``efficientnet-``/``efficientnet_`` prefix
   allowed), built by :func:`scaling_search.official.official_arch` (``b0`` is exactly the paper's
   Table 1). One regular expression recognises the names; a number outside 0..7 (``b9``) is an
   error rather than a file name.
2. A seed network of the paper's Table 3: ``mobilenetv1``, ``mobilenetv2``, ``resnet50`` (any
   case, ``-``/``_`` ignored; :mod:`search_spaces.references`, exact torchvision builds).
3. An architecture code as :func:`search_spaces.codes.arch_code` writes it (it has ``|``
   between stem, stages, head and globals).
4. An architecture YAML file, such as the ``runs/<study>/baseline.yaml`` a baseline search writes.

It lives in ``scaling_search`` because that is the lowest layer holding the released B-series
table; ``commands`` and ``scaling_search.inputs`` both call it. Every problem is one UserError line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from search_spaces.arch import ArchSpec
from search_spaces.errors import UserError

#: What every architecture flag accepts, for help texts and error messages.
GRAMMAR = "b0..b7, mobilenetv1, mobilenetv2, resnet50, an architecture YAML file or an architecture code"
#: A released EfficientNet name; the number is checked against the table afterwards.
OFFICIAL_RE = re.compile(r"^(?:efficientnet[-_])?b(?P<index>\d+)$", re.IGNORECASE)
#: Number of released models (B0..B7).
_RELEASED = 8


@dataclass(frozen=True)
class ResolvedArch:
    """An architecture argument read back: the network and how the user named it.

    ``name`` is short and safe in file and study names: ``b3`` for a released model, the file's
    stem for a YAML file (its folder for a ``baseline.yaml``, which is always called that), and
    ``code`` for an architecture code, ``mobilenetv2`` etc. for a seed network. ``kind`` is
    ``official``, ``reference``, ``file`` or ``code``.
    """

    arch: ArchSpec
    name: str
    kind: str
    path: Path | None = None
    #: What a YAML file records it was searched for (``num_classes``, ``in_channels`` top-level
    #: fields of a search's ``baseline.yaml``); None when the file says nothing (then 1000 and 3).
    num_classes: int | None = None
    in_channels: int | None = None


def resolve_arch(text: str, flag: str = "--arch") -> ResolvedArch:
    """Read ``text`` (the value of ``flag``) as a released or seed name, a code or a YAML file."""
    from search_spaces.arch_yaml import load_arch_file
    from search_spaces.codes import arch_from_code
    from search_spaces.references import normalise_name, reference_arch

    text = str(text).strip()
    if not text:
        raise UserError(f"{flag} is empty; expected {GRAMMAR}")
    if "|" in text:
        return ResolvedArch(arch_from_code(text), "code", "code")
    match = OFFICIAL_RE.match(text)
    if match:
        index = int(match["index"])
        if index >= _RELEASED:
            raise UserError(f"{flag} {text!r}: unknown architecture; expected {GRAMMAR}")
        from scaling_search.official import official_arch

        return ResolvedArch(official_arch(index), f"b{index}", "official")
    seed = reference_arch(text)
    if seed is not None:
        return ResolvedArch(seed, normalise_name(text), "reference")
    path = Path(text).expanduser()
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError:  # e.g. a name too long for the file system
        exists = is_dir = False
    if is_dir:
        raise UserError(f"{flag} {text!r} is a directory; give an architecture YAML file")
    if not exists:
        raise UserError(f"{flag} {text!r}: unknown architecture (file not found); expected {GRAMMAR}")
    name = path.parent.name if path.stem == "baseline" and path.parent.name else path.stem
    arch = load_arch_file(path)
    classes, channels = recorded_shape(path, flag)
    return ResolvedArch(arch, name, "file", path, classes, channels)


def recorded_shape(path: Path, flag: str = "--arch") -> tuple[int | None, int | None]:
    """(num_classes, in_channels) an architecture file records at its top level, else None each.

    ``effsearch baseline`` writes them into ``baseline.yaml`` so that every command reading the
    file costs and builds the network the search costed (a 10-class grayscale search is not
    ImageNet's 1000 classes and RGB).
    """
    from search_spaces.yaml_io import quote, read_yaml_file

    data = read_yaml_file(path, "architecture file")  # the same limits load_arch_file applied
    if not isinstance(data, dict):
        return None, None
    found: list[int | None] = []
    for key in ("num_classes", "in_channels"):
        value = data.get(key)
        if value is None:
            found.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UserError(f"{flag} {path}: {key} must be a positive whole number, got {quote(value)}")
        found.append(int(value))
    return found[0], found[1]


__all__ = ["GRAMMAR", "OFFICIAL_RE", "ResolvedArch", "recorded_shape", "resolve_arch"]
