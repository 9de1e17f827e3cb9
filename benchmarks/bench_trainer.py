"""Training speed: our proxy trainer vs a plain PyTorch loop on the same network and data.

Both train EfficientNet-B0 at 32 px (with the proxy's small-input adaptation, stem stride 1, unless
``--stem-stride 2``) on the same Fashion-MNIST images with the same recipe (SGD + Nesterov, label
smoothing, random crop + flip). The plain loop is what one writes without tricks: a Dataset doing
per-sample torchvision transforms, a DataLoader (shuffle, workers, pinned memory on CUDA), fp32,
contiguous tensors, ``torch.optim.SGD``. Ours keeps the data on the device, augments whole batches
there, and on CUDA adds bf16 autocast, channels_last and one CUDA graph per step.

Each side trains ``--epochs`` epochs (default 2); the reported speed is the *last* epoch's
training steps (steady state: the first includes cuDNN autotuning and graph capture), and
``--repeats`` alternates the two sides to average out a shared machine's noise. Run::

    python benchmarks/bench_trainer.py --device cpu --images 1024 --batch 128      # small, CPU
    python benchmarks/bench_trainer.py --device cuda --images 60000 --batch 512    # GPU
    python benchmarks/bench_trainer.py --device cuda --epoch-time                  # one 60k epoch

``--epoch-time`` times only our trainer on a full 60,000-image epoch (all of Fashion-MNIST's
training images) at batch 512 and prints the first and the steady-state epoch time. The goal
differs by stem stride: stride 2 (B0's own stem) < 1.0 s per epoch on one H100/H200 (measured
0.76 s); stride 1 (the proxy's small-input adaptation, about 4x the work) < 4.0 s.

``--data-dir DIR`` reads the Fashion-MNIST IDX files from DIR (a lent GPU machine is offline);
``--json-out FILE`` writes every figure as JSON (the printed table is for people).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nas.data.augment import resize_images  # noqa: E402
from nas.data.datasets import Splits, load_dataset  # noqa: E402
from nas.training.device import describe_device, resolve_device  # noqa: E402
from nas.training.optim import lr_at  # noqa: E402
from nas.training.proxy import GPU_PROXY, ProxyConfig  # noqa: E402
from nas.training.trainer import evaluate  # noqa: E402
from search_spaces.arch_yaml import reference_b0  # noqa: E402
from search_spaces.builder import build_model  # noqa: E402

#: Epoch-time goals (seconds per 60,000-image epoch, steady state, one H100/H200) by stem stride.
EPOCH_GOAL_S = {2: 1.0, 1: 4.0}


def bench_data(images: int, seed: int = 0, data_dir: str | None = None, val_size: int = 5000) -> Splits:
    """The first ``images`` of Fashion-MNIST's 60,000 training images (train + our val split)."""
    full = load_dataset("fashion-mnist", data_dir, val_size=val_size, seed=seed)
    x = torch.cat([full.train_x, full.val_x])[:images]
    y = torch.cat([full.train_y, full.val_y])[:images]
    return replace(full, train_x=x, train_y=y, val_x=full.val_x[:1000], val_y=full.val_y[:1000])


