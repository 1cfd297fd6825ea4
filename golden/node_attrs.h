// Readers of the ONNX-style attributes the golden reference's kernels take from a node (the
// canonical ops of ir/op_set.h and the ONNX ops of an imported model spell them alike).
// Every problem is a bpusim::Error naming the node, the attribute and the value.
#pragma once

#include <array>
#include <cstdint>

#include "golden/ops.h"
#include "ir/graph.h"

namespace bpusim::golden {

// An integer attribute that must fit int32 (default `fallback`).
int32_t int32_attr(const ir::Node& n, const char* key, int64_t fallback);
// strides, pads ([top, left, bottom, right]), dilations and group of a 2-D convolution.
// auto_pad must be NOTSET (explicit pads) or VALID (no padding).
Conv2dGeometry conv_geometry(const ir::Node& n);
// kernel_shape (required), strides, pads, dilations, ceil_mode and count_include_pad of a 2-D
// pooling node; auto_pad as for conv_geometry.
PoolGeometry pool_geometry(const ir::Node& n);

}  // namespace bpusim::golden
