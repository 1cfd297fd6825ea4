// The whole-graph lowering plan: where each node runs (BPU, host, or nowhere because it is a
// pure alias), where each tensor lives in DDR and in which layout, and the constant data
// (reorganised weights, 64-byte parameter records, host weights) placed in the WEIGHTS and
// PARAMS sections. Built once by make_plan(); the per-op emitters only read it.
//
// DDR map: WEIGHTS at 0, PARAMS after it, then the tensor area; each block aligned to
// kDdrAlign. With CompileOptions::ddr_reuse (the default) tensors whose lifetimes in `order`
// do not overlap share bytes (ddr_plan.h: liveness, the allocator, the footprint); a tensor
// whose bytes a later one takes is marked `overwritten`. Inside a BPU segment the scheduler
// orders a STORE after every earlier LOAD of the bytes it overwrites (DDR is one of the
// spaces its tokens track); lower_graph checks the finished program (check_ddr_plan). Without
// reuse every tensor has its own bytes. Views (Reshape/Flatten aliases, concat slices) always
// share their root's bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "compiler/lower/ddr_plan.h"
#include "compiler/lower/layout.h"
#include "compiler/options.h"
#include "ir/graph.h"
#include "isa/param_record.h"

namespace bpusim::compiler {

inline constexpr int64_t kDdrAlign = 64;

enum class Placement { kBpu, kAlias, kHost };

// What make_plan() prepared for one node.
struct NodePlan {
  Placement placement = Placement::kHost;
  int64_t weights = -1;  // DDR address of the node's reorganised weights (BPU conv/matmul)
  int64_t params = -1;   // index in Plan::params of its first parameter record
  // QConcat: per input, -1 when it is written in place (zero-copy), else its record index
  // relative to `params` (or -2 for a plain COPY).
  std::vector<int64_t> concat_move;
  std::string note;  // why a node runs where it runs (for warnings)
};

struct Plan {
  const ir::Graph* graph = nullptr;
  std::vector<TensorDesc> tensors;  // indexed by ValueId; constants have addr -1
  std::vector<NodePlan> nodes;      // indexed like graph->nodes
  // Program order: every node (aliases included) in the order the program runs them, BPU
  // nodes and host nodes grouped into as few segments as the dependencies allow.
  std::vector<int> order;
  std::vector<uint8_t> weights;  // the WEIGHTS section payload (DDR base 0)
  std::vector<isa::ParamRecord> params;
  int64_t params_base = 0;
  DdrFootprint ddr;  // the DDR map's sizes; ddr.ddr_end() is the first byte after it
  std::vector<std::string> warnings;

  const TensorDesc& desc(ir::ValueId id) const { return tensors.at(id); }
  const ir::Value& value(ir::ValueId id) const { return graph->value(id); }
};

// Classifies the nodes, orders them, chooses layouts and aliases, packs the constants and
// lays out DDR. `graph` must have every shape inferred (infer_shapes) and outlive the plan.
// Errors name the node for unsupported ops, dtypes, layouts and attributes, and the sizes when
// the program does not fit ddr.size_bytes.
Plan make_plan(const ir::Graph& graph, const HwConfig& hw, const CompileOptions& options = {});

// Appends bytes to the WEIGHTS payload at a kDdrAlign boundary; returns their DDR address.
int64_t add_weights(Plan& plan, const std::vector<uint8_t>& bytes);
// Appends records to PARAMS; returns the index of the first (see param_addr).
int64_t add_params(Plan& plan, const std::vector<isa::ParamRecord>& records);
// DDR address of parameter record `index`.
inline int64_t param_addr(const Plan& plan, int64_t index) {
  return plan.params_base + index * static_cast<int64_t>(isa::kParamRecordBytes);
}

}  // namespace bpusim::compiler
