#!/usr/bin/python3
"""Trains, quantizes and exports bpusim's default model: bpumodels.DigitsNet, a small CNN
written by the rules of docs/guide.md section 2 (QuantStub/DeQuantStub, fused conv+bn+relu, a
FloatFunctional residual add, qconfig per module), on sklearn's bundled handwritten digits
(8x8, no download), with QAT on the qnnpack engine.

Regenerate (about a minute on one core):
    /usr/bin/python3 tools/py/train_default_model.py --out models/digits
Writes into --out:
  model.onnx         opset 13, batch 1, input "x" [1,1,8,8] float32, output "logits" [1,10]
                     float32; exported with do_constant_folding=False so that PyTorch's bias
                     rounding is recoverable (docs/pytorch-recipes.md section 5)
  test_x.npy         the 360 held-out images, float32 [360,1,8,8] in [-1, 1]
  test_labels.npy    their labels, int64 [360]
  torch_logits.npy   PyTorch's quantized model output per image, float32 [360,10]
  torch_logits_int.npy  the same before DeQuantStub (uint8; scale, zero point and dtype in
                     the manifest)
  manifest.json      accuracies (float model before QAT, PyTorch quantized), shapes, seeds
Seeded and single-threaded: reruns on the same software reproduce the files byte for byte.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpumodels  # noqa: E402
import make_testdata as mt  # noqa: E402

SPEC = bpumodels.ModelSpec(bpumodels.DigitsNet, 8, "logits", bpumodels.DigitsNet.__doc__)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--float-epochs", type=int, default=20)
    ap.add_argument("--qat-epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.backends.quantized.engine = bpumodels.ENGINE
    xtr, ytr, xte, yte = mt.load_digits(SPEC.image_size)
    acc = {}

    def measure_float(model):
        acc["float"] = mt.accuracy(model, SPEC, xte, yte)

    torch.manual_seed(args.seed)
    model = mt.train(SPEC.build(), "digits", xtr, ytr, args.float_epochs, args.qat_epochs,
                     args.seed, after_float=measure_float)
    qmodel = bpumodels.convert(model)
    tap = mt.OutputTap(qmodel)
    with torch.no_grad():
        logits = qmodel(xte)
        q = tap.value
        one = torch.cat([qmodel(xte[i : i + 1]) for i in range(len(xte))])
    if not torch.equal(one, logits):
        raise RuntimeError("batch-1 and batched PyTorch outputs differ")
    acc["quantized"] = float((logits.argmax(1) == yte).float().mean())

    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "test_x.npy"), xte.numpy().astype(np.float32))
    np.save(os.path.join(args.out, "test_labels.npy"), yte.numpy().astype(np.int64))
    np.save(os.path.join(args.out, "torch_logits.npy"), logits.numpy().astype(np.float32))
    np.save(os.path.join(args.out, "torch_logits_int.npy"), q.int_repr().numpy())
    with torch.no_grad():
        mt.export(qmodel, xte[:1].clone(), os.path.join(args.out, "model.onnx"), "logits",
                  fold=False)
    manifest = {
        "model": "digits",
        "description": " ".join(SPEC.description.split()),
        "torch": torch.__version__,
        "engine": bpumodels.ENGINE,
        "opset": mt.OPSET,
        "onnx": "model.onnx",
        "input": {"name": "x", "shape": [1, 1, 8, 8], "dtype": "float32"},
        "output": {"name": "logits", "shape": [1, 10], "dtype": "float32",
                   "scale": float(q.q_scale()), "zero_point": int(q.q_zero_point()),
                   "int_dtype": str(q.int_repr().numpy().dtype)},
        "test_images": {"file": "test_x.npy", "labels": "test_labels.npy", "count": len(yte)},
        "torch_outputs": {"file": "torch_logits.npy", "int_file": "torch_logits_int.npy"},
        "accuracy": {"float": acc["float"], "pytorch_quantized": acc["quantized"]},
        "training": {"train_images": len(ytr), "float_epochs": args.float_epochs,
                     "qat_epochs": args.qat_epochs, "seed": args.seed,
                     "data": "sklearn.datasets.load_digits, pixels/16*2-1, fixed permutation "
                             "(numpy default_rng(0)), last 360 held out"},
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"float accuracy {acc['float']:.4f}, PyTorch quantized accuracy {acc['quantized']:.4f}"
          f" -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
