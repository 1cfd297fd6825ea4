"""Quantization-aware-training models written by the rules of docs/guide.md section 2.

Every model here follows them: QuantStub at the input and DeQuantStub at the output;
functional ops replaced by modules; FloatFunctional().add / .add_relu / .cat for tensor
arithmetic; conv+bn(+relu) fused with fuse_modules before QAT; qconfig set per module (a
sub-module may carry its own qconfig, `qconfig = None` keeps it in float); a higher-precision
qconfig for the last conv/linear (`out_qconfig`); an argmax head with no DeQuantStub.

Stock PyTorch 1.13 (eager mode, engine qnnpack) has gaps this module fills:
- out_qconfig: there is no int32-output quantized conv. `out_qconfig()` marks a Conv2d or
  Linear; `convert()` swaps it for Int32OutputConv2d / Int32OutputLinear, whose output is a
  qint32 tensor = the exact int32 accumulator (bias included) with scale s_x * s_w and zero
  point 0, which the following DeQuantStub dequantizes. It exports as
  ConvInteger / MatMulInteger -> Add(int32 bias) -> DequantizeLinear (docs/pytorch-recipes.md).
- argmax: PyTorch has no quantized argmax kernel. `Argmax` takes the argmax of the
  dequantized tensor, which is the argmax of its integers (dequantization is strictly
  increasing) and exports as DequantizeLinear -> ArgMax.
- ReLU6: nn.ReLU6 is converted to nnq.ReLU6, which torch.onnx cannot export, and the
  quantized clamp behind Hardtanh/ReLU6/clamp permutes channels-last tensors (every conv
  output) in torch 1.13 (docs/pytorch-recipes.md); the models use ReLU only.
- linear+relu: quantized::linear_relu has no ONNX symbolic in torch 1.13, so Linear and
  ReLU stay separate modules.

Usage (what tools/py/make_testdata.py does):
    model = MODELS["resnet_block"].build()
    model.train(); model.fuse_model(); model.set_qconfig()
    torch.ao.quantization.prepare_qat(model, inplace=True)
    ... train ...
    qmodel = bpumodels.convert(model)
"""

import torch
import torch.ao.quantization as tq
import torch.nn as nn
import torch.nn.functional as F
from torch.onnx import symbolic_helper

ENGINE = "qnnpack"

# ----------------------------------------------------------------------------------------------
# qconfigs
# ----------------------------------------------------------------------------------------------
_ACT_FAKE_QUANT = tq.FusedMovingAvgObsFakeQuantize.with_args(
    observer=tq.MovingAverageMinMaxObserver, quant_min=0, quant_max=255, reduce_range=False
)


def default_qconfig():
    """The qnnpack QAT default: quint8 activations (0..255, no reduced range), per-tensor
    symmetric qint8 weights."""
    return tq.get_default_qat_qconfig(ENGINE)


def per_channel_qconfig():
    """quint8 activations, per-channel (axis 0) symmetric qint8 weights."""
    return tq.QConfig(activation=_ACT_FAKE_QUANT, weight=tq.default_fused_per_channel_wt_fake_quant)


class Int32Output(nn.Module):
    """The 'activation observer' of out_qconfig: nothing is observed and nothing is rounded;
    it marks its layer for convert() (the layer's output is its int32 accumulator)."""

    dtype = torch.qint32

    def forward(self, x):
        return x


def out_qconfig():
    """The QConfig of a high-precision output layer (docs/pytorch-recipes.md 2.12): weights as
    usual (per-tensor qint8), output kept as the int32 accumulator (high precision) instead of being requantized to uint8."""
    return tq.QConfig(activation=Int32Output, weight=tq.default_fused_wt_fake_quant)


# ----------------------------------------------------------------------------------------------
# int32-output conv / linear (converted form of a layer with out_qconfig)
# ----------------------------------------------------------------------------------------------
def _exact_accumulator(xq, w_int8, bias_q, conv_args):
    """sum (x - zx) * w + bias over int8/uint8 values, computed exactly (float64 holds every
    partial sum of such small integers exactly), returned as int32."""
    xi = xq.int_repr().to(torch.float64) - xq.q_zero_point()
    w = w_int8.to(torch.float64)
    if conv_args is None:
        acc = F.linear(xi, w)
        acc = acc + bias_q.to(torch.float64)
    else:
        stride, padding, dilation, groups = conv_args
        acc = F.conv2d(xi, w, None, stride, padding, dilation, groups)
        acc = acc + bias_q.to(torch.float64).view(1, -1, 1, 1)
    acc = acc.round()
    if acc.abs().max() >= 2**31:
        raise OverflowError("int32 accumulator overflow in an int32-output layer")
    return acc.to(torch.int32)


# The int32-output layers are custom operators (not autograd.Functions) because torch.onnx
# traces quantized models with torch.jit.trace first, and only real operators survive that.
_LIB = torch.library.Library("bpusim", "DEF")
_LIB.define(
    "conv2d_int32(Tensor x, Tensor w, Tensor bias, float scale, int[] stride, int[] padding, "
    "int[] dilation, int groups) -> Tensor"
)
_LIB.define("linear_int32(Tensor x, Tensor w, Tensor bias, float scale) -> Tensor")


def _conv2d_int32(xq, w_int8, bias_q, scale, stride, padding, dilation, groups):
    acc = _exact_accumulator(xq, w_int8, bias_q, (stride, padding, dilation, groups))
    return torch._make_per_tensor_quantized_tensor(acc, scale, 0)


