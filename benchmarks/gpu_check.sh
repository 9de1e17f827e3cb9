#!/usr/bin/env bash
# gpu_check.sh OUTDIR [--quick | --full | --full-1 | --full-2 | --dry-run] [--data-dir DIR]
#
# Every GPU measurement of the proxy trainer, sized for a lent GPU machine (10 minutes per
# command, about 15 minutes in all; it starts bare and offline). Steps run in order and the
# script stops at the first that fails, with its exit status. Every log and JSON file goes
# under OUTDIR: NAME.log holds a step's output, NAME.json its figures (JSON only, written by the
# program's --json-out), summary.txt one line per step with its time beside its estimate.
#
#   --quick     (default) the first call on a new GPU: at most 6 minutes on one H100/H200
#   --full-1    quality run + proxy fidelity, first half: at most 8 minutes
#   --full-2    proxy fidelity, second half + Spearman of both halves: at most 8 minutes
#               (needs full-1's fidelity_a.json in OUTDIR, or run --full)
#   --full      --full-1 then --full-2 (about 14 minutes: only where no per-command limit applies)
#   --oneshot   the one-shot search's benchmark (supernet scoring vs stand-alone: throughput and
#               rank fidelity): at most 8 minutes
#   --rediscovery  search the MnasNet space at T=400M, winner vs B0 and MobileNetV2: about 7 minutes
#   --dry-run   every step of every mode at a tiny size on the CPU (a smoke test, 1-4 min on two cores)
#   --data-dir  folder with Fashion-MNIST's four IDX .gz files (default .data/fashion-mnist;
#               make it with `bash benchmarks/prepare_gpu_data.sh`)
#
# Estimates are seconds on one H200, from the figures measured so far (CUDA-graph epoch 0.76 s
# at stem stride 2 and about 4x that at stem stride 1; the eager loop 3.2-5.0 s per epoch at
# stem stride 2), Python and CUDA start-up included. See benchmarks/README.md.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "gpu_check: $*" >&2; exit 2; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="" mode="quick" data_dir="$repo/.data/fashion-mnist" help=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick | --full | --full-1 | --full-2 | --oneshot | --rediscovery | --dry-run) mode="${1#--}" ;;
    --data-dir) [ $# -ge 2 ] || die "--data-dir needs a folder"; data_dir="$2"; shift ;;
    --data-dir=*) data_dir="${1#*=}" ;;
    -h | --help) help=1 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$out" ] || die "one OUTDIR only (got $out and $1)"; out="$1" ;;
  esac
  shift
done

# ---- sizes: the real ones, or tiny ones on the CPU for --dry-run ------------------------------
PY="${GPU_CHECK_PYTHON:-python3}"  # the interpreter (tests put a stand-in here)
if [ "$mode" = dry-run ]; then
  DEV=cpu
  TRAINER_VS="--images 128 --batch 64 --epochs 2 --resolution 16 --stem-stride 2 --workers 0 --val-size 200 --threads 1"
  EPOCH1="--images 128 --batch 64 --resolution 16 --stem-stride 1 --val-size 200 --threads 1"
  EPOCH2="--images 128 --batch 64 --resolution 16 --stem-stride 2 --val-size 200 --threads 1"
  # A tiny proxy (16 px, stride-2 stem, 128 images, 1 epoch), written into OUTDIR below.
  SEARCH="--proxy \$out/dry_proxy.yaml --n-trials 2 --threads 1 --target-flops 400M"
  QUALITY="--proxy \$out/dry_proxy.yaml"
  FIDELITY="--short-subset 64 --short-epochs 1 --long-subset 128 --long-epochs 1 --val-size 100 --batch 64 --stem-stride 2 --threads 1"
  SLICE_A="0:2" SLICE_B="2:3"
  ONESHOT="--stem-stride 2 --archs 2 --seeds 1 --supernet-epochs 1 --supernet-subset 128 --short-subset 64 --short-epochs 1 --long-subset 64 --long-epochs 1 --throughput-scores 2 --score-images 100 --bn-batches 1 --threads 1"
