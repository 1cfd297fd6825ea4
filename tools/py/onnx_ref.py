#!/usr/bin/python3
"""Runs a torch.onnx-exported (opset 13, QDQ) model the way PyTorch computed it.

This is the executable form of the 'from ONNX back to PyTorch's numbers' rules of
docs/pytorch-recipes.md: it recognises each DequantizeLinear -> op -> QuantizeLinear group,
takes the integers, scales and zero points from the graph and applies the integer recipes of
tools/py/bpurecipes.py, not the literal float semantics of the ONNX ops. On the committed
test models (tests/data/models, model.onnx) its outputs equal PyTorch's bit for bit; it is a
reference for the C++ compiler and golden, not part of the product.

    /usr/bin/python3 tools/py/onnx_ref.py MODEL.onnx --input x=input_x.npy [--output-dir D]

Supported: what torch 1.13 eager-mode QAT models export to (Conv, Gemm, Add, Relu, Clip,
MaxPool, AveragePool (+Pad), GlobalAveragePool, Concat, Flatten, Reshape, ArgMax, the table
activations Sigmoid, Tanh, HardSigmoid, HardSigmoid+Mul (hardswish), LeakyRelu, Mul and
broadcasting Add, Resize (nearest, bilinear), ceil-mode AveragePool,
ConvInteger/MatMulInteger + Add (int32 outputs), float regions of Conv/Gemm/Sigmoid/Mul/Add/
Relu between DequantizeLinear and QuantizeLinear); anything else raises NotImplementedError.

Signed int8 (qint8) activations (docs/pytorch-recipes.md 2.23, section 4): torch 1.13 labels
every qint8 op output uint8 with zero point 0; such outputs of int8 inputs are read back as
int8 (pytorch_output_type) and computed with the qint8 recipes (XNNPACK conv, linear, add, mul;
ATen's pools, clamps and cat). The qint8 recipes not characterised (tables, leaky_relu,
bilinear upsampling, broadcasting add/mul) raise NotImplementedError; an op mixing int8 and
uint8 activations, or turning int8 activations into uint8, raises ValueError (PyTorch keeps
its inputs' type).
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpurecipes as R  # noqa: E402

F32 = np.float32
_ONNX_INT_TYPES = {2: np.uint8, 3: np.int8, 6: np.int32, 7: np.int64, 1: np.float32,
                   11: np.float64}
_QDTYPES = {np.uint8: "quint8", np.int8: "qint8", np.int32: "qint32"}


class Q:
    """A quantized tensor: integers, float32 scale(s), zero point(s), PyTorch memory format,
    PyTorch dtype ("quint8", "qint8"; "qint32" for int32 accumulators)."""

    def __init__(self, ints, scale, zp, layout=None, axis=None, dtype="quint8"):
        self.ints = np.asarray(ints, dtype=np.int64)
        self.scale = np.asarray(scale, dtype=np.float32)
        self.zp = np.asarray(zp, dtype=np.int64)
        self.layout = layout  # "nhwc" (channels-last in PyTorch), "nchw", or None
        self.axis = axis
        self.dtype = dtype

    def per_tensor(self):
        if self.scale.size != 1 or self.zp.size != 1:
            raise NotImplementedError("per-channel activation quantization")
        return F32(self.scale.reshape(-1)[0]), int(self.zp.reshape(-1)[0])


class DQ:
    """The output of DequantizeLinear, kept symbolic so quantized ops see the integers."""

    def __init__(self, q):
        self.q = q


class Pending:
    """A quantized-domain op whose float output will be requantized by a QuantizeLinear
    (or a Relu then a QuantizeLinear); evaluated with the PyTorch recipe once the output
    scale and zero point are known."""

    def __init__(self, kind, node, args, relu=False):
        self.kind = kind
        self.node = node
        self.args = args
        self.relu = relu


def channels_last_contiguous(q):
    """PyTorch's is_contiguous(ChannelsLast) for a 4-D tensor: stored NHWC, or an NCHW shape
    whose two layouts coincide (C == 1, or H == W == 1)."""
    if q.ints.ndim != 4:
        return False
    _, c, h, w = q.ints.shape
    return q.layout == "nhwc" or c == 1 or (h == 1 and w == 1)


def qint8_hardtanh(x, scale, zp, min_val, max_val):
    """bpurecipes.hardtanh on qint8 (2.23): qclamp_kernel's bounds are quantize_val with the
    qint8 range, so a negative bound stays negative (the quint8 recipe would clamp it to 0)."""
    lo, hi = (int(R.quantize(F32(v), scale, zp, "qint8")) for v in (min_val, max_val))
    return np.minimum(np.maximum(np.asarray(x, dtype=np.int64), lo), hi)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class Interpreter:
    def __init__(self, model, num_threads=1):
        self.graph = model.graph
        self.num_threads = num_threads  # torch.get_num_threads() (ATen kernels' chunking)
        self.values = {}
        self.float_layouts = {}  # float value -> PyTorch memory format (track_float_layout)
        self.producer = {}
        for n in self.graph.node:
            for o in n.output:
                self.producer[o] = n
        for t in self.graph.initializer:
            self.values[t.name] = numpy_helper.to_array(t)

    # -- constants -------------------------------------------------------------------------
    def const(self, name):
        v = self.values.get(name)
        if not isinstance(v, np.ndarray):
            raise NotImplementedError(f"{name} is not a constant")
        return v

    def fold_constants(self):
        """Evaluates every node whose inputs are all constants, with ONNX semantics except
        for the exporter's bias quantization Cast(Div(bias, Mul(s_w, s_x)), INT32), which is
        evaluated as PyTorch rounds it (recipe: quantize_bias)."""
        self._initializers = set(self.values)
        const = set(self.values)
        for n in self.graph.node:
            if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
                continue
            if all(i == "" or i in const for i in n.input):
                out = self.eval_const(n)
                if out is None:
                    continue
                self.values[n.output[0]] = out
                const.add(n.output[0])
        self._const = const

    def eval_const(self, n):
        a = attrs(n)
        x = [self.values[i] if i else None for i in n.input]
        op = n.op_type
        if op == "Constant":
            return numpy_helper.to_array(a["value"])
        if op == "Cast":
            to = _ONNX_INT_TYPES[a["to"]]
            src = self.producer.get(n.input[0])
            is_div = src is not None and src.op_type == "Div"
            if to == np.int32 and is_div and x[0].dtype.kind == "f":
                bias, scale = (self.values[i] for i in src.input)
                return self.pytorch_bias(bias, scale)
            if to in (np.int32, np.int64, np.int8, np.uint8) and x[0].dtype.kind == "f":
                return np.trunc(x[0]).astype(to)  # ONNX Cast float->int truncates
            return x[0].astype(to)
        if op == "Shape":
            return np.array(x[0].shape, dtype=np.int64)
        if op == "ConstantOfShape":
            v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            return np.full(tuple(x[0]), v.reshape(-1)[0], dtype=v.dtype)
        if op == "Mul":
            return (x[0] * x[1]).astype(np.result_type(x[0], x[1]))
        if op == "Div":
            return (x[0] / x[1]).astype(np.result_type(x[0], x[1]))
        if op == "Unsqueeze":
            out = x[0]
            for ax in sorted(int(v) for v in x[1]):
                out = np.expand_dims(out, ax)
            return out
        if op == "Transpose":
            return np.transpose(x[0], a.get("perm"))
        if op == "Reshape":
            return x[0].reshape(tuple(int(v) for v in x[1]))
        if op == "Concat":
            return np.concatenate(x, axis=a["axis"])
        if op == "Floor":
            return np.floor(x[0])
        if op == "Slice":
            starts, ends = x[1], x[2]
            axes = x[3] if len(x) > 3 and x[3] is not None else range(len(starts))
            steps = x[4] if len(x) > 4 and x[4] is not None else [1] * len(starts)
            sl = [slice(None)] * x[0].ndim
            for ax, b, e, st in zip(axes, starts, ends, steps):
                sl[int(ax)] = slice(int(b), int(e), int(st))
            return x[0][tuple(sl)]
        return None  # leave for run time (e.g. float-region Conv with constant inputs)

    @staticmethod
    def pytorch_bias(bias, scale):
        """bias_q = nearbyintf(bias * (1.0f / s)) with s = float32(s_w * s_x), as
        at::native::quantize_val; per channel when s has one value per output channel."""
        scale = np.asarray(scale, dtype=np.float32)
        inv = F32(1.0) / scale
        r = np.rint(np.asarray(bias, dtype=np.float32) * inv).astype(np.float64)
        return np.clip(r, R.INT32_MIN, R.INT32_MAX).astype(np.int32)

    # -- run ---------------------------------------------------------------------------------
    def run(self, feeds):
        self.fold_constants()
        for name, arr in feeds.items():
            self.values[name] = np.asarray(arr, dtype=np.float32)
        for n in self.graph.node:
            if all(o in self._const for o in n.output):
                continue
            outs = self.step(n)
            for o, v in zip(n.output, outs if isinstance(outs, tuple) else (outs,)):
                self.values[o] = v
            self.track_float_layout(n)
        return {o.name: self.materialize(self.values[o.name]) for o in self.graph.output}

    def float_layout(self, name):
        """PyTorch's memory format of a float value: a dequantized tensor's, else what
        track_float_layout recorded, else contiguous (model inputs, constants)."""
        v = self.values.get(name)
        if isinstance(v, DQ):
            return v.q.layout
        return self.float_layouts.get(name, "nchw")

    def track_float_layout(self, n):
        """A float op's 4-D result keeps its first 4-D input's format (dequantize, elementwise
        ops and convolutions keep channels-last), so a QuantStub after a float region does."""
        first = self.values.get(n.input[0]) if n.input and n.input[0] else None
        first_q = first.q if isinstance(first, DQ) else None
        rank = first_q.ints.ndim if first_q is not None else getattr(first, "ndim", 0)
        if rank != 4:
            return
        for o in n.output:
            v = self.values.get(o)
            if isinstance(v, np.ndarray) and v.dtype == np.float32 and v.ndim == 4:
                self.float_layouts[o] = self.float_layout(n.input[0])

    def get(self, name):
        return self.values[name] if name else None

    def step(self, n):
        op = n.op_type
        a = attrs(n)
        x = [self.get(i) for i in n.input]
        if op == "QuantizeLinear":
            return self.quantize(n, x[0], x[1], x[2], a.get("axis"))
        if op == "DequantizeLinear":
            return self.dequantize(x[0], x[1], x[2], a.get("axis"))
        if op == "Cast":
            if isinstance(x[0], Q):  # the exporter's no-op Cast after QuantizeLinear (also
                return x[0]  # its to=UINT8 after a qint8 output: the int8 tensor passes as is)
            if isinstance(x[0], np.ndarray):
                return x[0].astype(_ONNX_INT_TYPES[a["to"]])
        if op == "Shape" and isinstance(x[0], (DQ, Q, Pending)):
            q = x[0].q if isinstance(x[0], DQ) else x[0]
            if isinstance(q, Q):
                return np.array(q.ints.shape, dtype=np.int64)
        if op in ("Slice", "Concat") and all(isinstance(v, np.ndarray) or v is None for v in x) \
                and all(v is None or v.dtype.kind == "i" for v in x):
            return self.eval_const(n)  # sizes of a Resize: Concat(Slice(Shape(x)), sizes)
        if self.is_quantized_op(op, x):
            return self.quantized_op(n, x, a)
        if op in ("ConvInteger", "MatMulInteger"):
            return self.integer_op(n, x, a)
        return self.float_op(n, x, a)

    _SAME_QPARAM_OPS = ("Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "Pad",
                        "Flatten", "Reshape", "Concat", "ArgMax", "Resize")
    _UNARY_OPS = ("Sigmoid", "Tanh", "HardSigmoid", "LeakyRelu")

    @staticmethod
    def is_quantized_op(op, x):
        """DQ -> op -> Q groups: conv/linear need dequantized weights, add two dequantized
        operands; the other ops a dequantized (or pending) first input."""
        sym = [isinstance(v, (DQ, Pending)) for v in x]
        if op in ("Conv", "Gemm"):
            return len(x) > 1 and isinstance(x[1], DQ)
        if op in ("Add", "Mul"):
            return all(sym)
        if op in Interpreter._UNARY_OPS:
            return isinstance(x[0], DQ)
        return op in Interpreter._SAME_QPARAM_OPS and bool(sym) and sym[0]

    def quantize(self, n, v, scale, zp, axis):
        s = F32(np.asarray(scale).reshape(-1)[0])
        z = int(np.asarray(zp).reshape(-1)[0])
        dtype = "quint8" if np.asarray(zp).dtype == np.uint8 else "qint8"
        if isinstance(v, Pending):
            dtype = self.pytorch_output_type(v, s, z, dtype)
            self.require_int8_recipe(v, s, z, dtype)
            return self.evaluate(v, s, z, dtype)
        if isinstance(v, DQ):
            # DeQuantStub -> QuantStub (e.g. from int8 to uint8 activations): quantize the
            # dequantized floats; quantize_per_tensor keeps the memory format (probed: a
            # channels-last tensor stays channels-last through dequantize and quantize)
            return Q(R.quantize(self.materialize(v), s, z, dtype), s, z, v.q.layout, dtype=dtype)
        if isinstance(v, np.ndarray) and v.dtype == np.float32:
            # QuantStub / torch.quantize_per_tensor of a float: x * (1/s), not x / s
            return Q(R.quantize(v, s, z, dtype), s, z, layout=self.float_layout(n.input[0]),
                     dtype=dtype)
        raise NotImplementedError(f"{n.name}: QuantizeLinear of {type(v).__name__}")

    _KEEPS_QPARAMS = ("relu", "clip", "maxpool", "reshape", "resize", "avgpool", "gap")

    @staticmethod
    def activations(p):
        """The quantized activations of a pending op: a conv's, linear's or hardswish's input
        (the other arguments are weights or nodes), every quantized operand of the others."""
        if p.kind in ("conv", "linear", "hardswish"):
            return [p.args[0]]
        return [v for v in p.args if isinstance(v, Q)]

    def pytorch_output_type(self, p, s, z, labelled):
        """The dtype PyTorch gave a quantized op's output. It keeps its inputs' type, but
        torch 1.13's exporter writes zero point Cast(0, to=UINT8) for every qint8 op output
        (docs/pytorch-recipes.md 4): a uint8 label with zero point 0 on an op of int8
        activations is int8 — except, for the ops that keep their input's quantization, when
        the scale differs from the input's or the input's zero point is not 0: that Q is a
        float region's QuantStub, whose label is true (as golden/model.cc and the compiler)."""
        xs = self.activations(p)
        if labelled != "quint8" or z != 0 or not any(q.dtype == "qint8" for q in xs):
            return labelled
        if p.kind in self._KEEPS_QPARAMS:
            sx, zx = xs[0].per_tensor()
            if sx != s or zx != 0:
                return labelled
        return "qint8"

    _INT8_KINDS = ("conv", "linear", "concat", "maxpool", "relu", "clip", "reshape", "avgpool",
                   "gap")

    def require_int8_recipe(self, p, s, z, dtype):
        """Refuses what PyTorch cannot have computed (an op of mixed int8/uint8 activations,
        a type change other than a float region's clamp) and the qint8 ops whose recipes are
        not characterised (2.23), rather than computing them another way."""
        n = p.node
        xs = self.activations(p)
        int8 = [q.dtype == "qint8" for q in xs]
        if not any(int8):
            float_clamp = p.kind == "clip" and xs[0].per_tensor() != (s, z)
            if dtype == "qint8" and not float_clamp:
                raise ValueError(f"{n.name}: uint8 activations with an int8 output (PyTorch "
                                 "keeps the input's type)")
            return
        if not all(int8):
            raise ValueError(f"{n.name}: mixes int8 and uint8 activations (PyTorch's quantized "
                             "ops take one type)")
        # before the output type: a qint8 tanh's fixed nonzero zero point is no mislabel
        same_shapes = p.kind in ("add", "mul") and xs[0].ints.shape == xs[1].ints.shape
        nearest = p.kind == "resize" and attrs(n).get("mode", b"nearest") == b"nearest"
        if not (p.kind in self._INT8_KINDS or same_shapes or nearest):
            raise NotImplementedError(
                f"{n.name}: int8 (qint8) activations: PyTorch 1.13's qint8 {p.kind} is not "
                "characterised (docs/pytorch-recipes.md 2.23: tables, leaky_relu, bilinear "
                "upsampling and broadcasting add/mul are not)")
        if dtype != "qint8":
            raise ValueError(f"{n.name}: int8 activations with a uint8 output: PyTorch keeps "
                             "the input's type, and torch 1.13's exporter labels qint8 outputs "
                             "uint8, which is undone for zero point 0 (symmetric int8) only")

    def dequantize(self, v, scale, zp, axis):
        if isinstance(v, Q):
            return DQ(v)
        if isinstance(v, np.ndarray):  # a constant (weights, bias) or an int32 accumulator
            scale = np.asarray(scale, dtype=np.float32)
            zp = np.asarray(zp, dtype=np.int64)
            ax = None if scale.size == 1 else (1 if axis is None else axis)
            return DQ(Q(v, scale, zp, axis=ax, dtype=_QDTYPES.get(v.dtype.type, "quint8")))
        raise NotImplementedError("DequantizeLinear input")

    def materialize(self, v):
        """Float value of a symbolic tensor (graph outputs, float regions)."""
        if isinstance(v, DQ):
            q = v.q
            if q.scale.size == 1:
                return R.dequantize(q.ints, q.scale.reshape(-1)[0], int(q.zp.reshape(-1)[0]))
            shape = [1] * q.ints.ndim
            shape[q.axis] = -1
            return R.f32(q.ints - q.zp.reshape(shape)) * q.scale.reshape(shape)
        if isinstance(v, Pending):
            raise NotImplementedError(f"{v.node.name}: quantized op output used as a float")
        if isinstance(v, Q):
            raise NotImplementedError("raw quantized tensor used as a float")
        return v

    # -- quantized domain --------------------------------------------------------------------
    def quantized_op(self, n, x, a):
        op = n.op_type
        if op == "Relu":
            if isinstance(x[0], Pending) and x[0].kind in ("conv", "linear", "add"):
                return Pending(x[0].kind, x[0].node, x[0].args, relu=True)
            return Pending("relu", n, [x[0].q])
        if op in self._UNARY_OPS:
            return Pending("unary", n, [x[0].q])
        if op == "Mul":
            return self.quantized_mul(n, x)
        if isinstance(x[0], Pending) and not (op == "AveragePool" and x[0].kind == "pad"):
            raise NotImplementedError(f"{n.name}: {op} after an unrequantized {x[0].kind}")
        if op == "Conv":
            return Pending("conv", n, [x[0].q, x[1].q, x[2].q if len(x) > 2 and x[2] else None])
        if op == "Gemm":
            if a.get("transB", 0) != 1 or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
                raise NotImplementedError(f"{n.name}: Gemm attributes {a}")
            return Pending("linear", n, [x[0].q, x[1].q, x[2].q if len(x) > 2 and x[2] else None])
        if op == "Add":
            return Pending("add", n, [x[0].q, x[1].q])
        if op == "Concat":
            return Pending("concat", n, [v.q for v in x])
        if op == "MaxPool":
            return Pending("maxpool", n, [x[0].q])
        if op == "Pad":
            return Pending("pad", n, [x[0].q, x[1]])
        if op == "AveragePool":
            if isinstance(x[0], Pending):  # Pad -> AveragePool (count_include_pad=True export)
                return Pending("avgpool", n, [x[0].args[0], x[0].args[1]])
            return Pending("avgpool", n, [x[0].q, None])
        if op == "GlobalAveragePool":
            return Pending("gap", n, [x[0].q])
        if op in ("Flatten", "Reshape"):
            return Pending("reshape", n, [x[0].q] + x[1:])
        if op == "Clip":
            return Pending("clip", n, [x[0].q, x[1], x[2]])
        if op == "Resize":
            return Pending("resize", n, [x[0].q] + x[1:])
        if op == "ArgMax":
            if a.get("select_last_index", 0) != 0:
                raise NotImplementedError("ArgMax select_last_index=1")
            out = R.argmax(x[0].q.ints, a.get("axis", 0))
            return out if not a.get("keepdims", 1) else np.expand_dims(out, a.get("axis", 0))
        raise NotImplementedError(f"{n.name}: quantized {op}")

    def evaluate(self, p, s, z, dtype="quint8"):
        """The PyTorch recipe of a Pending op, requantized to (s, z) of type dtype (qint8
        only for int8 activations, which require_int8_recipe has checked)."""
        n, a = p.node, attrs(p.node)
        lo = z if p.relu else 0
        int8 = dtype == "qint8"
        if p.kind in ("conv", "linear"):
            xq, wq, bq = p.args
            sx, zx = xq.per_tensor()
            sw = wq.scale.reshape(-1)
            zw = wq.zp.reshape(-1)
            k = wq.ints.shape[0]
            bias = np.zeros(k, np.int64) if bq is None else bq.ints
            if bq is not None:  # the exporter's bias scale must be s_w * s_x (float32)
                want = R.f32(sw) * sx
                if not np.array_equal(np.broadcast_to(bq.scale.reshape(-1), want.shape), want):
                    raise NotImplementedError(f"{n.name}: bias scale is not s_w*s_x")
            if int8:
                self.check_xnnpack_weights(n, p.kind, sw, zw)
            if p.kind == "conv":
                pads = a.get("pads", [0, 0, 0, 0])
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    raise NotImplementedError(f"{n.name}: asymmetric pads")
                strides = tuple(a.get("strides", [1, 1]))
                gemm = wq.ints.shape[2:] == (1, 1) and strides == (1, 1) and not any(pads)
                if not int8 and not gemm:
                    bias = R.qnnpack_conv_bias(bias)
                acc = R.conv2d_acc(xq.ints, zx, wq.ints, np.broadcast_to(zw, (k,)), bias,
                                   strides, (pads[0], pads[1]),
                                   tuple(a.get("dilations", [1, 1])), a.get("group", 1))
                out = self.requantize_acc(acc, sx, sw, s, z, p.relu, dtype)
                return Q(out, s, z, layout="nhwc", dtype=dtype)
            acc = R.linear_acc(xq.ints, zx, wq.ints, np.broadcast_to(zw, (k,)), bias)
            out = self.requantize_acc(acc, sx, sw, s, z, p.relu, dtype)
            return Q(out, s, z, layout=None, dtype=dtype)
        if p.kind == "add":
            qa, qb = p.args
            (sa, za), (sb, zb) = qa.per_tensor(), qb.per_tensor()
            if qa.ints.shape != qb.ints.shape:
                # ATen qadd_kernel (2.19): vector/scalar split by TensorIterator's loops;
                # the output takes the full-size operand's memory format
                out = R.add_broadcast(qa.ints, za, qa.layout == "nhwc", qb.ints, zb,
                                      qb.layout == "nhwc", sa, sb, s, z, p.relu,
                                      self.num_threads)
                full = qa if qa.ints.shape == out.shape else qb
                return Q(out, s, z, full.layout)
            if int8:  # XNNPACK qs8 vadd (2.23): half-up rounding, not QNNPACK's 2.5
                out = R.qint8_add(qa.ints, za, qb.ints, zb, sa, sb, s, z, p.relu)
                return Q(out, s, z, qa.layout, dtype=dtype)
            return Q(R.add(qa.ints, za, qb.ints, zb, sa, sb, s, z, lo, 255), s, z, qa.layout)
        if p.kind == "mul":
            qa, qb = p.args
            (sa, za), (sb, zb) = qa.per_tensor(), qb.per_tensor()
            mul = R.qint8_mul if int8 else R.mul  # XNNPACK's (sa*sb)/sy for qint8 (2.23)
            out = mul(qa.ints, za, qb.ints, zb, sa, sb, s, z)
            # output allocated in the FIRST operand's suggested format (NCHW for a gate)
            layout = qa.layout if qa.ints.shape == out.shape else "nchw"
            return Q(out, s, z, layout, dtype=dtype)
        if p.kind == "concat":
            axis = a["axis"]
            scales, zps = zip(*(q.per_tensor() for q in p.args))
            ints = [q.ints for q in p.args]
            if axis == 1 and all(channels_last_contiguous(q) for q in p.args):
                cat = R.qint8_cat_channels_last if int8 else R.cat_channels_last
                return Q(cat(ints, scales, zps, s, z), s, z, layout="nhwc", dtype=dtype)
            # the generic path (dequantize, at::cat, quantize) allocates with
            # suggest_memory_format(): channels-last when every input is (not [N, 1, 1, 1])
            cl = all(q.layout == "nhwc" and q.ints.ndim == 4 and q.ints.shape[1:] != (1, 1, 1)
                     for q in p.args)
            cat = R.qint8_cat_contiguous if int8 else R.cat_contiguous
            return Q(cat(ints, scales, zps, s, z, axis), s, z, layout="nhwc" if cl else "nchw",
                     dtype=dtype)
        if p.kind in ("unary", "hardswish"):
            return self.evaluate_unary(p, s, z)
        # the remaining ops keep their input's quantization parameters in PyTorch
        xq = p.args[0]
        sx, zx = xq.per_tensor()
        if p.kind == "clip" and (sx, zx) != (s, z):
            # DeQuantStub -> float clamp -> QuantStub: dequantize, clamp, quantize (a table)
            lo_f, hi_f = (F32(np.asarray(v).reshape(-1)[0]) for v in p.args[1:3])

            def clamp(v):
                return np.minimum(np.maximum(v, lo_f), hi_f)

            if xq.dtype == "quint8" and dtype == "quint8":
                lut = R.lut_from_float(sx, zx, clamp, s, z)
                return Q(R.apply_lut(xq.ints, lut), s, z, "nchw")
            # qint8 on either side: element by element (the table takes quint8 bytes); the
            # float clamp and the QuantStub keep the memory format
            out = R.quantize(clamp(R.dequantize(xq.ints, sx, zx)), s, z, dtype)
            return Q(out, s, z, xq.layout, dtype=dtype)
        if (sx, zx) != (s, z):
            raise NotImplementedError(f"{n.name}: {p.kind} changes quantization parameters")
        if p.kind == "relu":
            return Q(R.relu(xq.ints, zx), s, z, xq.layout, dtype=dtype)
        if p.kind == "clip":
            lo_f, hi_f = (F32(np.asarray(v).reshape(-1)[0]) for v in p.args[1:3])
            if int8:  # qint8 bounds; no channels-last defect for qint8 (2.23)
                out = qint8_hardtanh(xq.ints, sx, zx, lo_f, hi_f)
                return Q(out, s, z, xq.layout, dtype=dtype)
            if xq.layout == "nhwc":
                raise NotImplementedError(f"{n.name}: PyTorch 1.13 permutes channels-last clamps")
            return Q(R.hardtanh(xq.ints, sx, zx, lo_f, hi_f), s, z, xq.layout)
        if p.kind == "maxpool":
            k = tuple(a["kernel_shape"])
            pads = a.get("pads", [0, 0, 0, 0])
            out = R.max_pool2d(xq.ints, k, tuple(a.get("strides", k)), (pads[0], pads[1]),
                               tuple(a.get("dilations", [1, 1])), bool(a.get("ceil_mode", 0)))
            return Q(out, s, z, xq.layout, dtype=dtype)
        if p.kind in ("avgpool", "gap"):
            return Q(self.avg_pool(p, a, xq, dtype), s, z, xq.layout, dtype=dtype)
        if p.kind == "resize":
            return Q(self.resize(p.node, a, xq, p.args[1:]), s, z, xq.layout, dtype=dtype)
        if p.kind == "reshape":
            if p.node.op_type == "Flatten":
                ax = a.get("axis", 1)
                shape = (int(np.prod(xq.ints.shape[:ax])), -1)
            else:
                shape = tuple(int(v) for v in p.args[1])
            return Q(xq.ints.reshape(shape), s, z, None, dtype=dtype)
        raise NotImplementedError(f"{n.name}: {p.kind}")

    @staticmethod
    def check_xnnpack_weights(n, kind, sw, zw):
        """PyTorch sends qint8 conv/linear to XNNPACK, which refuses a nonzero weight zero
        point, and per-channel weights for linear (2.23): such a file is not PyTorch's."""
        if np.any(zw != 0):
            raise ValueError(f"{n.name}: qint8 {kind} with weight zero points {zw} (XNNPACK "
                             "expects 0)")
        if kind == "linear" and sw.size > 1:
            raise ValueError(f"{n.name}: qint8 linear with per-channel weights (PyTorch 1.13: "
                             "unsupported config for XNNPACK)")

    @staticmethod
    def requantize_acc(acc, sx, sw, s, z, relu, dtype):
        """conv/linear epilogue: QNNPACK's (sw*sx) * (1/sy) scale for quint8 (2.3), XNNPACK's
        (sx*sw) / sy and the int8 range for qint8 (2.23); relu clamps at the zero point."""
        if dtype == "qint8":
            return R.qint8_conv_requantize(acc, sx, sw, s, z, relu)
        scale = np.broadcast_to(R.requant_scale(sx, sw, s), (acc.shape[1],))
        return R.requantize_fp32(acc, scale, z, z if relu else 0, 255)

    @staticmethod
    def avg_pool(p, a, xq, dtype):
        """AveragePool (after an optional zero Pad, whose pads add to the pool's) and
        GlobalAveragePool. quint8: QNNPACK (2.8), or ATen's kernel for ceil_mode (2.22).
        qint8: always ATen's native kernels (2.23), avg_pool2d's or, for the global pool,
        adaptive_avg_pool2d's formulas; both depend on the input's memory format."""
        sx, zx = xq.per_tensor()
        cl = channels_last_contiguous(xq)
        if p.kind == "gap":
            if dtype == "qint8":
                return R.qint8_adaptive_avg_pool2d(xq.ints, zx, (1, 1), cl)
            k = tuple(xq.ints.shape[2:])
            return R.avg_pool2d(xq.ints, zx, k, k, (0, 0), sx)
        ceil = bool(a.get("ceil_mode", 0))
        k = tuple(a["kernel_shape"])
        stride = tuple(a.get("strides", k))
        pp = a.get("pads", [0, 0, 0, 0])
        pad_node = p.args[1]
        if pad_node is not None:  # ONNX Pad [n0,c0,h0,w0,n1,c1,h1,w1], value 0.0
            pv = [int(v) for v in pad_node]
            pp = [pp[0] + pv[2], pp[1] + pv[3], pp[2] + pv[6], pp[3] + pv[7]]
        if pp[0] != pp[2] or pp[1] != pp[3]:
            raise NotImplementedError(f"{p.node.name}: asymmetric pads")
        pads = (pp[0], pp[1])
        # the exporter's Pad means count_include_pad=True, pads on the AveragePool itself
        # count_include_pad=False (ONNX default 0); QNNPACK ignores it, ATen honours it
        cip = pad_node is not None or bool(a.get("count_include_pad", 0))
        if dtype == "qint8":
            # An AveragePool without Pad may also be adaptive_avg_pool2d(k) (section 4);
            # ATen's avg_pool2d is taken for it, as golden/model.cc does. NHWC: the same
            # formula. NCHW with zero point 0: the multiplier f32(1/(kh*kw)) against
            # adaptive's (1.0f/kh)/kw changes some results for e.g. 7x10 or 14x14 windows
            # (probed), none for windows with both sides below 10
            return R.qint8_avg_pool2d(xq.ints, zx, k, stride, pads, ceil, cip, None, cl)
        if ceil:  # ATen q_avg_pool2d (2.22)
            return R.avg_pool2d_native(xq.ints, zx, k, stride, pads, True, cip, None, cl)
        # QNNPACK: divisor kh*kw whatever count_include_pad says
        return R.avg_pool2d(xq.ints, zx, k, stride, pads, sx)

    @staticmethod
    def pytorch_scale_factor(s32):
        """The double scale factor F.interpolate saw, from the exporter's float32 copy: the
        shortest decimal that rounds to it (exact for factors written with up to 6
        significant digits; dyadic factors such as 2, 1.5 are exact anyway)."""
        return float(np.format_float_positional(F32(s32), unique=True))

    def resize(self, node, a, xq, extra):
        """Resize from the exporter's upsample (2.21): nearest = asymmetric/floor, linear =
        half_pixel or align_corners; scales (a scale factor) or sizes (a size)."""
        roi, scales, sizes = (list(extra) + [None, None, None])[:3]
        mode = a.get("mode", b"nearest").decode()
        ctm = a.get("coordinate_transformation_mode", b"half_pixel").decode()
        n_, c_, h, w = xq.ints.shape
        if c_ > 1 and h == w == 1:
            raise NotImplementedError(f"{node.name}: PyTorch 1.13 returns permuted bytes when it "
                                      "upsamples an (N, C, 1, 1) tensor")
        if sizes is not None and np.size(sizes):
            oh, ow = (int(v) for v in np.asarray(sizes).reshape(-1)[2:4])
            factors = (None, None)
        else:
            sc = np.asarray(scales, dtype=np.float32).reshape(-1)
            if sc[0] != 1 or sc[1] != 1:
                raise NotImplementedError(f"{node.name}: Resize of N or C")
            factors = tuple(self.pytorch_scale_factor(v) for v in sc[2:4])
            oh, ow = (R.upsample_output_size(d, f) for d, f in zip((h, w), factors))
        if mode == "nearest":
            if ctm != "asymmetric" or a.get("nearest_mode", b"round_prefer_floor") != b"floor":
                raise NotImplementedError(f"{node.name}: Resize nearest {a}")
            return R.upsample_nearest2d(xq.ints, (oh, ow), factors)
        if mode == "linear" and ctm in ("half_pixel", "pytorch_half_pixel", "align_corners"):
            ac = ctm == "align_corners"
            return R.upsample_bilinear2d(xq.ints, xq.per_tensor()[1], (oh, ow), ac,
                                         (None, None) if ac else factors,
                                         channels_last_contiguous(xq))
        raise NotImplementedError(f"{node.name}: Resize {a}")

    def quantized_mul(self, n, x):
        """Mul(DQ(x), HardSigmoid(DQ(x))) is the exporter's hardswish (opset 13 has no
        HardSwish)."""
        for a, b in ((x[0], x[1]), (x[1], x[0])):
            if (isinstance(a, DQ) and isinstance(b, Pending) and b.kind == "unary"
                    and b.node.op_type == "HardSigmoid" and b.args[0] is a.q):
                return Pending("hardswish", n, [a.q, b.node])
        if isinstance(x[0], DQ) and isinstance(x[1], DQ):
            return Pending("mul", n, [x[0].q, x[1].q])
        raise NotImplementedError(f"{n.name}: quantized Mul of {[type(v).__name__ for v in x]}")

    def evaluate_unary(self, p, s, z):
        """Table activations (docs/pytorch-recipes.md 2.14-2.17)."""
        xq = p.args[0]
        sx, zx = xq.per_tensor()
        op = p.node.op_type if p.kind == "unary" else "HardSwish"
        if op in ("HardSigmoid", "HardSwish"):
            hs = p.node if op == "HardSigmoid" else p.args[1]
            a = attrs(hs)
            if F32(a.get("alpha", 0.2)) != F32(1 / 6) or F32(a.get("beta", 0.5)) != F32(0.5):
                raise NotImplementedError(f"{hs.name}: HardSigmoid {a} is not PyTorch's")
        fixed = {"Sigmoid": R.SIGMOID_QPARAMS, "Tanh": R.TANH_QPARAMS,
                 "HardSigmoid": R.HARDSIGMOID_QPARAMS}
        if op in fixed and (F32(s), z) != (F32(fixed[op][0]), fixed[op][1]):
            raise NotImplementedError(f"{p.node.name}: quantized {op} with qparams ({s}, {z}); "
                                      f"PyTorch's QNNPACK {op} outputs {fixed[op]}")
        if op == "Sigmoid":
            out = R.apply_lut(xq.ints, R.lut_sigmoid(sx, zx))
        elif op == "Tanh":
            out = R.apply_lut(xq.ints, R.lut_tanh(sx, zx))
        elif op == "HardSigmoid":
            out = R.apply_lut(xq.ints, R.lut_hardsigmoid(sx, zx))
        elif op == "HardSwish":
            out = R.apply_lut(xq.ints, R.lut_hardswish(sx, zx, s, z))
        else:  # LeakyRelu: ATen kernel, vector body and scalar tail by position in memory
            slope = F32(attrs(p.node).get("alpha", 0.01))
            vt = R.lut_leaky_relu(sx, zx, slope, s, z, "vector")
            st = R.lut_leaky_relu(sx, zx, slope, s, z, "scalar")
            out = R.aten_unary(xq.ints, vt, st, xq.layout == "nhwc", self.num_threads)
        return Q(out, s, z, xq.layout)

    # -- int32 outputs (out_qconfig layers) -----------------------------------------------------
    def integer_op(self, n, x, a):
        xq = x[0]
        if not isinstance(xq, Q):
            raise NotImplementedError(f"{n.name}: {n.op_type} input is not a quantized tensor")
        zx = int(np.asarray(x[2]).reshape(-1)[0]) if len(x) > 2 and x[2] is not None else 0
        zw = int(np.asarray(x[3]).reshape(-1)[0]) if len(x) > 3 and x[3] is not None else 0
        w = np.asarray(x[1], dtype=np.int64)
        if n.op_type == "ConvInteger":
            pads = a.get("pads", [0, 0, 0, 0])
            return R.conv2d_acc(xq.ints, zx, w, zw, np.zeros(w.shape[0], np.int64),
                                tuple(a.get("strides", [1, 1])), (pads[0], pads[1]),
                                tuple(a.get("dilations", [1, 1])), a.get("group", 1))
        return R.linear_acc(xq.ints, zx, w.T, zw, np.zeros(w.shape[1], np.int64))

    # -- float region ------------------------------------------------------------------------
    def float_op(self, n, x, a):
        """Host float ops. PyTorch's own float kernels may round differently in the last
        bit (summation order, libm); the test data keep every value that is quantized after
        a float region at least 1e-3 LSB away from a rounding tie."""
        op = n.op_type
        v = [self.materialize(t) if t is not None else None for t in x]
        if op == "Add" and all(np.asarray(t).dtype.kind == "i" for t in v):
            return R.wrap_i32(np.asarray(v[0], np.int64) + np.asarray(v[1], np.int64))
        if op == "Conv":
            import torch
            import torch.nn.functional as F

            pads = a.get("pads", [0, 0, 0, 0])
            out = F.conv2d(torch.from_numpy(v[0].astype(np.float64)),
                           torch.from_numpy(v[1].astype(np.float64)),
                           None if v[2] is None else torch.from_numpy(v[2].astype(np.float64)),
                           a.get("strides", [1, 1]), (pads[0], pads[1]),
                           a.get("dilations", [1, 1]), a.get("group", 1))
            return out.numpy().astype(np.float32)
        if op == "Sigmoid":
            return (1.0 / (1.0 + np.exp(-v[0].astype(np.float64)))).astype(np.float32)
        if op == "Mul":
            return (v[0] * v[1]).astype(np.float32)
        if op == "Add":
            return (v[0] + v[1]).astype(np.float32)
        if op == "Relu":
            return np.maximum(v[0], F32(0))
        raise NotImplementedError(f"{n.name}: float {op}")


def run_model(path, feeds, num_threads=1):
    return Interpreter(onnx.load(path), num_threads).run(feeds)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--input", action="append", default=[], help="NAME=FILE.npy")
    ap.add_argument("--output-dir", default=".")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch.get_num_threads() of the PyTorch run (ATen kernels' chunking)")
    args = ap.parse_args()
    feeds = {}
    for spec in args.input:
        name, _, f = spec.partition("=")
        feeds[name] = np.load(f)
    outs = run_model(args.model, feeds, args.threads)
    os.makedirs(args.output_dir, exist_ok=True)
    for name, v in outs.items():
        np.save(os.path.join(args.output_dir, f"{name}.npy"), v)
        print(f"{name}: {v.dtype} {list(v.shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
