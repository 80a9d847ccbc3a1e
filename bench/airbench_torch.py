"""Our own PyTorch version of airbench94 (docs/papers.md §1.2-1.3), as a reference for the TypeScript port.

Dev tool, not run by CI. Three modes:

  compare DIR   read DIR/state.json + DIR/state.bin written by bench/compare-torch.ts (initial
                weights, the batch, the config), run the forward pass, the gradients and the same
                training steps, and write DIR/torch.json + DIR/torch.bin for the comparison.
  throughput    time training steps (batch 1024) and TTA evaluation of airbench94 on random data in
                one --setting (fp32-nchw, fp32-channels-last, bf16-channels-last), print one JSON
                line {"trainImagesPerSec", "evalImagesPerSec", "peakRssMB", "threads", "torch", "setting"}.
  profile       one training step of --setting under torch.profiler after two warm-up steps: self CPU
                ms per op, as one JSON line (beside `npm run bench:profile` for ours).

Layouts: the files hold NHWC images and HWIO kernels (tfjs); this script transposes them.
"""
import argparse
import json
import math
import os
import resource
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------------------------
# Network: whitening conv -> GELU -> 3 x ConvGroup -> MaxPool(3) -> Linear -> x 1/9
# ----------------------------------------------------------------------------------------------

class BatchNorm(nn.BatchNorm2d):
    def __init__(self, width, momentum, eps):
        # PyTorch's momentum is the weight of the new batch: airbench's 0.6 is PyTorch's 0.4.
        super().__init__(width, eps=eps, momentum=1 - momentum)
        self.weight.requires_grad = False  # the scale is frozen at 1


class ConvGroup(nn.Module):
    def __init__(self, c_in, c_out, bn_momentum, bn_eps):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.norm1 = BatchNorm(c_out, bn_momentum, bn_eps)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.norm2 = BatchNorm(c_out, bn_momentum, bn_eps)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2)
        x = F.gelu(self.norm1(x))
        return F.gelu(self.norm2(self.conv2(x)))


