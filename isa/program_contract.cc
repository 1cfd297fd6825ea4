#include "isa/program_contract.h"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <limits>
#include <tuple>
#include <type_traits>

namespace bpusim::isa {

using nlohmann::json;

// ---------------------------------------------------------------- names

namespace {

constexpr std::array<std::string_view, 4> kRoleNames = {"input", "output", "internal", "constant"};
constexpr std::array<std::string_view, 2> kLayoutNames = {"nchw", "nhwc"};
constexpr std::array<std::string_view, 2> kSegmentKindNames = {"bpu", "host"};
constexpr std::array<std::string_view, 18> kHostOpNames = {
    "Add",      "ArgMax",   "AveragePool",
    "Concat",   "Conv",     "Dequantize",
    "Flatten",  "Gemm",     "GlobalAveragePool",
    "Identity", "MatMul",   "MaxPool",
    "Mul",      "Quantize", "Relu",
    "Reshape",  "Sigmoid",  "Softmax"};
static_assert(kHostOpNames.size() == static_cast<size_t>(HostOpKind::kSoftmax) + 1);
constexpr std::array<DType, 5> kDTypes = {DType::kU8, DType::kI8, DType::kI32, DType::kI64,
                                          DType::kF32};

template <class E>
constexpr const auto& names_of() {
  if constexpr (std::is_same_v<E, TensorRole>)
    return kRoleNames;
  else if constexpr (std::is_same_v<E, TensorLayout>)
    return kLayoutNames;
  else if constexpr (std::is_same_v<E, SegmentKind>)
    return kSegmentKindNames;
  else
    return kHostOpNames;
}

// "a", "b", "c" (quoted when `quote`).
template <class Names>
std::string join(const Names& names, bool quote) {
  std::string out;
  for (const auto& n : names)
    out += cat(out.empty() ? "" : ", ", quote ? "\"" : "", n, quote ? "\"" : "");
  return out;
}

}  // namespace

std::string_view role_name(TensorRole r) {
  return kRoleNames.at(static_cast<size_t>(r));
}
std::string_view layout_name(TensorLayout l) {
  return kLayoutNames.at(static_cast<size_t>(l));
}
std::string_view segment_kind_name(SegmentKind k) {
  return kSegmentKindNames.at(static_cast<size_t>(k));
}
std::string_view host_op_name(HostOpKind k) {
  return kHostOpNames.at(static_cast<size_t>(k));
}
std::optional<HostOpKind> host_op_kind(std::string_view name) {
  const auto it = std::find(kHostOpNames.begin(), kHostOpNames.end(), name);
  if (it == kHostOpNames.end()) return std::nullopt;
  return static_cast<HostOpKind>(it - kHostOpNames.begin());
}
std::string host_op_names() {
  return join(kHostOpNames, false);
}

// ---------------------------------------------------------------- quantization helpers

namespace {

// Index along `axis` of flat element i of `shape`.
int64_t axis_index(const Shape& shape, int axis, int64_t i) {
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  return (i / inner) % shape[axis];
}

}  // namespace

float TensorDesc::scale_of(int64_t i) const {
  const auto& s = quant.value().scale;
  return s.size() == 1 ? s[0] : s[axis_index(shape, quant->axis, i)];
}
int32_t TensorDesc::zp_of(int64_t i) const {
  const auto& z = quant.value().zero_point;
  return z.size() == 1 ? z[0] : z[axis_index(shape, quant->axis, i)];
}

ContractError::ContractError(std::string path, std::string problem)
    : Error(cat(path.starts_with('.') ? path.substr(1) : path, ": ", problem)),
      path_(std::move(path)),
      problem_(std::move(problem)) {}

// ---------------------------------------------------------------- the JSON engine

namespace {

// The value as it stands in the file, shortened for a message.
std::string excerpt(const json& j) {
  std::string s = j.dump();
  if (s.size() > 60) s.replace(57, std::string::npos, "...");
  return s;
}

[[noreturn]] void reject(const std::string& expected, const json& got) {
  throw ContractError("", cat("expected ", expected, ", got ", excerpt(got)));
}

// Runs f(); a ContractError it throws gets `step` (".key", "[i]") in front of its path.
template <class F>
auto within(const std::string& step, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const ContractError& e) {
    throw ContractError(cat(step, e.path()), e.problem());
  }
}

bool is_count(const json& j) {
  return j.is_number_unsigned()  ? j.get<uint64_t>() <= uint64_t{INT64_MAX}
         : j.is_number_integer() ? j.get<int64_t>() >= 0
                                 : false;
}

template <class Int>
bool fits(const json& j) {
  if (j.is_number_unsigned()) return j.get<uint64_t>() <= uint64_t{std::numeric_limits<Int>::max()};
  if (!j.is_number_integer()) return false;
  const int64_t v = j.get<int64_t>();
  return v >= std::numeric_limits<Int>::min() && v <= std::numeric_limits<Int>::max();
}

// A number a float32 holds (integers always do; larger floats would be undefined behaviour).
bool is_float32(const json& j) {
  return j.is_number() &&
         (!j.is_number_float() || std::fabs(j.get<double>()) <= std::numeric_limits<float>::max());
}

// Number of elements, or nullopt when it does not fit in int64.
std::optional<int64_t> checked_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s)
    if (__builtin_mul_overflow(n, d, &n)) return std::nullopt;
  return n;
}

