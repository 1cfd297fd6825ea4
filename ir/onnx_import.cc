#include "ir/onnx_import.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <type_traits>
#include <vector>

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "common/error.h"

namespace bpusim::ir {
namespace {

// Index of the first byte of `s` that is not part of valid UTF-8, or npos. Names end up in
// the program's JSON sections and in messages, which must be text.
size_t invalid_utf8_at(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xE  ? 3
                       : (c >> 3) == 0x1E ? 4
                                          : 0;
    if (len == 0 || i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return i;
    i += len;
  }
  return std::string::npos;
}

// `s` with every byte outside printable ASCII as \xNN.
std::string escaped(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void require_utf8(const std::string& name, const std::string& context, const char* what) {
  const size_t at = invalid_utf8_at(name);
  require(at == std::string::npos, context, ": ", what, " '", escaped(name),
          "' is not valid UTF-8 (byte ", at, ")");
}

// Operator-set versions whose semantics the importer and canonical ops follow.
constexpr int64_t kMinOpset = 10;  // QuantizeLinear, QLinearConv, ConvInteger appear here
constexpr int64_t kMaxOpset = 17;  // the newest in ONNX 1.12

std::string data_type_name(int32_t t) {
  return onnx::TensorProto_DataType_IsValid(t)
             ? onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(t))
             : cat("<", t, ">");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  require(in.good(), path, ": cannot open file");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  require(!in.bad(), path, ": read error");
  return data;
}

// Copies the typed repeated field `src` into `t`, checking the count and that each value
// fits the element type (uint8/int8 tensors store their values in int32_data).
template <class T, class Field>
void fill_typed(Tensor& t, const Field& src, const char* field, const std::string& context) {
  require(static_cast<int64_t>(src.size()) == t.numel(), context, ": field ", field, " has ",
          src.size(), " values, shape ", shape_str(t.shape()), " needs ", t.numel());
  auto dst = t.values<T>();
  for (int i = 0; i < src.size(); ++i) {
    const auto v = src.Get(i);
    if constexpr (std::is_integral_v<T> && sizeof(T) < sizeof(v)) {
      require(v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max(), context,
              ": field ", field, " value ", v, " at index ", i, " is out of range for ",
              dtype_name(t.dtype()));
    }
    dst[i] = static_cast<T>(v);
  }
}

Shape shape_of_dims(const google::protobuf::RepeatedField<int64_t>& dims,
                    const std::string& context) {
  Shape s;
  for (int64_t d : dims) {
    require(d >= 0, context, ": negative dimension ", d, " in dims");
    s.push_back(d);
  }
  return s;
}

// Element type and shape of a ValueInfoProto (tensor types only). Shape unknown when any
// dimension is symbolic or the shape is absent.
ir::Value value_of_info(const onnx::ValueInfoProto& info, const std::string& context) {
  ir::Value v;
  v.name = info.name();
  require(info.type().has_tensor_type(), context, ": '", info.name(), "' is not a tensor");
  const auto& tt = info.type().tensor_type();
  v.dtype = require_onnx_dtype(tt.elem_type(), cat(context, ": '", info.name(), "'"));
  if (tt.has_shape()) {
    v.shape_known = true;
    for (const auto& d : tt.shape().dim()) {
      if (!d.has_dim_value()) {
        v.shape_known = false;
        break;
      }
      require(d.dim_value() >= 0, context, ": '", info.name(), "' has negative dimension ",
              d.dim_value());
      v.shape.push_back(d.dim_value());
    }
    if (!v.shape_known) v.shape.clear();
  }
  return v;
}

class Importer {
 public:
  // `inferred`: the same model after ONNX's shape inference, or null. Only the shapes of
  // values a Shape node reads are taken from it (so that the Shape folds); every other value
  // keeps the file's declarations, since ONNX's rules differ from PyTorch's in places (a
  // ceil_mode pool's last window, docs/pytorch-recipes.md 2.22).
  Importer(const onnx::ModelProto& model, std::string source,
           const onnx::ModelProto* inferred = nullptr)
      : model_(model), inferred_(inferred), source_(std::move(source)) {}

