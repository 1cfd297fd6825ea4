#include "compiler/passes/float_ops.h"

#include <cmath>
#include <functional>
#include <numeric>

#include "common/error.h"
#include "compiler/passes/graph_edit.h"
#include "ir/op_set.h"

namespace bpusim::compiler {
namespace {

std::vector<double> doubles(const Tensor& t) {
  std::vector<double> v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.as_double(i);
  return v;
}

}  // namespace

void fold_batchnorm(ir::Graph& g, const FrontendState& st) {
  for (ir::Node& bn : g.nodes) {
    if (bn.op != "BatchNormalization") continue;
    const std::string what = where(st.source, bn);
    const int p = producer_of(g, bn.inputs.at(0));
    const bool foldable = p >= 0 && g.nodes[p].op == ir::op::kConv &&
                          sole_consumer(g, bn.inputs[0]) >= 0 && bn.inputs.size() == 5 &&
                          bn.outputs.size() == 1 &&
                          constant_of(g, g.nodes[p].inputs.at(1)) != nullptr;
    require(foldable, what,
            ": BatchNormalization is supported only right after a float Conv with constant "
            "weights (it is folded into it); fuse conv + bn (fuse_modules_qat) before prepare_qat");
    ir::Node& conv = g.nodes[p];
    const Tensor& w = *constant_of(g, conv.inputs[1]);
    const int64_t m = w.dim(0);
    std::vector<std::vector<double>> prm;  // scale, B, mean, var
    for (size_t i = 1; i < 5; ++i) {
      const Tensor* t = constant_of(g, bn.inputs[i]);
      require(t && t->dtype() == DType::kF32 && t->numel() == m, what, ": input ", i,
              " must be a constant float32 vector of ", m, " values");
      prm.push_back(doubles(*t));
    }
    const double eps = bn.attr_float("epsilon", 1e-5f);
    const Tensor* b = constant_of(g, input_or_none(conv, 2));
    const std::vector<double> bias = b ? doubles(*b) : std::vector<double>(m, 0.0);
    Tensor w2(DType::kF32, w.shape()), b2(DType::kF32, {m});
    const int64_t per = w.numel() / m;
    for (int64_t c = 0; c < m; ++c) {
      const double k = prm[0][c] / std::sqrt(prm[3][c] + eps);
      for (int64_t i = 0; i < per; ++i)
        w2.values<float>()[c * per + i] = static_cast<float>(w.as_double(c * per + i) * k);
      b2.values<float>()[c] = static_cast<float>((bias[c] - prm[2][c]) * k + prm[1][c]);
    }
    conv.inputs.resize(3);
    conv.inputs[1] = add_constant(g, conv.name + "::weight_bn", std::move(w2));
    conv.inputs[2] = add_constant(g, conv.name + "::bias_bn", std::move(b2));
    conv.outputs = bn.outputs;
    mark_removed(bn);
  }
  erase_removed(g);
}

void check_canonical(const ir::Graph& g, const FrontendState& st) {
  for (const ir::Node& n : g.nodes) {
    require(ir::find_op(n.op) != nullptr, where(st.source, n), ": unsupported op '", n.op,
            "': it is neither part of a quantized pattern bpusim recognises (DequantizeLinear -> "
            "op -> QuantizeLinear, docs/compiler.md) nor a float op the host can run (Conv, "
            "Gemm, MatMul, Add, Mul, Relu, Sigmoid, MaxPool, AveragePool, GlobalAveragePool, "
            "Flatten, Reshape, Concat)");
    ir::check_node(n);
  }
}

void report_float_regions(const ir::Graph& g, FrontendState& st) {
  // Union-find over the float nodes, joined through the values they share.
  std::vector<int> parent(g.nodes.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::function<int(int)> root = [&](int k) {
    return parent[k] == k ? k : parent[k] = root(parent[k]);
  };
  // Float ops, and layout ops (Flatten, Reshape) that move float data between them.
  auto is_float = [&](int k) {
    const ir::OpDef* def = ir::find_op(g.nodes[k].op);
    if (!def || def->group == ir::OpGroup::kQuantized) return false;
    return def->group == ir::OpGroup::kFloat ||
           g.value(g.nodes[k].outputs.at(0)).dtype == DType::kF32;
  };
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    if (!is_float(static_cast<int>(k))) continue;
    for (ir::ValueId v : g.nodes[k].inputs) {
      const int p = producer_of(g, v);
      if (p >= 0 && is_float(p)) parent[root(static_cast<int>(k))] = root(p);
    }
  }
  std::map<int, std::vector<int>> regions;
  for (size_t k = 0; k < g.nodes.size(); ++k)
    if (is_float(static_cast<int>(k)))
      regions[root(static_cast<int>(k))].push_back(static_cast<int>(k));
  for (const auto& [r, members] : regions) {
    std::string list;
    for (int k : members)
      list += cat(list.empty() ? "" : ", ", "'", g.nodes[k].name, "' (", g.nodes[k].op, ")");
    st.host_regions.push_back(
        cat(st.source.empty() ? "" : cat(st.source, ": "), "float region of ", members.size(),
            " op", members.size() == 1 ? "" : "s",
            " placed on the host (not wrapped in "
            "QuantizeLinear/DequantizeLinear: a module with qconfig = None; runs in "
            "float32 between accelerator segments): ",
            list));
  }
}

}  // namespace bpusim::compiler
