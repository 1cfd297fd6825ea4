// The program contract: the typed content of the `.bpu` sections TENSORS, SEGMENTS and LAYERS
// (docs/isa.md section 6, whose tables contract_reference() generates). The compiler fills
// these structs, isa::Program (container.h) carries them, and the runtime, the profiler and
// `bpusim verify` read them; nothing else knows their JSON form. Each struct has one to_json /
// from_json pair (found by nlohmann's ADL), both driven by one field list per struct in
// program_contract.cc, so the writer, the reader and the documentation cannot disagree.
//
// from_json validates every field: a missing required field, a value of the wrong type, a
// negative size, an unknown name (role, layout, kind, host op) or a key the contract does not
// define throws ContractError naming the field's path and the value. read_section() turns that
// into a bpusim::Error such as
//   prog.bpu: TENSORS[3].shape: expected an array of non-negative integers, got "x"
// Optional fields have a documented value when absent (no view, dense, not quantized); no
// required field has a default.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.h"
#include "common/tensor.h"

namespace bpusim::isa {

// ---------------------------------------------------------------- names

enum class TensorRole : uint8_t { kInput, kOutput, kInternal, kConstant };
// kRowMajor: DDR holds the elements row-major in the logical shape. kNhwc: DDR holds the
// [N, H, W, C] order of a 4-D [N, C, H, W] tensor (TensorDesc::nchw).
enum class TensorLayout : uint8_t { kRowMajor, kNhwc };
enum class SegmentKind : uint8_t { kBpu, kHost };
// The ops the runtime's host executor implements (runtime/host_ops.h), with the canonical
// op set's names and semantics (ir/op_set.h; ONNX attributes, NCHW).
enum class HostOpKind : uint8_t {
  kAdd,
  kArgMax,
  kAveragePool,
  kConcat,
  kConv,
  kDequantize,
  kFlatten,
  kGemm,
  kGlobalAveragePool,
  kIdentity,
  kMatMul,
  kMaxPool,
  kMul,
  kQuantize,
  kRelu,
  kReshape,
  kSigmoid,
  kSoftmax,
};

// The JSON names: "input", "output", "internal", "constant"; "nchw" (row-major), "nhwc";
// "bpu", "host"; the op name ("Conv", ...).
std::string_view role_name(TensorRole r);
std::string_view layout_name(TensorLayout l);
std::string_view segment_kind_name(SegmentKind k);
std::string_view host_op_name(HostOpKind k);
// The host op called `name`, or nullopt when the host executor has none.
std::optional<HostOpKind> host_op_kind(std::string_view name);
// Every host op name, sorted, comma-separated (for messages).
std::string host_op_names();

// ---------------------------------------------------------------- TENSORS

// Affine quantization of a tensor: real = scale * (q - zero_point).
struct Quantization {
  std::vector<float> scale;         // one entry (per tensor), or one per index along `axis`
  std::vector<int32_t> zero_point;  // as many as `scale`
  int axis = -1;                    // -1: per tensor; else the logical axis the entries follow
  bool operator==(const Quantization&) const = default;
};

// One tensor in DDR: a model input or output, an intermediate, or a host-op constant.
struct TensorDesc {
  std::string name;  // the graph value's name
  TensorRole role = TensorRole::kInternal;
  DType dtype = DType::kU8;     // element type in DDR
  DType ir_dtype = DType::kU8;  // element type in the graph (int64 for ArgMax indices in int32)
  Shape shape;                  // logical shape: what the user and host ops see
  TensorLayout layout = TensorLayout::kRowMajor;
  Shape nchw;             // kNhwc only: the 4-D [N, C, H, W] whose NHWC order DDR holds
  int64_t ddr_addr = -1;  // DDR byte address of element 0 (-1: not placed, compiler only)
  int64_t bytes = 0;      // dense size
  std::string view_of;    // the tensor whose bytes these are (alias, concat slice); "" = own
  // Bytes between consecutive pixels (every position but the innermost memory dimension: C
  // for nhwc, the last dimension otherwise) of a strided concat slice; 0 = dense.
  int64_t pixel_stride = 0;
  std::optional<Quantization> quant;
  // DDR reuse: a tensor placed later in program order reuses some of these bytes, so after
  // the run they no longer hold this tensor (it was valid while it was live).
  bool overwritten = false;

