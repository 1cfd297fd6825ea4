#!/usr/bin/python3
"""Probes: what torch.onnx.export (torch 1.13, opset 13) emits for each quantized op.

    /usr/bin/python3 tools/py/probe_export.py [-k NAME]
Each probe builds a tiny converted (qnnpack) module, exports it twice (do_constant_folding
False and True) and asserts the node pattern, attributes and constants that
docs/pytorch-recipes.md ('What torch.onnx.export emits') describes. Exit 0 = every claim
holds, 1 = a claim is wrong (the message says which).
"""

import argparse
import io
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.ao.quantization as tq
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpumodels  # noqa: E402

torch.backends.quantized.engine = "qnnpack"
NOISE = {"Constant", "Cast", "Shape", "ConstantOfShape"}


class Claim(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise Claim(what)


class Exported:
    """An exported graph with helpers: ops without Constant/Cast noise, constants folded."""

    def __init__(self, module, x, fold):
        f = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, x, f, opset_version=13, do_constant_folding=fold,
                              input_names=["x"], output_names=["y"])
        self.model = onnx.load_from_string(f.getvalue())
        self.nodes = list(self.model.graph.node)
        self.by_output = {o: n for n in self.nodes for o in n.output}
        self.inits = {t.name: numpy_helper.to_array(t) for t in self.model.graph.initializer}

    def ops(self, ignore=NOISE | {"Mul", "Div"}):
        return [n.op_type for n in self.nodes if n.op_type not in ignore]

    def first(self, op):
        return next(n for n in self.nodes if n.op_type == op)

    def attrs(self, node):
        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    def value(self, name):
        """Constant value of `name`, following Constant and Cast."""
        if name in self.inits:
            return self.inits[name]
        n = self.by_output[name]
        if n.op_type == "Constant":
            return numpy_helper.to_array(self.attrs(n)["value"])
        if n.op_type == "Cast":
            return self.value(n.input[0])
        raise KeyError(f"{name} is produced by {n.op_type}")

    def producer(self, name, skip_casts=True):
        n = self.by_output[name]
        while skip_casts and n.op_type == "Cast":
            n = self.by_output[n.input[0]]
        return n


def convert_with(module, x, qconfig=None):
    module.qconfig = qconfig or tq.get_default_qconfig("qnnpack")
    tq.prepare(module, inplace=True)
    module(x)
    tq.convert(module, inplace=True)
    module.eval()
    return module


class Seq(nn.Module):
    def __init__(self, *body, dequant=True):
        super().__init__()
        self.quant = tq.QuantStub()
        self.body = nn.Sequential(*body)
        self.dequant = tq.DeQuantStub() if dequant else nn.Identity()

    def forward(self, x):
        return self.dequant(self.body(self.quant(x)))


def x4(*shape):
    return torch.randn(*shape) * 2


def probe_quant_stubs():
    e = Exported(convert_with(Seq(nn.Identity()), x4(1, 2, 3, 3)), x4(1, 2, 3, 3), True)
    check(e.ops() == ["QuantizeLinear", "DequantizeLinear"], f"stubs: {e.ops()}")
    q = e.first("QuantizeLinear")
    check(e.value(q.input[1]).dtype == np.float32 and e.value(q.input[2]).dtype == np.uint8,
          "QuantizeLinear scale float32, zero point uint8")
    return "QuantStub -> QuantizeLinear(float32 scale, uint8 zp); DeQuantStub -> DequantizeLinear"