else
  DEV=cuda
  TRAINER_VS="--images 60000 --batch 512 --epochs 2"
  EPOCH1="--stem-stride 1"
  EPOCH2="--stem-stride 2"
  SEARCH="--proxy gpu --epochs 2 --n-trials 4 --target-flops 400M"
  QUALITY="--proxy long"
  FIDELITY="--short gpu --long long"
  SLICE_A="0:6" SLICE_B="6:12"
  ONESHOT="--archs 16 --seeds 2 --supernet-epochs 10 --supernet-subset 20000 --long-subset 20000 --long-epochs 5 --throughput-scores 100 --score-images 1000"
fi

# ---- one line per step: step MODES NAME ESTIMATE_S "what" -- command... ------------------------
# MODES: which modes run it (quick, full-1, full-2; --dry-run runs all, --full both full halves).
# The command's stdout and stderr go to OUTDIR/NAME.log (and the terminal); figures go to
# OUTDIR/NAME.json through the program's --json-out. Under --help the steps are only listed.
total_estimate=0
declare -A mode_estimate=()
step() {
  local modes="$1" name="$2" estimate="$3" what="$4"
  shift 5  # the fifth word is the "--" before the command
  local selected=0
  case "$mode" in
    dry-run) selected=1 ;;
    full) [[ " $modes " == *" full-"* ]] && selected=1 ;;
    *) [[ " $modes " == *" $mode "* ]] && selected=1 ;;
  esac
  if [ "$help" = 1 ]; then
    printf '  %-8s %-20s ~%4ss  %s\n' "${modes// /,}" "$name" "$estimate" "$what"
    local m
    for m in $modes; do mode_estimate[$m]=$((${mode_estimate[$m]:-0} + estimate)); done
    return 0
  fi
  [ "$selected" = 1 ] || return 0
  total_estimate=$((total_estimate + estimate))
  echo "== $name (estimate ${estimate}s): $what"
  local started=$SECONDS status=0
  "$@" 2>&1 | tee "$out/$name.log" || status=$?
  local took=$((SECONDS - started))
  if [ "$status" != 0 ]; then
    echo "$name FAILED (exit $status) after ${took}s (estimate ${estimate}s); log: $out/$name.log" | tee -a "$out/summary.txt" >&2
    exit "$status"
  fi
  echo "$name ok ${took}s (estimate ${estimate}s)" | tee -a "$out/summary.txt"
}

if [ "$help" = 1 ]; then
  usage
  echo
  echo "Steps (modes, name, estimate on one H200, what):"
else
  [ -n "$out" ] || die "OUTDIR missing: usage: bash benchmarks/gpu_check.sh OUTDIR [--quick|--full|--full-1|--full-2|--dry-run]"
  for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    [ -f "$data_dir/$f" ] || die "no Fashion-MNIST in $data_dir ($f missing): run 'bash benchmarks/prepare_gpu_data.sh' and carry .data"
  done
  if [ "$mode" != dry-run ]; then
    "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null \
      || die "CUDA is not available on this machine (torch.cuda.is_available() is False); --dry-run runs every step on the CPU"
  fi
  data_dir="$(cd "$data_dir" && pwd)"
  mkdir -p "$out"
  out="$(cd "$out" && pwd)"
  if [ "$mode" = full-2 ] && [ ! -f "$out/fidelity_a.json" ]; then
    die "--full-2 joins its half with $out/fidelity_a.json from --full-1: copy that file there first"
  fi
  : >"$out/summary.txt"
  if [ "$mode" = dry-run ]; then
    printf '%s\n' "base: default" "resolution: 16" "stem_stride: 2" "train_subset: 128" "val_size: 100" \
      "batch_size: 64" "epochs: 1" "bn_recalibration_batches: 1" >"$out/dry_proxy.yaml"
    SEARCH="${SEARCH//\$out/$out}" QUALITY="${QUALITY//\$out/$out}"
  fi
  cd "$repo"
  export PYTHONUNBUFFERED=1
  echo "gpu_check $mode: output in $out, data from $data_dir"
fi
data="$data_dir"

gpu_info() {
  if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; fi
  "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())'
}

