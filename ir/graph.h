// Graph IR: the data structure the compiler builds from ONNX, rewrites in its passes, and
// the golden interpreter executes. Data only: values (tensor edges, with optional constant
// data and quantization parameters) and nodes (an op name from ir/op_set.h plus attributes).
// No arithmetic lives here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/tensor.h"

namespace bpusim::ir {

// Quantization of an integer tensor: real = (q - zero_point) * scale, per tensor
// (axis == -1, one scale and zero point) or per slice along `axis`.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = -1;
  bool per_tensor() const { return axis < 0; }
};

using ValueId = int32_t;
constexpr ValueId kNoValue = -1;  // an absent optional input

struct Value {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;  // empty with `shape_known == false` when not inferred yet
  bool shape_known = false;
  std::optional<QuantParams> quant;  // set for integer tensors that carry quantized reals
  std::optional<Tensor> constant;    // initializer or folded constant
};

using AttrValue =
    std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>>;

struct Node {
  std::string name;  // unique, from the source model where it had one (used in messages)
  std::string op;    // see ir/op_set.h
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  std::map<std::string, AttrValue> attrs;

  bool has_attr(const std::string& key) const { return attrs.count(key) != 0; }
  // Typed attribute access; throws bpusim::Error naming the node, key and type on mismatch.
  int64_t attr_int(const std::string& key) const;
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback) const;
  std::vector<float> attr_floats(const std::string& key, std::vector<float> fallback) const;
  // "node 'conv1' (Conv)" for error messages.
  std::string describe() const;
};

struct Graph {
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;  // in topological order after import and after every pass
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;

  ValueId add_value(Value v);
  // Id of the value called `name`, or kNoValue.
  ValueId find(const std::string& name) const;
  Value& value(ValueId id) { return values.at(id); }
  const Value& value(ValueId id) const { return values.at(id); }
  // Index of the node producing `id`, or -1 (graph input or constant).
  int producer(ValueId id) const;
  // Indices of the nodes reading `id`.
  std::vector<int> consumers(ValueId id) const;
  // Drops nodes whose outputs nobody reads and that produce no graph output, and values
  // that are then unreferenced; keeps ids of the remaining values stable by remapping.
  void prune();
  // Re-sorts `nodes` topologically (graph inputs and constants are available from the
  // start; kNoValue inputs are absent). Throws Error naming the node and the input when an
  // input is never defined, or naming a node on the cycle and its input when there is one.
  void toposort();

 private:
  [[noreturn]] void fail_unsortable(const std::vector<bool>& done,
                                    const std::vector<bool>& ready) const;
};

}  // namespace bpusim::ir
