"""Search spaces as data: the MnasNet factorized hierarchical space, read from YAML.

MnasNet (Tan et al. 2019, section 4.1, Figure 4) factorizes a network into a fixed sequence of
stages; each stage repeats one block N times and chooses that block on its own: the conv op
(MBConv with expansion 1/3/4/6, depthwise-separable or regular conv), kernel 3/5, squeeze-and-excite
ratio 0/0.25, skip op, output filters (0.75/1.0/1.25 x the reference) and the number of layers
(-1/0/+1 relative to the reference). EfficientNet (Tan & Le 2019, section 4) searched this space
around what became B0. Searching per stage, not per layer, keeps the space small enough to search
while letting stages differ (the paper's point against cell-based spaces).

A :class:`SearchSpace` is frozen data built from a YAML file (schema: ``mnasnet.yaml``; the reader
and its checks are :mod:`search_spaces.space_yaml`). Its
:meth:`SearchSpace.sample` is the only place in effsearch that calls ``trial.suggest_*``; parameter
names are stable (``s3.kernel``, ``s3.layers``...) so studies from different runs, samplers and
machines stay comparable. Filters and layers are suggested as the *resolved* channel and layer
counts (e.g. ``s1.filters`` in {16, 24}: 0.75 x 16 rounds back to 16), so no two choices of a
parameter give the same network, and dashboards show the numbers the network has.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from search_spaces.arch import ArchSpec, StageSpec, skip_fields
from search_spaces.errors import UserError
from search_spaces.filters import ROUNDINGS, round_channels, round_filter_choice

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna

    from search_spaces.cost import Cost

#: The keys of a stage's choices, in the order :meth:`SearchSpace.sample` suggests them.
CHOICE_KEYS: tuple[str, ...] = ("op", "kernel", "expansion", "se", "skip", "filters", "layers")
#: MnasNet's skip ops (Fig. 4: "pooling, identity residual, or no skip"); ``pooling`` is the
#: parameter-free shortcut of :func:`search_spaces.blocks.pool_shortcut`.
SPACE_SKIPS: tuple[str, ...] = ("identity", "pooling", "none")


class SpaceError(UserError):
    """A search-space file is invalid (one line, exit code 2 at the CLI)."""


def skip_name(skip: bool | str) -> str:
    """The parameter value of a skip choice (``identity`` / ``pooling`` / ``none``; a bool: the
    identity or none)."""
    if isinstance(skip, bool):
        return "identity" if skip else "none"
    return skip


@dataclass(frozen=True)
class StageChoices:
    """What one stage may be: the resolved choice lists (no duplicates, search order kept)."""

    reference: StageSpec
    ops: tuple[str, ...]
    kernels: tuple[int, ...]
    expansions: tuple[int, ...]
    se_ratios: tuple[float, ...]
    #: Skip op names (:data:`SPACE_SKIPS`).
    skips: tuple[str, ...]
    channels: tuple[int, ...]
    layers: tuple[int, ...]
    #: As written in the file (for display): filter multipliers and layer offsets.
    filter_multipliers: tuple[float, ...] = ()
    layer_offsets: tuple[int, ...] = ()

    @property
    def stride(self) -> int:
        """Fixed: the reference stage's stride."""
        return self.reference.stride

    def block_count(self) -> int:
        """Distinct (op, kernel, expansion) blocks: expansion only multiplies mbconv."""
        return sum(len(self.kernels) * (len(self.expansions) if op == "mbconv" else 1) for op in self.ops)

    def count(self) -> int:
        """Distinct stages this stage can become."""
        return (
            self.block_count() * len(self.se_ratios) * len(self.skips) * len(self.channels) * len(self.layers)
        )

    def contains(self, stage: StageSpec) -> bool:
        """Whether ``stage`` is one of this stage's choices."""
        return self.problem(stage) is None

    def problem(self, stage: StageSpec) -> str | None:
        """Why ``stage`` is not a choice of this stage (None when it is)."""
        checks = (
            ("stride", stage.stride, (self.stride,)),
            ("op", stage.op, self.ops),
            ("kernel", stage.kernel, self.kernels),
            ("expansion", stage.expansion, self.expansions if stage.op == "mbconv" else (1,)),
            ("se", stage.se_ratio, self.se_ratios),
            ("skip", stage.skip_op, self.skips),
            ("activation", stage.activation, (self.reference.activation,)),
            ("filters", stage.out_channels, self.channels),
            ("layers", stage.layers, self.layers),
        )
        for key, value, allowed in checks:
            if value not in allowed:
                return f"{key} {value!r} is not among {list(allowed)!r}"
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON/YAML) of the resolved choices."""
        return {
            "stride": self.stride,
            "op": list(self.ops),
            "kernel": list(self.kernels),
            "expansion": list(self.expansions),
            "se": list(self.se_ratios),
            "skip": list(self.skips),
            "filters": list(self.channels),
            "layers": list(self.layers),
        }


@dataclass(frozen=True)
class MacRange:
    """The cheapest and the most expensive architecture of a space, with their exact costs."""

    min_arch: ArchSpec
    max_arch: ArchSpec
    min_cost: Cost
    max_cost: Cost

    @property
    def min_macs(self) -> int:
        return self.min_cost.macs

    @property
    def max_macs(self) -> int:
        return self.max_cost.macs


@dataclass(frozen=True)
class SearchSpace:
    """A factorized hierarchical space around a reference network (frozen: hashable, shareable)."""

    name: str
    reference: ArchSpec
    stages: tuple[StageChoices, ...]
    divisor: int = 8
    source: str = ""
    #: Filter rounding rule (:func:`round_filter_choice`).
    rounding: str = "efficientnet"

    # -- sampling ---------------------------------------------------------------------------------

    def sample(self, trial: optuna.trial.BaseTrial) -> ArchSpec:
        """Suggest one architecture through ``trial`` (the only caller of ``trial.suggest_*``).

        ``s{i}.expansion`` is only suggested when ``s{i}.op`` is ``mbconv``: the other ops have no
        expansion, and a conditional parameter keeps TPE's and the RL controller's statistics about
        expansion free of trials where it meant nothing.
        """
        stages = []
        for number, choice in enumerate(self.stages, 1):
            prefix = f"s{number}."
            op = trial.suggest_categorical(prefix + "op", choice.ops)
            kernel = trial.suggest_categorical(prefix + "kernel", choice.kernels)
            expansion = 1
            if op == "mbconv":
                expansion = trial.suggest_categorical(prefix + "expansion", choice.expansions)
            se = trial.suggest_categorical(prefix + "se", choice.se_ratios)
            skip = trial.suggest_categorical(prefix + "skip", choice.skips)
            filters = trial.suggest_categorical(prefix + "filters", choice.channels)
            layers = trial.suggest_categorical(prefix + "layers", choice.layers)
            stages.append(
                StageSpec(
                    op=str(op),
                    kernel=int(kernel),
                    stride=choice.stride,
                    expansion=int(expansion),
                    se_ratio=float(se),
                    out_channels=int(filters),
                    layers=int(layers),
                    activation=choice.reference.activation,
                    **skip_fields(str(skip)),
                )
            )
        return self.reference.with_stages(stages)

    def arch_from_params(self, params: Mapping[str, Any]) -> ArchSpec:
        """The architecture a trial's parameters describe (``FrozenTrial.params``)."""
        stages = []
        for number, choice in enumerate(self.stages, 1):
            prefix = f"s{number}."
            try:
                op = str(params[prefix + "op"])
                expansion = int(params[prefix + "expansion"]) if op == "mbconv" else 1
                stage = StageSpec(
                    op=op,
                    kernel=int(params[prefix + "kernel"]),
                    stride=choice.stride,
                    expansion=expansion,
                    se_ratio=float(params[prefix + "se"]),
                    out_channels=int(params[prefix + "filters"]),
                    layers=int(params[prefix + "layers"]),
                    activation=choice.reference.activation,
                    **skip_fields(str(params[prefix + "skip"])),
                )
            except KeyError as exc:
                raise SpaceError(f"parameters lack {exc.args[0]!r} of search space {self.name}") from None
            problem = choice.problem(stage)
            if problem:
                raise SpaceError(f"stage {number}: {problem} in search space {self.name}")
            stages.append(stage)
        return self.reference.with_stages(stages)

    def params_of(self, arch: ArchSpec) -> dict[str, Any]:
        """The trial parameters that make :meth:`sample` return ``arch`` (to enqueue e.g. B0).

        Raises :class:`SpaceError` when ``arch`` is not in this space.
        """
        problem = self.problem(arch)
        if problem:
            raise SpaceError(f"architecture is not in search space {self.name}: {problem}")
        params: dict[str, Any] = {}
        for number, stage in enumerate(arch.stages, 1):
            prefix = f"s{number}."
            params[prefix + "op"] = stage.op
            params[prefix + "kernel"] = stage.kernel
            if stage.op == "mbconv":
                params[prefix + "expansion"] = stage.expansion
            params[prefix + "se"] = stage.se_ratio
            params[prefix + "skip"] = stage.skip_op
            params[prefix + "filters"] = stage.out_channels
            params[prefix + "layers"] = stage.layers
        return params

    def problem(self, arch: ArchSpec) -> str | None:
        """Why ``arch`` is not in this space (None when it is). Resolution is not part of a space."""
        if len(arch.stages) != len(self.stages):
            return f"it has {len(arch.stages)} stages, the space has {len(self.stages)}"
        fixed = replace(self.reference, resolution=arch.resolution).with_stages(arch.stages)
        if fixed != arch:
            return "stem, head, dropout or drop_connect differ from the space's reference"
        for number, (choice, stage) in enumerate(zip(self.stages, arch.stages, strict=True), 1):
            problem = choice.problem(stage)
            if problem:
                return f"stage {number}: {problem}"
        return None

    def contains(self, arch: ArchSpec) -> bool:
        """Whether :meth:`sample` can return ``arch`` (up to resolution)."""
        return self.problem(arch) is None

    def with_resolution(self, resolution: int) -> SearchSpace:
        """The same space costed at another input size (the search resolution)."""
        return replace(self, reference=replace(self.reference, resolution=int(resolution)))

    def param_names(self) -> tuple[str, ...]:
        """Every parameter name the space can suggest (expansion only where mbconv is a choice)."""
        names = []
        for number, choice in enumerate(self.stages, 1):
            for key in CHOICE_KEYS:
                if key == "expansion" and "mbconv" not in choice.ops:
                    continue
                names.append(f"s{number}.{key}")
        return tuple(names)

    # -- size and cost ----------------------------------------------------------------------------

    def size(self) -> int:
        """Number of distinct architectures (ArchSpecs) :meth:`sample` can return.

        Per stage: ``sum over ops of kernels x (expansions if mbconv else 1)`` blocks times the
        SE, skip, distinct filter and distinct layer choices; stages multiply. Two specs that
        differ only by an identity skip the block cannot use (stride 2 or in != out on a one-layer
        stage) build the same network but stay distinct here, as their codes do.
        """
        return math.prod(choice.count() for choice in self.stages)

    def mac_range(
        self, num_classes: int = 1000, in_channels: int = 3, resolution: int | None = None
    ) -> MacRange:
        """Exact cheapest and dearest architectures of the space (conv+linear MACs).

        MACs grow with every stage's kernel, expansion, SE ratio, filters (which also widen the
        next stage's input) and layers, and do not depend on the skip op. So the extremes take the
        smallest (largest) of each of those everywhere; once every stage's channels are fixed, the
        op of a stage changes only that stage's cost, so each stage's op is chosen on its own.
        """
        from search_spaces.cost import cost_breakdown, count_cost

        def extreme(pick: Any, better: Any) -> ArchSpec:
            stages = []
            for choice in self.stages:
                stages.append(
                    StageSpec(
                        op=choice.ops[0],
                        kernel=pick(choice.kernels),
                        stride=choice.stride,
                        expansion=pick(choice.expansions) if choice.ops[0] == "mbconv" else 1,
                        se_ratio=pick(choice.se_ratios),
                        out_channels=pick(choice.channels),
                        layers=pick(choice.layers),
                        activation=choice.reference.activation,
                        **skip_fields(choice.skips[0]),
                    )
                )
            arch = self.reference.with_stages(stages)
            for index, choice in enumerate(self.stages):
                best_stage, best_macs = None, None
                for op in choice.ops:
                    stage = replace(
                        arch.stages[index],
                        op=op,
                        expansion=pick(choice.expansions) if op == "mbconv" else 1,
                    )
                    trial = arch.with_stages(arch.stages[:index] + (stage,) + arch.stages[index + 1 :])
                    parts = cost_breakdown(trial, num_classes, in_channels, resolution)
                    macs = parts[index + 1].cost.macs  # parts: stem, stage1..N, head, classifier
                    if best_macs is None or better(macs, best_macs):
                        best_stage, best_macs = stage, macs
                if best_stage is None:
                    raise SpaceError(f"stage {index + 1} of search space {self.name} offers no op")
                arch = arch.with_stages(arch.stages[:index] + (best_stage,) + arch.stages[index + 1 :])
            return arch

        low = extreme(min, lambda a, b: a < b)
        high = extreme(max, lambda a, b: a > b)
        return MacRange(
            min_arch=low,
            max_arch=high,
            min_cost=count_cost(low, num_classes, in_channels, resolution),
            max_cost=count_cost(high, num_classes, in_channels, resolution),
        )

    # -- identity ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data of the resolved space (what decides which networks exist)."""
        from search_spaces.arch_yaml import arch_to_dict

        reference = arch_to_dict(self.reference)
        reference.pop("notes", None)
        data = {
            "name": self.name,
            "divisor": self.divisor,
            "reference": reference,
            "stages": [choice.to_dict() for choice in self.stages],
        }
        if self.rounding != "efficientnet":  # absent by default: older spaces keep their fingerprints
            data["rounding"] = self.rounding
        return data

    def fingerprint(self) -> str:
        """Short hash of the resolved space: two files describing the same space agree."""
        data = self.to_dict()
        data.pop("name")  # a label, not part of which networks exist
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


__all__ = [
    "CHOICE_KEYS",
    "ROUNDINGS",
    "SPACE_SKIPS",
    "MacRange",
    "SearchSpace",
    "SpaceError",
    "StageChoices",
    "round_channels",
    "round_filter_choice",
    "skip_name",
]
