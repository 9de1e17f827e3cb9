#!/usr/bin/env bash
# Every GPU measurement of issue 3 in one run (about 5-8 minutes on one H100/H200):
#   1. the CUDA tests of the trainer (graph path learns, agrees with eager, NaN is a result);
#   2. bench_trainer: ours vs the plain loop, 60,000 images, batch 512 (goal: ours >= 3x);
#   3. one full 60,000-image epoch of B0 at 32 px, batch 512, with and without the stem
#      adaptation (goal: < 1.0 s);
#   4. the quality goal: B0, default recipe ('long' preset: all 55,000 training images, 10 epochs),
#      test accuracy (goal: >= 90%);
#   5. proxy fidelity: 12 architectures, 'gpu' preset (5 epochs) vs 'long' (10 epochs), Spearman.
# Usage: bash benchmarks/gpu_check.sh [OUTDIR]   (logs go to OUTDIR, default runs/gpu_check)
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/gpu_check}"
mkdir -p "$out"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"

python3 -m pytest -q tests/nas/test_trainer.py -k cuda 2>&1 | tee "$out/cuda_tests.log"
python3 benchmarks/bench_trainer.py --device cuda --images 60000 --batch 512 --epochs 2 2>&1 | tee "$out/bench_trainer.log"
python3 benchmarks/bench_trainer.py --device cuda --epoch-time 2>&1 | tee "$out/epoch_time_stem1.log"
python3 benchmarks/bench_trainer.py --device cuda --epoch-time --stem-stride 2 2>&1 | tee "$out/epoch_time_stem2.log"
python3 -m cli evaluate --arch b0 --proxy long --device cuda --test --quiet --format json 2>&1 | tee "$out/quality_b0_long.json"
python3 benchmarks/bench_proxy_fidelity.py --device cuda --short gpu --long long --json "$out/fidelity.json" 2>&1 | tee "$out/fidelity.log"
