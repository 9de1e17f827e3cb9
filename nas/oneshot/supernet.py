"""A weight-sharing supernet: one network that contains every candidate of a search space.

Weight sharing (ENAS, Pham et al. 2018; TuNAS, Bender et al. 2020; Once-for-All, Cai et al. 2020;
BigNAS, Yu et al. 2020) trains one over-parameterised network once and scores each candidate with
the weights it inherits, instead of training every candidate from scratch. Here the candidates
are the ArchSpecs of a :class:`search_spaces.space.SearchSpace`; the supernet is laid out like
the builder's network (:class:`search_spaces.builder.EffNet`): a fixed stem, per stage as many
layer positions as the stage's most layers (a candidate with n layers uses the first n), a head
1x1 conv whose input width follows the last stage, a mean over (H, W), dropout and the linear
classifier. Each layer position holds one branch per op family (:mod:`nas.oneshot.branches`,
:mod:`nas.oneshot.families`) whose kernels, expansions, filters and SE widths are slices of the
largest.

A candidate is chosen with :meth:`Supernet.set_active` (or ``forward(x, arch)``) and is then
computed exactly as the builder's model of that ArchSpec would compute it: the unrolled blocks
come from the same :func:`search_spaces.plan.block_plans`, so channels, SE bottlenecks, where the
skip applies and the stochastic-depth rate of every block cannot disagree with the builder.

What the space fixes (stem and head widths, the stem kernel, the ops, kernels, expansions, SE
ratios, filters and layers each stage may take) is checked; what only changes how the same
weights are run -- the stem stride, stage strides, dropout, drop-connect and the resolution --
is taken from the active ArchSpec, so a trainer may apply its small-input adaptation (e.g. the
proxy's stem stride 1) to every candidate it activates.
"""

from __future__ import annotations

from dataclasses import replace

import torch.nn.functional as F
from torch import Tensor, nn

from nas.oneshot.bounds import layer_bounds
from nas.oneshot.elastic_conv import ChannelSlice, ElasticConv2d
from nas.oneshot.elastic_unit import ElasticConvBNAct
from nas.oneshot.families import DEFAULT_LAYOUT
from nas.oneshot.layer import ElasticLayer
from nas.oneshot.sampling import largest_arch, smallest_arch
from nas.oneshot.support import unsupported
from search_spaces.arch import ArchSpec
from search_spaces.builder import init_module
from search_spaces.plan import BlockPlan, block_plans, check_io
from search_spaces.space import SearchSpace, SpaceError