  OnnxModel run() {
    OnnxModel out;
    out.source = source_;
    out.producer = model_.producer_name();
    out.opset = opset();
    require(model_.has_graph(), source_, ": the model has no graph");
    const onnx::GraphProto& g = model_.graph();
    require_utf8(g.name(), source_, "the graph name");
    graph_.name = g.name();
    require(g.sparse_initializer_size() == 0, source_, ": sparse initializers are not supported");
    for (const auto& info : g.value_info()) declared_[info.name()] = &info;
    for (const auto& info : g.output()) declared_[info.name()] = &info;
    if (inferred_) declare_shape_inputs(g);
    for (const auto& init : g.initializer()) add_initializer(init);
    for (const auto& in : g.input()) add_input(in);
    for (int i = 0; i < g.node_size(); ++i) add_node(g.node(i), i);
    for (const auto& o : g.output()) {
      const ir::ValueId id = graph_.find(o.name());
      require(id != ir::kNoValue, source_, ": graph output '", o.name(),
              "' is not produced by any node, initializer or input");
      graph_.outputs.push_back(id);
    }
    out.graph = std::move(graph_);
    return out;
  }

 private:
  void declare_shape_inputs(const onnx::GraphProto& g) {
    std::set<std::string> wanted;
    for (const auto& n : g.node())
      if (n.op_type() == "Shape" && n.input_size() == 1) wanted.insert(n.input(0));
    for (const auto& info : inferred_->graph().value_info())
      if (wanted.count(info.name())) declared_.try_emplace(info.name(), &info);
  }

