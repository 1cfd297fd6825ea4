#!/usr/bin/python3
"""Writes the small QOperator ONNX models of the compiler's end-to-end tests.

Run with Debian's interpreter (python3-onnx): /usr/bin/python3 tests/compiler/data/make_qop_models.py
qop_net.onnx: QuantizeLinear -> QLinearConv 3x3 (per-channel weights) -> depthwise
QLinearConv 3x3/2 -> Flatten -> QLinearMatMul -> DequantizeLinear, plus an ArgMax of the
quantized logits as a second output.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def const(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def qop_net():
    rng = np.random.default_rng(7)
    inits = [
        const("x_s", np.float32(0.05)), const("x_z", np.uint8(128)),
        const("w1", rng.integers(-60, 60, (8, 3, 3, 3), dtype=np.int8)),
        const("w1_s", rng.uniform(0.005, 0.02, 8).astype(np.float32)),
        const("w1_z", np.zeros(8, np.int8)),
        const("b1", rng.integers(-500, 500, 8, dtype=np.int32)),
        const("c1_s", np.float32(0.1)), const("c1_z", np.uint8(120)),
        const("w2", rng.integers(-80, 80, (8, 1, 3, 3), dtype=np.int8)),
        const("w2_s", np.float32(0.01)), const("w2_z", np.int8(0)),
        const("c2_s", np.float32(0.08)), const("c2_z", np.uint8(100)),
        const("fc_w", rng.integers(-50, 50, (128, 10), dtype=np.int8)),
        const("fc_s", np.float32(0.02)), const("fc_z", np.int8(0)),
        const("y_s", np.float32(0.2)), const("y_z", np.uint8(128)),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x_s", "x_z"], ["xq"], name="quant"),
        helper.make_node("QLinearConv", ["xq", "x_s", "x_z", "w1", "w1_s", "w1_z", "c1_s", "c1_z", "b1"],
                         ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("QLinearConv", ["c1", "c1_s", "c1_z", "w2", "w2_s", "w2_z", "c2_s", "c2_z"],
                         ["c2"], name="dwconv2", pads=[1, 1, 1, 1], strides=[2, 2], group=8),
        helper.make_node("Flatten", ["c2"], ["flat"], name="flatten", axis=1),
        helper.make_node("QLinearMatMul", ["flat", "c2_s", "c2_z", "fc_w", "fc_s", "fc_z", "y_s", "y_z"],
                         ["logits_q"], name="fc"),
        helper.make_node("DequantizeLinear", ["logits_q", "y_s", "y_z"], ["logits"], name="dequant"),
        helper.make_node("ArgMax", ["logits_q"], ["label"], name="argmax", axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes, "qop_net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10]),
         helper.make_tensor_value_info("label", TensorProto.INT64, [1])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    onnx.save(qop_net(), os.path.join(HERE, "qop_net.onnx"))
