#!/usr/bin/python3
"""The guide's flow (docs/guide.md) in Python with the bpusim module (docs/python.md):

 1. train: a small CNN written by the guide's rules (tools/py/bpumodels.py DigitsNet:
    QuantStub/DeQuantStub, fused conv+bn+relu, a FloatFunctional add) on sklearn's digits,
    float epochs then quantization-aware training on the qnnpack engine, then convert;
 2. compile the converted module object for the BPU (exported inside bpusim.compile the way
    that keeps PyTorch's arithmetic) and print the compiler's per-layer table;
 3. run the test images on the SystemC model: accuracy, bit-exact with PyTorch, cycles;
 4. verify layer by layer against the golden reference;
 5. profile: the HTML report;
 6. sweep the MAC array rows and plot per-layer cycles (matplotlib, when installed).

Run from the repository after the build (README.md):
    PYTHONPATH=build/release/python /usr/bin/python3 examples/python_flow.py [--quick]
--quick trains for two epochs of each kind (what the test python_example runs).
"""

import argparse
import os
import sys
import warnings

import numpy as np
import torch

import bpusim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "py"))
import bpumodels  # noqa: E402
import make_testdata  # noqa: E402


def train(quick):
    """Steps 1: a converted quantized DigitsNet and the held-out images and labels."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.backends.quantized.engine = bpumodels.ENGINE
    xtr, ytr, xte, yte = make_testdata.load_digits(8)
    epochs = (2, 2) if quick else (20, 6)
    model = make_testdata.train(bpumodels.DigitsNet(), "digits", xtr, ytr, *epochs, seed=0)
    return bpumodels.convert(model), xte, yte


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="two training epochs of each kind")
    ap.add_argument("--out-dir", default="python_flow_out", help="where the reports go")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    print("1. train (float, then QAT) and convert")
    qmodel, xte, yte = train(args.quick)
    with torch.no_grad():
        want = torch.cat([qmodel(xte[i:i + 1]) for i in range(len(xte))]).numpy()
    print(f"   PyTorch quantized accuracy: {(want.argmax(1) == yte.numpy()).mean():.3f}")

    print("2. compile the module object")
    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always", bpusim.CompileWarning)
        prog = bpusim.compile(qmodel, example_inputs=xte[:1])
    for n in notes:
        if issubclass(n.category, bpusim.CompileWarning):
            print(f"   compile warning: {n.message}")
    print(prog.summary())
    prog.save(os.path.join(args.out_dir, "digits.bpu"))

    print(f"3. run the {len(xte)} test images on the SystemC model")
    logits, cycles = [], []
    for i in range(len(xte)):
        r = prog.run(xte[i:i + 1].numpy())
        logits.append(r.output())
        cycles.append(r.cycles)
    got = np.concatenate(logits)
    exact = np.array_equal(got.view(np.uint32), want.view(np.uint32))
    print(f"   accuracy {(got.argmax(1) == yte.numpy()).mean():.3f}; bit-exact with PyTorch on "
          f"all {len(xte)} images: {exact}; {cycles[0]} cycles per image "
          f"(estimate {prog.est_cycles})")
    for row in r.layers:
        print(f"   {row['name']:<28} {row['cycles']:>7} cycles  {row['macs']:>7} MACs  "
              f"{100 * row['mac_utilisation']:5.1f}% MAC busy")

    print("4. verify layer by layer against the golden reference")
    v = bpusim.verify(qmodel, example_inputs=xte[:1], inputs=xte[:1].numpy())
    print("   " + v.text.strip().replace("\n", "\n   "))

    print("5. profile")
    html = os.path.join(args.out_dir, "profile.html")
    profile = prog.profile(html, xte[:1].numpy())
    print(f"   wrote {html} ({profile['cycles']} cycles, "
          f"{100 * profile['mac_utilisation']:.1f}% MAC utilisation)")

    print("6. sweep the MAC array rows")
    rows = bpusim.sweep(qmodel, {"mac.rows": [8, 16, 32]}, example_inputs=xte[:1],
                        as_frame=False)
    for row in rows:
        print(f"   mac.rows={row['mac.rows']:<3} {row['status']:<5} {row['cycles']:>7} cycles  "
              f"{100 * row['mac_utilisation']:5.1f}% MAC busy")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("   (matplotlib is not installed: no plot)")
        return 0 if exact and v.ok else 1
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.bar([l["name"] for l in r.layers], [l["cycles"] for l in r.layers])
    ax.set_ylabel("cycles")
    ax.set_title("per-layer cycles, default configuration")
    ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    fig.tight_layout()
    png = os.path.join(args.out_dir, "layer_cycles.png")
    fig.savefig(png)
    print(f"   wrote {png}")
    return 0 if exact and v.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
