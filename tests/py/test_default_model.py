#!/usr/bin/python3
"""Checks the committed default model (models/digits, written by
tools/py/train_default_model.py): files and shapes as the manifest says, the recorded
PyTorch-quantized accuracy is the accuracy of torch_logits.npy, torch_logits.npy is the
dequantization of torch_logits_int.npy, and tools/py/onnx_ref.py reproduces PyTorch's
logits bit for bit from model.onnx for every test image.
Plain asserts; exit status 0 = pass. Run: /usr/bin/python3 tests/py/test_default_model.py
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


def main():
    d = os.path.join(ROOT, "models", "digits")
    with open(os.path.join(d, "manifest.json")) as f:
        man = json.load(f)
    x = np.load(os.path.join(d, man["test_images"]["file"]))
    labels = np.load(os.path.join(d, man["test_images"]["labels"]))
    logits = np.load(os.path.join(d, man["torch_outputs"]["file"]))
    ints = np.load(os.path.join(d, man["torch_outputs"]["int_file"]))
    n = man["test_images"]["count"]
    assert x.shape == (n, 1, 8, 8) and x.dtype == np.float32, x.shape
    assert labels.shape == (n,) and labels.dtype == np.int64
    out = man["output"]
    assert logits.shape == (n, 10) and logits.dtype == np.float32
    assert ints.shape == (n, 10) and ints.dtype == np.dtype(out["int_dtype"]), ints.dtype
    assert np.array_equal(logits.view(np.uint32),
                          R.dequantize(ints, out["scale"], out["zero_point"]).view(np.uint32))
    acc = float((logits.argmax(1) == labels).mean())
    assert abs(acc - man["accuracy"]["pytorch_quantized"]) < 1e-6, (acc, man["accuracy"])
    assert acc > 0.9, acc
    model = onnx_ref.onnx.load(os.path.join(d, man["onnx"]))
    for i in range(n):
        got = onnx_ref.Interpreter(model).run({"x": x[i : i + 1]})["logits"]
        assert np.array_equal(got.view(np.uint32), logits[i : i + 1].view(np.uint32)), (
            f"image {i}: onnx_ref differs from PyTorch")
    print(f"ok digits: {n} images bit-exact, PyTorch quantized accuracy {acc:.4f}, "
          f"float {man['accuracy']['float']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
