"""PyTorch side of `npm run bench:backend`: the same matmul and conv shapes, on CPU.

Prints one JSON object: {"torch": version, "threads": n, "matmul": GFLOP/s,
"layers": [{"name", "forward", "backwardInput", "backwardFilter"} in GFLOP/s]}.
Run by bench/backend.ts; by hand: python3 bench/conv_torch.py [--repeats N].
"""
import argparse
import json
import os
import time

import torch
import torch.nn.functional as F


def timed(fn, repeats):
    fn()  # warm-up: first calls pick algorithms and allocate
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads (default: all cores, as TensorFlow uses)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "airbench94-conv-shapes.json")) as f:
        spec = json.load(f)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "layers": []}

    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    out["matmul"] = 2 * 1024**3 / timed(lambda: a @ b, args.repeats * 4) / 1e9

    n = spec["batch"]
    with torch.no_grad():
        for layer in spec["layers"]:
            k, pad = layer["kernel"], (1 if layer["pad"] == "same" else 0)
            x = torch.randn(n, layer["in"], layer["height"], layer["width"])
            w = torch.randn(layer["out"], layer["in"], k, k)
            y = F.conv2d(x, w, padding=pad)
            dy = torch.randn_like(y)
            flops = 2 * n * y.shape[2] * y.shape[3] * layer["out"] * layer["in"] * k * k
            fwd = timed(lambda: F.conv2d(x, w, padding=pad), args.repeats)
            # The kernels autograd runs for conv2d's backward pass, one output at a time.
            def backward(mask):
                return torch.ops.aten.convolution_backward(
                    dy, x, w, None, [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, mask)
            bwd_in = timed(lambda: backward([True, False, False]), args.repeats)
            bwd_w = timed(lambda: backward([False, True, False]), args.repeats)
            out["layers"].append({
                "name": layer["name"],
                "forward": flops / fwd / 1e9,
                "backwardInput": flops / bwd_in / 1e9,
                "backwardFilter": flops / bwd_w / 1e9,
            })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
