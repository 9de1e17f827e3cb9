"""Hypothesis strategies for valid stages and architectures (shared by the search_spaces tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from search_spaces.arch import (
    ACTIVATIONS,
    EXPANDING_OPS,
    EXPANSIONS,
    KERNELS,
    OPS,
    SKIP_OPS,
    STRIDES,
    ArchSpec,
    StageSpec,
    skip_fields,
)

SE_RATIOS = (0.0, 0.25, 0.5, 0.1, 0.0625, 1.0)

#: Same examples on every run (CI must not flake) and no example database written to the repo.
FIXED = {"derandomize": True, "database": None, "deadline": None}


@st.composite
def stages(draw: st.DrawFn, max_channels: int = 64, max_layers: int = 3) -> StageSpec:
    """One valid stage; channels need not be multiples of 8 (odd widths exercise the arithmetic)."""
    op = draw(st.sampled_from(OPS))
    return StageSpec(
        op=op,
        kernel=draw(st.sampled_from(KERNELS)),
        stride=draw(st.sampled_from(STRIDES)),
        expansion=draw(st.sampled_from(EXPANSIONS)) if op in EXPANDING_OPS else 1,
        se_ratio=draw(st.sampled_from(SE_RATIOS)),
        out_channels=draw(st.integers(1, max_channels)),
        layers=draw(st.integers(1, max_layers)),
        activation=draw(st.sampled_from(ACTIVATIONS)),
        **skip_fields(draw(st.sampled_from(SKIP_OPS))),
    )


@st.composite
def archs(draw: st.DrawFn, max_stages: int = 4, max_channels: int = 64, max_layers: int = 3) -> ArchSpec:
    """One valid, small architecture (cheap to build and trace)."""
    return ArchSpec(
        stages=tuple(draw(st.lists(stages(max_channels, max_layers), min_size=1, max_size=max_stages))),
        stem_channels=draw(st.integers(1, max_channels)),
        head_channels=draw(st.integers(0, 4 * max_channels)),
        resolution=draw(st.integers(8, 64)),
        dropout=draw(st.sampled_from((0.0, 0.2, 0.5))),
        drop_connect=draw(st.sampled_from((0.0, 0.2, 0.3))),
        stem_stride=draw(st.sampled_from(STRIDES)),
        stem_kernel=draw(st.sampled_from(KERNELS)),
        activation=draw(st.sampled_from(ACTIVATIONS)),
        stem_pool=draw(st.booleans()),
    )
