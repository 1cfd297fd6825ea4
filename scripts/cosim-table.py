#!/usr/bin/python3
"""Every committed model on the SystemC model and the RTL core, as a table.

  scripts/cosim-table.py [--bpusim build/release/tools/bpusim] [--configs default,tiny,large]
                         [--modes fp32,fixed] [--out DIR]

Compiles each model (tests/data/models/*, models/digits) for each configuration in
rtl_ref/configs/ and each requant.mode, runs `bpusim cosim` (outputs bit for bit, every
instruction's cycles) and times `bpusim run --backend rtl`. Prints one row per case: model,
config, mode, SystemC cycles, RTL cycles, difference, the largest per-layer difference,
instructions compared, RTL wall time and simulated cycles per second, and the machine's load.
The ctest RtlCoreModels.* asserts the same equality; this prints the figures.
Exit 1 when any case differs.
"""
import argparse, json, os, subprocess, sys, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--bpusim", default=os.path.join(root, "build/release/tools/bpusim"))
ap.add_argument("--configs", default=",".join(sorted(
    f[:-5] for f in os.listdir(os.path.join(root, "rtl_ref/configs")) if f.endswith(".json"))))
ap.add_argument("--modes", default="fp32,fixed")
ap.add_argument("--out", default="/tmp/bpusim-cosim-table")
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)

models = sorted(os.path.join(root, "tests/data/models", m)
                for m in os.listdir(os.path.join(root, "tests/data/models")))
models.append(os.path.join(root, "models/digits"))


def model_input(model):
    if os.path.exists(os.path.join(model, "input_x.npy")):
        return os.path.join(model, "input_x.npy")
    # the default model: its first test image (written once, with numpy when available)
    path = os.path.join(args.out, "digits_x0.npy")
    if not os.path.exists(path):
        import numpy as np
        np.save(path, np.load(os.path.join(model, "test_x.npy"))[:1])
    return path


print(f"load average: {open('/proc/loadavg').read().split()[:3]}, {os.cpu_count()} cores")
print(f"{'model':14} {'config':8} {'mode':6} {'systemc':>9} {'rtl':>9} {'diff':>5} "
      f"{'layer diff':>10} {'instrs':>6} {'rtl s':>7} {'rtl cycles/s':>13}")
failed = False
for config in args.configs.split(","):
    hw = ["--hw", os.path.join(root, "rtl_ref/configs", config + ".json")]
    for mode in args.modes.split(","):
        sets = ["--set", "requant.mode=" + mode]
        for model in models:
            name = os.path.basename(model)
            prog = os.path.join(args.out, f"{name}-{config}-{mode}.bpu")
            subprocess.run([args.bpusim, "compile", os.path.join(model, "model.onnx"), "-o", prog]
                           + hw + sets, check=True, capture_output=True)
            x = "x=" + model_input(model)
            report = prog + ".cosim.json"
            r = subprocess.run([args.bpusim, "cosim", prog, "--input", x, "--report", report]
                               + hw + sets, capture_output=True, text=True)
            c = json.load(open(report))
            t0 = time.monotonic()
            subprocess.run([args.bpusim, "run", prog, "--input", x, "-o", prog + ".rtl",
                            "--backend", "rtl"] + hw + sets, check=True, capture_output=True)
            wall = time.monotonic() - t0
            cyc = c["cycles"]
            layer_diff = max((abs(l.get("difference") or 0) for l in c["layers"]), default=0)
            failed |= r.returncode != 0
            print(f"{name:14} {config:8} {mode:6} {cyc['systemc']:9} {cyc['rtl']:9} "
                  f"{cyc['difference']:5} {layer_diff:10} {c['instructions_compared']:6} "
                  f"{wall:7.2f} {cyc['rtl'] / wall:13.0f}" + ("" if r.returncode == 0 else "  DIFFERENT"))
print(f"load average: {open('/proc/loadavg').read().split()[:3]}")
sys.exit(1 if failed else 0)
