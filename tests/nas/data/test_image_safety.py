"""Image inputs a user can get wrong, on real tiny trees: hidden litter, corrupt files, bombs.

Every failure must be one :class:`UserError` line naming the file, also when the file is decoded in
a DataLoader worker process (whose traceback must not reach the user).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nas.data.image_decode import DecodeDataset, ImageReadError, decode_all, decode_image
from nas.data.imagefolder import load_imagefolder, scan_classes
from search_spaces.errors import UserError

ROOT = Path(__file__).resolve().parents[3]


def write_class(folder: Path, count: int, size: int = 8, start: int = 0) -> None:
    """``count`` small grayscale PNGs in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(start)
    for i in range(start, start + count):
        Image.fromarray(rng.integers(0, 255, (size, size)).astype(np.uint8)).save(folder / f"img{i}.png")


def write_truncated(path: Path) -> None:
    """A PNG whose header reads fine but whose pixel data stops early: it fails only when decoded."""
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (64, 64)).astype(np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def write_bomb(path: Path) -> None:
    """A few-KB PNG whose header declares more pixels than PIL's decompression-bomb limit."""
    side = int(Image.MAX_IMAGE_PIXELS**0.5) + 100
    Image.new("1", (side, side)).save(path)


def test_hidden_files_and_folders_are_skipped_at_every_level(tmp_path):
    write_class(tmp_path / "cat", 4)
    write_class(tmp_path / "dog", 4)
    write_class(tmp_path / ".trash", 4)  # a hidden class folder
    write_class(tmp_path / "cat" / ".thumbs", 3)  # a hidden folder inside a class folder
    write_class(tmp_path / "dog" / "sub" / ".cache", 2)  # ... at any depth
    write_class(tmp_path / "dog" / "sub", 1)  # visible nested folders still count
    (tmp_path / "cat" / ".DS_Store.png").write_bytes(b"not an image")
    (tmp_path / "dog" / ".thumbs").mkdir()
    (tmp_path / "dog" / ".thumbs" / "broken.png").write_bytes(b"\x89PNG broken")
    classes = scan_classes(tmp_path)
    assert sorted(classes) == ["cat", "dog"]
    assert len(classes["cat"]) == 4 and len(classes["dog"]) == 5
    assert not any(part.startswith(".") for paths in classes.values() for p in paths for part in p.parts[-3:])
    data = load_imagefolder(str(tmp_path), val_size=2, image_size=8, workers=0)
    assert len(data.train_y) + len(data.val_y) + len(data.test_y) == 9


def test_corrupt_file_is_named_when_decoded_in_process(tmp_path):
    write_truncated(tmp_path / "cut.png")
    with pytest.raises(ImageReadError, match=r"cannot read image .*cut\.png") as info:
        decode_image(tmp_path / "cut.png", 8, 1)
    assert "\n" not in str(info.value)


def test_corrupt_file_in_a_worker_is_one_line_naming_the_file(tmp_path, capfd):
    write_class(tmp_path / "c0", 300)
    write_truncated(tmp_path / "c0" / "cut.png")
    items = [(str(p), 0) for p in sorted((tmp_path / "c0").iterdir())]
    assert len(items) > 256  # so decode_all decodes in DataLoader worker processes
    with pytest.raises(UserError) as info:
        decode_all(items, 8, 1, workers=2)
    message = str(info.value)
    assert isinstance(info.value, ImageReadError)
    assert message.startswith("cannot read image ") and message.endswith("cut.png: image file is truncated")
    assert "Traceback" not in capfd.readouterr().err


def test_streamed_worker_error_is_one_line(tmp_path):
    """The streamed trainer iterates a DataLoader over DecodeDataset with workers: same one line."""
    import torch

    write_class(tmp_path / "c0", 6)
    write_truncated(tmp_path / "c0" / "cut.png")
    items = [(str(p), 0) for p in sorted((tmp_path / "c0").iterdir())]
    loader = torch.utils.data.DataLoader(DecodeDataset(items, 8, 1), batch_size=2, num_workers=2)
    batches = iter(loader)
    with pytest.raises(ImageReadError) as info:
        for _ in batches:
            pass
    batches._shutdown_workers()  # as StreamSource.close does; else garbage collection waits seconds
    assert str(info.value) == f"cannot read image {tmp_path / 'c0' / 'cut.png'}: image file is truncated"


def test_decompression_bomb_is_refused_by_path_without_decoding(tmp_path):
    write_class(tmp_path / "a", 3)
    write_class(tmp_path / "b", 3)
    write_bomb(tmp_path / "b" / "bomb.png")
    started = time.monotonic()
    with pytest.raises(UserError, match=r"bomb\.png.*decompression bomb"):
        load_imagefolder(str(tmp_path), val_size=1, image_size=8)  # header-only channel vote
    with pytest.raises(ImageReadError, match="decompression bomb"):
        decode_image(tmp_path / "b" / "bomb.png", 8, 1)
    assert time.monotonic() - started < 5


def test_worker_message_is_reduced_to_its_own_line():
    text = (
        "Caught ImageReadError in DataLoader worker process 0.\nOriginal Traceback (most recent call last):\n"
        '  File "x.py", line 1, in f\nnas.data.image_decode.ImageReadError: cannot read image /d/x.png: bad\n'
    )
    assert str(ImageReadError(text)) == "cannot read image /d/x.png: bad"
    assert str(ImageReadError("plain message")) == "plain message"


def test_cli_corrupt_imagefolder_is_one_line_exit_2(tmp_path):
    write_class(tmp_path / "a", 3)
    write_class(tmp_path / "b", 3)
    (tmp_path / "b" / "junk.png").write_bytes(b"\x89PNG this is not a png")
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "evaluate", "--dataset", f"imagefolder:{tmp_path}", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "junk.png" in lines[0] and "Traceback" not in proc.stderr
