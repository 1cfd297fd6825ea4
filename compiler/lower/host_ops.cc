#include "compiler/lower/host_ops.h"

#include <variant>

#include "common/error.h"

namespace bpusim::compiler {
namespace {

nlohmann::json attr_json(const ir::AttrValue& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

}  // namespace

nlohmann::json host_op_json(const Plan& plan, int node) {
  const ir::Node& n = plan.graph->nodes[node];
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [key, value] : n.attrs) attrs[key] = attr_json(value);
  // Absent optional inputs can only be trailing ones (Conv's B, Gemm's C): drop them.
  size_t count = n.inputs.size();
  while (count > 0 && n.inputs[count - 1] == ir::kNoValue) --count;
  nlohmann::json inputs = nlohmann::json::array();
  for (size_t i = 0; i < count; ++i) {
    require(n.inputs[i] != ir::kNoValue, n.describe(), ": input ", i,
            " is absent but a later one is present; the host op list cannot express that");
    inputs.push_back(plan.value(n.inputs[i]).name);
  }
  nlohmann::json outputs = nlohmann::json::array();
  for (ir::ValueId o : n.outputs) outputs.push_back(plan.value(o).name);
  return {
      {"op", n.op}, {"name", n.name}, {"attrs", attrs}, {"inputs", inputs}, {"outputs", outputs}};
}

}  // namespace bpusim::compiler