def _linear_int32(xq, w_int8, bias_q, scale):
    acc = _exact_accumulator(xq, w_int8, bias_q, None)
    return torch._make_per_tensor_quantized_tensor(acc, scale, 0)


_LIB.impl("conv2d_int32", _conv2d_int32, "QuantizedCPU")
_LIB.impl("linear_int32", _linear_int32, "QuantizedCPU")


@symbolic_helper.parse_args("v", "v", "v", "f", "is", "is", "is", "i")
def _conv2d_int32_symbolic(g, xq, w_int8, bias_q, scale, stride, padding, dilation, groups):
    """x (uint8) -> ConvInteger(x, w, x_zp, 0) -> Add(bias[K,1,1]) = the int32 accumulator."""
    xv, _, xz = symbolic_helper._unpack_quantized_tensor(xq)[:3]
    wz = g.op("Constant", value_t=torch.tensor(0, dtype=torch.int8))
    kernel = symbolic_helper._get_tensor_sizes(w_int8)[2:]
    acc = g.op(
        "ConvInteger", xv, w_int8, xz, wz,
        dilations_i=dilation, group_i=groups, kernel_shape_i=kernel,
        pads_i=padding * 2, strides_i=stride,
    )
    bias3 = g.op("Unsqueeze", bias_q, g.op("Constant", value_t=torch.tensor([1, 2])))
    return _qint32_tuple(g, g.op("Add", acc, bias3), scale)


@symbolic_helper.parse_args("v", "v", "v", "f")
def _linear_int32_symbolic(g, xq, w_int8, bias_q, scale):
    """x (uint8) -> MatMulInteger(x, w^T, x_zp, 0) -> Add(bias) = the int32 accumulator."""
    xv, _, xz = symbolic_helper._unpack_quantized_tensor(xq)[:3]
    wz = g.op("Constant", value_t=torch.tensor(0, dtype=torch.int8))
    w_t = g.op("Transpose", w_int8, perm_i=[1, 0])
    acc = g.op("Add", g.op("MatMulInteger", xv, w_t, xz, wz), bias_q)
    return _qint32_tuple(g, acc, scale)


def _qint32_tuple(g, acc, scale):
    """How torch.onnx represents a quantized value: (tensor, scale, zero_point); the
    DeQuantStub that follows turns it into DequantizeLinear(acc, scale, 0)."""
    s = g.op("Constant", value_t=torch.tensor(scale, dtype=torch.float32))
    z = g.op("Constant", value_t=torch.tensor(0, dtype=torch.int32))
    return g.op("prim::TupleConstruct", acc, s, z)


torch.onnx.register_custom_op_symbolic("bpusim::conv2d_int32", _conv2d_int32_symbolic, 13)
torch.onnx.register_custom_op_symbolic("bpusim::linear_int32", _linear_int32_symbolic, 13)


class _Int32OutputBase(nn.Module):
    """Common part: int8 weights and scale taken from the QAT module's weight fake-quant,
    float bias quantized at run time with the input's scale exactly as PyTorch's quantized
    conv does (torch.quantize_per_tensor to qint32 with scale s_x * s_w)."""

    def _init_from_qat(self, mod):
        wfq = mod.weight_fake_quant
        w_scale, w_zp = wfq.calculate_qparams()
        if w_scale.numel() != 1 or int(w_zp) != 0:
            raise ValueError("int32-output layers take per-tensor symmetric weights")
        weight = self._qat_weight(mod)
        wq = torch.quantize_per_tensor(weight.detach(), float(w_scale), 0, torch.qint8)
        self.register_buffer("w_int8", wq.int_repr())
        self.w_scale = float(wq.q_scale())
        b = self._qat_bias(mod)
        self.register_buffer("bias", None if b is None else b.detach().clone())
        self._cache = {}

    @staticmethod
    def _qat_weight(mod):
        return mod.weight

    @staticmethod
    def _qat_bias(mod):
        return mod.bias

    def _bias_and_scale(self, xq):
        """(int32 bias, float32 output scale) for this input scale. Computed with torch's
        own qint32 quantize on the first (untraced) call and cached, so that an export
        trace sees them as constants."""
        if xq.dtype != torch.quint8:
            raise TypeError("int32-output layer expects a quint8 input")
        key = float(xq.q_scale())
        if key not in self._cache:
            if torch.jit.is_tracing():
                raise RuntimeError("run the converted model once before exporting it")
            # float32 product of the two float32 scales, as the quantized conv computes it
            scale = float(torch.tensor(key, dtype=torch.float32)
                          * torch.tensor(self.w_scale, dtype=torch.float32))
            k = self.w_int8.shape[0]
            if self.bias is None:
                bq = torch.zeros(k, dtype=torch.int32)
            else:
                bq = torch.quantize_per_tensor(self.bias.float(), scale, 0, torch.qint32)
                bq = bq.int_repr()
            self._cache[key] = (bq.numpy().copy(), scale)
        bq, scale = self._cache[key]
        return torch.from_numpy(bq.copy()), scale


