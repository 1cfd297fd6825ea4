#!/usr/bin/python3
"""PyTorch half of the model benchmark (bench/run.sh runs it, then bpusim_bench_resnet18).

Builds one of torchvision's quantizable networks (--model: resnet18, resnet50, mobilenet_v2;
random weights, fixed seed, no download), quantizes it in eager mode for an engine (fuse,
qconfig, prepare, calibrate on random inputs, convert), times it at each thread count of
--threads and writes to --out:
  model.onnx          the qnnpack model, torch.onnx.export(opset 13, do_constant_folding=False)
                      as docs/pytorch-recipes.md requires for a bit-exact reference
  input_x.npy         the float32 input image (1x3xSxS, S = --size, default 224) every engine
                      and bpusim run on
  torch_qnnpack.npy   PyTorch's qnnpack output on it (float32, dequantized logits)
  torch_onednn.npy    PyTorch's onednn output (its own quantization: another model's numbers)
  torch.json          "model"; median/min inference times in ms per engine (null + a note when
                      the engine is unavailable) at the first thread count of --threads (1 by
                      default: the keys older readers use) and under "by_threads" at each one;
                      the qnnpack output scale/zero point (for LSB distances) and versions
Only the qnnpack model is exported: bpusim implements qnnpack's recipes, and onednn needs its
own qconfig (so its weights' quantization differs); onednn is timed for comparison only.
The outputs saved are those of the first thread count's run (the one bpusim is checked against).
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
SEED = 18  # every model: the seed ResNet-18's published figures were taken with
CALIBRATION_BATCHES = 4
MODELS = ("resnet18", "resnet50", "mobilenet_v2")


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


def output_qparams(model, x):
    """(scale, zero point) of the quantized tensor the model dequantizes into its output.
    Every torchvision quantizable network ends in `self.dequant` (a DeQuantStub), whatever
    its last layer is called (ResNet's fc, MobileNetV2's classifier[1]); a pre-hook there sees
    the quantized logits."""
    seen = []
    hook = model.dequant.register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
    try:
        with torch.no_grad():
            model(x)
    finally:
        hook.remove()
    q = seen[-1]
    return float(q.q_scale()), int(q.q_zero_point())


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


def bench_engine(float_model, engine, x, threads, runs, warmup):
    """({thread count: figures}, quantized model, output at threads[0]) for `engine`; figures
    carry a note and null times when PyTorch cannot run it here."""
    def unavailable(note):
        return {t: {"median_ms": None, "min_ms": None, "note": note} for t in threads}, None, None

    if engine not in torch.backends.quantized.supported_engines:
        return unavailable(f"engine {engine} not in {torch.backends.quantized.supported_engines}")
    figures, first_y = {}, None
    try:
        model = quantize(float_model, engine, x.shape[-1])
        for t in threads:
            torch.set_num_threads(t)
            median, fastest, y = time_inference(model, x, runs, warmup)
            figures[t] = {"median_ms": median, "min_ms": fastest, "note": ""}
            if first_y is None:
                first_y = y
    except (RuntimeError, AssertionError) as e:  # an engine built in but unusable on this CPU
        return unavailable(f"{engine} failed: {e}")
    finally:
        torch.set_num_threads(threads[0])
    return figures, model, first_y


def thread_list(text):
    try:
        threads = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text!r}")
    if not threads or min(threads) < 1 or len(set(threads)) != len(threads):
        raise argparse.ArgumentTypeError(f"thread counts must be distinct and >= 1: {text!r}")
    return threads


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=MODELS, default="resnet18",
                    help="torchvision.models.quantization network (default resnet18)")
    ap.add_argument("--out", required=True, help="directory for the files listed above")
    ap.add_argument("--runs", type=int, default=7, help="timed runs per engine (median)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs before timing")
    ap.add_argument("--size", type=int, default=224,
                    help="input height and width (smaller: a shorter simulation, e.g. the RTL "
                         "test)")
    ap.add_argument("--threads", type=thread_list, default=[1, 2],
                    help="PyTorch thread counts to time each engine at (default 1,2); the first "
                         "gives torch.json's top-level figures")
    args = ap.parse_args()
    if args.size < 32:  # all three downsample by 32
        ap.error(f"--size must be >= 32 ({args.model} downsamples by 32), got {args.size}")
    os.makedirs(args.out, exist_ok=True)

    torch.manual_seed(SEED)
    float_model = getattr(torchvision.models.quantization, args.model)(weights=None,
                                                                       quantize=False)
    x = torch.randn(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(SEED + 2))
    np.save(os.path.join(args.out, "input_x.npy"), x.numpy().astype(np.float32))

    figures = {
        "model": args.model,
        "seed": SEED,
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "threads": args.threads[0],  # of the top-level "qnnpack" and "onednn"
        "thread_counts": args.threads,
        "cpu_count": os.cpu_count(),
        "runs": args.runs,
        "warmup": args.warmup,
        "input_shape": list(x.shape),
        "by_threads": {str(t): {} for t in args.threads},
    }
    for engine in ("qnnpack", "onednn"):
        per_thread, model, y = bench_engine(float_model, engine, x, args.threads, args.runs,
                                            args.warmup)
        for t, f in per_thread.items():
            figures["by_threads"][str(t)][engine] = f
        figures[engine] = per_thread[args.threads[0]]
        if y is not None:
            np.save(os.path.join(args.out, f"torch_{engine}.npy"), y.numpy().astype(np.float32))
        if engine == "qnnpack":
            if model is None:
                raise SystemExit(f"export_model.py: qnnpack is required: {figures[engine]['note']}")
            torch.backends.quantized.engine = "qnnpack"
            figures["output_scale"], figures["output_zero_point"] = output_qparams(model, x)
            torch.onnx.export(
                model, x, os.path.join(args.out, "model.onnx"), opset_version=OPSET,
                input_names=["x"], output_names=["logits"], do_constant_folding=False,
            )
    with open(os.path.join(args.out, "torch.json"), "w") as f:
        json.dump(figures, f, indent=2)
    for t in args.threads:
        for engine in ("qnnpack", "onednn"):
            e = figures["by_threads"][str(t)][engine]
            ms = "unavailable" if e["median_ms"] is None else f"{e['median_ms']:.1f} ms"
            print(f"pytorch {args.model} {engine} {t} thread(s): median {ms} {e['note']}".rstrip())


if __name__ == "__main__":
    main()
