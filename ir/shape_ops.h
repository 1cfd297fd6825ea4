#pragma once
// ONNX's shape-computing ops that exporters emit around a Resize with sizes
// (F.interpolate(size=...): Concat(Slice(Shape(x), 0, 2), sizes)), evaluated on constants.
// Index bookkeeping only, no arithmetic on tensor values: the compiler's constant folding and
// the golden interpreter both call it, so both read a shape computation the same way.
#include <string>
#include <vector>

#include "common/tensor.h"

namespace bpusim::ir {

// ONNX Slice (opset 13) of a 1-D tensor: `starts`, `ends`, optional `axes` (only 0 / -1) and
// `steps` (nonzero) with ONNX's clamping of out-of-range bounds. Errors name `what`.
Tensor slice_1d(const Tensor& data, const std::vector<int64_t>& starts,
                const std::vector<int64_t>& ends, const std::vector<int64_t>& axes,
                const std::vector<int64_t>& steps, const std::string& what);

}  // namespace bpusim::ir
