#!/usr/bin/env bash
# The PyTorch the benchmarks compare against: the current PyPI release, in a bench-only virtualenv
# (.venv-bench/, ~5 GB with the CUDA libraries the PyPI wheel pulls). Never used by CI or the tests.
#   npm run bench:torch-venv            # then: npm run bench:airbench -- --torch
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION="${AIRBENCH_TORCH_VERSION:-2.15.0}"
PYTHON="${PYTHON:-python3}"
if [ -x .venv-bench/bin/python ] && .venv-bench/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  echo "bench:torch-venv: .venv-bench has torch $TORCH_VERSION"
  exit 0
fi
"$PYTHON" -m venv .venv-bench
.venv-bench/bin/python -m pip install --quiet "torch==$TORCH_VERSION" numpy
.venv-bench/bin/python -c "import torch; print('bench:torch-venv: torch', torch.__version__, 'in .venv-bench')"