// One value type of the contract: Codec<T>::expected() (what the docs and messages call it),
// write(const T&) -> json, read(const json&) -> T (a ContractError with an empty path when
// the value is not a T).
template <class T>
struct Codec;

template <>
struct Codec<std::string> {
  static std::string expected() { return "a string"; }
  static json write(const std::string& v) { return v; }
  static std::string read(const json& j) {
    if (!j.is_string()) reject(expected(), j);
    return j.get<std::string>();
  }
};

template <>
struct Codec<bool> {
  static std::string expected() { return "true or false"; }
  static json write(bool v) { return v; }
  static bool read(const json& j) {
    if (!j.is_boolean()) reject(expected(), j);
    return j.get<bool>();
  }
};

template <>
struct Codec<int64_t> {
  static std::string expected() { return "a non-negative integer"; }
  static json write(int64_t v) { return v; }
  static int64_t read(const json& j) {
    if (!is_count(j)) reject(expected(), j);
    return j.get<int64_t>();
  }
};

template <>
struct Codec<int> {
  static std::string expected() { return "an integer"; }
  static json write(int v) { return v; }
  static int read(const json& j) {
    if (!fits<int>(j)) reject(expected(), j);
    return j.get<int>();
  }
};

template <>
struct Codec<Shape> {
  static std::string expected() { return "an array of non-negative integers"; }
  static json write(const Shape& v) { return v; }
  static Shape read(const json& j) {
    if (!j.is_array() || !std::all_of(j.begin(), j.end(), is_count)) reject(expected(), j);
    return j.get<Shape>();
  }
};

template <>
struct Codec<std::vector<int32_t>> {
  static std::string expected() { return "an array of 32-bit integers"; }
  static json write(const std::vector<int32_t>& v) { return v; }
  static std::vector<int32_t> read(const json& j) {
    if (!j.is_array() || !std::all_of(j.begin(), j.end(), fits<int32_t>)) reject(expected(), j);
    return j.get<std::vector<int32_t>>();
  }
};

template <>
struct Codec<std::vector<float>> {
  static std::string expected() { return "an array of float32 numbers"; }
  static json write(const std::vector<float>& v) { return v; }
  static std::vector<float> read(const json& j) {
    if (!j.is_array() || !std::all_of(j.begin(), j.end(), is_float32)) reject(expected(), j);
    return j.get<std::vector<float>>();
  }
};

