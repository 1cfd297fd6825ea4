#include "compiler/passes/graph_edit.h"

#include <algorithm>

#include "common/error.h"

namespace bpusim::compiler {

bool is_graph_output(const ir::Graph& g, ir::ValueId v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}

int use_count(const ir::Graph& g, ir::ValueId v) {
  int uses = static_cast<int>(std::count(g.outputs.begin(), g.outputs.end(), v));
  for (const ir::Node& n : g.nodes)
    uses += static_cast<int>(std::count(n.inputs.begin(), n.inputs.end(), v));
  return uses;
}

int sole_consumer(const ir::Graph& g, ir::ValueId v) {
  if (v == ir::kNoValue || use_count(g, v) != 1 || is_graph_output(g, v)) return -1;
  const std::vector<int> readers = g.consumers(v);
  return readers.size() == 1 ? readers[0] : -1;
}

int producer_of(const ir::Graph& g, ir::ValueId v) {
  return v == ir::kNoValue ? -1 : g.producer(v);
}

const Tensor* constant_of(const ir::Graph& g, ir::ValueId v) {
  if (v == ir::kNoValue) return nullptr;
  const ir::Value& value = g.value(v);
  return value.constant ? &*value.constant : nullptr;
}

ir::ValueId input_or_none(const ir::Node& n, size_t i) {
  return i < n.inputs.size() ? n.inputs[i] : ir::kNoValue;
}

ir::ValueId add_constant(ir::Graph& g, const std::string& name, Tensor t) {
  std::string unique = name;
  for (int k = 1; g.find(unique) != ir::kNoValue; ++k) unique = cat(name, "_", k);
  ir::Value v;
  v.name = unique;
  v.dtype = t.dtype();
  v.shape = t.shape();
  v.shape_known = true;
  v.constant = std::move(t);
  return g.add_value(std::move(v));
}

void replace_uses(ir::Graph& g, ir::ValueId from, ir::ValueId to) {
  for (ir::Node& n : g.nodes) std::replace(n.inputs.begin(), n.inputs.end(), from, to);
  std::replace(g.outputs.begin(), g.outputs.end(), from, to);
}

void bypass(ir::Graph& g, int k) {
  ir::Node& n = g.nodes.at(k);
  const ir::ValueId in = n.inputs.at(0), out = n.outputs.at(0);
  const int p = producer_of(g, in);
  mark_removed(n);
  if (is_graph_output(g, out) && p >= 0 && !is_graph_output(g, in)) {
    ir::Value& o = g.value(out);
    const ir::Value& i = g.value(in);
    o.dtype = i.dtype;
    o.quant = i.quant;
    if (i.shape_known) o.shape = i.shape, o.shape_known = true;
    std::replace(g.nodes[p].outputs.begin(), g.nodes[p].outputs.end(), in, out);
    replace_uses(g, in, out);
  } else {
    replace_uses(g, out, in);
  }
}

void mark_removed(ir::Node& n) {
  n.op.clear();
  n.inputs.clear();
  n.outputs.clear();
}

void erase_removed(ir::Graph& g) {
  std::erase_if(g.nodes, [](const ir::Node& n) { return n.op.empty(); });
}

std::string where(const std::string& source, const ir::Node& n) {
  return source.empty() ? n.describe() : cat(source, ": ", n.describe());
}

}  // namespace bpusim::compiler
