#!/usr/bin/python3
"""Generates the committed PyTorch test data: QAT-trained, converted and exported models with
sample inputs and PyTorch's own quantized outputs.

Regenerate (Debian's torch 1.13; a few minutes on one core):
    /usr/bin/python3 tools/py/make_testdata.py --out tests/data/models
    /usr/bin/python3 tools/py/make_testdata.py --out /tmp/td --models residual,mlp
Everything is seeded and training runs on one thread, so a rerun on the same software
reproduces the files byte for byte; another torch/numpy build may train slightly different
weights, which only matters in that the files then change together (each directory is
self-consistent). Commit the whole directory after regenerating.

For each model in tools/py/bpumodels.py MODELS, <out>/<model>/ receives:
  model.onnx            torch.onnx.export(opset_version=13, do_constant_folding=False): the
                        float bias survives as Div/Cast, so PyTorch's rounding of the bias is
                        recoverable (docs/pytorch-recipes.md); this is the bit-exact reference.
  model_folded.onnx     the same with the default do_constant_folding=True: the exporter has
                        folded the bias to an int32 constant by truncation, which PyTorch does
                        not do: outputs can differ from torch_* by an LSB (rarely).
  input_<name>.npy      float32 sample inputs (a batch of --samples digits images).
  torch_<output>.npy    PyTorch's quantized model output: float32 (dequantized) or int64
                        (argmax class indices).
  torch_<output>_int.npy  for dequantized outputs: the integers before DeQuantStub (uint8 for
                        requantized outputs, int32 for int32-output layers).
  manifest.json         names, shapes, dtypes, output scale/zero point, accuracy, features.
Data: sklearn's bundled handwritten digits (load_digits, no download), pixels scaled to
[-1, 1], resized bilinearly to the model's input size; the last 360 images of a fixed
permutation are held out for testing and supply the samples.
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.ao.quantization as tq
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpumodels  # noqa: E402

torch.backends.quantized.engine = bpumodels.ENGINE
OPSET = 13
TEST_IMAGES = 360
QAT_LR = 3e-4  # Adam learning rate of the QAT phase (1e-3 loses accuracy)


def load_digits(size):
    """(x_train, y_train, x_test, y_test) as float32 NCHW tensors in [-1, 1] and int64."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = torch.from_numpy((d.images.astype(np.float32) / 16.0) * 2.0 - 1.0)[:, None]
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    y = torch.from_numpy(d.target.astype(np.int64))
    perm = torch.from_numpy(np.random.default_rng(0).permutation(len(y)))
    x, y = x[perm].contiguous(), y[perm].contiguous()
    return x[:-TEST_IMAGES], y[:-TEST_IMAGES], x[-TEST_IMAGES:], y[-TEST_IMAGES:]


def loss_fn(name, out, x, y):
    if name == "example_net":  # no classes: learn to reproduce the (cropped) input
        return F.mse_loss(out, x[:, :, 1:-1, 1:-1])
    return F.cross_entropy(out.flatten(1), y)


def train(model, name, xtr, ytr, float_epochs, qat_epochs, seed, after_float=None):
    """Float warm-up, then fuse + qconfig + prepare_qat (docs/guide.md section 2) and QAT; BN
    statistics frozen and observers disabled for the last QAT epoch. `after_float(model)`
    runs between the two phases (e.g. to measure float accuracy). Returns the QAT model."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model.train()

    def run_epochs(epochs, lr, on_epoch=None):
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        for ep in range(epochs):
            if on_epoch:
                on_epoch(ep)
            perm = torch.randperm(len(ytr), generator=g)
            for i in range(0, len(ytr), 64):
                idx = perm[i : i + 64]
                opt.zero_grad()
                loss = loss_fn(name, model(xtr[idx]), xtr[idx], ytr[idx])
                loss.backward()
                opt.step()

    run_epochs(float_epochs, 3e-3)
    if after_float is not None:
        model.eval()
        after_float(model)
        model.train()
    model.fuse_model()
    model.set_qconfig()
    tq.prepare_qat(model, inplace=True)

    def schedule(ep):
        if ep == qat_epochs - 1:
            model.apply(torch.nn.intrinsic.qat.freeze_bn_stats)
            model.apply(tq.disable_observer)

    run_epochs(qat_epochs, QAT_LR, schedule)
    return model


def accuracy(qmodel, spec, xte, yte):
    """Top-1 accuracy of a classifier (float, QAT or converted) on the held-out images."""
    if spec.output != "logits" and spec.output != "class_idx":
        return None
    with torch.no_grad():
        out = qmodel(xte)
    pred = out if out.dtype == torch.int64 else out.argmax(1)
    return float((pred == yte).float().mean())


class OutputTap:
    """Records the quantized tensor entering the model's DeQuantStub (the integer output)."""

    def __init__(self, qmodel):
        self.value = None
        deq = getattr(qmodel, "dequant", None)
        if deq is not None:
            deq.register_forward_hook(self._hook)

    def _hook(self, module, inputs, output):
        self.value = inputs[0]