  int64_t opset() const {
    int64_t version = -1;
    for (const auto& o : model_.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") version = o.version();
    require(version >= 0, source_, ": the model imports no version of the default operator set");
    require(version >= kMinOpset && version <= kMaxOpset, source_, ": opset_import version ",
            version, " is not supported (supported: ", kMinOpset, " to ", kMaxOpset, ")");
    return version;
  }

  ir::ValueId define(ir::Value v, const std::string& context) {
    require(!v.name.empty(), context, ": a tensor has an empty name");
    require_utf8(v.name, context, "tensor name");
    require(graph_.find(v.name) == ir::kNoValue, context, ": tensor '", v.name,
            "' is defined more than once");
    return graph_.add_value(std::move(v));
  }

  void add_initializer(const onnx::TensorProto& init) {
    const std::string context = cat(source_, ": initializer '", init.name(), "'");
    ir::Value v;
    v.name = init.name();
    v.constant = tensor_from_proto(init, context);
    v.dtype = v.constant->dtype();
    v.shape = v.constant->shape();
    v.shape_known = true;
    define(std::move(v), context);
  }

  void add_input(const onnx::ValueInfoProto& in) {
    if (graph_.find(in.name()) != ir::kNoValue) return;  // an initializer: a constant
    const std::string context = cat(source_, ": graph input");
    graph_.inputs.push_back(define(value_of_info(in, context), context));
  }

  // A node output's value, typed from value_info / graph outputs where declared.
  ir::Value output_value(const std::string& name) {
    ir::Value v;
    v.name = name;
    auto it = declared_.find(name);
    if (it != declared_.end() && it->second->type().has_tensor_type() &&
        dtype_of_onnx(it->second->type().tensor_type().elem_type())) {
      v = value_of_info(*it->second, source_);
    }
    return v;
  }

  void add_node(const onnx::NodeProto& n, int index) {
    ir::Node node;
    node.op = n.op_type();
    require_utf8(n.op_type(), cat(source_, ": node ", index), "operator type");
    require_utf8(n.name(), cat(source_, ": node ", index), "node name");
    node.name = n.name().empty() ? cat(n.op_type(), "_", index) : n.name();
    const std::string context = cat(source_, ": ", node.describe());
    require(n.domain().empty() || n.domain() == "ai.onnx", context,
            ": unsupported operator domain '", n.domain(), "'");
    if (n.op_type() == "Constant") return add_constant(n, context);
    for (int i = 0; i < n.input_size(); ++i) {
      if (n.input(i).empty()) {
        node.inputs.push_back(ir::kNoValue);
        continue;
      }
      const ir::ValueId id = graph_.find(n.input(i));
      require(id != ir::kNoValue, context, ": input ", i, " '", n.input(i),
              "' is not defined by an initializer, a graph input or an earlier node");
      node.inputs.push_back(id);
    }
    int outputs = n.output_size();
    while (outputs > 0 && n.output(outputs - 1).empty()) --outputs;  // unused optional outputs
    for (int i = 0; i < outputs; ++i) {
      require(!n.output(i).empty(), context, ": output ", i,
              " is unnamed but a later output is used (unsupported)");
      node.outputs.push_back(define(output_value(n.output(i)), context));
    }
    std::set<std::string> seen;
    for (const auto& a : n.attribute()) {
      require_utf8(a.name(), context, "attribute name");
      require(seen.insert(a.name()).second, context, ": attribute '", a.name(), "' appears twice");
      if (n.op_type() == "ConstantOfShape" && a.name() == "value" &&
          a.type() == onnx::AttributeProto_AttributeType_TENSOR) {
        node.inputs.push_back(tensor_attribute_input(a, node.name, context));
        continue;
      }
      node.attrs[a.name()] = attribute(a, context);
    }
    graph_.nodes.push_back(std::move(node));
  }

  // Attributes hold no tensors in the IR: ConstantOfShape's `value` becomes its second input,
  // a constant named "<node>::value".
  ir::ValueId tensor_attribute_input(const onnx::AttributeProto& a, const std::string& node,
                                     const std::string& context) {
    ir::Value v;
    v.name = cat(node, "::", a.name());
    v.constant = tensor_from_proto(a.t(), cat(context, ": attribute '", a.name(), "'"));
    v.dtype = v.constant->dtype();
    v.shape = v.constant->shape();
    v.shape_known = true;
    return define(std::move(v), context);
  }

  ir::AttrValue attribute(const onnx::AttributeProto& a, const std::string& context) const {
    require(a.ref_attr_name().empty(), context, ": attribute '", a.name(),
            "' refers to a function attribute (unsupported)");
    switch (a.type()) {
      case onnx::AttributeProto_AttributeType_INT:
        return a.i();
      case onnx::AttributeProto_AttributeType_FLOAT:
        return a.f();
      case onnx::AttributeProto_AttributeType_STRING:
        require_utf8(a.s(), cat(context, ": attribute '", a.name(), "'"), "value");
        return a.s();
      case onnx::AttributeProto_AttributeType_INTS:
        return std::vector<int64_t>(a.ints().begin(), a.ints().end());
      case onnx::AttributeProto_AttributeType_FLOATS:
        return std::vector<float>(a.floats().begin(), a.floats().end());
      default:
        break;
    }
    const std::string type = onnx::AttributeProto_AttributeType_IsValid(a.type())
                                 ? onnx::AttributeProto_AttributeType_Name(a.type())
                                 : cat("<", static_cast<int>(a.type()), ">");
    fail(context, ": attribute '", a.name(), "' has unsupported type ", type,
         " (supported: INT, FLOAT, STRING, INTS, FLOATS)");
  }

  // A Constant node becomes a constant value, not a node.
  void add_constant(const onnx::NodeProto& n, const std::string& context) {
    require(n.output_size() == 1 && !n.output(0).empty(), context, ": needs exactly one output");
    require(n.attribute_size() == 1, context, ": needs exactly one value attribute, has ",
            n.attribute_size());
    const onnx::AttributeProto& a = n.attribute(0);
    const std::string what = cat(context, ": attribute '", a.name(), "'");
    Tensor t;
    if (a.name() == "value" && a.type() == onnx::AttributeProto_AttributeType_TENSOR) {
      t = tensor_from_proto(a.t(), what);
    } else if (a.name() == "value_float" && a.type() == onnx::AttributeProto_AttributeType_FLOAT) {
      t = Tensor::from<float>({}, {a.f()});
    } else if (a.name() == "value_int" && a.type() == onnx::AttributeProto_AttributeType_INT) {
      t = Tensor::from<int64_t>({}, {a.i()});
    } else if (a.name() == "value_floats" &&
               a.type() == onnx::AttributeProto_AttributeType_FLOATS) {
      t = Tensor::from<float>({a.floats_size()}, {a.floats().begin(), a.floats().end()});
    } else if (a.name() == "value_ints" && a.type() == onnx::AttributeProto_AttributeType_INTS) {
      t = Tensor::from<int64_t>({a.ints_size()}, {a.ints().begin(), a.ints().end()});
    } else {
      fail(what, " is unsupported (value, value_float(s) or value_int(s) of matching type only)");
    }
    ir::Value v;
    v.name = n.output(0);
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.shape_known = true;
    v.constant = std::move(t);
    define(std::move(v), context);
  }

  const onnx::ModelProto& model_;
  const onnx::ModelProto* inferred_;
  std::string source_;
  ir::Graph graph_;
  std::map<std::string, const onnx::ValueInfoProto*> declared_;
};

// A DOUBLE tensor as float32. torch.onnx writes scales as double Constants that are cast to
// float and hold float32 values exactly; any value that is not exactly a float32 is an error
// (bpusim computes in float32 and would silently change it).
Tensor double_tensor_as_f32(const onnx::TensorProto& proto, const std::string& context) {
  const Shape shape = shape_of_dims(proto.dims(), context);
  // Counted (overflow-checked) and compared with the data before anything is allocated.
  const int64_t count = tensor_bytes(shape, DType::kF32, context) / 4;
  if (proto.has_raw_data())
    require(static_cast<int64_t>(proto.raw_data().size()) / 8 == count &&
                proto.raw_data().size() % 8 == 0,
            context, ": field raw_data has ", proto.raw_data().size(), " bytes, shape ",
            shape_str(shape), " of DOUBLE needs ", count, " x 8");
  else
    require(static_cast<int64_t>(proto.double_data_size()) == count, context,
            ": field double_data has ", proto.double_data_size(), " values, shape ",
            shape_str(shape), " needs ", count);
  Tensor t(DType::kF32, shape);
  std::vector<double> v(t.numel());
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    std::memcpy(v.data(), raw.data(), raw.size());  // ONNX raw data is little-endian
  } else {
    std::copy(proto.double_data().begin(), proto.double_data().end(), v.begin());
  }
  auto dst = t.values<float>();
  for (size_t i = 0; i < v.size(); ++i) {
    const bool in_range = !std::isfinite(v[i]) || std::fabs(v[i]) <= FLT_MAX;
    dst[i] = in_range ? static_cast<float>(v[i]) : 0.0f;
    require(in_range && (static_cast<double>(dst[i]) == v[i] || std::isnan(v[i])), context,
            ": DOUBLE value ", v[i], " at index ", i,
            " is not exactly representable as float32 (bpusim computes in float32)");
  }
  return t;
}

}  // namespace

std::optional<DType> dtype_of_onnx(int64_t t) {
  switch (t) {
    case onnx::TensorProto_DataType_UINT8:
      return DType::kU8;
    case onnx::TensorProto_DataType_INT8:
      return DType::kI8;
    case onnx::TensorProto_DataType_INT32:
      return DType::kI32;
    case onnx::TensorProto_DataType_INT64:
      return DType::kI64;
    case onnx::TensorProto_DataType_FLOAT:
      return DType::kF32;
    default:
      return std::nullopt;
  }
}

DType require_onnx_dtype(int64_t t, const std::string& context) {
  const auto d = dtype_of_onnx(t);
  require(d.has_value(), context, ": unsupported element type ",
          data_type_name(static_cast<int32_t>(t)),
          " (supported: UINT8, INT8, INT32, INT64, FLOAT)");
  return *d;
}

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& context) {
  require(proto.data_location() != onnx::TensorProto_DataLocation_EXTERNAL, context,
          ": external data is not supported");
  require(!proto.has_segment(), context, ": segmented tensors are not supported");
  if (proto.data_type() == onnx::TensorProto_DataType_DOUBLE)
    return double_tensor_as_f32(proto, context);
  const DType dtype = require_onnx_dtype(proto.data_type(), context);
  const Shape shape = shape_of_dims(proto.dims(), context);
  // The data must be there before the tensor is allocated: dims may announce far more.
  const int64_t bytes = tensor_bytes(shape, dtype, context);
  const int64_t count = bytes / static_cast<int64_t>(dtype_size(dtype));
  if (proto.has_raw_data()) {
    require(static_cast<int64_t>(proto.raw_data().size()) == bytes, context,
            ": field raw_data has ", proto.raw_data().size(), " bytes, shape ", shape_str(shape),
            " of ", dtype_name(dtype), " needs ", bytes);
  } else {
    const int64_t given = dtype == DType::kF32   ? proto.float_data_size()
                          : dtype == DType::kI64 ? proto.int64_data_size()
                                                 : proto.int32_data_size();
    const char* field = dtype == DType::kF32   ? "float_data"
                        : dtype == DType::kI64 ? "int64_data"
                                               : "int32_data";
    require(given == count, context, ": field ", field, " has ", given, " values, shape ",
            shape_str(shape), " needs ", count);
  }
  Tensor t(dtype, shape);
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    std::memcpy(t.bytes().data(), raw.data(), raw.size());  // ONNX raw data is little-endian
    return t;
  }
  switch (dtype) {
    case DType::kF32:
      fill_typed<float>(t, proto.float_data(), "float_data", context);
      break;
    case DType::kU8:
      fill_typed<uint8_t>(t, proto.int32_data(), "int32_data", context);
      break;
    case DType::kI8:
      fill_typed<int8_t>(t, proto.int32_data(), "int32_data", context);
      break;
    case DType::kI32:
      fill_typed<int32_t>(t, proto.int32_data(), "int32_data", context);
      break;
    case DType::kI64:
      fill_typed<int64_t>(t, proto.int64_data(), "int64_data", context);
      break;
  }
  return t;
}

