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


def test_a_store_from_before_shared_dsconv_and_stratified_children_is_refused(tmp_path):
    record = _settings().to_dict()
    del record["share_dsconv"], record["sampling"]
    store = SupernetStore(tmp_path)
    store.settings_path.write_text(json.dumps({"settings": record, "epochs_done": 1, "history": []}))
    stored = SupernetSettings.from_dict(store.read()["settings"])
    assert (stored.share_dsconv, stored.sampling) == (False, "uniform")
    with pytest.raises(UserError, match="share_dsconv: False \\(stored\\) vs True \\(now\\)"):
        store.check(_settings())
    assert store.check(_settings(share_dsconv=False, sampling="uniform")) is not None
