"""Reader for the IDX format of MNIST and Fashion-MNIST (plain or gzip-compressed).

IDX (LeCun et al., the MNIST page) is a big-endian header -- two zero bytes, a type code, the
number of dimensions, then one uint32 per dimension -- followed by the raw array. Fashion-MNIST
(Xiao et al. 2017) ships exactly these four files, which Debian's ``dataset-fashion-mnist`` puts
under /usr/share/datasets/fashion-mnist. Reading them ourselves keeps the default dataset free of
any download or torchvision layout, and a broken file is a clear :class:`UserError`.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from search_spaces.errors import UserError

#: IDX type code -> numpy dtype (big-endian where it matters).
_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of one IDX file into an array of its declared shape."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise UserError(f"{source}: not an IDX file (bad magic number)")
    code, ndim = raw[2], raw[3]
    if code not in _DTYPES:
        raise UserError(f"{source}: unknown IDX element type 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError(f"{source}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise UserError(
            f"{source}: IDX payload has {len(raw) - header} bytes, header {shape} needs {expected}"
        )
    # A writable copy: torch refuses to share read-only buffers safely.
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).copy()


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (``.gz`` or not: gzip is detected from the content, not the name)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise UserError(f"{path}: corrupt gzip data ({exc})") from None
    return parse_idx(raw, str(path))


def write_idx(path: str | Path, array: np.ndarray, compress: bool = True) -> None:
    """Write ``array`` (uint8 only) as an IDX file: used by tests and by people making subsets."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.tobytes()
    Path(path).write_bytes(gzip.compress(data, compresslevel=1) if compress else data)


__all__ = ["parse_idx", "read_idx", "write_idx"]