class Airbench94(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        widths = cfg["widths"]
        self.whiten = nn.Conv2d(3, cfg["whiteningWidth"], 2, padding=0, bias=True)
        self.whiten.weight.requires_grad = False
        m, eps = cfg["batchNormMomentum"], cfg["batchNormEps"]
        self.block1 = ConvGroup(cfg["whiteningWidth"], widths[0], m, eps)
        self.block2 = ConvGroup(widths[0], widths[1], m, eps)
        self.block3 = ConvGroup(widths[1], widths[2], m, eps)
        self.head = nn.Linear(widths[2], 10, bias=False)
        self.scale = cfg["logitScale"]

    def forward(self, x):
        x = F.gelu(self.whiten(x))
        x = self.block3(self.block2(self.block1(x)))
        x = F.max_pool2d(x, 3).flatten(1)
        return self.head(x) * self.scale


def to_torch_layout(name, array):
    if array.ndim == 4:  # HWIO -> OIHW
        return array.transpose(3, 2, 0, 1)
    if name == "head.weight":  # [in, out] -> [out, in]
        return array.T
    return array


def to_js_layout(name, array):
    if array.ndim == 4:  # OIHW -> HWIO
        return array.transpose(2, 3, 1, 0)
    if name == "head.weight":
        return array.T
    return array


def smoothed_ce_sum(logits, labels, smoothing):
    return F.cross_entropy(logits, labels, label_smoothing=smoothing, reduction="sum")


def sgd_values(cfg):
    kilostep = 1024 * (1 + 1 / (1 - cfg["momentum"]))
    lr = cfg["lr"] / kilostep
    lr_bias = cfg["biasScaler"] * lr
    decay = cfg["weightDecay"] * cfg["batchSize"] / kilostep
    return lr, lr_bias, decay / lr, decay / lr_bias


class LookaheadState:
    """Slow copy of every float tensor of the state dict; update(d): slow = d*slow + (1-d)*fast; fast = slow."""

    def __init__(self, net):
        self.ema = {k: v.clone() for k, v in net.state_dict().items() if v.dtype.is_floating_point}

    def update(self, net, decay):
        for k, v in net.state_dict().items():
            if v.dtype.is_floating_point:
                self.ema[k].mul_(decay).add_(v, alpha=1 - decay)
                v.copy_(self.ema[k])


def lr_multiplier(step, total, sched):
    warmup = int(sched["warmupFraction"] * total)
    if step < warmup:
        return sched["startFactor"] + (1 - sched["startFactor"]) * step / warmup
    return 1 - (1 - sched["endFactor"]) * (step - warmup) / (total - warmup)


# ----------------------------------------------------------------------------------------------
# compare: the same forward, gradients and steps as bench/compare-torch.ts
# ----------------------------------------------------------------------------------------------

def read_arrays(directory, stem):
    with open(os.path.join(directory, f"{stem}.json")) as f:
        manifest = json.load(f)
    blob = np.fromfile(os.path.join(directory, f"{stem}.bin"), dtype=np.float32)
    arrays = {e["name"]: blob[e["offset"]:e["offset"] + int(np.prod(e["shape"]))].reshape(e["shape"]) for e in manifest["arrays"]}
    return manifest, arrays


def write_arrays(directory, stem, arrays, extra):
    entries, chunks, offset = [], [], 0
    for name, array in arrays.items():
        flat = np.ascontiguousarray(array, dtype=np.float32).ravel()
        entries.append({"name": name, "shape": list(array.shape), "offset": offset})
        chunks.append(flat)
        offset += flat.size
    np.concatenate(chunks).tofile(os.path.join(directory, f"{stem}.bin"))
    with open(os.path.join(directory, f"{stem}.json"), "w") as f:
        json.dump({**extra, "arrays": entries}, f)


def load_state(net, arrays, prefix):
    state = net.state_dict()
    for name in list(state):
        key = prefix + name.replace("running_mean", "runningMean").replace("running_var", "runningVar")
        if key in arrays:
            state[name].copy_(torch.from_numpy(to_torch_layout(name, arrays[key]).copy()))


def compare(directory):
    manifest, arrays = read_arrays(directory, "state")
    out = {}
    # float32 is what both frameworks compute in; float64 is the reference both are measured against,
    # because conv-weight gradients behind a BatchNorm cancel heavily and are only good to ~1e-3 in float32.
    for dtype, prefix in ((torch.float32, ""), (torch.float64, "f64.")):
        for name, value in run_compare(manifest, arrays, dtype).items():
            out[prefix + name] = value
    write_arrays(directory, "torch", out, {"torch": torch.__version__})


def run_compare(manifest, arrays, dtype):
    cfg = manifest["config"]
    inputs = torch.from_numpy(arrays["batch.inputs"].transpose(0, 3, 1, 2).copy()).to(dtype)
    labels = torch.from_numpy(arrays["batch.labels"].astype(np.int64))
    out = {}

    # 1. One forward pass in training mode and the gradients of the summed smoothed loss.
    net = Airbench94(cfg)
    load_state(net, arrays, "init.")
    net = net.to(dtype)
    net.train()
    logits = net(inputs)
    loss = smoothed_ce_sum(logits, labels, cfg["labelSmoothing"])
    loss.backward()
    out["logits"] = logits.detach().double().numpy()
    out["loss"] = np.array([loss.item()], dtype=np.float32)
    for name, p in net.named_parameters():
        if p.grad is not None:
            out[f"grad.{name}"] = to_js_layout(name, p.grad.double().numpy())
    for name, v in net.state_dict().items():
        if "running" in name:
            out[f"afterForward.{js_name(name)}"] = v.double().numpy()

    # 2. The training steps: one batch per "epoch", so the whitening bias trains in steps 0-2 only.
    net = Airbench94(cfg)
    load_state(net, arrays, "init.")
    net = net.to(dtype)
    # The lookahead snapshot is taken before the whitening init: with the placeholder whitening weight.
    with torch.no_grad():
        net.whiten.weight.copy_(torch.from_numpy(to_torch_layout("whiten.weight", arrays["preWhitening.whiten.weight"]).copy()).to(dtype))
    lookahead = LookaheadState(net)
    load_state(net, arrays, "init.")
    lr, lr_bias, wd, wd_bias = sgd_values(cfg)
    norm_biases = [p for n, p in net.named_parameters() if "norm" in n and p.requires_grad]
    others = [p for n, p in net.named_parameters() if "norm" not in n and p.requires_grad]
    optimizer = torch.optim.SGD(
        [dict(params=norm_biases, lr=lr_bias, weight_decay=wd_bias), dict(params=others, lr=lr, weight_decay=wd)],
        momentum=cfg["momentum"], nesterov=True)
    base = [lr_bias, lr]
    total = manifest["steps"]
    step = 0
    for epoch in range(total):
        net.whiten.bias.requires_grad = epoch < cfg["whiteningBiasEpochs"]
        for group, b in zip(optimizer.param_groups, base):
            group["lr"] = b * lr_multiplier(step, total, cfg["schedule"])
        loss = smoothed_ce_sum(net(inputs), labels, cfg["labelSmoothing"])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        every = cfg["lookahead"]["every"]
        if step % every == 0:
            lookahead.update(net, cfg["lookahead"]["decay"] ** every * (step / total) ** 3)
        if step >= total:
            lookahead.update(net, 1.0)
            break
    for name, v in net.state_dict().items():
        if name.endswith("norm1.weight") or name.endswith("norm2.weight") or "num_batches" in name:
            continue
        out[f"final.{js_name(name)}"] = to_js_layout(name, v.double().numpy())
    return out


def js_name(name):
    return name.replace("running_mean", "runningMean").replace("running_var", "runningVar")


# ----------------------------------------------------------------------------------------------
# throughput: training steps and TTA evaluation of airbench94 at batch 1024
# ----------------------------------------------------------------------------------------------

def training_step(setting):
    """setting: 'fp32-nchw' (PyTorch's default layout), 'fp32-channels-last', 'bf16-channels-last'
    (torch.autocast on the CPU in bfloat16: convs and linears in bf16, the rest fp32, as PyTorch documents).
    Returns (step, net, fmt, autocast): one airbench94 training step at batch 1024 on random images."""
    channels_last = setting.endswith("channels-last")
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=setting.startswith("bf16"))
    cfg = dict(widths=[64, 256, 256], whiteningWidth=24, batchNormMomentum=0.6, batchNormEps=1e-12, logitScale=1 / 9,
               momentum=0.85, lr=11.5, weightDecay=0.0153, batchSize=1024, biasScaler=64, labelSmoothing=0.2)
    net = Airbench94(cfg).to(memory_format=fmt)
    lr, lr_bias, wd, wd_bias = sgd_values(cfg)
    norm_biases = [p for n, p in net.named_parameters() if "norm" in n and p.requires_grad]
    others = [p for n, p in net.named_parameters() if "norm" not in n and p.requires_grad]
    optimizer = torch.optim.SGD([dict(params=norm_biases, lr=lr_bias, weight_decay=wd_bias),
                                 dict(params=others, lr=lr, weight_decay=wd)], momentum=0.85, nesterov=True)
    x = torch.randn(1024, 3, 32, 32).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (1024,))

    def step():
        with autocast:
            logits = net(x)
        loss = smoothed_ce_sum(logits.float(), y, 0.2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step, net, fmt, autocast


def profile(setting):
    """One training step after two warm-up steps under torch.profiler: self CPU time per op, as
    bench:profile gives ours (the issue's side-by-side profile)."""
    step, _, _, _ = training_step(setting)
    step()
    step()
    start = time.perf_counter()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        step()
    wall_ms = (time.perf_counter() - start) * 1000
    rows = sorted(({"name": e.key, "calls": e.count, "ms": e.self_cpu_time_total / 1000} for e in prof.key_averages()), key=lambda r: -r["ms"])
    return {"torch": torch.__version__, "setting": setting, "wallMs": wall_ms, "ops": [r for r in rows if r["ms"] >= 0.5]}


def throughput(steps, eval_images, setting):
    """Training images/s over `steps` steps after one warm-up step, and TTA-2 evaluation images/s."""
    step, net, fmt, autocast = training_step(setting)
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    train_rate = steps * 1024 / (time.perf_counter() - start)

    net.eval()
    xe = torch.randn(2000, 3, 32, 32).contiguous(memory_format=fmt)
    with torch.no_grad(), autocast:
        def tta(inputs):
            m = lambda v: 0.5 * net(v) + 0.5 * net(v.flip(-1))
            padded = F.pad(inputs, (1, 1, 1, 1), mode="reflect")
            return 0.5 * m(inputs) + 0.25 * m(padded[:, :, 0:32, 0:32]) + 0.25 * m(padded[:, :, 2:34, 2:34])
        tta(xe[:100])
        start = time.perf_counter()
        for _ in range(max(1, eval_images // 2000)):
            tta(xe)
        eval_rate = max(1, eval_images // 2000) * 2000 / (time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"torch": torch.__version__, "setting": setting, "threads": torch.get_num_threads(), "trainImagesPerSec": train_rate, "evalImagesPerSec": eval_rate, "peakRssMB": peak_mb}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["compare", "throughput", "profile"])
    parser.add_argument("dir", nargs="?", help="compare: the directory written by bench/compare-torch.ts")
    parser.add_argument("--steps", type=int, default=5, help="throughput: timed training steps")
    parser.add_argument("--eval-images", type=int, default=4000, help="throughput: images through TTA evaluation")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--setting", choices=["fp32-nchw", "fp32-channels-last", "bf16-channels-last"], default="fp32-channels-last",
                        help="throughput: layout and precision")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.mode == "compare":
        if not args.dir:
            parser.error("compare needs the directory written by bench/compare-torch.ts")
        compare(args.dir)
    elif args.mode == "profile":
        print(json.dumps(profile(args.setting)))
    else:
        print(json.dumps(throughput(args.steps, args.eval_images, args.setting)))


if __name__ == "__main__":
    main()
