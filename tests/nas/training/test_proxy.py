"""ProxyConfig: defaults, presets, YAML loading with coercion, validation, the small-input adaptation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nas.training.proxy import (
    DEFAULT_PROXY,
    GPU_PROXY,
    LONG_PROXY,
    ProxyConfig,
    load_proxy,
    preset,
    proxy_to_yaml,
)
from search_spaces.arch_yaml import reference_b0
from search_spaces.cost import count_cost
from search_spaces.errors import UserError


def test_presets_share_one_recipe():
    recipe = ("resolution", "optimizer", "lr", "schedule", "label_smoothing", "stem_stride", "augment")
    for other in (GPU_PROXY, LONG_PROXY):
        assert all(getattr(other, key) == getattr(DEFAULT_PROXY, key) for key in recipe)
    assert GPU_PROXY.train_subset is None and LONG_PROXY.epochs == 10
    assert DEFAULT_PROXY.train_subset is not None  # CPU default trains on a subset


def test_dict_and_yaml_round_trip(tmp_path):
    config = replace(GPU_PROXY, lr=0.05, dropout=0.1)
    assert ProxyConfig.from_dict(config.to_dict()) == config
    path = tmp_path / "p.yaml"
    path.write_text(proxy_to_yaml(config))
    assert load_proxy(path) == config


def test_yaml_values_are_coerced(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("base: gpu\nlr: 1e-3\nepochs: '7'\naugment: 'no'\ntrain_subset: all\nstem_stride: null\n")
    config = load_proxy(path)
    assert config.lr == pytest.approx(1e-3) and config.epochs == 7 and config.augment is False
    assert config.train_subset is None and config.stem_stride is None
    assert config.name == "gpu" and config.batch_size == GPU_PROXY.batch_size


def test_proxy_key_wrapper_is_accepted(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("proxy:\n  epochs: 2\n")
    assert load_proxy(path).epochs == 2


def test_presets_by_name():
    assert load_proxy("gpu") is GPU_PROXY and load_proxy(None) is DEFAULT_PROXY
    assert preset("LONG") is LONG_PROXY


@pytest.mark.parametrize(
    "text,match",
    [
        ("epochs: [1]\n", "epochs must be a number"),
        ("epochs: 1.5\n", "whole number"),
        ("learning_rate: 0.1\n", "unknown proxy setting"),
        ("resolution: 4\n", "resolution must be within 8"),
        ("resolution: 100000\n", "resolution must be within"),
        ("optimizer: adam2\n", "optimizer must be one of"),
        ("lr: -1\n", "lr must be within"),
        ("lr: .nan\n", "finite"),
        ("base: huge\n", "unknown proxy preset"),
        ("augment: maybe\n", "true or false"),
        ("- 1\n- 2\n", "expected a mapping"),
        ("epochs: [\n", "not valid YAML"),
    ],
)
def test_bad_yaml_is_one_clear_error(tmp_path, text, match):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=match) as info:
        load_proxy(path)
    assert str(path) in str(info.value)


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_proxy(tmp_path / "none.yaml")


def test_with_overrides_ignores_none_and_validates():
    assert DEFAULT_PROXY.with_overrides(epochs=None) is DEFAULT_PROXY
    assert DEFAULT_PROXY.with_overrides(epochs=7).epochs == 7
    with pytest.raises(UserError):
        DEFAULT_PROXY.with_overrides(resolution=7)


def test_stem_adaptation_changes_training_only():
    b0 = reference_b0()
    trained = DEFAULT_PROXY.train_arch(b0)
    assert trained.stem_stride == 1 and b0.stem_stride == 2
    assert trained.stages == b0.stages and trained.resolution == b0.resolution
    # the cost model sees the unmodified architecture: the search's numbers never change
    assert count_cost(b0).macs == 385_814_752
    assert replace(DEFAULT_PROXY, stem_stride=None, drop_connect=None).train_arch(b0) == b0


def test_unstride_stages():
    trained = replace(DEFAULT_PROXY, unstride_stages=2).train_arch(reference_b0())
    strides = [stage.stride for stage in trained.stages]
    assert strides == [1, 1, 1, 2, 1, 2, 1]


def test_dropout_override():
    trained = replace(DEFAULT_PROXY, dropout=0.0, drop_connect=0.0).train_arch(reference_b0())
    assert trained.dropout == 0.0 and trained.drop_connect == 0.0


def test_lr_scales_with_batch():
    assert replace(DEFAULT_PROXY, lr=0.1, batch_size=512).scaled_lr() == pytest.approx(0.2)