def probe_conv_bias():
    torch.manual_seed(1)
    m = convert_with(Seq(nn.Conv2d(3, 8, 3, padding=1)), x4(2, 3, 6, 6))
    x = x4(1, 3, 6, 6)
    w, b = m.body[0].weight(), m.body[0].bias()
    sx, sw = float(m.quant.scale), float(w.q_scale())
    s_b = np.float32(sx) * np.float32(sw)
    torch_bias = np.rint(b.detach().numpy() * (np.float32(1) / s_b))
    trunc = np.trunc(b.detach().numpy() / s_b)

    u = Exported(m, x, False)
    check(u.ops() == ["QuantizeLinear", "DequantizeLinear", "DequantizeLinear",
                      "DequantizeLinear", "Conv", "QuantizeLinear", "DequantizeLinear"],
          f"unfolded conv ops: {u.ops()}")
    conv = u.first("Conv")
    bias_dq = u.producer(conv.input[2])
    cast = u.producer(bias_dq.input[0])
    check(cast.op_type == "Div", "unfolded bias: Cast(Div(bias, s_w*s_x), INT32)")
    div = cast
    check(np.array_equal(u.value(div.input[0]), b.detach().numpy()), "Div numerator = float bias")
    mul = u.producer(div.input[1])
    check(mul.op_type == "Mul", "bias scale = Mul(weight scale, input scale)")
    w_dq = u.producer(conv.input[1])
    check(u.value(w_dq.input[0]).dtype == np.int8, "weights are int8 constants")
    check(u.value(w_dq.input[1]).shape == (1,), "per-tensor weight scale has shape [1]")

    f = Exported(m, x, True)
    conv = f.first("Conv")
    bias_dq = f.producer(conv.input[2])
    folded = f.value(bias_dq.input[0])
    check(folded.dtype == np.int32 and np.array_equal(folded, trunc),
          "folded bias = trunc(float32(bias) / float32(s_w*s_x))")
    check(np.array_equal(f.value(bias_dq.input[1]), np.array([s_b], np.float32)),
          "folded bias scale = float32(s_w*s_x)")
    check(not f.inits, "quantized weights are Constant nodes, not initializers")
    differ = int((folded != torch_bias).sum())
    return (f"bias Div/Cast unfolded; folded to trunc() ints ({differ} of {len(folded)} "
            f"differ from PyTorch's rounding)")


def probe_conv_per_channel_relu():
    m = Seq(nn.Conv2d(3, 4, 3), nn.ReLU())
    m = tq.fuse_modules(m, [["body.0", "body.1"]])
    qc = tq.QConfig(activation=tq.default_observer, weight=tq.default_per_channel_weight_observer)
    m = convert_with(m, x4(2, 3, 5, 5), qc)
    e = Exported(m, x4(1, 3, 5, 5), True)
    check(e.ops()[4:7] == ["Conv", "Relu", "QuantizeLinear"], f"conv_relu: {e.ops()}")
    conv = e.first("Conv")
    w_dq, b_dq = e.producer(conv.input[1]), e.producer(conv.input[2])
    check(e.attrs(w_dq).get("axis") == 0 and e.value(w_dq.input[1]).shape == (4,),
          "per-channel weights: DequantizeLinear axis=0, scale [K]")
    check(e.attrs(b_dq).get("axis") == 0, "per-channel bias: DequantizeLinear axis=0")
    return "conv2d_relu -> Conv, Relu, Q; per-channel axis=0 on weight and bias"


def probe_linear():
    e = Exported(convert_with(Seq(nn.Linear(6, 5)), x4(3, 6)), x4(3, 6), True)
    g = e.first("Gemm")
    check(e.attrs(g) == {"alpha": 1.0, "beta": 1.0, "transB": 1}, f"Gemm attrs {e.attrs(g)}")
    m = Seq(nn.Linear(6, 5), nn.ReLU())
    m = tq.fuse_modules(m, [["body.0", "body.1"]])
    m = convert_with(m, x4(3, 6))
    try:
        Exported(m, x4(3, 6), True)
    except Exception as err:  # torch.onnx.errors.UnsupportedOperatorError
        check("linear_relu" in str(err), f"unexpected error {err}")
    else:
        raise Claim("quantized::linear_relu exported")
    return "linear -> Gemm(transB=1); fused linear_relu is not exportable in 1.13"


class AddNet(nn.Module):
    def __init__(self, relu):
        super().__init__()
        self.qa, self.qb = tq.QuantStub(), tq.QuantStub()
        self.add = nn.quantized.FloatFunctional()
        self.relu = relu
        self.dq = tq.DeQuantStub()

    def forward(self, x):
        a, b = self.qa(x), self.qb(x * 0.5)
        return self.dq(self.add.add_relu(a, b) if self.relu else self.add.add(a, b))


def probe_add():
    for relu in (False, True):
        e = Exported(convert_with(AddNet(relu), x4(2, 3, 4, 4)), x4(1, 3, 4, 4), True)
        ops = [o for o in e.ops() if o not in ("QuantizeLinear",)]
        want = ["DequantizeLinear", "DequantizeLinear", "Add"] + (["Relu"] if relu else [])
        check(ops[:len(want)] == want, f"add relu={relu}: {e.ops()}")
    return "add -> DQ, DQ, Add, Q; add_relu -> Add, Relu, Q"


class CatNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.qa, self.qb = tq.QuantStub(), tq.QuantStub()
        self.cat = nn.quantized.FloatFunctional()
        self.dq = tq.DeQuantStub()

    def forward(self, x):
        return self.dq(self.cat.cat([self.qa(x), self.qb(x * 3)], dim=1))