OnnxModel import_onnx(const onnx::ModelProto& model, const std::string& source) {
  // ONNX's own shape inference types the intermediate values an exporter left undeclared
  // (torch.onnx writes no value_info), so that a Shape of a computed tensor folds (a Resize
  // to a size: Concat(Slice(Shape(x)), sizes)). Best effort: a model it cannot infer is
  // imported as written, and its errors surface where the importer checks the nodes.
  const bool reads_shapes =
      model.has_graph() &&
      std::any_of(model.graph().node().begin(), model.graph().node().end(),
                  [](const onnx::NodeProto& n) { return n.op_type() == "Shape"; });
  if (!reads_shapes) return Importer(model, source).run();
  onnx::ModelProto inferred = model;
  try {
    onnx::shape_inference::InferShapes(inferred);
  } catch (const std::exception&) {
    return Importer(model, source).run();
  }
  return Importer(model, source, &inferred).run();
}

OnnxModel import_onnx(const std::string& path) {
  const std::string data = read_file(path);
  onnx::ModelProto model;
  require(model.ParseFromString(data), path, ": not a valid ONNX model (protobuf parsing of ",
          data.size(), " bytes failed: the file is malformed or truncated)");
  require(model.ir_version() > 0, path, ": not an ONNX model (ir_version is missing)");
  return import_onnx(model, path);
}