template <>
struct Codec<std::vector<std::string>> {
  static std::string expected() { return "an array of strings"; }
  static json write(const std::vector<std::string>& v) { return v; }
  static std::vector<std::string> read(const json& j) {
    if (!j.is_array() ||
        !std::all_of(j.begin(), j.end(), [](const json& x) { return x.is_string(); }))
      reject(expected(), j);
    return j.get<std::vector<std::string>>();
  }
};

template <>
struct Codec<std::vector<Shape>> {
  static std::string expected() { return "an array of shapes (arrays of non-negative integers)"; }
  static json write(const std::vector<Shape>& v) { return v; }
  static std::vector<Shape> read(const json& j) {
    if (!j.is_array()) reject(expected(), j);
    std::vector<Shape> out;
    for (size_t i = 0; i < j.size(); ++i)
      out.push_back(within(cat("[", i, "]"), [&] { return Codec<Shape>::read(j[i]); }));
    return out;
  }
};

template <>
struct Codec<DType> {
  static std::string expected() {
    std::vector<std::string_view> names;
    for (DType t : kDTypes) names.push_back(dtype_name(t));
    return cat("one of ", join(names, true));
  }
  static json write(DType v) { return dtype_name(v); }
  static DType read(const json& j) {
    for (DType t : kDTypes)
      if (j.is_string() && j.get<std::string>() == dtype_name(t)) return t;
    reject(expected(), j);
  }
};

template <class E>
requires std::is_enum_v<E>
struct Codec<E> {
  static std::string expected() { return cat("one of ", join(names_of<E>(), true)); }
  static json write(E v) { return names_of<E>().at(static_cast<size_t>(v)); }
  static E read(const json& j) {
    const auto& names = names_of<E>();
    for (size_t i = 0; i < names.size(); ++i)
      if (j.is_string() && j.get<std::string>() == names[i]) return static_cast<E>(i);
    reject(expected(), j);
  }
};

template <>
struct Codec<CodeRange> {
  static std::string expected() {
    return "[first, end): two non-negative integers, first <= end (CODE indices)";
  }
  static json write(const CodeRange& r) { return {r.first, r.end}; }
  static CodeRange read(const json& j) {
    if (!j.is_array() || j.size() != 2 || !is_count(j[0]) || !is_count(j[1]) ||
        j[0].get<int64_t>() > j[1].get<int64_t>())
      reject(expected(), j);
    return {j[0].get<int64_t>(), j[1].get<int64_t>()};
  }
};

template <>
struct Codec<std::array<int64_t, 5>> {
  static std::string expected() {
    return cat("an object of non-negative integers: ", join(kSramBufferNames, true));
  }
  static json write(const std::array<int64_t, 5>& v) {
    json j = json::object();
    for (size_t b = 0; b < v.size(); ++b) j[std::string(kSramBufferNames[b])] = v[b];
    return j;
  }
  static std::array<int64_t, 5> read(const json& j) {
    if (!j.is_object()) reject(expected(), j);
    for (const auto& [key, value] : j.items())
      if (std::find(kSramBufferNames.begin(), kSramBufferNames.end(), key) ==
          kSramBufferNames.end())
        throw ContractError(cat(".", key), cat("unknown buffer (expected ", expected(), ")"));
    std::array<int64_t, 5> out{};
    for (size_t b = 0; b < out.size(); ++b) {
      const std::string key(kSramBufferNames[b]);
      if (!j.contains(key)) throw ContractError(cat(".", key), "missing (a non-negative integer)");
      out[b] = within(cat(".", key), [&] { return Codec<int64_t>::read(j[key]); });
    }
    return out;
  }
};