  bool quantized() const { return quant.has_value(); }
  // Scale and zero point of logical element `i` (quantized tensors only).
  float scale_of(int64_t i) const;
  int32_t zp_of(int64_t i) const;
  bool operator==(const TensorDesc&) const = default;
};

// ---------------------------------------------------------------- SEGMENTS

// An instruction range [first, end) in CODE.
struct CodeRange {
  int64_t first = 0;
  int64_t end = 0;
  int64_t size() const { return end - first; }
  bool operator==(const CodeRange&) const = default;
};

// An attribute of a host op: the canonical op set's attribute types (ir::AttrValue).
using HostAttr =
    std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>>;

// One float op run on the host between BPU segments; it reads its inputs from DDR and writes
// its output to DDR through their TENSORS descriptors.
struct HostOp {
  HostOpKind op = HostOpKind::kIdentity;
  std::string name;                 // the graph node's name
  std::vector<std::string> inputs;  // TENSORS names; absent optional inputs (always trailing)
                                    // are omitted
  std::string output;               // a TENSORS name
  std::map<std::string, HostAttr> attrs;
  bool operator==(const HostOp&) const = default;
};

// One segment of the program, run in SEGMENTS order: BPU instructions on the backend, or host
// ops on the CPU.
struct Segment {
  SegmentKind kind = SegmentKind::kBpu;
  CodeRange code;                   // kBpu: its instructions, the last one FINISH
  std::vector<std::string> layers;  // kBpu: the LAYERS it holds, in order
  std::vector<HostOp> ops;          // kHost: run in order
  bool operator==(const Segment&) const = default;
};

// ---------------------------------------------------------------- LAYERS

inline constexpr std::array<std::string_view, 5> kSramBufferNames = {
    "feature", "weight", "accumulator", "output", "param"};

// One BPU layer (a fused canonical op), as the compile table and the profiler show it.
struct Layer {
  std::string name;           // the node's name
  std::string op;             // the fused op, described
  int64_t segment = 0;        // the SEGMENTS index of its BPU segment
  CodeRange code;             // its instructions (excluding the segment's FINISH)
  std::vector<Shape> inputs;  // activation operand shapes
  Shape output;
  int64_t macs = 0;
  int64_t tiles = 0;
  int64_t est_cycles = 0;         // the compiler's estimate (compiler/lower/estimate.h)
  std::array<int64_t, 5> sram{};  // bytes reserved per buffer, kSramBufferNames order
  int64_t instructions() const { return code.size(); }
  bool operator==(const Layer&) const = default;
};

// ---------------------------------------------------------------- JSON

// A field that does not hold to the contract. path(): where, relative to the value given to
// from_json (".shape", "[2].ops[0].attrs.pads"); problem(): what is wrong, with the value.
class ContractError : public Error {
 public:
  ContractError(std::string path, std::string problem);
  const std::string& path() const { return path_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string path_;
  std::string problem_;
};

// The structs of the contract. Each has one to_json / from_json (found by nlohmann's ADL:
// json(tensor_desc), j.get<Layer>()); from_json throws ContractError.
template <class T>
concept ContractStruct =
    std::same_as<T, Quantization> || std::same_as<T, TensorDesc> || std::same_as<T, CodeRange> ||
    std::same_as<T, HostOp> || std::same_as<T, Segment> || std::same_as<T, Layer>;

template <ContractStruct T>
void to_json(nlohmann::json& j, const T& value);
template <ContractStruct T>
void from_json(const nlohmann::json& j, T& value);

// A whole section (a JSON array of T: TensorDesc, Segment or Layer). Error
// "<source>: <section>[i].<field>: <problem>".
template <class T>
std::vector<T> read_section(const nlohmann::json& j, std::string_view section,
                            const std::string& source);

// Markdown tables of every struct's JSON fields (key, type, presence, meaning), as embedded in
// docs/isa.md section 6.
std::string contract_reference();

}  // namespace bpusim::isa
