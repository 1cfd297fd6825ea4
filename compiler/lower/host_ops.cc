#include "compiler/lower/host_ops.h"

#include <variant>

#include "common/error.h"

namespace bpusim::compiler {

isa::HostOp host_op(const Plan& plan, int node) {
  const ir::Node& n = plan.graph->nodes[node];
  const std::optional<isa::HostOpKind> kind = isa::host_op_kind(n.op);
  require(kind.has_value(), n.describe(), ": runs on the host, but the host executor has no op '",
          n.op, "' (its ops: ", isa::host_op_names(), ")");
  require(n.outputs.size() == 1, n.describe(), ": host ops have exactly one output, got ",
          n.outputs.size());
  isa::HostOp op{*kind, n.name, {}, plan.value(n.outputs[0]).name, {}};
  // The canonical attribute types are the contract's (ir::AttrValue, isa::HostAttr).
  for (const auto& [key, value] : n.attrs)
    op.attrs[key] = std::visit([](const auto& x) { return isa::HostAttr(x); }, value);
  // Absent optional inputs can only be trailing ones (Conv's B, Gemm's C): drop them.
  size_t count = n.inputs.size();
  while (count > 0 && n.inputs[count - 1] == ir::kNoValue) --count;
  for (size_t i = 0; i < count; ++i) {
    require(n.inputs[i] != ir::kNoValue, n.describe(), ": input ", i,
            " is absent but a later one is present; the host op list cannot express that");
    op.inputs.push_back(plan.value(n.inputs[i]).name);
  }
  return op;
}

}  // namespace bpusim::compiler
