"""SciPy's linear_sum_assignment on the matrices bench/align.ts writes, timed the same way.

Usage: python3 bench/lap_scipy.py <dir>   (reads <dir>/scores-<n>.f64, prints JSON)
Needs SciPy (Debian: apt-get install python3-scipy; then run with /usr/bin/python3).
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from scipy.optimize import linear_sum_assignment

out = {"scipy": scipy.__version__, "numpy": np.__version__, "results": []}
for path in sorted(Path(sys.argv[1]).glob("scores-*.f64"), key=lambda p: int(p.stem.split("-")[1])):
    n = int(path.stem.split("-")[1])
    scores = np.fromfile(path, dtype="<f8").reshape(n, n)
    best = None
    for _ in range(3):
        start = time.perf_counter()
        rows, cols = linear_sum_assignment(scores, maximize=True)
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    out["results"].append({"n": n, "seconds": best, "objective": float(scores[rows, cols].sum())})
print(json.dumps(out))
