// The golden graph interpreter: executes an ir::Graph of canonical ops (ir/op_set.h) node by
// node with the integer reference of golden/ops.h. Every node is validated against the op
// table first (ir::check_node) and every quantization parameter is read from node attributes,
// so the interpreter depends on nothing but the graph: no compiler code, no sim/ or rtl_ref/.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/tensor.h"
#include "ir/graph.h"

namespace bpusim::golden {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct RunOptions {
  // Also return every node output, in execution order (layer-by-layer comparison).
  bool keep_intermediates = false;
};

struct RunResult {
  std::vector<NamedTensor> outputs;        // the graph outputs, in graph order
  std::vector<NamedTensor> intermediates;  // every node output (keep_intermediates only)
  // The output called `name`; throws Error when there is none.
  const Tensor& output(const std::string& name) const;
};

// Runs `graph` (nodes in topological order) on `inputs`, one tensor per graph input by name;
// a provided tensor's dtype and (when the graph declares it) shape must match the input's
// declaration. Constant values are read from the graph. Throws bpusim::Error naming the node
// for a malformed node, a missing input, or a shape or type the op does not accept.
RunResult run(const ir::Graph& graph, const std::map<std::string, Tensor>& inputs,
              const RunOptions& options = {});

// Runs one canonical-op node on its input tensors (nullptr for an absent optional input):
// validates it against the op table and applies its kernel. Throws Error naming the node.
std::vector<Tensor> run_node(const ir::Node& node, const std::vector<const Tensor*>& inputs);

// Checks that `inputs` gives every input of `graph`, with its declared element type and (when
// declared) shape, and nothing else. Throws Error naming the input and both values.
void check_graph_inputs(const ir::Graph& graph, const std::map<std::string, Tensor>& inputs);

// True when the interpreter has a kernel for `op` (every canonical op has one; tested).
bool has_kernel(std::string_view op);

}  // namespace bpusim::golden