template <>
struct Codec<HostAttr> {
  static std::string expected() {
    return "an integer, a number, a string, or an array of integers or of numbers";
  }
  static json write(const HostAttr& v) {
    return std::visit([](const auto& x) { return json(x); }, v);
  }
  // Integers stay integers (an array of integers, the empty one included, is int64s); any
  // number with a fraction or exponent is a float.
  static HostAttr read(const json& j) {
    if (j.is_string()) return j.get<std::string>();
    if (j.is_number_integer() && fits<int64_t>(j)) return j.get<int64_t>();
    if (j.is_number_float() && is_float32(j)) return j.get<float>();
    if (j.is_array() && std::all_of(j.begin(), j.end(), fits<int64_t>))
      return j.get<std::vector<int64_t>>();
    if (j.is_array() && std::all_of(j.begin(), j.end(), [](const json& x) {
          return (x.is_number_float() && is_float32(x)) || fits<int64_t>(x);
        }))
      return j.get<std::vector<float>>();
    reject(expected(), j);
  }
};

template <>
struct Codec<std::map<std::string, HostAttr>> {
  static std::string expected() {
    return cat("an object: attribute name -> ", Codec<HostAttr>::expected());
  }
  static json write(const std::map<std::string, HostAttr>& v) {
    json j = json::object();
    for (const auto& [key, value] : v) j[key] = Codec<HostAttr>::write(value);
    return j;
  }
  static std::map<std::string, HostAttr> read(const json& j) {
    if (!j.is_object()) reject(expected(), j);
    std::map<std::string, HostAttr> out;
    for (const auto& item : j.items()) {  // (clang 14 lambdas cannot capture bindings)
      const json& value = item.value();
      out[item.key()] = within(cat(".", item.key()), [&] { return Codec<HostAttr>::read(value); });
    }
    return out;
  }
};

// ---- structs: a field list per struct

// kRequired: always written, must be present. kOptional: written unless it has its default
// value (T{}), which an absent field reads as. kWhen: written, and required, exactly when
// `when` holds for the fields before it; refused otherwise.
enum class Presence { kRequired, kOptional, kWhen };

template <class S>
struct Field {
  std::string_view key;
  std::string_view doc;
  Presence presence = Presence::kRequired;
  std::string_view condition = {};  // kOptional: what absence means; kWhen: when it is present
  bool (*when)(const S&) = nullptr;
};

template <class S, class T>
concept FieldOf = std::same_as<std::remove_const_t<S>, T>;

// fields(s, f) calls f(Field<S>, member) for every field of `s` in order (const or not): the
// one description of the struct that writing, reading and contract_reference() share.
template <FieldOf<Quantization> S, class F>
void fields(S& q, F&& f) {
  using Q = Field<Quantization>;
  f(Q{"scale", "scales: one for the tensor, or one per index along `axis`"}, q.scale);
  f(Q{"zero_point", "zero points, as many as `scale`"}, q.zero_point);
  f(Q{"axis", "-1: per tensor; else the logical axis `scale` follows"}, q.axis);
}

template <FieldOf<TensorDesc> S, class F>
void fields(S& t, F&& f) {
  using T = Field<TensorDesc>;
  f(T{"name", "the graph value's name (host ops name tensors by it)"}, t.name);
  f(T{"role",
      "`input`: given by the user; `output`: returned to the user; `internal`: an "
      "intermediate; `constant`: a host op's constant, inside WEIGHTS"},
    t.role);
  f(T{"dtype", "element type in DDR"}, t.dtype);
  f(T{"ir_dtype", "element type in the graph (`int64` for ArgMax indices stored as `int32`)"},
    t.ir_dtype);
  f(T{"shape", "logical shape (NCHW for 4-D): what the user and host ops see"}, t.shape);
  f(T{"layout",
      "`nchw`: DDR holds the elements row-major in `shape`; `nhwc`: DDR holds the [N, H, W, C] "
      "order of `nchw`"},
    t.layout);
  f(T{"nchw",
      "the 4-D [N, C, H, W] whose NHWC order DDR holds, as many elements as `shape`; differs "
      "from `shape` only for a reshaping alias (read by the BPU only)",
      Presence::kWhen, "`layout` is `nhwc`",
      [](const TensorDesc& d) { return d.layout == TensorLayout::kNhwc; }},
    t.nchw);
  f(T{"ddr_addr", "DDR byte address of element 0"}, t.ddr_addr);
  f(T{"bytes", "dense size in bytes"}, t.bytes);
  f(T{"view_of", "the tensor whose bytes these are (a Reshape alias, a concat slice)",
      Presence::kOptional, "absent: the tensor has its own bytes"},
    t.view_of);
  f(T{"pixel_stride",
      "bytes between consecutive pixels (every position but the innermost memory dimension: C "
      "for `nhwc`, the last dimension otherwise) of a strided concat slice",
      Presence::kOptional, "absent: dense"},
    t.pixel_stride);
  f(T{"quant", "the affine quantization (`Quantization`)", Presence::kOptional,
      "absent: not quantized"},
    t.quant);
  f(T{"overwritten",
      "`true`: a tensor placed later in program order reuses some of its bytes (DDR reuse), so "
      "after the run they no longer hold this one; the runtime's keep_tensors skips it",
      Presence::kOptional, "absent: `false`, the bytes hold the tensor after the run"},
    t.overwritten);
}