def float_region_margin(qmodel, x):
    """Smallest distance (in LSB) to a rounding tie of the values QuantStub rounds after a
    float region, per sample. A host float implementation that differs from PyTorch by a few
    ulps still rounds identically when this margin is not tiny."""
    q = getattr(qmodel, "quant_back", None)
    if q is None:
        return None
    seen = {}

    def hook(module, inputs, output):
        t = inputs[0].numpy().astype(np.float32) * (np.float32(1) / np.float32(output.q_scale()))
        d = np.abs(t - np.floor(t) - np.float32(0.5))
        seen["margin"] = d.reshape(d.shape[0], -1).min(axis=1)

    h = q.register_forward_hook(hook)
    with torch.no_grad():
        qmodel(x)
    h.remove()
    return seen["margin"]


def pick_samples(qmodel, xte, count, min_margin=1e-3):
    """The first `count` held-out images (skipping any whose float-region margin is tiny)."""
    margin = float_region_margin(qmodel, xte)
    if margin is None:
        return xte[:count].clone(), None
    keep = np.nonzero(margin > min_margin)[0][:count]
    return xte[keep].clone(), float(margin[keep].min())


def export(qmodel, x, path, output_name, fold):
    torch.onnx.export(
        qmodel, x, path, opset_version=OPSET, input_names=["x"], output_names=[output_name],
        do_constant_folding=fold,
    )
    onnx.checker.check_model(onnx.load(path))


def generate(name, out_dir, samples, float_epochs, qat_epochs, seed):
    spec = bpumodels.MODELS[name]
    torch.manual_seed(seed)
    xtr, ytr, xte, yte = load_digits(spec.image_size)
    model = train(spec.build(), name, xtr, ytr, float_epochs, qat_epochs, seed)
    qmodel = bpumodels.convert(model)
    acc = accuracy(qmodel, spec, xte, yte)
    x, margin = pick_samples(qmodel, xte, samples)

    tap = OutputTap(qmodel)
    with torch.no_grad():
        y = qmodel(x)
        y_again = qmodel(x)
    if not torch.equal(y, y_again):
        raise RuntimeError(f"{name}: PyTorch output is not deterministic")

    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "input_x.npy"), x.numpy().astype(np.float32))
    out_meta = {"name": spec.output, "file": f"torch_{spec.output}.npy"}
    if y.dtype == torch.int64:
        np.save(os.path.join(d, out_meta["file"]), y.numpy().astype(np.int64))
        out_meta.update(dtype="int64", shape=list(y.shape))
    else:
        np.save(os.path.join(d, out_meta["file"]), y.numpy().astype(np.float32))
        q = tap.value
        ints = q.int_repr().numpy()
        int_file = f"torch_{spec.output}_int.npy"
        np.save(os.path.join(d, int_file), ints)
        out_meta.update(dtype="float32", shape=list(y.shape), int_file=int_file,
                        int_dtype=str(ints.dtype), scale=float(q.q_scale()),
                        zero_point=int(q.q_zero_point()))
    with torch.no_grad():
        export(qmodel, x, os.path.join(d, "model.onnx"), spec.output, fold=False)
        export(qmodel, x, os.path.join(d, "model_folded.onnx"), spec.output, fold=True)
    manifest = {
        "model": name,
        "description": " ".join(spec.description.split()),
        "torch": torch.__version__,
        "engine": bpumodels.ENGINE,
        "opset": OPSET,
        "onnx": "model.onnx",
        "onnx_folded": "model_folded.onnx",
        "inputs": [{"name": "x", "file": "input_x.npy", "dtype": "float32",
                    "shape": list(x.shape)}],
        "outputs": [out_meta],
        "quantized_test_accuracy": acc,
        "test_images": TEST_IMAGES,
        "float_region_min_margin_lsb": margin,
        "training": {"float_epochs": float_epochs, "qat_epochs": qat_epochs, "seed": seed},
        "pytorch_modules": sorted({type(m).__module__ + "." + type(m).__name__
                                   for m in qmodel.modules() if m is not qmodel}),
    }
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f"{name}: accuracy={acc} samples={len(x)} files={size} bytes -> {d}")
    return size


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (e.g. tests/data/models)")
    ap.add_argument("--models", default=",".join(bpumodels.MODELS), help="comma-separated")
    ap.add_argument("--samples", type=int, default=4, help="sample inputs per model (batch)")
    ap.add_argument("--float-epochs", type=int, default=10)
    ap.add_argument("--qat-epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    total = 0
    for name in args.models.split(","):
        if name not in bpumodels.MODELS:
            ap.error(f"unknown model {name!r}; known: {', '.join(bpumodels.MODELS)}")
        total += generate(name, args.out, args.samples, args.float_epochs, args.qat_epochs,
                          args.seed)
    print(f"total {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