# ---- the steps --------------------------------------------------------------------------------
step "quick" gpu_info 5 "GPU name, memory, driver; torch and CUDA versions" -- gpu_info
step "quick" cuda_tests 45 "the trainer's CUDA tests (graph path learns, agrees with eager, NaN is a result)" -- "$PY" -m pytest -q -p no:cacheprovider tests/nas/training -k cuda
step "quick" trainer_vs_plain 90 "ours vs the plain loop: B0 32px stem 1, 60k images, batch 512, 2 epochs each (goal >= 3x)" -- "$PY" benchmarks/bench_trainer.py --device "$DEV" --data-dir "$data" $TRAINER_VS --json-out "$out/trainer_vs_plain.json"
step "quick" epoch_stem1 40 "one 60k-image epoch of B0 at 32px, stem stride 1 (goal < 4.0 s steady state)" -- "$PY" benchmarks/bench_trainer.py --device "$DEV" --data-dir "$data" --epoch-time $EPOCH1 --json-out "$out/epoch_stem1.json"
step "quick" epoch_stem2 30 "the same epoch at stem stride 2 (goal < 1.0 s steady state; measured 0.76 s)" -- "$PY" benchmarks/bench_trainer.py --device "$DEV" --data-dir "$data" --epoch-time $EPOCH2 --json-out "$out/epoch_stem2.json"
step "quick" search_standalone 90 "stand-alone search: 4 candidates, gpu preset cut to 2 epochs, TPE + median pruner" -- "$PY" -m cli baseline --device "$DEV" --data-dir "$data" $SEARCH --storage "sqlite:///$out/search.db" --study gpu_check --out "$out/search"
step "rediscovery" rediscovery 420 "rediscovery: search the MnasNet space at T=400M (12 candidates, gpu preset cut to 2 epochs), winner vs B0 per stage and vs B0 and MobileNetV2 at T over 2 seeds" -- "$PY" benchmarks/bench_rediscovery.py --device "$DEV" --data-dir "$data" $([ "$DEV" = cpu ] && echo "--n-trials 1 --epochs 1 --train-subset 128 --threads 1" || echo "--proxy gpu --epochs 2 --n-trials 12") --seeds 2 --work-dir "$out/rediscovery" --json-out "$out/rediscovery.json"
# ---- further steps: add one line above this marker (quick steps: keep the quick sum <= 360 s) ---
step "oneshot" oneshot 420 "one-shot: supernet (10 epochs, 20k images) scoring vs stand-alone; rank fidelity of 16 archs vs 5-epoch runs (goal Spearman >= 0.6)" -- "$PY" benchmarks/bench_oneshot.py --device "$DEV" --data-dir "$data" $ONESHOT --store "$out/supernets" --json-out "$out/oneshot.json"
step "full-1" quality_b0_long 90 "quality: B0, 'long' preset (55k images, 10 epochs), test accuracy (goal >= 90%)" -- "$PY" -m cli evaluate --arch b0 --device "$DEV" --data-dir "$data" $QUALITY --test --quiet --json-out "$out/quality_b0_long.json"
step "full-1" fidelity_a 330 "proxy fidelity, architectures 1-6: gpu preset (5 epochs) vs long (10 epochs)" -- "$PY" benchmarks/bench_proxy_fidelity.py --device "$DEV" --data-dir "$data" $FIDELITY --slice "$SLICE_A" --json-out "$out/fidelity_a.json"
step "full-2" fidelity_b 390 "proxy fidelity, architectures 7-12 (the widest and deepest)" -- "$PY" benchmarks/bench_proxy_fidelity.py --device "$DEV" --data-dir "$data" $FIDELITY --slice "$SLICE_B" --json-out "$out/fidelity_b.json"
step "full-2" fidelity 5 "Spearman rank correlation of all 12 (goal >= 0.6)" -- "$PY" benchmarks/bench_proxy_fidelity.py --merge "$out/fidelity_a.json" "$out/fidelity_b.json" --json-out "$out/fidelity.json"

if [ "$help" = 1 ]; then
  echo
  echo "Sums of the estimates: quick ${mode_estimate[quick]} s (limit 360), full-1 ${mode_estimate[full-1]} s," \
    "full-2 ${mode_estimate[full-2]} s, oneshot ${mode_estimate[oneshot]} s (limit 480 each)."
  exit 0
fi
echo "gpu_check $mode: every step ok (estimates sum to ${total_estimate}s); summary in $out/summary.txt"