class Supernet(nn.Module):
    """Every candidate of ``space`` in one network; :meth:`set_active` picks the one that runs.

    ``kernel_transform`` adds Once-for-All's learned kernel transformation matrices to every
    elastic kernel (see :mod:`nas.oneshot.kernel`); off, a smaller kernel is the plain centre.
    ``layout`` decides which blocks share a branch of weights (:data:`nas.oneshot.families.LAYOUTS`;
    by default unexpanded blocks, expanding MBConvs and regular convs each have their own).
    The largest candidate is active after construction.
    """

    def __init__(
        self,
        space: SearchSpace,
        num_classes: int = 1000,
        in_channels: int = 3,
        kernel_transform: bool = False,
        layout: str = DEFAULT_LAYOUT,
    ) -> None:
        super().__init__()
        check_io(num_classes, in_channels)
        problem = unsupported(space)
        if problem:
            raise SpaceError(f"search space {space.name} cannot run on a supernet: {problem}")
        self.space = space
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.kernel_transform = kernel_transform
        self.layout = layout
        ref = space.reference
        self.stem = ElasticConvBNAct(in_channels, ref.stem_channels, (ref.stem_kernel,))
        self.stages = nn.ModuleList(
            nn.ModuleList(ElasticLayer(bounds, kernel_transform, layout) for bounds in stage)
            for stage in layer_bounds(space)
        )
        self.head = ElasticConvBNAct(max(space.stages[-1].channels), ref.head_channels)
        self.classifier = nn.Linear(ref.head_channels, num_classes)
        self.largest = largest_arch(space, num_classes, in_channels)
        self.smallest = smallest_arch(space, num_classes, in_channels)
        self.reset_parameters()
        self.set_active(self.largest)

    # -- choosing a candidate ---------------------------------------------------------------------

    def problem(self, arch: ArchSpec) -> str | None:
        """Why ``arch`` cannot run on this supernet (None when it can).

        Strides, dropout, drop-connect and resolution are free (see the module docstring);
        everything else must be a choice of the space.
        """
        ref = self.space.reference
        if len(arch.stages) != len(self.space.stages):
            return f"it has {len(arch.stages)} stages, the space has {len(self.space.stages)}"
        fixed = ("stem_channels", "stem_kernel", "head_channels")
        for name in fixed:
            if getattr(arch, name) != getattr(ref, name):
                return f"{name} {getattr(arch, name)} differs from the space's {getattr(ref, name)}"
        for number, (choice, stage) in enumerate(zip(self.space.stages, arch.stages, strict=True), 1):
            problem = choice.problem(replace(stage, stride=choice.stride))
            if problem:
                return f"stage {number}: {problem}"
        return None

    def set_active(self, arch: ArchSpec) -> None:
        """Make ``arch`` the candidate that :meth:`forward` computes."""
        problem = self.problem(arch)
        if problem:
            raise SpaceError(f"architecture cannot run on the supernet of {self.space.name}: {problem}")
        self._active = arch
        self._plans = block_plans(arch)

    @property
    def active(self) -> ArchSpec:
        """The candidate :meth:`forward` computes."""
        return self._active

    def _layers(self) -> list[tuple[ElasticLayer, BlockPlan, str]]:
        """The active blocks with their layer positions and the builder's names for them."""
        out = []
        plans = iter(self._plans)
        for number, (positions, stage) in enumerate(zip(self.stages, self._active.stages, strict=True), 1):
            assert isinstance(positions, nn.ModuleList)
            for index in range(stage.layers):
                layer = positions[index]
                assert isinstance(layer, ElasticLayer)
                out.append((layer, next(plans), f"features.{number}.{index}."))
        return out

    def _stem_slice(self) -> ChannelSlice:
        ref = self.space.reference
        return ChannelSlice(self.in_channels, ref.stem_channels, ref.stem_kernel)

    def _head_slice(self) -> ChannelSlice:
        return ChannelSlice(self._active.stages[-1].out_channels, self.space.reference.head_channels)

    # -- computing --------------------------------------------------------------------------------

    def forward(self, x: Tensor, arch: ArchSpec | None = None, regularize: bool = True) -> Tensor:
        """Logits of the active candidate (``arch`` first becomes active when given).

        ``regularize=False`` switches the candidate's dropout and stochastic depth off while
        training (BigNAS regularises only the largest child); in eval mode both are off anyway.
        """
        if arch is not None:
            self.set_active(arch)
        active = self._active
        x = self.stem(x, self._stem_slice(), active.stem_stride)
        for layer, plan, _ in self._layers():
            x = layer(x, plan, drop_connect=regularize)
        x = self.head(x, self._head_slice())
        x = x.mean(dim=(2, 3))
        x = F.dropout(x, active.dropout if regularize else 0.0, self.training)
        return self.classifier(x)

    # -- weights ----------------------------------------------------------------------------------

    def active_state(self) -> dict[str, Tensor]:
        """The active candidate's weights, named as in ``build_model(arch).state_dict()``.

        The tensors are slices (views) of the supernet's, or derived from them when the kernel
        transform is on; :func:`nas.oneshot.extract.extract` copies them into a built model.
        """
        state = self.stem.active_state(self._stem_slice(), "features.0.")
        for layer, plan, prefix in self._layers():
            state.update(layer.active_state(plan, prefix))
        state.update(self.head.active_state(self._head_slice(), "head."))
        state["classifier.1.weight"] = self.classifier.weight
        state["classifier.1.bias"] = self.classifier.bias
        return state

    def reset_parameters(self) -> None:
        """The builder's (torchvision's EfficientNet) initialisation, applied to the largest shapes.

        Kaiming-normal fan-out convs, zero conv biases, BN ones/zeros, uniform(+-1/sqrt(out))
        linear; OFA's kernel-transform matrices stay at the identity.
        """
        for module in self.modules():
            if isinstance(module, ElasticConv2d):
                module.reset_parameters()
            else:
                init_module(module)


__all__ = ["Supernet"]
