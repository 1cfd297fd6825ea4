#!/usr/bin/python3
"""Exports a torchvision quantizable network the way bpusim needs it (random weights, seeded):
eager-mode post-training quantization for engine qnnpack (fuse, default qconfig, calibrate on
random images, convert), then torch.onnx.export(opset 13, do_constant_folding=False) so that
PyTorch's bias rounding survives (docs/pytorch-recipes.md 5).

    /usr/bin/python3 tools/py/export_zoo.py NAME --size S --out DIR

writes DIR/model.onnx, DIR/input_x.npy (one float32 1x3xSxS image) and DIR/torch_y.npy
(PyTorch's qnnpack output on it). NAME: mobilenet_v3_large, mobilenet_v2, resnet18,
resnet50, googlenet, inception_v3 (torchvision.models.quantization).
"""

import argparse
import os

import numpy as np
import torch
import torch.ao.quantization as tq
import torchvision

SEED = 10
CALIBRATION_IMAGES = 3


def build(name):
    ctor = getattr(torchvision.models.quantization, name)
    extra = {"aux_logits": False, "init_weights": True} if name in ("googlenet",
                                                                    "inception_v3") else {}
    return ctor(weights=None, quantize=False, **extra).eval()


def quantize(model, size):
    torch.backends.quantized.engine = "qnnpack"
    model.fuse_model(is_qat=False)
    model.qconfig = tq.get_default_qconfig("qnnpack")
    tq.prepare(model, inplace=True)
    gen = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for _ in range(CALIBRATION_IMAGES):
            model(torch.randn(1, 3, size, size, generator=gen))
    return tq.convert(model)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.manual_seed(SEED)
    q = quantize(build(args.name), args.size)
    x = torch.randn(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(SEED + 2))
    with torch.no_grad():
        y = q(x)
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "input_x.npy"), x.numpy())
    np.save(os.path.join(args.out, "torch_y.npy"), y.numpy())
    torch.onnx.export(q, x, os.path.join(args.out, "model.onnx"), opset_version=13,
                      do_constant_folding=False, input_names=["x"], output_names=["y"])
    print(f"{args.name} {args.size}x{args.size}: {tuple(y.shape)} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
