// Lowering of a canonical graph (ir/op_set.h, shapes inferred) to a `.bpu` Program: the plan
// (placement, layouts, DDR), one Schedule per run of consecutive BPU nodes (a BPU segment,
// closed by FINISH and verified by check_schedule), host segments for everything else, and
// the per-layer report. The finished program's DDR map is checked (check_ddr_plan).
#pragma once

#include <string>
#include <vector>

#include "common/hw_config.h"
#include "compiler/lower/ddr_plan.h"
#include "compiler/options.h"
#include "compiler/program_builder.h"
#include "ir/graph.h"
#include "isa/container.h"

namespace bpusim::compiler {

struct Lowered {
  isa::Program program;
  std::vector<isa::Layer> layers;
  std::vector<std::string> warnings;  // one per op not fused or placed on the host
  int64_t est_cycles = 0;             // the cost model's program cycles: its BPU segments'
  DdrFootprint ddr;
};

Lowered lower_graph(const ir::Graph& graph, const HwConfig& hw, const CompileOptions& options = {});

}  // namespace bpusim::compiler
