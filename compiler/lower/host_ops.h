// Host segments: the JSON op list the runtime executes on the CPU between BPU segments
// (float regions, quantize/dequantize at the model boundary, argmax of float tensors, layout
// copies). Schema in docs/compiler.md, "Host segments".
#pragma once

#include <nlohmann/json.hpp>

#include "compiler/lower/plan.h"

namespace bpusim::compiler {

// {"op", "name", "attrs", "inputs": [...], "outputs": [...]} for host node `node`.
nlohmann::json host_op_json(const Plan& plan, int node);

}  // namespace bpusim::compiler