class PlainDataset(torch.utils.data.Dataset):
    """Per-sample torchvision transforms, the usual way: crop with padding, flip, scale, normalise."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, mean: float, std: float) -> None:
        from torchvision.transforms import v2

        self.x, self.y = x, y
        self.transform = v2.Compose(
            [
                v2.RandomCrop(x.shape[-1], padding=4),
                v2.RandomHorizontalFlip(),
                v2.ToDtype(torch.float32, scale=False),
                v2.Normalize([mean], [std]),
            ]
        )

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.transform(self.x[i]), self.y[i]


def plain_loop(
    data: Splits, proxy: ProxyConfig, device: torch.device, epochs: int, workers: int
) -> list[float]:
    """Train with the plain loop; returns seconds of training per epoch."""
    torch.manual_seed(proxy.seed)
    x = resize_images(data.train_x, proxy.resolution)
    mean, std = x.float().mean().item(), x.float().std().item()
    loader = torch.utils.data.DataLoader(
        PlainDataset(x, data.train_y, mean, std),
        batch_size=proxy.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        persistent_workers=workers > 0,
    )
    model = build_model(proxy.train_arch(reference_b0()), data.num_classes, data.in_channels).to(device)
    opt = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=proxy.momentum, nesterov=True, weight_decay=proxy.weight_decay
    )
    criterion = nn.CrossEntropyLoss(label_smoothing=proxy.label_smoothing)
    steps = len(loader)
    total, warm = steps * epochs, round(proxy.warmup_epochs * steps)
    peak = proxy.scaled_lr()
    times, step = [], 0
    model.train()
    for _ in range(epochs):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, warm, peak, proxy.schedule)
            opt.zero_grad(set_to_none=True)
            loss = criterion(model(xb), yb)
            loss.backward()
            opt.step()
            step += 1
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def ours(data: Splits, proxy: ProxyConfig, device: torch.device) -> list[float]:
    """Train with :func:`nas.training.trainer.evaluate`; returns seconds of training per epoch."""
    result = evaluate(reference_b0(), data, proxy, device=device)
    if result.status != "ok":
        raise SystemExit(f"our trainer ended with {result.status}: {result.reason}")
    if result.reason:
        print(f"  note: {result.reason}")
    return list(result.epoch_train_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--images",
        type=int,
        default=None,
        help="training images per epoch (default 4096; 60000 with --epoch-time)",
    )
    parser.add_argument("--batch", type=int, default=None, help="batch (default 512 on CUDA, 128 on CPU)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--stem-stride", type=int, default=1, choices=(1, 2))
    parser.add_argument("--workers", type=int, default=None, help="plain-loop DataLoader workers")
    parser.add_argument("--repeats", type=int, default=1, help="alternate both sides this many times")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--epoch-time", action="store_true", help="time one 60,000-image epoch, ours only")
    parser.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST IDX files")
    parser.add_argument("--val-size", type=int, default=5000, help="validation split carved from train")
    parser.add_argument("--json-out", default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    report = _epoch_time(args) if args.epoch_time else _versus(args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _setup(args: argparse.Namespace) -> tuple[torch.device, ProxyConfig]:
    """The device and the benchmark recipe (the ``gpu`` preset at the requested size)."""
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    batch = args.batch or (512 if cuda else 128)
    proxy = replace(
        GPU_PROXY,
        name="bench",
        epochs=args.epochs,
        train_subset=None,
        val_size=1000,
        batch_size=batch,
        resolution=args.resolution,
        stem_stride=args.stem_stride,
    )
    print(f"device: {describe_device(device)}; torch {torch.__version__}")
    return device, proxy


def _epoch_time(args: argparse.Namespace) -> dict:
    """Our trainer alone on ``--images`` (default 60,000) images: first and steady-state epoch."""
    device, proxy = _setup(args)
    images = args.images or 60000
    data = bench_data(images, data_dir=args.data_dir, val_size=args.val_size)
    proxy = replace(proxy, batch_size=args.batch or min(512, images), epochs=max(2, args.epochs))
    times = ours(data, proxy, device)
    steps = images // proxy.batch_size
    steady = min(times[1:])
    goal = EPOCH_GOAL_S[args.stem_stride]
    print(
        f"B0 at {args.resolution}px (stem stride {args.stem_stride}), {images:,} images, "
        f"batch {proxy.batch_size} ({steps} steps/epoch)"
    )
    print(f"  first epoch (incl. warm-up/capture): {times[0]:.3f} s")
    rate = steps * proxy.batch_size / steady
    print(f"  steady-state epoch:                  {steady:.3f} s ({rate:,.0f} images/s)")
    print(f"  goal at stem stride {args.stem_stride}: < {goal:.1f} s per 60,000-image epoch on one H100/H200")
    return {
        "kind": "epoch_time",
        "device": describe_device(device),
        "torch": torch.__version__,
        "stem_stride": args.stem_stride,
        "resolution": args.resolution,
        "images": images,
        "batch": proxy.batch_size,
        "epoch_s": times,
        "steady_epoch_s": steady,
        "images_per_s": rate,
        "goal_s_per_60k": goal,
    }


def _versus(args: argparse.Namespace) -> dict:
    """Ours vs the plain loop on the same images, alternating ``--repeats`` times."""
    device, proxy = _setup(args)
    cuda = device.type == "cuda"
    batch = proxy.batch_size
    args.images = args.images or 4096
    data = bench_data(args.images, data_dir=args.data_dir, val_size=args.val_size)
    workers = args.workers if args.workers is not None else (min(8, torch.get_num_threads()) if cuda else 0)
    n = (args.images // batch) * batch
    ours_rates, plain_rates = [], []
    for _ in range(args.repeats):
        ours_rates.append(n / ours(data, proxy, device)[-1])
        plain_rates.append(n / plain_loop(data, proxy, device, args.epochs, workers)[-1])
    o, p = statistics.median(ours_rates), statistics.median(plain_rates)
    print(
        f"B0 at {args.resolution}px (stem stride {args.stem_stride}), {n} images/epoch, batch {batch}, "
        f"last of {args.epochs} epochs, median of {args.repeats}"
    )
    print(f"  {'trainer':<44}{'images/s':>12}")
    print(f"  {'ours (device-resident data, on-device aug)':<44}{o:>12,.0f}")
    print(f"  {f'plain loop (DataLoader, {workers} workers, fp32)':<44}{p:>12,.0f}")
    print(f"  ratio ours/plain: {o / p:.2f}x")
    if args.repeats > 1:
        each = f"ours {[round(r) for r in ours_rates]}, plain {[round(r) for r in plain_rates]}"
        print(f"  every repeat: {each}")
    return {
        "kind": "ours_vs_plain",
        "device": describe_device(device),
        "torch": torch.__version__,
        "stem_stride": args.stem_stride,
        "resolution": args.resolution,
        "images": n,
        "batch": batch,
        "epochs": args.epochs,
        "workers": workers,
        "ours_images_per_s": ours_rates,
        "plain_images_per_s": plain_rates,
        "ratio": o / p,
    }


if __name__ == "__main__":
    raise SystemExit(main())
