"""Which elastic dimension keeps a supernet's random children from learning? One at a time.

For each variant, a supernet is trained on a copy of the space in which only the named dimensions
(``kernel``, ``expansion``, ``se``, ``filters``, ``layers``; ``skip`` and ``op`` too when the
space offers them) stay free and every other choice is pinned to its largest value (skip to
identity, op to MBConv); ``se0`` pins SE off instead, and ``noe1`` takes expansion 1 out of a free
expansion. Then the largest, the smallest and six fixed random children of that copy are scored
with inherited weights (BN recalibrated, 500 validation images). Children far below both extremes
mean the shared weights do not serve the middle of that dimension. Fashion-MNIST, the default
proxy with stem stride 2, batch 64::

    python benchmarks/probe_elastic_dims.py --epochs 2 kernel expansion filters layers se \\
        kernel+expansion+filters+layers+se

Results: ``benchmarks/results/oneshot16_cpu.txt``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from nas.data.datasets import load_dataset  # noqa: E402
from nas.oneshot.families import DEFAULT_LAYOUT, LAYOUTS  # noqa: E402
from nas.oneshot.sampling import random_arch  # noqa: E402
from nas.oneshot.scoring import Scorer  # noqa: E402
from nas.oneshot.store import SupernetStore  # noqa: E402
from nas.oneshot.training import supernet_settings, train_supernet  # noqa: E402
from nas.training.device_data import prepare  # noqa: E402
from nas.training.proxy import DEFAULT_PROXY  # noqa: E402
from search_spaces.space import SearchSpace  # noqa: E402
from search_spaces.space_yaml import load_space  # noqa: E402

SPACE = Path(__file__).resolve().parent / "spaces" / "mnasnet-mbconv.yaml"
FIELDS = {"kernel": "kernels", "expansion": "expansions", "se": "se_ratios", "filters": "channels"}
FIELDS["layers"] = "layers"


def restrict(space: SearchSpace, free: list[str]) -> SearchSpace:
    """``space`` with every dimension outside ``free`` pinned (see the module docstring)."""
    stages = []
    for choice in space.stages:
        pinned = {field: (max(getattr(choice, field)),) for name, field in FIELDS.items() if name not in free}
        if "se0" in free:
            pinned["se_ratios"] = (0.0,)
        if "noe1" in free and "expansion" in free:
            pinned["expansions"] = tuple(e for e in choice.expansions if e != 1) or choice.expansions
        if "skip" not in free:
            pinned["skips"] = ("identity",)
        if "op" not in free:
            pinned["ops"] = ("mbconv",)
        stages.append(replace(choice, **pinned))
    return replace(space, stages=tuple(stages), name="probe-" + "-".join(free or ["none"]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("variants", nargs="+", help="free dimensions joined by '+', e.g. kernel+expansion")
    p.add_argument("--space", default=str(SPACE))
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--layout", choices=LAYOUTS, default=DEFAULT_LAYOUT)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    base = DEFAULT_PROXY.with_overrides(stem_stride=2)
    data = load_dataset("fashion-mnist", None, val_size=base.val_size, seed=base.seed)
    full = load_space(args.space)
    for variant in args.variants:
        space = restrict(full, variant.split("+"))
        settings = supernet_settings(
            space, "fashion-mnist", data, base, epochs=args.epochs, train_subset=4000, batch_size=64,
            layout=args.layout,
        )  # fmt: skip
        started = time.time()
        trained = train_supernet(space, data, settings, SupernetStore(tempfile.mkdtemp()), device="cpu")
        last = trained.history[-1]
        dd = prepare(data, base.with_overrides(train_subset=4000), torch.device("cpu"))
        scorer = Scorer(trained.supernet, dd, base, 2, 500)
        rng = random.Random(3)
        kids = [scorer.accuracy(random_arch(space, rng)) for _ in range(6)]
        print(
            f"{variant:<36} largest {last['largest_val_acc']:.3f} smallest {last['smallest_val_acc']:.3f} "
            f"children {' '.join(f'{k:.2f}' for k in kids)} mean {statistics.fmean(kids):.3f}  "
            f"{time.time() - started:.0f}s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
