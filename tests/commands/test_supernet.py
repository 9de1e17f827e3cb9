"""``effsearch supernet``: the training schedule is a stored setting, and a mismatch is refused."""

from __future__ import annotations

import json

import pytest

import cli
from tests.nas.search.test_driver import DATASET, TINY_PROXY, TINY_SPACE

pytestmark = pytest.mark.usefixtures("one_thread")


def test_the_schedule_is_stored_and_another_one_is_refused(tmp_path, capsys):
    (tmp_path / "space.yaml").write_text(TINY_SPACE)
    (tmp_path / "proxy.yaml").write_text(TINY_PROXY)
    args = ["supernet", "--space", str(tmp_path / "space.yaml"), "--proxy", str(tmp_path / "proxy.yaml")]
    args += ["--dataset", DATASET, "--epochs", "1", "--device", "cpu", "--store-dir", str(tmp_path / "sn")]
    assert cli.main([*args, "--schedule", "progressive", "--quiet"]) == 0
    (stored,) = (tmp_path / "sn").glob("*/settings.json")
    assert json.loads(stored.read_text())["settings"]["schedule"] == "progressive"
    capsys.readouterr()
    assert cli.main([*args, "--schedule", "sandwich", "--quiet"]) == 2
    assert "schedule: 'progressive' (stored) vs 'sandwich' (now)" in capsys.readouterr().err
