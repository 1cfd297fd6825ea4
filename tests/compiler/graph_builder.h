// Builds small canonical graphs (ir/op_set.h) for the compiler tests.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "common/tensor.h"
#include "ir/graph.h"
#include "ir/op_set.h"

namespace bpusim::testing {

class GraphBuilder {
 public:
  ir::ValueId input(const std::string& name, DType t, Shape shape) {
    ir::Value v{name, t, std::move(shape), true, std::nullopt, std::nullopt};
    const ir::ValueId id = g.add_value(std::move(v));
    g.inputs.push_back(id);
    return id;
  }
  ir::ValueId constant(const std::string& name, Tensor t) {
    ir::Value v{name, t.dtype(), t.shape(), true, std::nullopt, std::move(t)};
    return g.add_value(std::move(v));
  }
  // Adds node `op` with `attrs`; returns its (single) output, shape to be inferred.
  ir::ValueId node(const std::string& op, const std::string& name, std::vector<ir::ValueId> in,
                   std::map<std::string, ir::AttrValue> attrs = {}) {
    const ir::ValueId out = g.add_value({name + "_out", DType::kF32, {}, false, {}, {}});
    g.nodes.push_back({name, op, std::move(in), {out}, std::move(attrs)});
    return out;
  }
  ir::Node& last() { return g.nodes.back(); }
  void output(ir::ValueId id) { g.outputs.push_back(id); }

  ir::Graph g;
};

// Random int8/uint8 tensor.
inline Tensor random_tensor(DType t, Shape shape, std::mt19937& rng) {
  Tensor out(t, std::move(shape));
  std::uniform_int_distribution<int> d(t == DType::kI8 ? -128 : 0, t == DType::kI8 ? 127 : 255);
  for (auto& b : out.bytes()) b = static_cast<std::byte>(d(rng));
  return out;
}

// An int32 pass-through requantizer with per-channel bias.
inline ir::Requant int32_requant(int64_t channels, std::mt19937& rng) {
  ir::Requant rq;
  rq.mode = ir::Stage1Mode::kInt32;
  rq.out_dtype = DType::kI32;
  std::uniform_int_distribution<int> d(-1000, 1000);
  rq.channels.resize(channels);
  for (auto& c : rq.channels) c.bias = d(rng);
  return rq;
}

}  // namespace bpusim::testing