def probe_cat():
    e = Exported(convert_with(CatNet(), x4(2, 3, 4, 4)), x4(1, 3, 4, 4), True)
    c = e.first("Concat")
    check(e.attrs(c) == {"axis": 1}, "Concat axis")
    users = [n.op_type for n in e.nodes if c.output[0] in n.input]
    check(users == ["QuantizeLinear"], f"Concat feeds {users}")
    return "cat -> DQ per input, Concat(axis), Q with the cat's own qparams"


def probe_pools():
    cases = {
        "avg include_pad": (nn.AvgPool2d(3, 1, 1), ["Pad", "AveragePool"]),
        "avg exclude_pad": (nn.AvgPool2d(3, 1, 1, count_include_pad=False), ["AveragePool"]),
        "avg no pad": (nn.AvgPool2d(2), ["Pad", "AveragePool"]),
        "global": (nn.AdaptiveAvgPool2d(1), ["GlobalAveragePool"]),
        "adaptive 2x2": (nn.AdaptiveAvgPool2d(2), ["AveragePool"]),
        "max": (nn.MaxPool2d(3, 2, 1), ["MaxPool"]),
    }
    out = []
    for name, (pool, want) in cases.items():
        m = convert_with(Seq(pool), x4(2, 3, 8, 8))
        e = Exported(m, x4(1, 3, 8, 8), True)
        body = [o for o in e.ops() if o not in ("QuantizeLinear", "DequantizeLinear")]
        check(body == want, f"{name}: {e.ops()}")
        p = e.first(want[-1])
        a = e.attrs(p)
        if name == "avg no pad":
            check(list(e.value(e.first("Pad").input[1])) == [0] * 8, "a Pad of zeros")
        if name == "avg include_pad":
            pads = e.value(e.first("Pad").input[1])
            check(list(pads) == [0, 0, 1, 1, 0, 0, 1, 1] and len(e.first("Pad").input) == 2,
                  "Pad [0,0,1,1,0,0,1,1] with the default value 0.0 (= the zero point)")
            check(a["pads"] == [0, 0, 0, 0], "AveragePool after Pad has no pads")
        if name == "avg exclude_pad":
            check(a["pads"] == [1, 1, 1, 1] and "count_include_pad" not in a,
                  "count_include_pad=False: pads attribute, count_include_pad absent (=0)")
        if name == "adaptive 2x2":
            check(a["kernel_shape"] == [4, 4] and a["strides"] == [4, 4], "adaptive 8->2")
        q = [n for n in e.nodes if n.op_type in ("QuantizeLinear", "DequantizeLinear")]
        check(np.array_equal(e.value(q[-2].input[1]), e.value(q[-3].input[1])),
              f"{name}: output scale = input scale")
        out.append(name)
    return "patterns hold for " + ", ".join(out)


def probe_elementwise():
    e = Exported(convert_with(Seq(nn.ReLU()), x4(2, 3, 4, 4)), x4(1, 3, 4, 4), True)
    check([o for o in e.ops()][1:4] == ["DequantizeLinear", "Relu", "QuantizeLinear"],
          f"relu: {e.ops()}")
    e = Exported(convert_with(Seq(nn.Hardtanh(-1.0, 2.0)), x4(2, 3, 4, 4)), x4(1, 3, 4, 4), True)
    clip = e.first("Clip")
    check(float(e.value(clip.input[1])) == -1.0 and float(e.value(clip.input[2])) == 2.0,
          "Hardtanh -> Clip(min, max) as float constants")
    m = convert_with(Seq(nn.ReLU6()), x4(2, 3, 4, 4))
    try:
        Exported(m, x4(1, 3, 4, 4), True)
    except Exception as err:
        check("relu6" in str(err), f"unexpected error {err}")
    else:
        raise Claim("nnq.ReLU6 exported")
    e = Exported(convert_with(Seq(nn.Flatten(1)), x4(2, 3, 4, 4)), x4(1, 3, 4, 4), True)
    check("Flatten" in e.ops(), f"flatten: {e.ops()}")
    m = convert_with(Seq(bpumodels.Argmax(1), dequant=False), x4(2, 5))
    e = Exported(m, x4(3, 5), True)
    am = e.first("ArgMax")
    check(e.attrs(am) == {"axis": 1, "keepdims": 0, "select_last_index": 0},
          f"ArgMax attrs {e.attrs(am)}")
    check(e.producer(am.input[0]).op_type == "DequantizeLinear", "ArgMax reads DequantizeLinear")
    return ("relu -> DQ,Relu,Q; Hardtanh -> Clip; nnq.ReLU6 unexportable; Flatten; "
            "Argmax -> DQ, ArgMax(keepdims=0)")


