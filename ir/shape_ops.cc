#include "ir/shape_ops.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace bpusim::ir {

Tensor slice_1d(const Tensor& data, const std::vector<int64_t>& starts,
                const std::vector<int64_t>& ends, const std::vector<int64_t>& axes,
                const std::vector<int64_t>& steps, const std::string& what) {
  require(data.rank() == 1, what, ": only a Slice of a 1-D tensor is folded, got shape ",
          shape_str(data.shape()));
  require(starts.size() == 1 && ends.size() == 1, what,
          ": Slice of a 1-D tensor needs one start "
          "and one end, got ",
          starts.size(), " and ", ends.size());
  require(axes.empty() || (axes.size() == 1 && (axes[0] == 0 || axes[0] == -1)), what,
          ": Slice axes must be [0] for a 1-D tensor");
  require(steps.empty() || steps.size() == 1, what, ": Slice needs one step, got ", steps.size());
  const int64_t step = steps.empty() ? 1 : steps[0];
  require(step != 0, what, ": Slice step must not be 0");
  const int64_t dim = data.dim(0);
  // ONNX: negative bounds count from the end; then clamp to [0, dim] (step > 0) or
  // [-1, dim - 1] (step < 0).
  auto bound = [&](int64_t v) {
    if (v < 0) v += dim;
    return step > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
  };
  const int64_t start = bound(starts[0]), end = bound(ends[0]);
  std::vector<int64_t> picked;
  for (int64_t i = start; step > 0 ? i < end : i > end; i += step) picked.push_back(i);
  Tensor out(data.dtype(), {static_cast<int64_t>(picked.size())});
  const size_t es = dtype_size(data.dtype());
  for (size_t k = 0; k < picked.size(); ++k)
    std::memcpy(out.bytes().data() + k * es, data.bytes().data() + picked[k] * es, es);
  return out;
}

}  // namespace bpusim::ir
