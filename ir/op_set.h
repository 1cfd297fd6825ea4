// The canonical op set: the ops the golden interpreter executes and the compiler's passes
// produce. One table (op_set() in op_set.cc) lists every op with its inputs, outputs and
// attributes; check_node() validates a node against it, and docs/requantizer.md explains the
// arithmetic. Three groups:
//   - quantized ops (integer tensors, run on the BPU): Quantize, Dequantize, QConv, QMatMul,
//     QAdd, QAddBroadcast, QMul, QClamp, QConcat, QMaxPool, QAvgPool, QGlobalAvgPool, QLut,
//     QUpsampleNearest, QUpsampleBilinear;
//   - layout/index ops valid on any element type: ArgMax, Reshape, Flatten;
//   - float32 host ops with ONNX names, attributes and semantics: Conv, Gemm, MatMul, Add,
//     Relu, MaxPool, AveragePool, GlobalAveragePool, Concat (and Flatten/Reshape above).
//
// Conventions shared by all canonical ops:
//   - Layout NCHW; 2-D convolution and pooling only. `pads` = [top, left, bottom, right]
//     (ONNX order), `strides`/`dilations`/`kernel_shape` = [h, w]. auto_pad is not part of
//     the canonical set (importers make pads explicit).
//   - Quantization parameters are attributes, never inputs, so the interpreter needs nothing
//     but the node: `<input>_scale`/`<input>_zero_point` for an input's affine map,
//     `y_scale`/`y_zero_point` for the output's, `out_dtype` ("uint8" | "int8" | "int32") for
//     the output element type of an integer-producing op.
//   - The requantizer of QConv/QMatMul is described by attributes named exactly like the
//     fields of the per-channel parameter record (docs/requantizer.md, docs/isa.md): `bias`,
//     `scale`, `mult`, `shift`, `zp`, `min`, `max`, `add_const`, `add_mult_a`, `add_mult_b`,
//     `add_shift`, `add_zp`, `add_min`, `add_max`; each is a vector with one entry per output
//     channel, or a single entry that applies to every channel. `mode` selects stage 1:
//     "fp32" | "fixed" | "int32" (pass-through). Stage 2 (fused add) runs iff the node has
//     its optional residual input. Read and write them only through get_requant/set_requant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/tensor.h"
#include "ir/graph.h"