template <FieldOf<HostOp> S, class F>
void fields(S& op, F&& f) {
  using H = Field<HostOp>;
  f(H{"op", "the op (canonical op set names and semantics, ONNX attributes, NCHW)"}, op.op);
  f(H{"name", "the graph node's name"}, op.name);
  f(H{"inputs", "TENSORS names; absent optional inputs (always trailing) are omitted"}, op.inputs);
  f(H{"output", "a TENSORS name"}, op.output);
  f(H{"attrs", "the node's attributes (ONNX names; pads [top, left, bottom, right])",
      Presence::kOptional, "absent: none"},
    op.attrs);
}

template <FieldOf<Segment> S, class F>
void fields(S& s, F&& f) {
  using G = Field<Segment>;
  constexpr auto bpu = [](const Segment& x) { return x.kind == SegmentKind::kBpu; };
  constexpr auto host = [](const Segment& x) { return x.kind == SegmentKind::kHost; };
  f(G{"kind", "`bpu`: instructions run on the backend; `host`: ops run on the CPU"}, s.kind);
  f(G{"code", "its instructions; the last one is FINISH and every token FIFO is empty after it",
      Presence::kWhen, "`kind` is `bpu`", bpu},
    s.code);
  f(G{"layers", "the LAYERS names it holds, in order", Presence::kWhen, "`kind` is `bpu`", bpu},
    s.layers);
  f(G{"ops", "host ops (`HostOp`), run in order", Presence::kWhen, "`kind` is `host`", host},
    s.ops);
}

template <FieldOf<Layer> S, class F>
void fields(S& l, F&& f) {
  using L = Field<Layer>;
  f(L{"name", "the node's name"}, l.name);
  f(L{"op", "the fused op, described (`conv 3x3/2 +relu -> uint8`)"}, l.op);
  f(L{"segment", "the SEGMENTS index of its BPU segment"}, l.segment);
  f(L{"code", "its instructions (a routing NOP at its start included, the segment's FINISH not)"},
    l.code);
  f(L{"inputs", "activation operand shapes"}, l.inputs);
  f(L{"output", "output shape"}, l.output);
  f(L{"macs", "multiply-accumulates"}, l.macs);
  f(L{"tiles", "tiles of its schedule"}, l.tiles);
  f(L{"est_cycles", "the compiler's cycle estimate (docs/compiler.md section 6)"}, l.est_cycles);
  f(L{"sram", "bytes each SRAM buffer reserves for it (both halves)"}, l.sram);
}

template <class S>
constexpr std::string_view kStructName = "";
template <>
constexpr std::string_view kStructName<Quantization> = "Quantization";
template <>
constexpr std::string_view kStructName<TensorDesc> = "TensorDesc";
template <>
constexpr std::string_view kStructName<HostOp> = "HostOp";
template <>
constexpr std::string_view kStructName<Segment> = "Segment";
template <>
constexpr std::string_view kStructName<Layer> = "Layer";

