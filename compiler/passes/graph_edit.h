// Small graph-editing helpers shared by the front-end passes (compiler/passes/). A pass that
// rewrites several nodes marks the ones it drops (mark_removed) and erases them at its end
// (erase_removed), so node indices stay valid while it walks the graph.
#pragma once

#include <string>
#include <vector>

#include "common/tensor.h"
#include "ir/graph.h"

namespace bpusim::compiler {

bool is_graph_output(const ir::Graph& g, ir::ValueId v);
// How many node inputs read `v`, plus one when `v` is a graph output.
int use_count(const ir::Graph& g, ir::ValueId v);
// Index of the node reading `v` when that node is its only use (and `v` is no graph output),
// else -1.
int sole_consumer(const ir::Graph& g, ir::ValueId v);
// Index of the node producing `v`, or -1 (graph input, constant, absent).
int producer_of(const ir::Graph& g, ir::ValueId v);
// The constant tensor of `v`, or nullptr when `v` is absent or computed at run time.
const Tensor* constant_of(const ir::Graph& g, ir::ValueId v);
// Input `i` of `n`, or kNoValue when the node has fewer inputs.
ir::ValueId input_or_none(const ir::Node& n, size_t i);

// A new constant value called `name` (made unique) holding `t`.
ir::ValueId add_constant(ir::Graph& g, const std::string& name, Tensor t);
// Makes every node input and graph output that reads `from` read `to` instead.
void replace_uses(ir::Graph& g, ir::ValueId from, ir::ValueId to);
// Removes node `k`, which has one input and one output and computes the identity: its
// readers read the input instead. When the output is a graph output produced from another
// node's result, that node writes the output value instead (graph output names survive).
void bypass(ir::Graph& g, int k);
// Drops `n` at the next erase_removed(); it no longer reads or writes any value.
void mark_removed(ir::Node& n);
void erase_removed(ir::Graph& g);

// "file.onnx: node 'x' (Op)" for messages; `source` may be empty.
std::string where(const std::string& source, const ir::Node& n);

}  // namespace bpusim::compiler
