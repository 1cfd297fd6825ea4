#include "compiler/lower/host_ops.h"

#include <variant>

namespace bpusim::compiler {
namespace {

nlohmann::json attr_json(const ir::AttrValue& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

nlohmann::json constant_json(const Plan& plan, int node, size_t i) {
  const ir::Value& v = plan.value(plan.graph->nodes[node].inputs[i]);
  const Tensor& t = *v.constant;
  nlohmann::json j{{"name", v.name}, {"dtype", dtype_name(t.dtype())}, {"shape", t.shape()}};
  const int64_t addr = plan.nodes[node].const_addr.at(i);
  if (addr >= 0) {
    j["ddr_addr"] = addr;
    j["bytes"] = t.bytes().size();
    return {{"weights", j}};
  }
  nlohmann::json values = nlohmann::json::array();
  for (int64_t k = 0; k < t.numel(); ++k) {
    if (t.dtype() == DType::kF32)
      values.push_back(t.as_double(k));
    else
      values.push_back(t.as_int(k));
  }
  j["values"] = values;
  return {{"inline", j}};
}

}  // namespace

nlohmann::json host_op_json(const Plan& plan, int node) {
  const ir::Node& n = plan.graph->nodes[node];
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [key, value] : n.attrs) attrs[key] = attr_json(value);
  nlohmann::json inputs = nlohmann::json::array();
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (n.inputs[i] == ir::kNoValue)
      inputs.push_back(nullptr);
    else if (plan.value(n.inputs[i]).constant)
      inputs.push_back(constant_json(plan, node, i));
    else
      inputs.push_back({{"tensor", plan.value(n.inputs[i]).name}});
  }
  nlohmann::json outputs = nlohmann::json::array();
  for (ir::ValueId o : n.outputs) outputs.push_back({{"tensor", plan.value(o).name}});
  return {
      {"op", n.op}, {"name", n.name}, {"attrs", attrs}, {"inputs", inputs}, {"outputs", outputs}};
}

}  // namespace bpusim::compiler
