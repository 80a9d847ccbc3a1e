"""PyTorch versions of the REPAIR example's endpoint models, for bench/endpoints.ts's comparison.

Dev tool, not run by CI. One mode:

  throughput  time training steps of one model (--model resnet20|vgg11, --norm batch|layer, --width w) at
              batch 500 with the example's recipe (SGD, momentum 0.9, weight decay 5e-4 on the conv and linear
              kernels), in one --setting (fp32-nchw, fp32-channels-last, bf16-channels-last); print one JSON line
              {"trainImagesPerSec", "peakRssMB", "threads", "torch", "setting", "parameters"}.

The architectures are examples/models/src/resnet20.ts and vgg.ts (docs/papers.md §3.3): ResNet20 with a conv3x3
stride-2 + norm shortcut where the shape changes, LayerNorm2d over each pixel's channels; kuangliu's VGG11 with
conv bias and no normalisation. Inputs are random (ours also runs its loader's flip + translate).
"""
import argparse
import json
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm2d(nn.Module):
    """Normalises each pixel over its channels (biased variance), then a per-channel affine."""

    def __init__(self, channels, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x):
        mean = x.mean(1, keepdim=True)
        var = x.var(1, keepdim=True, unbiased=False)
        x = (x - mean) / torch.sqrt(var + self.eps)
        return x * self.weight[None, :, None, None] + self.bias[None, :, None, None]


def conv_norm(c_in, c_out, stride, norm):
    conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=norm == "layer")
    return nn.Sequential(conv, nn.BatchNorm2d(c_out) if norm == "batch" else LayerNorm2d(c_out))


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride, norm):
        super().__init__()
        self.branch1 = conv_norm(c_in, c_out, stride, norm)
        self.branch2 = conv_norm(c_out, c_out, 1, norm)
        self.shortcut = conv_norm(c_in, c_out, stride, norm) if c_in != c_out else nn.Identity()

    def forward(self, x):
        return F.relu(self.branch2(F.relu(self.branch1(x))) + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, width, norm):
        super().__init__()
        widths = [max(1, round(c * width)) for c in (16, 32, 64)]
        self.stem = conv_norm(3, widths[0], 1, norm)
        blocks, c_in = [], widths[0]
        for i, c in enumerate(widths):
            for j in range(3):
                blocks.append(BasicBlock(c_in, c, 2 if j == 0 and i > 0 else 1, norm))
                c_in = c
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(widths[2], 10)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        return self.head(x.mean((2, 3)))


class VGG11(nn.Module):
    CFG = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]

    def __init__(self, width):
        super().__init__()
        layers, c_in = [], 3
        for c in self.CFG:
            if c == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                c_out = max(1, round(c * width))
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]
                c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, 10)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


def throughput(model_name, norm, width, steps, setting, batch=500):
    torch.manual_seed(0)
    net = ResNet20(width, norm) if model_name == "resnet20" else VGG11(width)
    fmt = torch.channels_last if "channels-last" in setting else torch.contiguous_format
    net = net.to(memory_format=fmt).train()
    decayed = [p for p in net.parameters() if p.ndim >= 2]
    rest = [p for p in net.parameters() if p.ndim < 2]
    opt = torch.optim.SGD([{"params": decayed, "weight_decay": 5e-4}, {"params": rest, "weight_decay": 0}], lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, 32, 32).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (batch,))
    bf16 = setting.startswith("bf16")

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    rate = steps * batch / (time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "torch": torch.__version__, "setting": setting, "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in net.parameters()), "trainImagesPerSec": rate, "peakRssMB": peak_mb,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["throughput"])
    parser.add_argument("--model", choices=["resnet20", "vgg11"], default="resnet20")
    parser.add_argument("--norm", choices=["batch", "layer"], default="batch", help="resnet20's normalisation")
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--setting", choices=["fp32-nchw", "fp32-channels-last", "bf16-channels-last"], default="fp32-channels-last")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps(throughput(args.model, args.norm, args.width, args.steps, args.setting)))


if __name__ == "__main__":
    main()
