#!/usr/bin/python3
"""PyTorch half of the ResNet-18 benchmark (bench/run.sh runs it, then bpusim_bench_resnet18).

Builds torchvision's quantizable ResNet-18 (random weights, fixed seed), quantizes it in eager
mode for an engine (fuse, qconfig, prepare, calibrate on random inputs, convert) and writes to
--out:
  model.onnx          the qnnpack model, torch.onnx.export(opset 13, do_constant_folding=False)
                      as docs/pytorch-recipes.md requires for a bit-exact reference
  input_x.npy         the float32 input image (1x3xSxS, S = --size, default 224) every engine
                      and bpusim run on
  torch_qnnpack.npy   PyTorch's qnnpack output on it (float32, dequantized logits)
  torch_onednn.npy    PyTorch's onednn output (its own quantization: another model's numbers)
  torch.json          median/min inference times in ms per engine (null + a note when the
                      engine is unavailable), the qnnpack output scale/zero point (for LSB
                      distances), thread count and versions
Only the qnnpack model is exported: bpusim implements qnnpack's recipes, and onednn needs its
own qconfig (so its weights' quantization differs); onednn is timed for comparison only.
"""

import argparse
import copy
import json
import os
import statistics
import time

import numpy as np
import torch
import torch.ao.quantization as tq
import torchvision

OPSET = 13
SEED = 18
CALIBRATION_BATCHES = 4


def quantize(float_model, engine, size):
    """Eager-mode post-training quantization of a copy of `float_model` for `engine`,
    calibrated on random size x size images."""
    torch.backends.quantized.engine = engine
    model = copy.deepcopy(float_model).eval()
    model.fuse_model(is_qat=False)
    model.qconfig = tq.get_default_qconfig(engine)
    tq.prepare(model, inplace=True)
    gen = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for _ in range(CALIBRATION_BATCHES):
            model(torch.randn(1, 3, size, size, generator=gen))
    return tq.convert(model, inplace=False)


def time_inference(model, x, runs, warmup):
    """Median and min wall time in ms of model(x) over `runs` runs after `warmup` runs."""
    times = []
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        for _ in range(runs):
            t0 = time.perf_counter()
            y = model(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times), y


def bench_engine(float_model, engine, x, runs, warmup):
    """(figures dict, quantized model, output) for `engine`; figures carry a note and null
    times when PyTorch cannot run it here."""
    if engine not in torch.backends.quantized.supported_engines:
        note = f"engine {engine} not in {torch.backends.quantized.supported_engines}"
        return {"median_ms": None, "min_ms": None, "note": note}, None, None
    try:
        model = quantize(float_model, engine, x.shape[-1])
        median, fastest, y = time_inference(model, x, runs, warmup)
    except (RuntimeError, AssertionError) as e:  # an engine built in but unusable on this CPU
        return {"median_ms": None, "min_ms": None, "note": f"{engine} failed: {e}"}, None, None
    return {"median_ms": median, "min_ms": fastest, "note": ""}, model, y


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="directory for the files listed above")
    ap.add_argument("--runs", type=int, default=7, help="timed runs per engine (median)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs before timing")
    ap.add_argument("--size", type=int, default=224,
                    help="input height and width (smaller: a shorter simulation, e.g. the RTL test)")
    args = ap.parse_args()
    if args.size < 32:
        ap.error(f"--size must be >= 32 (ResNet-18 downsamples by 32), got {args.size}")
    os.makedirs(args.out, exist_ok=True)

    torch.manual_seed(SEED)
    float_model = torchvision.models.quantization.resnet18(weights=None, quantize=False)
    x = torch.randn(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(SEED + 2))
    np.save(os.path.join(args.out, "input_x.npy"), x.numpy().astype(np.float32))

    figures = {
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "threads": torch.get_num_threads(),
        "runs": args.runs,
        "warmup": args.warmup,
        "input_shape": list(x.shape),
    }
    for engine in ("qnnpack", "onednn"):
        figures[engine], model, y = bench_engine(float_model, engine, x, args.runs, args.warmup)
        if y is not None:
            np.save(os.path.join(args.out, f"torch_{engine}.npy"), y.numpy().astype(np.float32))
        if engine == "qnnpack":
            if model is None:
                raise SystemExit(f"resnet18.py: qnnpack is required: {figures[engine]['note']}")
            figures["output_scale"] = float(model.fc.scale)
            figures["output_zero_point"] = int(model.fc.zero_point)
            torch.backends.quantized.engine = "qnnpack"
            torch.onnx.export(
                model, x, os.path.join(args.out, "model.onnx"), opset_version=OPSET,
                input_names=["x"], output_names=["logits"], do_constant_folding=False,
            )
    with open(os.path.join(args.out, "torch.json"), "w") as f:
        json.dump(figures, f, indent=2)
    for engine in ("qnnpack", "onednn"):
        e = figures[engine]
        ms = "unavailable" if e["median_ms"] is None else f"{e['median_ms']:.1f} ms"
        print(f"pytorch {engine}: median {ms} {e['note']}".rstrip())


if __name__ == "__main__":
    main()
