#!/usr/bin/python3
"""Checks the committed PyTorch test models (tests/data/models/*):
- every manifest names existing files with the stated dtypes and shapes;
- torch_<out>.npy equals the dequantization (recipe) of torch_<out>_int.npy;
- tools/py/onnx_ref.py, which applies PyTorch's integer recipes to the exported graph,
  reproduces PyTorch's outputs bit for bit from model.onnx (the unfolded export);
- model_folded.onnx runs too; how far its truncated biases move the outputs is printed.
Plain asserts; exit status 0 = pass. Run: /usr/bin/python3 tests/py/test_models.py [DIR]
"""

import json
import os
import sys

import numpy as np

ROOT = os.environ.get("BPUSIM_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "py"))
import bpurecipes as R  # noqa: E402
import onnx_ref  # noqa: E402


def bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f":
        return a.shape == b.shape and np.array_equal(a.astype(np.float32).view(np.uint32),
                                                     b.astype(np.float32).view(np.uint32))
    return a.shape == b.shape and np.array_equal(a, b)


def check_model(d):
    with open(os.path.join(d, "manifest.json")) as f:
        man = json.load(f)
    name = man["model"]
    assert man["engine"] == "qnnpack" and man["opset"] == 13, name
    feeds = {}
    for i in man["inputs"]:
        x = np.load(os.path.join(d, i["file"]))
        assert x.dtype == np.float32 and list(x.shape) == i["shape"], (name, i)
        feeds[i["name"]] = x
    wants = {}
    for o in man["outputs"]:
        y = np.load(os.path.join(d, o["file"]))
        assert str(y.dtype) == o["dtype"] and list(y.shape) == o["shape"], (name, o)
        if "int_file" in o:
            q = np.load(os.path.join(d, o["int_file"]))
            assert str(q.dtype) == o["int_dtype"] and q.shape == y.shape, (name, o)
            assert bits_equal(y, R.dequantize(q, o["scale"], o["zero_point"])), (
                f"{name}: {o['file']} is not the dequantized {o['int_file']}")
        wants[o["name"]] = y
    got = onnx_ref.run_model(os.path.join(d, man["onnx"]), feeds)
    for k, y in wants.items():
        assert bits_equal(got[k], y), f"{name}: onnx_ref({man['onnx']}) differs from PyTorch on {k}"
    folded = onnx_ref.run_model(os.path.join(d, man["onnx_folded"]), feeds)
    notes = []
    for o in man["outputs"]:
        a, b = folded[o["name"]], wants[o["name"]]
        diff = int((np.asarray(a) != np.asarray(b)).sum())
        if "scale" in o and diff:
            lsb = np.abs(np.rint((a.astype(np.float64) - b) / o["scale"])).max()
            notes.append(f"{o['name']}: {diff}/{b.size} differ, max {int(lsb)} LSB")
        else:
            notes.append(f"{o['name']}: {diff}/{b.size} differ")
    print(f"ok {name}: bit-exact from {man['onnx']}; {man['onnx_folded']}: {'; '.join(notes)}")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "data", "models")
    models = sorted(m for m in os.listdir(root)
                    if os.path.isfile(os.path.join(root, m, "manifest.json")))
    assert models, f"no models under {root}"
    for m in models:
        check_model(os.path.join(root, m))
    print(f"{len(models)} models checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