def probe_int32_output():
    class Net(nn.Module):
        def __init__(self, conv):
            super().__init__()
            self.quant = tq.QuantStub()
            self.layer = nn.Conv2d(2, 3, 3, padding=1) if conv else nn.Linear(4, 3)
            self.dequant = tq.DeQuantStub()

        def forward(self, x):
            return self.dequant(self.layer(self.quant(x)))

    out = []
    for conv, shape, op in ((True, (2, 2, 5, 5), "ConvInteger"), (False, (2, 4), "MatMulInteger")):
        m = Net(conv)
        m.train()
        m.qconfig = bpumodels.default_qconfig()
        m.layer.qconfig = bpumodels.out_qconfig()
        tq.prepare_qat(m, inplace=True)
        m(x4(*shape))
        m = bpumodels.convert(m)
        x = x4(*shape)
        y = m(x)
        e = Exported(m, x, True)
        check(e.ops(ignore=NOISE | {"Mul", "Div", "Unsqueeze", "Transpose"})
              == ["QuantizeLinear", op, "Add", "DequantizeLinear"], f"int32 out: {e.ops()}")
        dq = [n for n in e.nodes if n.op_type == "DequantizeLinear"][-1]
        check(e.value(dq.input[2]).dtype == np.int32 and int(e.value(dq.input[2])) == 0,
              "int32 output dequantized with zero point 0")
        out.append(f"{op} -> Add(int32 bias) -> DequantizeLinear")
        check(y.dtype == torch.float32, "int32 layer output dequantized by DeQuantStub")
    return "; ".join(out)


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def body_ops(e):
    """The ops between the QuantStub's QuantizeLinear and the last DequantizeLinear."""
    ops = e.ops(ignore=NOISE)
    return ops[2:-1] if ops[:2] == ["QuantizeLinear", "DequantizeLinear"] else ops


def qparams_of(e, q):
    return float(e.value(q.input[1])), int(e.value(q.input[2]))


def probe_unary():
    """Unary activations: DQ -> float op -> Q; the Q of sigmoid/tanh/hardsigmoid carries
    PyTorch's fixed qparams, hardswish becomes HardSigmoid + Mul (opset 13 has no HardSwish)."""
    out = []
    cases = [
        ("Sigmoid", nn.Sigmoid(), ["Sigmoid"], (1 / 256, 0)),
        ("Tanh", nn.Tanh(), ["Tanh"], (2 / 256, 128)),
        ("Hardsigmoid", nn.Hardsigmoid(), ["HardSigmoid"], (1 / 256, 0)),
        ("Hardswish", nn.Hardswish(), ["HardSigmoid", "Mul"], None),
        ("LeakyReLU", nn.LeakyReLU(0.1), ["LeakyRelu"], None),
        ("F.leaky_relu", Fn(lambda x: F.leaky_relu(x, 0.2)), ["LeakyRelu"], "input"),
    ]
    for name, mod, want, qp in cases:
        m = convert_with(Seq(mod), x4(2, 3, 4, 4))
        for fold in (False, True):
            e = Exported(m, x4(1, 3, 4, 4), fold)
            check(body_ops(e) == want + ["QuantizeLinear"], f"{name} fold={fold}: {e.ops()}")
            qs = [n for n in e.nodes if n.op_type == "QuantizeLinear"]
            dqs = [n for n in e.nodes if n.op_type == "DequantizeLinear"]
            first = e.first(want[0])
            check(e.producer(first.input[0]) is dqs[0], f"{name}: {want[0]} reads the input DQ")
            got = qparams_of(e, qs[1])
            if qp == "input":
                check(got == qparams_of(e, qs[0]), f"{name}: output qparams = input's")
            elif qp is not None:
                check(np.float32(got[0]) == np.float32(qp[0]) and got[1] == qp[1],
                      f"{name}: fixed output qparams {qp}, got {got}")
            else:
                mod_q = m.body[0]
                check(np.float32(got[0]) == np.float32(mod_q.scale) and
                      got[1] == int(mod_q.zero_point), f"{name}: the module's output qparams")
            if name == "Hardswish":
                hs = e.first("HardSigmoid")
                a = e.attrs(hs)
                check(np.float32(a["alpha"]) == np.float32(1 / 6) and "beta" not in a,
                      f"HardSigmoid attrs {a} (alpha 1/6, beta default 0.5)")
                mul = e.first("Mul")
                check(e.producer(mul.input[0]) is dqs[0] and
                      e.producer(mul.input[1]) is hs, "Hardswish: Mul(DQ(x), HardSigmoid(DQ(x)))")
            if name == "Hardsigmoid":
                a = e.attrs(e.first("HardSigmoid"))
                check(np.float32(a["alpha"]) == np.float32(1 / 6) and "beta" not in a,
                      f"HardSigmoid attrs {a}")
            if name == "LeakyReLU":
                a = e.attrs(e.first("LeakyRelu"))
                check(a == {"alpha": np.float32(0.1)}, f"LeakyRelu attrs {a}")
        out.append(f"{name} -> {'+'.join(want)}")
    # not exportable / not runnable on quantized tensors in torch 1.13
    refused = []
    for name, mod, msg in (("ELU", nn.ELU(), "quantized::elu"), ("GELU", nn.GELU(), "promoteTypes"),
                           ("SiLU", nn.SiLU(), "silu")):
        m = convert_with(Seq(mod), x4(2, 3, 4, 4))
        try:
            Exported(m, x4(1, 3, 4, 4), False)
        except Exception as err:  # UnsupportedOperatorError, RuntimeError, NotImplementedError
            check(msg in str(err), f"{name}: unexpected error {str(err)[:200]}")
            refused.append(name)
        else:
            raise Claim(f"{name} exported")
    return "; ".join(out) + "; not exportable: " + ", ".join(refused)


