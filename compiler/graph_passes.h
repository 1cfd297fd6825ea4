// The graph passes that run between canonicalization and lowering: QDQ pattern recognition,
// export-noise folding, conv/linear/add/relu fusion and the derivation of requantizer
// parameters for the hardware's requant.mode. Until those passes land this is the identity;
// their owner replaces graph_passes.cc (compile_model calls nothing else in between).
#pragma once

#include <string>
#include <vector>

#include "common/hw_config.h"
#include "ir/graph.h"

namespace bpusim::compiler {

// Rewrites `graph` into canonical ops; appends human-readable notes (e.g. why an add was not
// fused) to `notes`. Throws bpusim::Error naming the node for unsupported patterns.
void run_graph_passes(ir::Graph& graph, const HwConfig& hw, std::vector<std::string>& notes);

}  // namespace bpusim::compiler
