"""timm's arch_def of an architecture: timm's own builder makes the same network from it."""

from __future__ import annotations

from dataclasses import replace

import optuna
import pytest
import torch
import yaml

from scaling_search.arch_resolver import resolve_arch
from search_spaces.arch import ArchSpec
from search_spaces.builder import build_model
from search_spaces.cost import count_cost
from search_spaces.errors import UserError
from search_spaces.space_yaml import load_space
from search_spaces.timm_arch_def import timm_yaml, to_timm

timm = pytest.importorskip("timm", reason="timm is in pyproject's test extra")

#: timm's own arch_def of efficientnet_b0 (timm/models/efficientnet.py, _gen_efficientnet).
TIMM_B0 = (
    ("ds_r1_k3_s1_e1_c16_se0.25",),
    ("ir_r2_k3_s2_e6_c24_se0.25",),
    ("ir_r2_k5_s2_e6_c40_se0.25",),
    ("ir_r3_k3_s2_e6_c80_se0.25",),
    ("ir_r3_k5_s1_e6_c112_se0.25",),
    ("ir_r4_k5_s2_e6_c192_se0.25",),
    ("ir_r1_k3_s1_e6_c320_se0.25",),
)


def timm_model(arch: ArchSpec, num_classes: int = 1000, in_channels: int = 3) -> torch.nn.Module:
    """The network timm builds from our export, read back from the YAML text as a user would."""
    from timm.layers import get_act_layer
    from timm.models._efficientnet_builder import decode_arch_def
    from timm.models.efficientnet import EfficientNet

    d = yaml.safe_load(timm_yaml(to_timm(arch, num_classes, in_channels)))
    return EfficientNet(
        decode_arch_def(d["arch_def"]), act_layer=get_act_layer(d["act_layer"]), **d["kwargs"]
    )


def params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_b0_is_timms_own_arch_def():
    assert to_timm(resolve_arch("b0").arch).arch_def == TIMM_B0


@pytest.mark.parametrize("name", ["b0", "b3", "mobilenetv2", "mobilenetv1"])
def test_timm_builds_as_many_parameters_as_we_do(name):
    arch = resolve_arch(name).arch
    assert params(timm_model(arch)) == count_cost(arch).params == params(build_model(arch))


def test_b0_from_timm_has_torchvisions_parameter_count():
    assert params(timm_model(resolve_arch("b0").arch)) == 5_288_548


def test_same_weights_give_the_same_outputs():
    """Our state dict loaded into timm's network in order: the two compute the same function."""
    arch = resolve_arch("b0").arch
    torch.manual_seed(0)
    ours, theirs = build_model(arch).eval(), timm_model(arch).eval()
    mine = [v for k, v in ours.state_dict().items() if not k.endswith("num_batches_tracked")]
    names = [k for k in theirs.state_dict() if not k.endswith("num_batches_tracked")]
    assert [tuple(v.shape) for v in mine] == [tuple(theirs.state_dict()[k].shape) for k in names]
    theirs.load_state_dict(dict(zip(names, mine, strict=True)), strict=False)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(theirs(x), ours(x), rtol=1e-5, atol=1e-5)


def timm_blocks_only(arch: ArchSpec) -> ArchSpec:
    """``arch`` with the two MnasNet choices timm lacks replaced by other choices of the same space:
    the pooling skip by the identity, squeeze-excite on a regular conv by none."""
    stages = []
    for stage in arch.stages:
        if stage.shortcut == "pooling":
            stage = replace(stage, shortcut="identity")
        if stage.op == "conv":
            stage = replace(stage, se_ratio=0.0)
        stages.append(stage)
    return replace(arch, stages=tuple(stages))


def test_sampled_mnasnet_candidates_match():
    space = load_space(None)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(5):
        arch = timm_blocks_only(space.sample(study.ask()))
        assert params(timm_model(arch, 10, 1)) == count_cost(arch, num_classes=10, in_channels=1).params


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda a: resolve_arch("resnet50").arch, "bottleneck"),
        (lambda a: _stage(a, 1, skip=True, shortcut="pooling"), "pooling"),
        (lambda a: _stage(a, 1, op="conv", expansion=1), "squeeze-excite"),
        (lambda a: _stage(a, 2, out_channels=36), "multiple of 8"),
        (lambda a: replace(a, stem_stride=1), "stride 2"),
    ],
)
def test_what_timm_cannot_build_is_refused(change, words):
    with pytest.raises(UserError, match=words):
        to_timm(change(resolve_arch("b0").arch))


def _stage(arch: ArchSpec, index: int, **changes) -> ArchSpec:
    stages = list(arch.stages)
    stages[index] = replace(stages[index], **changes)
    return replace(arch, stages=tuple(stages))
