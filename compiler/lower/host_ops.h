// Host segments: the ops the runtime executes on the CPU between BPU segments (float regions,
// quantize/dequantize at the model boundary, argmax of float tensors, layout copies), as the
// program contract's isa::HostOp (isa/program_contract.h).
#pragma once

#include "compiler/lower/plan.h"
#include "isa/program_contract.h"

namespace bpusim::compiler {

// The host op of node `node`. Error naming the node when the host executor has no such op.
isa::HostOp host_op(const Plan& plan, int node);

}  // namespace bpusim::compiler