class FloatClampNet(nn.Module):
    """A clamp with its own qparams: DeQuantStub -> float ReLU6 -> QuantStub."""

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.dq_float = tq.DeQuantStub()
        self.act = nn.ReLU6()
        self.quant2 = tq.QuantStub()
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.quant2(self.act(self.dq_float(self.quant(x)))))


def probe_float_clamp():
    m = FloatClampNet()
    m.qconfig = tq.get_default_qconfig("qnnpack")
    m.act.qconfig = None
    m = convert_with(m, x4(2, 3, 4, 4), m.qconfig)
    e = Exported(m, x4(1, 3, 4, 4), False)
    check(body_ops(e) == ["Clip", "QuantizeLinear"], f"float relu6: {e.ops()}")
    clip = e.first("Clip")
    check(float(e.value(clip.input[1])) == 0.0 and float(e.value(clip.input[2])) == 6.0,
          "Clip(0, 6)")
    qs = [n for n in e.nodes if n.op_type == "QuantizeLinear"]
    check(qparams_of(e, qs[0]) != qparams_of(e, qs[1]), "the second QuantStub has its own qparams")
    return "DeQuantStub -> nn.ReLU6 -> QuantStub: DQ -> Clip(0, 6) -> Q with new qparams"


class ActNet(nn.Module):
    """QuantStub [-> conv] -> act -> DeQuantStub: the act sees a channels-last conv output or
    a contiguous QuantStub output."""

    def __init__(self, act, conv):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, 8, 3, padding=1) if conv else nn.Identity()
        self.act = act
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.act(self.conv(self.quant(x))))


def onnx_ref_equals_torch(m, x, what):
    """Exports m unfolded and checks that tools/py/onnx_ref.py reproduces m(x) bit for bit."""
    import onnx_ref

    with torch.no_grad():
        want = m(x)
    e = Exported(m, x, False)
    got = onnx_ref.Interpreter(e.model).run({"x": x.numpy()})["y"]
    want = want.numpy()
    same = got.shape == want.shape and np.array_equal(got.view(np.uint32), want.view(np.uint32))
    check(same, f"onnx_ref differs from torch on {what}: "
                f"{int((got != want).sum()) if got.shape == want.shape else got.shape}")
    return want.size


def probe_onnx_ref_unary():
    """tools/py/onnx_ref.py runs exported activation models bit-exactly."""
    acts = [("Sigmoid", lambda: nn.Sigmoid()), ("Tanh", lambda: nn.Tanh()),
            ("Hardsigmoid", lambda: nn.Hardsigmoid()), ("Hardswish", lambda: nn.Hardswish()),
            ("LeakyReLU", lambda: nn.LeakyReLU(0.1)),
            ("F.leaky_relu", lambda: Fn(lambda x: F.leaky_relu(x, 0.25)))]
    n = 0
    for name, make in acts:
        for conv in (False, True):
            torch.manual_seed(len(name) + conv)
            m = ActNet(make(), conv)
            m = convert_with(m, x4(4, 3, 13, 11) * 2)
            n += onnx_ref_equals_torch(m, x4(2, 3, 13, 11) * 2, f"{name} conv={conv}")
    m = FloatClampNet()
    m.qconfig = tq.get_default_qconfig("qnnpack")
    m.act.qconfig = None
    m = convert_with(m, x4(2, 3, 4, 4), m.qconfig)
    n += onnx_ref_equals_torch(m, x4(2, 3, 9, 9), "float-region relu6")
    return f"{n} outputs of {2 * len(acts) + 1} models equal torch"


