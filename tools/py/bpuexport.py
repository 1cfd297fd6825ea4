#!/usr/bin/python3
"""Exports a converted (quantized) PyTorch module to ONNX the way bpusim reproduces PyTorch bit
for bit: opset 13 and do_constant_folding=False. torch.onnx.export's default folds each
layer's bias into an int32 constant with ONNX's truncating Cast, where PyTorch rounds it, and
the outputs can then differ by 1 LSB (docs/pytorch-recipes.md 5; bpusim warns about such files).

    import sys; sys.path.insert(0, "tools/py")
    import bpuexport
    bpuexport.export(quantized_model, example_input, "mynet.onnx")

or, for a module saved with torch.save:

    /usr/bin/python3 tools/py/bpuexport.py model.pt --shape 1,1,8,8 -o mynet.onnx
"""

import argparse

import torch

OPSET = 13


def export(model, example_inputs, path, input_names=("x",), output_names=None):
    """torch.onnx.export(model, example_inputs, path) with opset 13, no constant folding and
    static shapes; `model` is the module after torch.ao.quantization.convert (eval mode).
    Returns `path`."""
    model.eval()
    if not isinstance(example_inputs, tuple):
        example_inputs = (example_inputs,)
    torch.onnx.export(model, example_inputs, path, opset_version=OPSET,
                      do_constant_folding=False, input_names=list(input_names),
                      output_names=list(output_names) if output_names else None)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="a converted module saved with torch.save")
    ap.add_argument("--shape", required=True, help="input shape, e.g. 1,1,8,8")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    model = torch.load(args.model)
    shape = tuple(int(d) for d in args.shape.split(","))
    print(export(model, torch.zeros(shape), args.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
