#include "compiler/passes/fold_constants.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "common/error.h"
#include "compiler/passes/graph_edit.h"
#include "compiler/passes/pytorch_params.h"
#include "ir/onnx_import.h"
#include "ir/op_set.h"
#include "ir/shape_ops.h"

namespace bpusim::compiler {
namespace {

bool is_float(DType t) {
  return t == DType::kF32;
}

// Writes element i of `t` from an exact integer, checking the type's range.
void put_int(Tensor& t, int64_t i, int64_t v, const std::string& what) {
  require(v >= ir::dtype_min(t.dtype()) && v <= ir::dtype_max(t.dtype()), what, ": value ", v,
          " at index ", i, " does not fit ", dtype_name(t.dtype()));
  switch (t.dtype()) {
    case DType::kU8:
      t.values<uint8_t>()[i] = static_cast<uint8_t>(v);
      break;
    case DType::kI8:
      t.values<int8_t>()[i] = static_cast<int8_t>(v);
      break;
    case DType::kI32:
      t.values<int32_t>()[i] = static_cast<int32_t>(v);
      break;
    case DType::kI64:
      t.values<int64_t>()[i] = v;
      break;
    case DType::kF32:
      t.values<float>()[i] = static_cast<float>(v);
      break;
  }
}

// ONNX Cast: float -> integer truncates toward zero; out-of-range values are errors.
Tensor cast(const Tensor& x, DType to, const std::string& what) {
  Tensor y(to, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (to == DType::kF32) {
      y.values<float>()[i] =
          is_float(x.dtype()) ? x.values<float>()[i] : static_cast<float>(x.as_int(i));
    } else if (is_float(x.dtype())) {
      const double v = std::trunc(x.as_double(i));
      require(std::isfinite(v) && std::fabs(v) < 0x1p62, what, ": value ", x.as_double(i),
              " at index ", i, " does not fit ", dtype_name(to));
      put_int(y, i, static_cast<int64_t>(v), what);
    } else {
      put_int(y, i, x.as_int(i), what);
    }
  }
  return y;
}

// Numpy broadcasting of two constants: for every output element, the pair of input indices.
Shape broadcast(const Shape& a, const Shape& b, const std::string& what) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    require(da == db || da == 1 || db == 1, what, ": shapes ", shape_str(a), " and ", shape_str(b),
            " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t source_index(const Shape& s, const Shape& out, int64_t flat) {
  int64_t index = 0, stride = 1;
  for (size_t i = out.size(); i-- > 0;) {
    const int64_t coord = flat % out[i];
    flat /= out[i];
    const size_t lead = out.size() - s.size();
    if (i >= lead) {
      const int64_t d = s[i - lead];
      if (d != 1) index += coord * stride;
      stride *= d;
    }
  }
  return index;
}

// Elementwise binary op with broadcasting; float32 inputs use `f` in float32, integer
// inputs `g` in int64 (results checked against the type).
Tensor binary(const Tensor& a, const Tensor& b, const std::function<float(float, float)>& f,
              const std::function<int64_t(int64_t, int64_t)>& g, const std::string& what) {
  require(a.dtype() == b.dtype(), what, ": inputs have different element types ",
          dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  const Shape shape = broadcast(a.shape(), b.shape(), what);
  Tensor y(a.dtype(), shape);
  for (int64_t i = 0; i < y.numel(); ++i) {
    const int64_t ia = source_index(a.shape(), shape, i), ib = source_index(b.shape(), shape, i);
    if (is_float(a.dtype())) {
      y.values<float>()[i] = f(a.values<float>()[ia], b.values<float>()[ib]);
    } else {
      require(g != nullptr, what, ": integer operands are not supported");
      put_int(y, i, g(a.as_int(ia), b.as_int(ib)), what);
    }
  }
  return y;
}

std::vector<int64_t> int_list(const Tensor& t, const std::string& what, const char* field) {
  require(t.dtype() == DType::kI64 && t.rank() <= 1, what, ": input '", field,
          "' must be a 1-D int64 tensor, got ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
  std::vector<int64_t> v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.as_int(i);
  return v;
}

// Axes of Unsqueeze/Squeeze: the `axes` input (opset 13) or attribute (older opsets).
std::vector<int64_t> axes_of(const ir::Graph& g, const ir::Node& n, const std::string& what) {
  if (const Tensor* t = constant_of(g, input_or_none(n, 1))) return int_list(*t, what, "axes");
  return n.attr_ints("axes", {});
}

Tensor unsqueeze(const Tensor& x, std::vector<int64_t> axes, const std::string& what) {
  const int64_t rank = static_cast<int64_t>(x.rank() + axes.size());
  for (int64_t& a : axes) {
    require(a >= -rank && a < rank, what, ": axis ", a, " is out of range for rank ", rank);
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  Shape shape;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d) {
    const bool inserted = std::binary_search(axes.begin(), axes.end(), d);
    shape.push_back(inserted ? 1 : x.shape().at(next++));
  }
  return x.reshaped(shape);
}

// ONNX Reshape: a 0 copies the input's dim (unless allow_zero), one -1 takes what is left.
Tensor reshape(const Tensor& x, const std::vector<int64_t>& dims, bool allow_zero,
               const std::string& what) {
  Shape shape;
  int64_t inferred = -1, known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = dims[i];
    if (d == 0 && !allow_zero) {
      require(i < x.rank(), what, ": shape entry ", i, " is 0 but the input has rank ", x.rank());
      d = x.dim(i);
    }
    require(d >= -1 && !(d == -1 && inferred >= 0), what, ": invalid shape ", shape_str(dims));
    if (d == -1)
      inferred = static_cast<int64_t>(i);
    else
      known *= d;
    shape.push_back(d);
  }
  if (inferred >= 0) {
    require(known > 0 && x.numel() % known == 0, what, ": cannot reshape ", shape_str(x.shape()),
            " to ", shape_str(dims));
    shape[inferred] = x.numel() / known;
  }
  require(numel(shape) == x.numel(), what, ": cannot reshape ", shape_str(x.shape()), " to ",
          shape_str(dims));
  return x.reshaped(shape);
}

Tensor squeeze(const Tensor& x, std::vector<int64_t> axes, const std::string& what) {
  const int64_t rank = static_cast<int64_t>(x.rank());
  for (int64_t& a : axes) {
    require(a >= -rank && a < rank, what, ": axis ", a, " is out of range for rank ", rank);
    if (a < 0) a += rank;
  }
  Shape shape;
  for (int64_t d = 0; d < rank; ++d) {
    const bool listed = std::find(axes.begin(), axes.end(), d) != axes.end();
    const bool drop = axes.empty() ? x.dim(d) == 1 : listed;
    require(!listed || x.dim(d) == 1, what, ": cannot squeeze axis ", d, " of size ", x.dim(d));
    if (!drop) shape.push_back(x.dim(d));
  }
  return x.reshaped(shape);
}

Tensor transpose(const Tensor& x, std::vector<int64_t> perm, const std::string& what) {
  const size_t r = x.rank();
  if (perm.empty())
    for (size_t i = r; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    require(sorted.size() == r && sorted[i] == static_cast<int64_t>(i), what, ": attribute 'perm' ",
            shape_str(perm), " is not a permutation of rank ", r);
  Shape out_shape(r);
  for (size_t i = 0; i < r; ++i) out_shape[i] = x.dim(perm[i]);
  Tensor y(x.dtype(), out_shape);
  const size_t size = dtype_size(x.dtype());
  std::vector<int64_t> in_stride(r, 1);
  for (size_t i = r; i-- > 1;) in_stride[i - 1] = in_stride[i] * x.dim(i);
  for (int64_t flat = 0; flat < y.numel(); ++flat) {
    int64_t rest = flat, src = 0;
    for (size_t i = r; i-- > 0;) {
      src += (rest % out_shape[i]) * in_stride[perm[i]];
      rest /= out_shape[i];
    }
    std::copy_n(x.bytes().data() + src * size, size, y.bytes().data() + flat * size);
  }
  return y;
}

Tensor constant_of_shape(const ir::Graph& g, const ir::Node& n, const std::string& what) {
  const std::vector<int64_t> dims = int_list(*constant_of(g, n.inputs.at(0)), what, "input");
  for (int64_t d : dims) require(d >= 0, what, ": negative dimension ", d);
  const Tensor* value = constant_of(g, input_or_none(n, 1));  // ir/onnx_import.h
  Tensor fill = value ? *value : Tensor::from<float>({1}, {0.0f});
  require(fill.numel() == 1, what, ": attribute 'value' must hold one element");
  Tensor y(fill.dtype(), dims);
  const size_t size = dtype_size(fill.dtype());
  for (int64_t i = 0; i < y.numel(); ++i)
    std::copy_n(fill.bytes().data(), size, y.bytes().data() + i * size);
  return y;
}

// The bias chain's Cast(to=INT32) of Div(bias, scale): PyTorch's rounding, per element.
Tensor pytorch_bias(const Tensor& bias, const Tensor& scale, const std::string& what) {
  const Shape shape = broadcast(bias.shape(), scale.shape(), what);
  Tensor y(DType::kI32, shape);
  for (int64_t i = 0; i < y.numel(); ++i)
    y.values<int32_t>()[i] =
        quantize_bias(bias.values<float>()[source_index(bias.shape(), shape, i)],
                      scale.values<float>()[source_index(scale.shape(), shape, i)]);
  return y;
}

// Concat of constants of one element type along `axis` (e.g. a Resize's scales [1, 1] ++
// [sh, sw]).
Tensor concat_constants(const ir::Graph& g, const ir::Node& n, const std::string& what) {
  const Tensor& first = *constant_of(g, n.inputs.at(0));
  const int64_t rank = static_cast<int64_t>(first.rank());
  int64_t axis = n.attr_int("axis");
  require(axis >= -rank && axis < rank, what, ": axis ", axis, " is out of range for rank ", rank);
  if (axis < 0) axis += rank;
  Shape shape = first.shape();
  shape[axis] = 0;
  for (ir::ValueId v : n.inputs) {
    const Tensor& t = *constant_of(g, v);
    require(t.dtype() == first.dtype() && t.rank() == first.rank(), what,
            ": Concat of constants of different types or ranks");
    shape[axis] += t.dim(axis);
  }
  Tensor out(first.dtype(), shape);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
  const size_t es = dtype_size(first.dtype());
  size_t at = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (ir::ValueId v : n.inputs) {
      const Tensor& t = *constant_of(g, v);
      const size_t block = static_cast<size_t>(t.numel() / outer) * es;
      std::memcpy(out.bytes().data() + at, t.bytes().data() + o * block, block);
      at += block;
    }
  return out;
}

const std::set<std::string>& foldable_ops() {
  static const std::set<std::string> ops{"Identity",  "Cast",    "Shape",     "ConstantOfShape",
                                         "Mul",       "Div",     "Unsqueeze", "Squeeze",
                                         "Transpose", "Reshape", "Concat",    "Slice"};
  return ops;
}

struct DivOperands {
  ir::ValueId bias, scale;
};

Tensor evaluate(const ir::Graph& g, const ir::Node& n,
                const std::map<ir::ValueId, DivOperands>& divs, const std::string& what) {
  auto in = [&](size_t i) -> const Tensor& { return *constant_of(g, n.inputs.at(i)); };
  const std::string& op = n.op;
  if (op == "Identity") return in(0);
  if (op == "Concat") return concat_constants(g, n, what);
  if (op == "Cast") {
    const DType to = ir::require_onnx_dtype(n.attr_int("to"), cat(what, ": Cast attribute 'to'"));
    auto div = divs.find(n.inputs.at(0));
    if (to == DType::kI32 && div != divs.end() && is_float(in(0).dtype()))
      return pytorch_bias(*constant_of(g, div->second.bias), *constant_of(g, div->second.scale),
                          what);
    return cast(in(0), to, what);
  }
  if (op == "Shape") {  // of any value whose shape is known (all_inputs_constant)
    const Tensor* c = constant_of(g, n.inputs.at(0));
    const Shape& s = c ? c->shape() : g.value(n.inputs.at(0)).shape;
    return Tensor::from<int64_t>({static_cast<int64_t>(s.size())}, s);
  }
  if (op == "Slice") {
    auto list = [&](size_t i, const char* field) {
      const Tensor* t = constant_of(g, input_or_none(n, i));
      return t ? int_list(*t, what, field) : std::vector<int64_t>{};
    };
    return ir::slice_1d(in(0), list(1, "starts"), list(2, "ends"), list(3, "axes"),
                        list(4, "steps"), what);
  }
  if (op == "ConstantOfShape") return constant_of_shape(g, n, what);
  if (op == "Mul")
    return binary(in(0), in(1), std::multiplies<float>(), std::multiplies<int64_t>(), what);
  if (op == "Div") return binary(in(0), in(1), std::divides<float>(), nullptr, what);
  if (op == "Unsqueeze") return unsqueeze(in(0), axes_of(g, n, what), what);
  if (op == "Squeeze") return squeeze(in(0), axes_of(g, n, what), what);
  if (op == "Transpose") return transpose(in(0), n.attr_ints("perm", {}), what);
  // Reshape
  return reshape(in(0), int_list(in(1), what, "shape"), n.attr_int("allowzero", 0) != 0, what);
}

// Shape needs only its input's static shape, not its values.
bool all_inputs_constant(const ir::Graph& g, const ir::Node& n) {
  if (n.op == "Shape" && n.inputs.size() == 1 && n.inputs[0] != ir::kNoValue)
    return g.value(n.inputs[0]).shape_known;
  return !n.inputs.empty() && std::all_of(n.inputs.begin(), n.inputs.end(), [&](ir::ValueId v) {
    return v == ir::kNoValue || constant_of(g, v) != nullptr;
  });
}

}  // namespace

void fold_constants(ir::Graph& graph, const std::string& source) {
  std::map<ir::ValueId, DivOperands> divs;  // folded float Divs, for the bias chain
  for (ir::Node& n : graph.nodes) {
    if (!foldable_ops().count(n.op) || !all_inputs_constant(graph, n)) continue;
    const std::string what = where(source, n);
    require(n.outputs.size() == 1, what, ": expected one output, has ", n.outputs.size());
    Tensor out = evaluate(graph, n, divs, what);
    if (n.op == "Div" && is_float(out.dtype())) divs[n.outputs[0]] = {n.inputs[0], n.inputs[1]};
    ir::Value& v = graph.value(n.outputs[0]);
    v.dtype = out.dtype();
    v.shape = out.shape();
    v.shape_known = true;
    v.constant = std::move(out);
    mark_removed(n);
  }
  erase_removed(graph);
}

}  // namespace bpusim::compiler