class Int32OutputConv2d(_Int32OutputBase):
    """Converted Conv2d with out_qconfig: output = qint32 accumulator, scale s_x*s_w, zp 0."""

    def __init__(self, mod):
        super().__init__()
        self._init_from_qat(mod)
        self.stride, self.padding = tuple(mod.stride), tuple(mod.padding)
        self.dilation, self.groups = tuple(mod.dilation), mod.groups
        if mod.padding_mode != "zeros":
            raise ValueError("int32-output conv supports zero padding only")

    def forward(self, xq):
        bq, scale = self._bias_and_scale(xq)
        return torch.ops.bpusim.conv2d_int32(
            xq, self.w_int8, bq, scale, list(self.stride), list(self.padding),
            list(self.dilation), self.groups,
        )


class Int32OutputLinear(_Int32OutputBase):
    """Converted Linear with out_qconfig: output = qint32 accumulator, scale s_x*s_w, zp 0."""

    def __init__(self, mod):
        super().__init__()
        self._init_from_qat(mod)

    def forward(self, xq):
        bq, scale = self._bias_and_scale(xq)
        return torch.ops.bpusim.linear_int32(xq, self.w_int8, bq, scale)


def convert(model):
    """eval + torch.ao.quantization.convert, after swapping every layer prepared with
    out_qconfig for its int32-output form. Returns the converted model (in place)."""
    model.eval()
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(getattr(child, "activation_post_process", None), Int32Output):
                if isinstance(child, nn.Conv2d):
                    setattr(parent, name, Int32OutputConv2d(child))
                elif isinstance(child, nn.Linear):
                    setattr(parent, name, Int32OutputLinear(child))
                else:
                    raise TypeError(f"out_qconfig on {type(child).__name__} ({name})")
    return tq.convert(model, inplace=True)


