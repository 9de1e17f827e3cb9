#!/usr/bin/env bash
# prepare_gpu_data.sh [SOURCE] [TARGET]
#
# Copies Fashion-MNIST's four original IDX .gz files into TARGET (default .data/fashion-mnist,
# ignored by git) so that a lent GPU machine, which starts bare and offline, gets them with the
# working tree: name `.data` in the run tool's `carry` list (about 30 MB of the 64 MiB allowed).
# SOURCE defaults to Debian's dataset-fashion-mnist package (`apt-get install
# dataset-fashion-mnist`), which installs them in /usr/share/datasets/fashion-mnist.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source_dir="${1:-/usr/share/datasets/fashion-mnist}"
target="${2:-$repo/.data/fashion-mnist}"
files="train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz"
for f in $files; do
  [ -f "$source_dir/$f" ] || {
    echo "prepare_gpu_data: $source_dir/$f not found (apt-get install dataset-fashion-mnist, or name the folder holding the four IDX .gz files)" >&2
    exit 2
  }
done
mkdir -p "$target"
for f in $files; do cp "$source_dir/$f" "$target/$f"; done
echo "prepare_gpu_data: Fashion-MNIST in $target ($(du -sh "$target" | cut -f1)); carry .data in the run tool"
