"""A supernet store written before a setting existed reads as the trainer of its day, never as today's."""

from __future__ import annotations

import json

import pytest

from nas.oneshot.store import SupernetSettings, SupernetStore
from search_spaces.errors import UserError


def _settings(**changes) -> SupernetSettings:
    base = dict(
        space="tiny",
        space_hash="abc",
        dataset="synthetic",
        data_fingerprint={"n": 1},
        proxy={"lr": 0.1},
        epochs=1,
        train_subset=None,
        seed=0,
        num_classes=10,
        in_channels=1,
    )
    return SupernetSettings(**{**base, **changes})


def _store_with(tmp_path, record: dict) -> SupernetStore:
    store = SupernetStore(tmp_path)
    store.settings_path.write_text(json.dumps({"settings": record, "epochs_done": 1, "history": []}))
    return store


def test_a_store_from_before_shared_dsconv_and_stratified_children_is_refused(tmp_path):
    record = _settings().to_dict()
    del record["layout"], record["sampling"], record["schedule"]
    store = _store_with(tmp_path, record)
    stored = SupernetSettings.from_dict(store.read()["settings"])
    assert (stored.layout, stored.sampling, stored.schedule) == ("per-op", "uniform", "sandwich")
    with pytest.raises(UserError, match="layout: 'per-op' \\(stored\\) vs 'by-expansion' \\(now\\)"):
        store.check(_settings())
    assert store.check(_settings(layout="per-op", sampling="uniform")) is not None


def test_a_store_with_dsconv_on_the_mbconv_branch_reads_as_that_layout(tmp_path):
    record = _settings().to_dict()
    del record["layout"]
    record["share_dsconv"] = True
    store = _store_with(tmp_path, record)
    assert SupernetSettings.from_dict(store.read()["settings"]).layout == "dsconv-in-mbconv"
    with pytest.raises(UserError, match="layout"):
        store.check(_settings())