# ----------------------------------------------------------------------------------------------
# heads
# ----------------------------------------------------------------------------------------------
class Argmax(nn.Module):
    """argmax head without DeQuantStub (docs/guide.md section 2, rule 1): index of the first maximum of the
    integers of a quantized tensor. In training mode it passes the scores through so that a
    loss can be computed on them."""

    def __init__(self, dim=1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        if self.training:
            return x
        if x.is_quantized:
            x = x.dequantize()  # strictly increasing: same index as on the integers
        return torch.argmax(x, dim=self.dim)


def _add_classifier(model, features, num_classes):
    """The classifier tail several models below end with, as model.gap (global average
    pooling), model.flatten, model.fc (features -> num_classes) and model.dequant; call it
    where the layers belong in __init__ (the creation order seeds the weights)."""
    model.gap = nn.AdaptiveAvgPool2d(1)
    model.flatten = nn.Flatten(1)
    model.fc = nn.Linear(features, num_classes)
    model.dequant = tq.DeQuantStub()


def _classify(model, x):
    """The tail of _add_classifier applied to x."""
    return model.dequant(model.fc(model.flatten(model.gap(x))))


def _conv_bn(cin, cout, k, stride=1, padding=0, groups=1):
    return nn.Conv2d(cin, cout, k, stride, padding, groups=groups, bias=False), nn.BatchNorm2d(cout)


# ----------------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------------
class ExampleNet(nn.Module):
    """The smallest model of the rules (docs/guide.md section 2): conv+bn, a residual add of
    the quantized input y and a ReLU, then an int32-output conv. The add's first operand comes
    from the conv being fused into, as rule 4 requires (conv padding=1 keeps the shapes
    equal). Stock eager fuse_modules cannot fuse the add and the ReLU; they stay separate
    modules and the compiler fuses conv -> add -> relu from the graph. out_conv uses
    out_qconfig."""

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(in_channels=1, out_channels=1, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(num_features=1)
        self.add = nn.quantized.FloatFunctional()
        self.act = nn.ReLU()
        self.out_conv = nn.Conv2d(in_channels=1, out_channels=1, kernel_size=3)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        y = x
        x = self.conv(x)
        x = self.bn(x)
        x = self.add.add(x, y)
        x = self.act(x)
        x = self.out_conv(x)
        x = self.dequant(x)
        return x

    def fuse_model(self):
        tq.fuse_modules_qat(self, ["conv", "bn"], inplace=True)

    def set_qconfig(self):
        self.qconfig = default_qconfig()
        self.out_conv.qconfig = out_qconfig()


def int8_symmetric_qconfig():
    """Horizon's QAT qconfig: signed symmetric int8 activations (qint8, -128..127, zero point
    0) and per-channel symmetric qint8 weights. Under engine qnnpack torch 1.13 runs conv /
    linear / add / mul on XNNPACK (docs/pytorch-recipes.md 2.23)."""
    act = tq.FakeQuantize.with_args(
        observer=tq.MovingAverageMinMaxObserver, dtype=torch.qint8,
        qscheme=torch.per_tensor_symmetric, quant_min=-128, quant_max=127, reduce_range=False)
    return tq.QConfig(activation=act, weight=tq.default_fused_per_channel_wt_fake_quant)


class ExampleNetInt8(ExampleNet):
    """ExampleNet with Horizon-style qint8 activations (int8_symmetric_qconfig everywhere).
    NOT registered in MODELS (docs/pytorch-recipes.md 2.23): out_conv cannot keep
    out_qconfig (the int32-output layers take quint8 inputs only), so it is a plain qint8
    conv; the converted model aborts torch 1.13 with heap corruption ("double free or
    corruption") in the add of the 1-channel conv output and the QuantStub output; and
    torch.onnx.export labels every quantized op's output UINT8 (zero point 0), so the
    file would clamp negative activations to 0."""

    def set_qconfig(self):
        self.qconfig = int8_symmetric_qconfig()


class Int8Net(nn.Module):
    """Horizon-style signed int8 activations (int8_symmetric_qconfig: qint8, zero point 0,
    docs/pytorch-recipes.md 2.23) as torch 1.13 runs them (XNNPACK conv/add/mul, ATen pools)
    and exports them (every qint8 op output labelled uint8, which bpusim reads back as int8):
    a 1->8 stem conv+bn+relu, a residual block (conv+bn, add of the conv being fused into
    and the block input, relu), max pooling, the product of two 1x1 conv outputs, a cat of
    the pooled map and the product (different scales), a ceil-mode average pool; then a
    quint8 tail after a DeQuantStub / QuantStub pair (default qconfig): conv+relu, global
    average pooling and a linear classifier."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem, self.stem_bn = _conv_bn(1, 8, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.b_conv, self.b_bn = _conv_bn(8, 8, 3, padding=1)
        self.b_add = nn.quantized.FloatFunctional()
        self.b_relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2)
        self.gate_a = nn.Conv2d(8, 8, 1)
        self.gate_b = nn.Conv2d(8, 8, 1)
        self.mul = nn.quantized.FloatFunctional()
        self.cat = nn.quantized.FloatFunctional()
        self.avg = nn.AvgPool2d(3, 2, padding=1, ceil_mode=True)
        self.dequant_mid = tq.DeQuantStub()
        self.quant_u8 = tq.QuantStub()
        self.head = nn.Conv2d(16, 16, 1)
        self.head_relu = nn.ReLU()
        _add_classifier(self, 16, num_classes)

    def forward(self, x):
        x = self.quant(x)
        s = self.stem_relu(self.stem_bn(self.stem(x)))
        r = self.b_relu(self.b_add.add(self.b_bn(self.b_conv(s)), s))
        p = self.pool(r)
        g = self.mul.mul(self.gate_a(p), self.gate_b(p))
        a = self.avg(self.cat.cat([p, g], dim=1))
        u = self.quant_u8(self.dequant_mid(a))
        return _classify(self, self.head_relu(self.head(u)))

    def fuse_model(self):
        tq.fuse_modules_qat(self, [["stem", "stem_bn", "stem_relu"], ["b_conv", "b_bn"],
                                   ["head", "head_relu"]], inplace=True)

    def set_qconfig(self):
        self.qconfig = int8_symmetric_qconfig()
        for m in (self.quant_u8, self.head, self.fc):
            m.qconfig = default_qconfig()


class ResidualNet(nn.Module):
    """Two residual blocks: the first with a strided 3x3 main path and a strided 1x1
    projection shortcut (add_relu, first operand = the conv being fused into), the second
    with an identity shortcut and add followed by a separate ReLU module; global average
    pooling and a linear head with its own (per-channel) qconfig."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem, self.stem_bn = _conv_bn(1, 8, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.b1_conv1, self.b1_bn1 = _conv_bn(8, 16, 3, stride=2, padding=1)
        self.b1_relu1 = nn.ReLU()
        self.b1_conv2, self.b1_bn2 = _conv_bn(16, 16, 3, padding=1)
        self.b1_proj, self.b1_proj_bn = _conv_bn(8, 16, 1, stride=2)
        self.b1_add = nn.quantized.FloatFunctional()
        self.b2_conv1, self.b2_bn1 = _conv_bn(16, 16, 3, padding=1)
        self.b2_relu1 = nn.ReLU()
        self.b2_conv2, self.b2_bn2 = _conv_bn(16, 16, 3, padding=1)
        self.b2_add = nn.quantized.FloatFunctional()
        self.b2_relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(16, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.stem_relu(self.stem_bn(self.stem(x)))
        y = self.b1_relu1(self.b1_bn1(self.b1_conv1(x)))
        y = self.b1_bn2(self.b1_conv2(y))
        x = self.b1_add.add_relu(y, self.b1_proj_bn(self.b1_proj(x)))
        y = self.b2_relu1(self.b2_bn1(self.b2_conv1(x)))
        y = self.b2_bn2(self.b2_conv2(y))
        x = self.b2_relu(self.b2_add.add(y, x))
        x = self.fc(self.flatten(self.pool(x)))
        return self.dequant(x)

    def fuse_model(self):
        tq.fuse_modules_qat(
            self,
            [["stem", "stem_bn", "stem_relu"], ["b1_conv1", "b1_bn1", "b1_relu1"],
             ["b1_conv2", "b1_bn2"], ["b1_proj", "b1_proj_bn"],
             ["b2_conv1", "b2_bn1", "b2_relu1"], ["b2_conv2", "b2_bn2"]],
            inplace=True,
        )

    def set_qconfig(self):
        self.qconfig = default_qconfig()
        self.fc.qconfig = per_channel_qconfig()


class DepthwiseNet(nn.Module):
    """Depthwise separable blocks (3x3 stride 1 and 2, 5x5), per-channel weights for the
    whole model, a conv+bn without activation, average then max pooling, linear head."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem, self.stem_bn = _conv_bn(1, 8, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.dw1, self.dw1_bn = _conv_bn(8, 8, 3, padding=1, groups=8)
        self.dw1_relu = nn.ReLU()
        self.pw1, self.pw1_bn = _conv_bn(8, 16, 1)
        self.pw1_relu = nn.ReLU()
        self.dw2, self.dw2_bn = _conv_bn(16, 16, 3, stride=2, padding=1, groups=16)
        self.pw2, self.pw2_bn = _conv_bn(16, 32, 1)
        self.pw2_relu = nn.ReLU()
        self.dw3, self.dw3_bn = _conv_bn(32, 32, 5, padding=2, groups=32)
        self.dw3_relu = nn.ReLU()
        self.avgpool = nn.AvgPool2d(2)
        self.maxpool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(32 * 2 * 2, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.stem_relu(self.stem_bn(self.stem(x)))
        x = self.dw1_relu(self.dw1_bn(self.dw1(x)))
        x = self.pw1_relu(self.pw1_bn(self.pw1(x)))
        x = self.dw2_bn(self.dw2(x))
        x = self.pw2_relu(self.pw2_bn(self.pw2(x)))
        x = self.dw3_relu(self.dw3_bn(self.dw3(x)))
        x = self.maxpool(self.avgpool(x))
        x = self.fc(self.flatten(x))
        return self.dequant(x)

    def fuse_model(self):
        tq.fuse_modules_qat(
            self,
            [["stem", "stem_bn", "stem_relu"], ["dw1", "dw1_bn", "dw1_relu"],
             ["pw1", "pw1_bn", "pw1_relu"], ["dw2", "dw2_bn"], ["pw2", "pw2_bn", "pw2_relu"],
             ["dw3", "dw3_bn", "dw3_relu"]],
            inplace=True,
        )

    def set_qconfig(self):
        self.qconfig = per_channel_qconfig()


class PoolConcatNet(nn.Module):
    """Three branches (max pool + 1x1 conv, padded average pool + conv, padded max pool)
    concatenated with FloatFunctional.cat (56 channels: the channels-last requantization
    has a 32-channel vector block and a scalar tail), a 1x1 conv, adaptive average pooling
    to 2x2, a linear layer and an argmax head without DeQuantStub."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem = nn.Conv2d(1, 16, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.a_pool = nn.MaxPool2d(2)
        self.a_conv = nn.Conv2d(16, 16, 1)
        self.a_relu = nn.ReLU()
        self.b_pool = nn.AvgPool2d(3, stride=2, padding=1)
        self.b_conv, self.b_bn = _conv_bn(16, 24, 3, padding=1)
        self.b_relu = nn.ReLU()
        self.c_pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.cat = nn.quantized.FloatFunctional()
        self.mix = nn.Conv2d(56, 16, 1)
        self.mix_relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d((2, 2))
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(16 * 2 * 2, num_classes)
        self.argmax = Argmax(dim=1)

    def forward(self, x):
        x = self.quant(x)
        x = self.stem_relu(self.stem(x))
        a = self.a_relu(self.a_conv(self.a_pool(x)))
        b = self.b_relu(self.b_bn(self.b_conv(self.b_pool(x))))
        c = self.c_pool(x)
        x = self.cat.cat([a, b, c], dim=1)
        x = self.pool(self.mix_relu(self.mix(x)))
        return self.argmax(self.fc(self.flatten(x)))

    def fuse_model(self):
        tq.fuse_modules_qat(
            self,
            [["stem", "stem_relu"], ["a_conv", "a_relu"], ["b_conv", "b_bn", "b_relu"],
             ["mix", "mix_relu"]],
            inplace=True,
        )

    def set_qconfig(self):
        self.qconfig = default_qconfig()


class FloatRegionNet(nn.Module):
    """A region kept in float with qconfig = None between a DeQuantStub and a second
    QuantStub: a float 1x1 conv and a sigmoid gate (x * sigmoid(conv(x))), which the
    accelerator cannot run; the runtime executes it on the host."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem, self.stem_bn = _conv_bn(1, 8, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.dequant_float = tq.DeQuantStub()
        self.gate_conv = nn.Conv2d(8, 8, 1)
        self.gate = nn.Sigmoid()
        self.quant_back = tq.QuantStub()
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.AvgPool2d(4)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(16 * 2 * 2, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool(self.stem_relu(self.stem_bn(self.stem(x))))
        x = self.dequant_float(x)
        x = x * self.gate(self.gate_conv(x))  # float region
        x = self.quant_back(x)
        x = self.relu2(self.conv2(x))
        x = self.fc(self.flatten(self.pool2(x)))
        return self.dequant(x)

    def fuse_model(self):
        tq.fuse_modules_qat(self, [["stem", "stem_bn", "stem_relu"], ["conv2", "relu2"]],
                            inplace=True)

    def set_qconfig(self):
        self.qconfig = default_qconfig()
        self.gate_conv.qconfig = None
        self.gate.qconfig = None


class ActivationNet(nn.Module):
    """PyTorch's table-driven quantized activations (docs/pytorch-recipes.md 2.14, 2.15): a
    conv+bn+relu stem, nn.Hardswish (its own output qparams), then three branches through
    nn.Sigmoid, nn.Tanh and nn.Hardsigmoid (fixed output qparams) concatenated with
    FloatFunctional.cat, a 1x1 conv, global average pooling and a linear classifier."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem, self.stem_bn = _conv_bn(1, 16, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.expand = nn.Conv2d(16, 24, 1)
        self.hswish = nn.Hardswish()
        self.pool = nn.MaxPool2d(2)
        self.a_conv = nn.Conv2d(24, 8, 3, padding=1)
        self.sigmoid = nn.Sigmoid()
        self.b_conv = nn.Conv2d(24, 8, 3, padding=1)
        self.tanh = nn.Tanh()
        self.c_conv = nn.Conv2d(24, 8, 3, padding=1)
        self.hsigmoid = nn.Hardsigmoid()
        self.cat = nn.quantized.FloatFunctional()
        self.mix = nn.Conv2d(24, 16, 1)
        self.mix_relu = nn.ReLU()
        _add_classifier(self, 16, num_classes)

    def forward(self, x):
        x = self.quant(x)
        x = self.stem_relu(self.stem_bn(self.stem(x)))
        x = self.pool(self.hswish(self.expand(x)))
        a = self.sigmoid(self.a_conv(x))
        b = self.tanh(self.b_conv(x))
        c = self.hsigmoid(self.c_conv(x))
        x = self.mix_relu(self.mix(self.cat.cat([a, b, c], dim=1)))
        return _classify(self, x)

    def fuse_model(self):
        tq.fuse_modules_qat(self, [["stem", "stem_bn", "stem_relu"], ["mix", "mix_relu"]],
                            inplace=True)

    def set_qconfig(self):
        self.qconfig = default_qconfig()


class SqueezeExciteNet(nn.Module):
    """A squeeze-excite block as torchvision's quantizable MobileNetV3 writes it
    (docs/pytorch-recipes.md 2.19): global average pooling, two 1x1 convs (ReLU between),
    nn.Hardsigmoid, and FloatFunctional.mul of the (N, C, 1, 1) gate FIRST with the feature
    map; then an elementwise product of two full-size tensors, a conv, global pooling and a
    linear classifier."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem, self.stem_bn = _conv_bn(1, 16, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.se_pool = nn.AdaptiveAvgPool2d(1)
        self.se_fc1 = nn.Conv2d(16, 8, 1)
        self.se_relu = nn.ReLU()
        self.se_fc2 = nn.Conv2d(8, 16, 1)
        self.se_gate = nn.Hardsigmoid()
        self.se_mul = nn.quantized.FloatFunctional()
        self.branch = nn.Conv2d(16, 16, 3, padding=1)
        self.pair_mul = nn.quantized.FloatFunctional()
        self.mix = nn.Conv2d(16, 16, 1)
        self.mix_relu = nn.ReLU()
        _add_classifier(self, 16, num_classes)

    def forward(self, x):
        x = self.quant(x)
        x = self.stem_relu(self.stem_bn(self.stem(x)))
        scale = self.se_gate(self.se_fc2(self.se_relu(self.se_fc1(self.se_pool(x)))))
        x = self.se_mul.mul(scale, x)
        x = self.pair_mul.mul(x, self.branch(x))
        x = self.mix_relu(self.mix(x))
        return _classify(self, x)

    def fuse_model(self):
        tq.fuse_modules_qat(
            self, [["stem", "stem_bn", "stem_relu"], ["se_fc1", "se_relu"], ["mix", "mix_relu"]],
            inplace=True)

    def set_qconfig(self):
        self.qconfig = default_qconfig()


class UpsampleNet(nn.Module):
    """A UNet / FPN-style decoder (docs/pytorch-recipes.md 2.21): a stem conv, max pooling, a
    conv, nn.Upsample(scale_factor=2, mode='nearest') concatenated with the stem (the skip
    connection), a conv; and a second branch upsampled by 1.75 (a non-integer factor, where
    PyTorch's index rule matters), pooled globally and concatenated before the classifier."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem, self.stem_bn = _conv_bn(1, 8, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.down = nn.Conv2d(8, 16, 3, padding=1)
        self.down_relu = nn.ReLU()
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.cat = nn.quantized.FloatFunctional()
        self.fuse = nn.Conv2d(24, 16, 3, padding=1)
        self.fuse_relu = nn.ReLU()
        self.up_odd = nn.Upsample(scale_factor=1.75, mode="nearest")
        self.odd = nn.Conv2d(16, 8, 1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.gap_odd = nn.AdaptiveAvgPool2d(1)
        self.head_cat = nn.quantized.FloatFunctional()
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(24, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        s = self.stem_relu(self.stem_bn(self.stem(x)))
        d = self.down_relu(self.down(self.pool(s)))
        u = self.fuse_relu(self.fuse(self.cat.cat([self.up(d), s], dim=1)))
        o = self.odd(self.up_odd(d))
        h = self.head_cat.cat([self.gap(u), self.gap_odd(o)], dim=1)
        return self.dequant(self.fc(self.flatten(h)))

    def fuse_model(self):
        tq.fuse_modules_qat(self, [["stem", "stem_bn", "stem_relu"], ["down", "down_relu"],
                                   ["fuse", "fuse_relu"]], inplace=True)

    def set_qconfig(self):
        self.qconfig = default_qconfig()


class YoloHeadNet(nn.Module):
    """A YOLO-style detector piece (docs/pytorch-recipes.md 2.14, 2.16, 2.21): conv+bn with
    nn.LeakyReLU(0.1) (ATen's kernel: its result depends on each element's memory position), a
    stride-2 conv with leaky ReLU, nearest upsampling concatenated with the first feature map
    (the neck), a 1x1 conv with a sigmoid output (fixed qparams) as a detection head, then
    global pooling and a linear classifier."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem, self.stem_bn = _conv_bn(1, 12, 3, padding=1)
        self.stem_act = nn.LeakyReLU(0.1)
        self.down, self.down_bn = _conv_bn(12, 16, 3, stride=2, padding=1)
        self.down_act = nn.LeakyReLU(0.1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.cat = nn.quantized.FloatFunctional()
        self.head = nn.Conv2d(28, 8, 1)
        self.head_act = nn.Sigmoid()
        _add_classifier(self, 8, num_classes)

    def forward(self, x):
        x = self.quant(x)
        s = self.stem_act(self.stem_bn(self.stem(x)))
        d = self.down_act(self.down_bn(self.down(s)))
        h = self.head_act(self.head(self.cat.cat([self.up(d), s], dim=1)))
        return _classify(self, h)

    def fuse_model(self):
        tq.fuse_modules_qat(self, [["stem", "stem_bn"], ["down", "down_bn"]], inplace=True)

    def set_qconfig(self):
        self.qconfig = default_qconfig()


class UnetNet(nn.Module):
    """A UNet-style decoder (docs/pytorch-recipes.md 2.21): an encoder of stride-2 convs, then
    bilinear upsampling concatenated with the skips: x2 by scale factor (half-pixel, on a
    13-channel map: 8 channels in the channels-last kernel's vector body, 5 in its scalar
    tail) and to a size with align_corners=True; a contiguous (NCHW) tensor, made by a cat
    along the width, upsampled by 1.5 with align_corners=True (the NCHW kernel); a nearest
    upsampling to a size (F.interpolate(size=...)); global pooling of each branch, a
    classifier."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem, self.stem_bn = _conv_bn(1, 8, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.down1 = nn.Conv2d(8, 13, 3, stride=2, padding=1)
        self.down1_relu = nn.ReLU()
        self.down2 = nn.Conv2d(13, 16, 3, stride=2, padding=1)
        self.down2_relu = nn.ReLU()
        self.cat1 = nn.quantized.FloatFunctional()
        self.fuse1 = nn.Conv2d(29, 8, 1)
        self.fuse1_relu = nn.ReLU()
        self.cat2 = nn.quantized.FloatFunctional()
        self.fuse2 = nn.Conv2d(16, 8, 3, padding=1)
        self.fuse2_relu = nn.ReLU()
        self.wide = nn.quantized.FloatFunctional()
        self.gap1 = nn.AdaptiveAvgPool2d(1)
        self.gap2 = nn.AdaptiveAvgPool2d(1)
        self.gap3 = nn.AdaptiveAvgPool2d(1)
        self.head_cat = nn.quantized.FloatFunctional()
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(8 + 8 + 13, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        s = self.stem_relu(self.stem_bn(self.stem(x)))
        d1 = self.down1_relu(self.down1(s))
        d2 = self.down2_relu(self.down2(d1))
        u1 = F.interpolate(d2, scale_factor=2, mode="bilinear", align_corners=False)
        f1 = self.fuse1_relu(self.fuse1(self.cat1.cat([u1, d1], dim=1)))
        u2 = F.interpolate(f1, size=(16, 16), mode="bilinear", align_corners=True)
        f2 = self.fuse2_relu(self.fuse2(self.cat2.cat([u2, s], dim=1)))
        w = F.interpolate(self.wide.cat([f1, f1], dim=3), scale_factor=1.5, mode="bilinear",
                          align_corners=True)
        n = F.interpolate(d1, size=(11, 13), mode="nearest")
        h = self.head_cat.cat([self.gap1(f2), self.gap2(w), self.gap3(n)], dim=1)
        return self.dequant(self.fc(self.flatten(h)))

    def fuse_model(self):
        tq.fuse_modules_qat(self, [["stem", "stem_bn", "stem_relu"], ["down1", "down1_relu"],
                                   ["down2", "down2_relu"], ["fuse1", "fuse1_relu"],
                                   ["fuse2", "fuse2_relu"]], inplace=True)

    def set_qconfig(self):
        self.qconfig = default_qconfig()


class PoolCeilNet(nn.Module):
    """Average pooling with ceil_mode=True (docs/pytorch-recipes.md 2.22: ATen's native kernel,
    a divisor per window): 3x3/2 with padding 1 and count_include_pad=True (exported as Pad +
    AveragePool), 2x2/2 on an odd size (the last window hangs past the input), and 2x2/2 with
    padding 1 and count_include_pad=False, where PyTorch drops a last window that ONNX's shape
    rule keeps (5x5 -> 3x3); each after a conv (channels-last), then a classifier."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.stem, self.stem_bn = _conv_bn(1, 8, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.pool1 = nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=True)
        self.mid = nn.Conv2d(8, 12, 3, padding=1)
        self.mid_relu = nn.ReLU()
        self.pool2 = nn.AvgPool2d(2, 2, ceil_mode=True)
        self.last = nn.Conv2d(12, 16, 1)
        self.last_relu = nn.ReLU()
        self.pool3 = nn.AvgPool2d(2, 2, padding=1, ceil_mode=True, count_include_pad=False)
        _add_classifier(self, 16, num_classes)

    def forward(self, x):
        x = self.quant(x)
        x = self.pool1(self.stem_relu(self.stem_bn(self.stem(x))))
        x = self.pool2(self.mid_relu(self.mid(x)))
        x = self.pool3(self.last_relu(self.last(x)))
        return _classify(self, x)

    def fuse_model(self):
        tq.fuse_modules_qat(self, [["stem", "stem_bn", "stem_relu"], ["mid", "mid_relu"],
                                   ["last", "last_relu"]], inplace=True)

    def set_qconfig(self):
        self.qconfig = default_qconfig()


class ContextAddNet(nn.Module):
    """Broadcasting adds (docs/pytorch-recipes.md 2.20: ATen's kernel, its vector body and
    scalar tail round apart by memory position): the model input plus its global mean (a
    [N, 1, 1, 1] operand, contiguous order: 256 positions per plane), then a GCNet-style
    global-context block on a 70-channel conv output (channels-last: per pixel 64 channels in
    the vector body, 6 in the tail): x + conv1x1(gap(x)) with add_relu, the context first."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.in_gap = nn.AdaptiveAvgPool2d(1)
        self.in_add = nn.quantized.FloatFunctional()
        self.stem, self.stem_bn = _conv_bn(1, 70, 3, padding=1)
        self.stem_relu = nn.ReLU()
        self.ctx_gap = nn.AdaptiveAvgPool2d(1)
        self.ctx = nn.Conv2d(70, 70, 1)
        self.ctx_add = nn.quantized.FloatFunctional()
        self.head = nn.Conv2d(70, 16, 3, stride=2, padding=1)
        self.head_relu = nn.ReLU()
        _add_classifier(self, 16, num_classes)

    def forward(self, x):
        x = self.quant(x)
        x = self.in_add.add(x, self.in_gap(x))
        s = self.stem_relu(self.stem_bn(self.stem(x)))
        s = self.ctx_add.add_relu(self.ctx(self.ctx_gap(s)), s)
        return _classify(self, self.head_relu(self.head(s)))

    def fuse_model(self):
        tq.fuse_modules_qat(self, [["stem", "stem_bn", "stem_relu"], ["head", "head_relu"]],
                            inplace=True)

    def set_qconfig(self):
        self.qconfig = default_qconfig()


class MlpNet(nn.Module):
    """A linear-only model on the flattened 8x8 image: linear, relu, linear, relu and a last
    linear with out_qconfig (int32 output). Linear and ReLU are not fused in PyTorch:
    quantized::linear_relu has no ONNX symbolic in torch 1.13; the compiler fuses them."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.flatten = nn.Flatten(1)
        self.fc1 = nn.Linear(64, 32)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(32, 32)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(32, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.flatten(self.quant(x))
        x = self.relu1(self.fc1(x))
        x = self.relu2(self.fc2(x))
        return self.dequant(self.fc3(x))

    def fuse_model(self):
        pass  # fusing linear+relu would produce the unexportable quantized::linear_relu

    def set_qconfig(self):
        self.qconfig = default_qconfig()
        self.fc3.qconfig = out_qconfig()


class DigitsNet(nn.Module):
    """The default model (models/digits): conv+bn+relu, a residual FloatFunctional add whose
    first operand is the conv being fused into, max pooling, a second conv, global average
    pooling and a linear classifier over the 8x8 handwritten digits; the classifier carries
    its own qconfig (per-channel weights), the rest the model's default."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1, self.bn1 = _conv_bn(1, 16, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2, self.bn2 = _conv_bn(16, 16, 3, padding=1)
        self.add = nn.quantized.FloatFunctional()
        self.relu2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv3, self.bn3 = _conv_bn(16, 32, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(32, num_classes)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.add.add(self.bn2(self.conv2(x)), x))
        x = self.pool(x)
        x = self.relu3(self.bn3(self.conv3(x)))
        x = self.fc(self.flatten(self.gap(x)))
        return self.dequant(x)

    def fuse_model(self):
        tq.fuse_modules_qat(
            self, [["conv1", "bn1", "relu1"], ["conv2", "bn2"], ["conv3", "bn3", "relu3"]],
            inplace=True,
        )

    def set_qconfig(self):
        self.qconfig = default_qconfig()
        self.fc.qconfig = per_channel_qconfig()


class ModelSpec:
    """How make_testdata builds, feeds and names one model."""

    def __init__(self, cls, image_size, output, description):
        self.cls = cls
        self.image_size = image_size  # digits resized to (size x size), 1 channel
        self.output = output  # ONNX output name
        self.description = description

    def build(self):
        return self.cls()


MODELS = {
    "example_net": ModelSpec(ExampleNet, 8, "y", ExampleNet.__doc__),
    "residual": ModelSpec(ResidualNet, 16, "logits", ResidualNet.__doc__),
    "depthwise": ModelSpec(DepthwiseNet, 16, "logits", DepthwiseNet.__doc__),
    "pool_concat": ModelSpec(PoolConcatNet, 16, "class_idx", PoolConcatNet.__doc__),
    "float_region": ModelSpec(FloatRegionNet, 16, "logits", FloatRegionNet.__doc__),
    "mlp": ModelSpec(MlpNet, 8, "logits", MlpNet.__doc__),
    "activations": ModelSpec(ActivationNet, 16, "logits", ActivationNet.__doc__),
    "squeeze_excite": ModelSpec(SqueezeExciteNet, 16, "logits", SqueezeExciteNet.__doc__),
    "upsample": ModelSpec(UpsampleNet, 16, "logits", UpsampleNet.__doc__),
    "yolo_head": ModelSpec(YoloHeadNet, 16, "logits", YoloHeadNet.__doc__),
    "unet": ModelSpec(UnetNet, 16, "logits", UnetNet.__doc__),
    "pool_ceil": ModelSpec(PoolCeilNet, 16, "logits", PoolCeilNet.__doc__),
    "context_add": ModelSpec(ContextAddNet, 16, "logits", ContextAddNet.__doc__),
    "int8_net": ModelSpec(Int8Net, 16, "logits", Int8Net.__doc__),
}