template <class S>
concept Struct = !kStructName<S>.empty();

// Checks across fields, after every field has been read.
void validate(const Quantization& q) {
  if (q.scale.empty()) throw ContractError(".scale", "expected at least one scale, got []");
  if (q.zero_point.size() != q.scale.size())
    throw ContractError(
        ".zero_point",
        cat("expected ", q.scale.size(), " entries (one per scale), got ", excerpt(q.zero_point)));
  if (q.axis < -1)
    throw ContractError(".axis", cat("expected -1 (per tensor) or an axis >= 0, got ", q.axis));
  if (q.axis == -1 && q.scale.size() != 1)
    throw ContractError(".scale",
                        cat("expected one scale for axis -1 (per tensor), got ", excerpt(q.scale)));
}

void validate(const TensorDesc& t) {
  const std::optional<int64_t> n = checked_numel(t.shape);
  if (!n) throw ContractError(".shape", cat("too many elements, got ", excerpt(t.shape)));
  if (t.layout == TensorLayout::kNhwc) {
    if (t.nchw.size() != 4)
      throw ContractError(".nchw",
                          cat("expected 4 dimensions [N, C, H, W], got ", excerpt(t.nchw)));
    if (checked_numel(t.nchw) != n)
      throw ContractError(".nchw", cat("expected as many elements as shape ", shape_str(t.shape),
                                       ", got ", excerpt(t.nchw)));
  }
  if (t.quant && t.quant->scale.size() != 1) {
    const int axis = t.quant->axis;
    const bool ok = axis >= 0 && axis < static_cast<int>(t.shape.size()) &&
                    static_cast<int64_t>(t.quant->scale.size()) == t.shape[axis];
    if (!ok)
      throw ContractError(".quant", cat(t.quant->scale.size(), " scales do not match axis ", axis,
                                        " of shape ", shape_str(t.shape)));
  }
}

void validate(const HostOp&) {}
void validate(const Segment&) {}
void validate(const Layer&) {}

template <Struct S>
json write_struct(const S& s) {
  json j = json::object();
  fields(s, [&](const Field<S>& f, const auto& v) {
    using T = std::remove_cvref_t<decltype(v)>;
    const bool present = f.presence == Presence::kRequired   ? true
                         : f.presence == Presence::kOptional ? !(v == T{})
                                                             : f.when(s);
    if (present) j[std::string(f.key)] = Codec<T>::write(v);
  });
  return j;
}

template <Struct S>
std::vector<std::string_view> keys_of() {
  const S empty{};
  std::vector<std::string_view> keys;
  fields(empty, [&](const Field<S>& f, const auto&) { keys.push_back(f.key); });
  return keys;
}

template <Struct S>
S read_struct(const json& j) {
  if (!j.is_object()) reject(cat("an object (", kStructName<S>, ")"), j);
  const std::vector<std::string_view> keys = keys_of<S>();
  for (const auto& [key, value] : j.items())
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      throw ContractError(cat(".", key), cat("unknown field of ", kStructName<S>, " (its fields: ",
                                             join(keys, false), "), got ", excerpt(value)));
  S s;
  fields(s, [&](const Field<S>& f, auto& v) {
    using T = std::remove_cvref_t<decltype(v)>;
    const std::string step = cat(".", f.key);
    const auto it = j.find(f.key);
    const bool allowed = f.presence != Presence::kWhen || f.when(s);
    if (it == j.end()) {
      if (f.presence != Presence::kOptional && allowed)
        throw ContractError(step, cat("missing (a required field: ", Codec<T>::expected(), ")"));
      return;
    }
    if (!allowed)
      throw ContractError(step, cat("only allowed when ", f.condition, ", got ", excerpt(*it)));
    v = within(step, [&] { return Codec<T>::read(*it); });
  });
  validate(s);
  return s;
}

template <Struct S>
struct Codec<S> {
  static std::string expected() { return cat("an object (", kStructName<S>, ")"); }
  static json write(const S& s) { return write_struct(s); }
  static S read(const json& j) { return read_struct<S>(j); }
};

