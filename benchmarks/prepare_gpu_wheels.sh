#!/usr/bin/env bash
# prepare_gpu_wheels.sh
#
# The lent GPU machine (nvidia-h200, Python 3.12) has torch, torchvision, numpy, scipy, pandas,
# pyyaml, rich and pytest, but not optuna: the stand-alone search step and the test suite's
# fixtures import it. This downloads optuna and the dependencies that machine lacks as wheels
# into .whl (ignored by git) for the run tool's `carry` (about 4 MB). Run it here, once, in the
# repository root; the run command then installs them with --no-index (see benchmarks/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d .whl optuna==5.1.0 alembic==1.20.1 sqlalchemy==2.1.9 colorlog==6.12.0 mako==1.4.3
ls .whl