namespace bpusim::ir {

// ---- op names ----
namespace op {
// quantized (BPU)
inline constexpr char kQuantize[] = "Quantize";
inline constexpr char kDequantize[] = "Dequantize";
inline constexpr char kQConv[] = "QConv";
inline constexpr char kQMatMul[] = "QMatMul";
inline constexpr char kQAdd[] = "QAdd";
inline constexpr char kQClamp[] = "QClamp";
inline constexpr char kQConcat[] = "QConcat";
inline constexpr char kQMaxPool[] = "QMaxPool";
inline constexpr char kQAvgPool[] = "QAvgPool";
inline constexpr char kQGlobalAvgPool[] = "QGlobalAvgPool";
inline constexpr char kQLut[] = "QLut";
inline constexpr char kQMul[] = "QMul";
inline constexpr char kQAddBroadcast[] = "QAddBroadcast";
inline constexpr char kQUpsampleNearest[] = "QUpsampleNearest";
inline constexpr char kQUpsampleBilinear[] = "QUpsampleBilinear";
// any element type
inline constexpr char kArgMax[] = "ArgMax";
inline constexpr char kReshape[] = "Reshape";
inline constexpr char kFlatten[] = "Flatten";
// float32 (host)
inline constexpr char kConv[] = "Conv";
inline constexpr char kGemm[] = "Gemm";
inline constexpr char kMatMul[] = "MatMul";
inline constexpr char kAdd[] = "Add";
inline constexpr char kMul[] = "Mul";
inline constexpr char kRelu[] = "Relu";
inline constexpr char kSigmoid[] = "Sigmoid";
inline constexpr char kMaxPool[] = "MaxPool";
inline constexpr char kAveragePool[] = "AveragePool";
inline constexpr char kGlobalAveragePool[] = "GlobalAveragePool";
inline constexpr char kConcat[] = "Concat";
}  // namespace op

// ---- attribute keys shared by several ops ----
namespace attr {
inline constexpr char kOutDType[] = "out_dtype";
inline constexpr char kAxis[] = "axis";
// requantizer (record field names)
inline constexpr char kMode[] = "mode";
inline constexpr char kBias[] = "bias";
inline constexpr char kScale[] = "scale";
inline constexpr char kMult[] = "mult";
inline constexpr char kShift[] = "shift";
inline constexpr char kZp[] = "zp";
inline constexpr char kMin[] = "min";
inline constexpr char kMax[] = "max";
inline constexpr char kAddConst[] = "add_const";
inline constexpr char kAddMultA[] = "add_mult_a";
inline constexpr char kAddMultB[] = "add_mult_b";
inline constexpr char kAddShift[] = "add_shift";
inline constexpr char kAddZp[] = "add_zp";
inline constexpr char kAddMin[] = "add_min";
inline constexpr char kAddMax[] = "add_max";
}  // namespace attr

// ---- the table ----
enum class OpGroup { kQuantized, kAnyType, kFloat };
enum class AttrKind { kInt, kFloat, kString, kInts, kFloats };
enum class Arity { kOne, kOptional, kVariadic };  // kVariadic: one or more, last input only

struct ArgDef {
  std::string_view name;
  Arity arity;
  std::string_view doc;
};

struct AttrDef {
  std::string_view name;
  AttrKind kind;
  bool required;
  std::string_view doc;
};

struct OpDef {
  std::string_view name;
  OpGroup group;
  std::string_view summary;
  std::vector<ArgDef> inputs;
  std::vector<ArgDef> outputs;
  std::vector<AttrDef> attrs;
};

// Every canonical op, in a fixed order.
const std::vector<OpDef>& op_set();
// The definition of `name`, or nullptr when it is not a canonical op.
const OpDef* find_op(std::string_view name);
std::string_view attr_kind_name(AttrKind kind);

// Checks `node` against its OpDef: known op, input and output counts, every attribute known
// and of the declared kind, required attributes present. Throws Error naming the node, the
// field and the value ("unsupported op", "unsupported attribute 'foo'", ...).
void check_node(const Node& node);

// ---- requantizer parameters (docs/requantizer.md) ----

// Stage-1 mode of one QConv/QMatMul. The hardware config's requant.mode chooses between
// fp32 and fixed for a whole program; kInt32 (pass-through) is chosen per op.
enum class Stage1Mode { kFp32, kFixed, kInt32 };
std::string_view stage1_mode_name(Stage1Mode mode);  // "fp32", "fixed", "int32"

// Stage-2 (fused residual add / standalone QAdd) fields of one channel.
struct AddParams {
  int32_t add_const = 0;
  int32_t add_mult_a = 0;
  int32_t add_mult_b = 0;
  int32_t add_shift = 0;
  int32_t add_zp = 0;
  int32_t add_min = 0;
  int32_t add_max = 0;
};

// One output channel's record (the fields of the 64-byte record, as values).
struct RequantChannel {
  int32_t bias = 0;
  float scale = 0.0f;
  int32_t mult = 0;
  int32_t shift = 0;
  int32_t zp = 0;
  int32_t min = 0;
  int32_t max = 0;
  AddParams add;
};

struct Requant {
  Stage1Mode mode = Stage1Mode::kFp32;
  DType out_dtype = DType::kU8;
  bool has_add = false;                  // stage 2 runs
  std::vector<RequantChannel> channels;  // one per output channel
};

// Stores `rq` in node.attrs (`mode`, `out_dtype` and one vector per field the mode uses).
void set_requant(Node& node, const Requant& rq);
// Reads the requantizer of `node` for `channels` output channels, broadcasting length-1
// vectors, and validates every field (ranges in docs/requantizer.md). Defaults: bias 0,
// zp 0, min/max the out_dtype range. Throws Error naming node, field, channel and value.
Requant get_requant(const Node& node, int64_t channels, bool has_add);
// Reads the stage-2 fields of a QAdd (single entries) for output type `out_dtype`.
AddParams get_add_params(const Node& node, DType out_dtype);
// Writes the stage-2 fields of a QAdd as single-entry vectors.
void set_add_params(Node& node, const AddParams& add);

// The out_dtype attribute of an integer-producing node (default `fallback`); accepts
// uint8 | int8 | int32 only.
DType get_out_dtype(const Node& node, DType fallback);
// Smallest and largest value of an integer element type (uint8, int8, int32, int64).
int64_t dtype_min(DType t);
int64_t dtype_max(DType t);

}  // namespace bpusim::ir