template <Struct S>
struct Codec<std::optional<S>> {
  static std::string expected() { return Codec<S>::expected(); }
  static json write(const std::optional<S>& v) { return Codec<S>::write(*v); }
  static std::optional<S> read(const json& j) { return Codec<S>::read(j); }
};

template <Struct S>
struct Codec<std::vector<S>> {
  static std::string expected() { return cat("an array of ", kStructName<S>); }
  static json write(const std::vector<S>& v) {
    json j = json::array();
    for (const S& s : v) j.push_back(Codec<S>::write(s));
    return j;
  }
  static std::vector<S> read(const json& j) {
    if (!j.is_array()) reject(expected(), j);
    std::vector<S> out;
    out.reserve(j.size());
    for (size_t i = 0; i < j.size(); ++i)
      out.push_back(within(cat("[", i, "]"), [&] { return Codec<S>::read(j[i]); }));
    return out;
  }
};

// ---- the reference tables

template <Struct S>
std::string struct_table(std::string_view intro) {
  std::string out = cat("#### `", kStructName<S>, "`\n\n", intro, "\n\n");
  out += "| key | type | presence | meaning |\n|---|---|---|---|\n";
  const S empty{};
  fields(empty, [&](const Field<S>& f, const auto& v) {
    using T = std::remove_cvref_t<decltype(v)>;
    const std::string presence = f.presence == Presence::kRequired ? "required"
                                 : f.presence == Presence::kOptional
                                     ? cat("optional; ", f.condition)
                                     : cat("when ", f.condition);
    out += cat("| `", f.key, "` | ", Codec<T>::expected(), " | ", presence, " | ", f.doc, " |\n");
  });
  return out;
}

}  // namespace

// ---------------------------------------------------------------- public API

template <ContractStruct T>
void to_json(json& j, const T& value) {
  j = Codec<T>::write(value);
}
template <ContractStruct T>
void from_json(const json& j, T& value) {
  value = Codec<T>::read(j);
}

// Instantiates to_json and from_json of every struct for the other files (taking their
// addresses does).
template <ContractStruct... T>
auto instantiate_json_functions() {
  return std::tuple{&to_json<T>..., &from_json<T>...};
}
template auto
instantiate_json_functions<Quantization, TensorDesc, CodeRange, HostOp, Segment, Layer>();

template <class T>
std::vector<T> read_section(const json& j, std::string_view section, const std::string& source) {
  try {
    return Codec<std::vector<T>>::read(j);
  } catch (const ContractError& e) {
    fail(source, ": ", section, e.path(), ": ", e.problem());
  }
}
template std::vector<TensorDesc> read_section(const json&, std::string_view, const std::string&);
template std::vector<Segment> read_section(const json&, std::string_view, const std::string&);
template std::vector<Layer> read_section(const json&, std::string_view, const std::string&);

std::string contract_reference() {
  // Built in steps: GCC 12 warns wrongly on "\n" + s.
  std::string out =
      "Each section is a JSON array of objects: `TENSORS` of `TensorDesc`, `SEGMENTS` of "
      "`Segment` (in execution order), `LAYERS` of `Layer`. A code range is `[first, end)`, "
      "two CODE indices.\n";
  for (const std::string& table :
       {struct_table<TensorDesc>("One tensor in DDR (a `TENSORS` entry)."),
        struct_table<Quantization>("`TensorDesc.quant`: real = scale · (q − zero_point)."),
        struct_table<Segment>("One segment (a `SEGMENTS` entry)."),
        struct_table<HostOp>("One op of a host segment; it reads its inputs from DDR and writes "
                             "its output to DDR through their `TensorDesc`s."),
        struct_table<Layer>("One BPU layer, a fused canonical op (a `LAYERS` entry).")}) {
    out += '\n';
    out += table;
  }
  return out;
}

}  // namespace bpusim::isa
