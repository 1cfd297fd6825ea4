#include "compiler/passes/fusion.h"

#include <algorithm>

#include "common/error.h"
#include "compiler/passes/graph_edit.h"
#include "ir/op_set.h"

namespace bpusim::compiler {
namespace {

int64_t output_channels(const ir::Graph& g, const ir::Node& n) {
  const Shape& s = g.value(n.outputs.at(0)).shape;
  return n.op == ir::op::kQConv ? s.at(1) : s.back();
}

bool is_pass_through(const ir::Node& n) {
  return n.attr_string(ir::attr::kMode, "") == "int32";
}

// Why the result `v` (produced by node `p`, or -1) cannot take a fused op that reads it as
// `role` ("its input", "its first operand"); empty when it can. `kinds` names the producers
// that accept one.
std::string fusion_blocker(const ir::Graph& g, ir::ValueId v, int p, const char* role,
                           const std::vector<std::string>& kinds, const char* kind_text) {
  const std::string what = cat(role, " '", g.value(v).name, "'");
  if (p < 0) return cat(what, " is a graph input or constant, not the output of ", kind_text);
  const ir::Node& src = g.nodes[p];
  if (std::find(kinds.begin(), kinds.end(), src.op) == kinds.end())
    return cat(what, " comes from ", src.describe(), ", not from ", kind_text);
  if ((src.op == ir::op::kQConv || src.op == ir::op::kQMatMul) && is_pass_through(src))
    return cat(what, " comes from ", src.describe(),
               ", an int32 pass-through (high-precision output)");
  if (is_graph_output(g, v))
    return cat(what, " (from ", src.describe(), ") is also a graph output");
  const int uses = use_count(g, v);
  if (uses != 1)
    return cat(what, " (from ", src.describe(), ") is read by ", uses,
               " nodes; fusing would lose the value the others need");
  return "";
}

// The clamp range a fused QClamp narrows: stage 2's when there is one, else stage 1's.
void narrow(ir::Graph& g, ir::Node& p, int64_t lo, int64_t hi, std::string& blocker) {
  if (p.op == ir::op::kQAdd) {
    ir::AddParams a = ir::get_add_params(p, ir::get_out_dtype(p, DType::kU8));
    const int64_t new_lo = std::max<int64_t>(a.add_min, lo),
                  new_hi = std::min<int64_t>(a.add_max, hi);
    if (new_lo > new_hi) {
      blocker = cat("its range [", lo, ", ", hi, "] does not overlap the add's [", a.add_min, ", ",
                    a.add_max, "]");
      return;
    }
    a.add_min = static_cast<int32_t>(new_lo);
    a.add_max = static_cast<int32_t>(new_hi);
    ir::set_add_params(p, a);
    return;
  }
  const bool has_add = p.inputs.size() > 2 && p.inputs[2] != ir::kNoValue;
  ir::Requant rq = ir::get_requant(p, output_channels(g, p), has_add);
  for (const ir::RequantChannel& ch : rq.channels) {
    const int64_t cur_lo = has_add ? ch.add.add_min : ch.min;
    const int64_t cur_hi = has_add ? ch.add.add_max : ch.max;
    if (std::max(cur_lo, lo) > std::min(cur_hi, hi)) {
      blocker = cat("its range [", lo, ", ", hi, "] does not overlap the producer's [", cur_lo,
                    ", ", cur_hi, "]");
      return;
    }
  }
  for (ir::RequantChannel& ch : rq.channels) {
    int32_t& cur_lo = has_add ? ch.add.add_min : ch.min;
    int32_t& cur_hi = has_add ? ch.add.add_max : ch.max;
    cur_lo = static_cast<int32_t>(std::max<int64_t>(cur_lo, lo));
    cur_hi = static_cast<int32_t>(std::min<int64_t>(cur_hi, hi));
  }
  ir::set_requant(p, rq);
}

}  // namespace

void fuse_clamps(ir::Graph& g, FrontendState& st) {
  for (ir::Node& c : g.nodes) {
    if (c.op != ir::op::kQClamp) continue;
    const ir::ValueId in = c.inputs.at(0);
    const int p = producer_of(g, in);
    std::string blocker =
        fusion_blocker(g, in, p, "its input", {ir::op::kQConv, ir::op::kQMatMul, ir::op::kQAdd},
                       "a conv, linear or add");
    if (blocker.empty())
      narrow(g, g.nodes[p], c.attr_int(ir::attr::kMin), c.attr_int(ir::attr::kMax), blocker);
    if (!blocker.empty()) {
      st.not_fused.push_back(cat(where(st.source, c), ": clamp/ReLU not fused: ", blocker,
                                 "; it runs as a separate clamp on the vector unit"));
      continue;
    }
    g.nodes[p].outputs = c.outputs;
    mark_removed(c);
  }
  erase_removed(g);
}

void fuse_residual_adds(ir::Graph& g, FrontendState& st) {
  for (ir::Node& a : g.nodes) {
    if (a.op != ir::op::kQAdd) continue;
    const ir::ValueId first = a.inputs.at(0), second = a.inputs.at(1);
    const int p = producer_of(g, first);
    std::string blocker =
        fusion_blocker(g, first, p, "its first operand", {ir::op::kQConv}, "a conv");
    if (!blocker.empty()) {
      const int q = producer_of(g, second);
      if (q >= 0 && g.nodes[q].op == ir::op::kQConv)
        blocker += cat(" (the second operand comes from ", g.nodes[q].describe(),
                       ", but only the first operand may be the conv the add fuses into "
                       "(docs/guide.md section 2, rule 4); swap the operands of the add in the "
                       "model to fuse it)");
    } else if (g.value(second).shape != g.value(first).shape) {
      blocker = cat("the operands' shapes differ (", shape_str(g.value(first).shape), " and ",
                    shape_str(g.value(second).shape), "): the residual must have the conv's shape");
    } else if (g.nodes[p].inputs.size() > 2) {
      blocker = cat(g.nodes[p].describe(), " already has a fused add");
    } else if (ir::get_out_dtype(g.nodes[p], DType::kU8) != ir::get_out_dtype(a, DType::kU8)) {
      blocker = "the conv's and the add's output types differ";
    }
    if (!blocker.empty()) {
      st.not_fused.push_back(cat(where(st.source, a), ": add not fused into a conv: ", blocker,
                                 "; it runs as a separate QAdd on the vector unit"));
      continue;
    }
    ir::Node& conv = g.nodes[p];
    ir::Requant rq = ir::get_requant(conv, output_channels(g, conv), false);
    rq.has_add = true;
    const ir::AddParams add = ir::get_add_params(a, ir::get_out_dtype(a, DType::kU8));
    for (ir::RequantChannel& ch : rq.channels) ch.add = add;
    ir::set_requant(conv, rq);
    conv.inputs.push_back(second);
    conv.outputs = a.outputs;
    mark_removed(a);
  }
  erase_removed(g);
}

}  // namespace bpusim::compiler