TensorFile read_tensor_file(const std::string& path) {
  const std::string data = read_file(path);
  onnx::TensorProto proto;
  require(proto.ParseFromString(data), path, ": not a valid ONNX TensorProto (protobuf parsing of ",
          data.size(), " bytes failed: the file is malformed or truncated)");
  require(proto.has_data_type(), path, ": not an ONNX TensorProto (data_type is missing)");
  return {proto.name(), tensor_from_proto(proto, cat(path, ": tensor '", proto.name(), "'"))};
}

std::vector<std::string> folded_bias_layers(const OnnxModel& model) {
  std::vector<std::string> layers;
  if (model.producer != "pytorch") return layers;
  const Graph& g = model.graph;
  for (const Node& n : g.nodes) {
    if (n.op != "Conv" && n.op != "Gemm" && n.op != "MatMul") continue;
    if (n.inputs.size() < 3 || n.inputs[2] == kNoValue) continue;
    const int dq = g.producer(n.inputs[2]);
    if (dq < 0 || g.nodes[dq].op != "DequantizeLinear") continue;
    const Value& bias = g.value(g.nodes[dq].inputs.at(0));
    if (bias.constant && bias.dtype == DType::kI32 && g.producer(g.nodes[dq].inputs[0]) < 0)
      layers.push_back(n.name);
  }
  return layers;
}

std::string folded_bias_warning(const OnnxModel& model) {
  const std::vector<std::string> layers = folded_bias_layers(model);
  if (layers.empty()) return "";
  std::string names;
  for (size_t i = 0; i < layers.size() && i < 5; ++i) names += (i ? ", '" : "'") + layers[i] + "'";
  if (layers.size() > 5) names += cat(" and ", layers.size() - 5, " more");
  return cat(model.source, ": the bias of ", layers.size(), " layer(s) (", names,
             ") is an int32 constant that torch.onnx.export folded (do_constant_folding=True, its "
             "default): ONNX's Cast truncated bias / (w_scale * x_scale) where PyTorch rounds it, "
             "so outputs may differ from PyTorch by 1 LSB. Re-export with opset_version=13 and "
             "do_constant_folding=False (tools/py/bpuexport.py export() does; "
             "docs/pytorch-recipes.md 5)");
}

}  // namespace bpusim::ir