class SENet(nn.Module):
    """A MobileNetV3-style squeeze-excite block: conv, then x * hardsigmoid(fc2(relu(fc1(
    avgpool(x))))) through FloatFunctional.mul (gate first, as torchvision writes it), or a
    broadcasting add of the gate, or a same-shape mul."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(16, 8, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(8, 16, 1)
        self.gate = nn.Hardsigmoid()
        self.f = nn.quantized.FloatFunctional()
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.conv(self.quant(x))
        g = self.gate(self.fc2(self.relu(self.fc1(self.pool(x)))))
        if self.kind == "mul_gate_first":
            y = self.f.mul(g, x)
        elif self.kind == "mul_gate_second":
            y = self.f.mul(x, g)
        elif self.kind == "add_gate_first":
            y = self.f.add(g, x)
        elif self.kind == "add_gate_second":
            y = self.f.add(x, g)
        else:  # same shapes
            y = self.f.mul(x, x)
        return self.dequant(y)


def probe_mul_export():
    """FloatFunctional.mul -> DQ, DQ, Mul, Q (ONNX broadcasting); broadcasting add -> Add;
    mul_scalar / add_scalar are not exportable; onnx_ref reproduces each model."""
    out = []
    n = 0
    for kind, op in (("mul_gate_first", "Mul"), ("mul_gate_second", "Mul"), ("mul_same", "Mul"),
                     ("add_gate_first", "Add"), ("add_gate_second", "Add")):
        torch.manual_seed(3)
        m = convert_with(SENet(kind), x4(4, 3, 11, 13))
        x = x4(2, 3, 11, 13)
        e = Exported(m, x, False)
        node = [nd for nd in e.nodes if nd.op_type == op][-1]
        check(all(e.producer(i).op_type == "DequantizeLinear" for i in node.input),
              f"{kind}: {op} of two DequantizeLinear")
        users = [nd.op_type for nd in e.nodes if node.output[0] in nd.input]
        check(users == ["QuantizeLinear"], f"{kind}: {op} feeds {users}")
        check(not e.attrs(node), f"{kind}: {op} has no attributes")
        n += onnx_ref_equals_torch(m, x, kind)
        out.append(kind)
    for name in ("mul_scalar", "add_scalar"):
        class S(nn.Module):
            def __init__(self):
                super().__init__()
                self.quant, self.f, self.dequant = (tq.QuantStub(), nn.quantized.FloatFunctional(),
                                                    tq.DeQuantStub())

            def forward(self, x):
                return self.dequant(getattr(self.f, name)(self.quant(x), 0.75))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its observer never runs (mul_scalar is unobserved)
            m = convert_with(S(), x4(2, 3, 4, 4))
        try:
            Exported(m, x4(1, 3, 4, 4), False)
        except Exception as err:
            check(f"quantized::{name}" in str(err), f"{name}: unexpected error {err}")
        else:
            raise Claim(f"{name} exported")
    return (f"DQ, DQ -> Mul/Add -> Q for {', '.join(out)} ({n} outputs equal torch through "
            "onnx_ref); mul_scalar, add_scalar not exportable")


class UpNet(nn.Module):
    """[conv ->] upsample, or a UNet/FPN step: conv -> maxpool 2 -> upsample x2 -> cat with a
    skip conv at the input resolution."""

    def __init__(self, up, conv, cat):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, 8, 3, padding=1) if conv else nn.Identity()
        self.down = nn.MaxPool2d(2) if cat else nn.Identity()
        self.up = up
        self.cat = cat
        if cat:  # unused quantized modules break the export
            self.skip = nn.Conv2d(3, 4, 3, padding=1)
            self.f = nn.quantized.FloatFunctional()
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        q = self.quant(x)
        y = self.up(self.down(self.conv(q)))
        if self.cat:
            y = self.f.cat([y, self.skip(q)], dim=1)
        return self.dequant(y)


def probe_upsample_export():
    """nn.Upsample / F.interpolate -> DQ -> Resize -> Q (same qparams): nearest =
    asymmetric/floor, bilinear = half_pixel or align_corners; a scale factor gives a float32
    scales input Concat([1, 1], [sh, sw]), a size the sizes input
    Concat(Slice(Shape(x), 0, 2), [oh, ow]); nearest-exact is not exportable; onnx_ref
    reproduces each model."""
    cases = [
        ("nearest x2", nn.Upsample(scale_factor=2), "nearest", "asymmetric", "scales", (2, 2)),
        ("nearest x1.7", nn.Upsample(scale_factor=1.7), "nearest", "asymmetric", "scales",
         (1.7, 1.7)),
        ("nearest size", nn.Upsample(size=(9, 13)), "nearest", "asymmetric", "sizes", (9, 13)),
        ("bilinear x2", nn.Upsample(scale_factor=2, mode="bilinear"), "linear", "half_pixel",
         "scales", (2, 2)),
        ("bilinear x1.5 ac", nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True),
         "linear", "align_corners", "scales", (1.5, 1.5)),
        ("bilinear size", nn.Upsample(size=(9, 13), mode="bilinear"), "linear", "half_pixel",
         "sizes", (9, 13)),
        ("recompute_scale_factor", Fn(lambda x: F.interpolate(x, scale_factor=1.7,
                                                              recompute_scale_factor=True)),
         "nearest", "asymmetric", "sizes", None),
    ]
    n = models = 0
    for name, mod, mode, ctm, which, val in cases:
        m = convert_with(UpNet(mod, conv=False, cat=False), x4(2, 3, 5, 7))
        e = Exported(m, x4(1, 3, 5, 7), False)
        r = e.first("Resize")
        users = [nd.op_type for nd in e.nodes if r.output[0] in nd.input]
        check(e.producer(r.input[0]).op_type == "DequantizeLinear" and users == ["QuantizeLinear"],
              f"{name}: {e.ops(ignore=NOISE)}")
        a = e.attrs(r)
        check(a["mode"] == mode.encode() and a["coordinate_transformation_mode"] == ctm.encode()
              and a["nearest_mode"] == b"floor" and a["cubic_coeff_a"] == np.float32(-0.75),
              f"{name}: Resize attributes {a}")
        check(r.input[1] == "", f"{name}: no roi")
        if which == "scales":
            check(len(r.input) == 3, f"{name}: scales input")
            cat = e.producer(r.input[2])
            sc = np.concatenate([e.value(i) for i in cat.input])
            check(sc.dtype == np.float32 and list(sc) == [1, 1] + [np.float32(v) for v in val],
                  f"{name}: scales {sc}")
        else:
            check(len(r.input) == 4 and r.input[2] == "", f"{name}: sizes input")
            cat = e.producer(r.input[3])
            check([e.producer(i).op_type for i in cat.input][0] == "Slice", f"{name}: sizes")
            if val is not None:
                check(list(e.value(cat.input[1])) == list(val), f"{name}: sizes {val}")
        q_in, q_out = [nd for nd in e.nodes if nd.op_type == "QuantizeLinear"][:2]
        check(qparams_of(e, q_in) == qparams_of(e, q_out), f"{name}: output qparams = input's")
        for conv, cat in ((False, False), (True, False), (True, True)):
            if cat and val != (2, 2):
                continue
            torch.manual_seed(7)
            hw = (10, 14) if cat else (5, 7)
            m = convert_with(UpNet(mod, conv, cat), x4(4, 3, *hw))
            if name == "recompute_scale_factor" and conv:
                try:  # the traced Floor(size * scale) after a quantized conv: exporter bug
                    Exported(m, x4(2, 3, *hw), False)
                except RuntimeError as err:
                    check("INTERNAL ASSERT" in str(err), f"{name} after conv: {err}")
                    continue
                raise Claim("recompute_scale_factor after a conv exported")
            n += onnx_ref_equals_torch(m, x4(2, 3, *hw), f"{name} conv={conv} cat={cat}")
            models += 1
    m = convert_with(UpNet(Fn(lambda x: F.interpolate(x, scale_factor=2.0, mode="nearest-exact")),
                           False, False), x4(2, 3, 5, 7))
    try:
        Exported(m, x4(1, 3, 5, 7), False)
    except Exception as err:
        check("_upsample_nearest_exact2d" in str(err), f"nearest-exact: {err}")
    else:
        raise Claim("nearest-exact exported")
    return (f"{len(cases)} upsamplings export as claimed; {n} outputs of {models} models "
            "(alone, after a conv, conv-pool-up-cat) equal torch through onnx_ref; "
            "nearest-exact refused; recompute_scale_factor=True after a conv fails to export")


def probe_pool_native_export():
    """avg_pool2d ceil_mode=True -> [Pad ->] AveragePool(ceil_mode=1) -> Q; divisor_override
    and non-divisible adaptive pooling are not exportable; onnx_ref reproduces the ceil-mode
    models (after a QuantStub: NCHW kernel; after a conv: NHWC kernel)."""
    n = models = 0
    for name, pool, want, _cip in (
            ("ceil pad", nn.AvgPool2d(3, 2, 1, ceil_mode=True), ["Pad", "AveragePool"], True),
            ("ceil no pad", nn.AvgPool2d(2, 2, ceil_mode=True), ["Pad", "AveragePool"], True),
            ("ceil exclude pad", nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
             ["AveragePool"], False),
            ("ceil 2x3", nn.AvgPool2d((2, 3), (2, 2), (1, 1), ceil_mode=True),
             ["Pad", "AveragePool"], True)):
        m = convert_with(Seq(pool), x4(2, 3, 7, 7))
        e = Exported(m, x4(1, 3, 7, 7), False)
        check(body_ops(e) == want + ["QuantizeLinear"], f"{name}: {e.ops(ignore=NOISE)}")
        a = e.attrs(e.first("AveragePool"))
        check(a["ceil_mode"] == 1 and "count_include_pad" not in a, f"{name}: attrs {a}")
        for conv in (False, True):
            torch.manual_seed(11)
            mm = ActNet(pool, conv)
            mm = convert_with(mm, x4(4, 3, 9, 10))
            n += onnx_ref_equals_torch(mm, x4(2, 3, 9, 10), f"{name} conv={conv}")
            models += 1
    # a ceil-mode window that would start in the right padding: PyTorch drops it
    # (pooling_output_shape), ONNX's shape inference keeps it and declares a larger output
    m = convert_with(Seq(nn.AvgPool2d(2, 2, 1, ceil_mode=True)), x4(2, 3, 5, 5))
    x = x4(1, 3, 5, 5)
    e = Exported(m, x, False)
    declared = [d.dim_value for d in e.model.graph.output[0].type.tensor_type.shape.dim]
    check(tuple(m(x).shape) == (1, 3, 3, 3) and declared == [1, 3, 4, 4],
          f"ceil-mode shape: torch {tuple(m(x).shape)}, declared {declared}")
    n += onnx_ref_equals_torch(m, x, "ceil-mode dropped window")
    refused = []
    for name, pool, msg in (("divisor_override", nn.AvgPool2d(3, 2, 1, divisor_override=5),
                             "divisor_override"),
                            ("adaptive 7->3", nn.AdaptiveAvgPool2d(3), "not factor of input size"),
                            ("adaptive 7->(None,3)", nn.AdaptiveAvgPool2d((None, 3)),
                             "not factor of input size")):
        m = convert_with(Seq(pool), x4(2, 3, 7, 7))
        try:
            Exported(m, x4(1, 3, 7, 7), False)
        except Exception as err:
            check(msg in str(err), f"{name}: unexpected error {str(err)[:200]}")
            refused.append(name)
        else:
            raise Claim(f"{name} exported")
    return (f"ceil-mode avg pools export as Pad+AveragePool(ceil_mode=1) / AveragePool(pads, "
            f"ceil_mode=1); {n} outputs of {models + 1} models equal torch through onnx_ref; "
            "AvgPool2d(2, 2, 1, ceil_mode=True) on 5x5: torch 3x3, the file declares 4x4; "
            f"not exportable: {', '.join(refused)}")


PROBES = [probe_quant_stubs, probe_conv_bias, probe_conv_per_channel_relu, probe_linear,
          probe_add, probe_cat, probe_pools, probe_elementwise, probe_int32_output,
          probe_unary, probe_float_clamp, probe_onnx_ref_unary, probe_mul_export,
          probe_upsample_export, probe_pool_native_export]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-k", default="")
    args = ap.parse_args()
    torch.manual_seed(0)
    failed = 0
    for probe in PROBES:
        name = probe.__name__[len("probe_"):]
        if args.k not in name:
            continue
        try:
            print(f"PASS {name}: {probe()}")
        except Claim as e:
            failed += 1
            print(f"FAIL {name}: {e}")
    print("all export claims hold" if not failed else f"{failed} probe(s) FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
