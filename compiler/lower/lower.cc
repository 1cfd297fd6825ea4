#include "compiler/lower/lower.h"

#include <optional>

#include "common/error.h"
#include "compiler/lower/ddr_plan.h"
#include "compiler/lower/estimate.h"
#include "compiler/lower/host_ops.h"
#include "compiler/lower/op_lowering.h"
#include "compiler/lower/schedule_check.h"
#include "ir/op_set.h"

namespace bpusim::compiler {
namespace {

// The TENSORS section: every descriptor with a DDR address (BPU weights live in WEIGHTS
// without one).
std::vector<TensorDesc> placed_tensors(const Plan& plan) {
  std::vector<TensorDesc> out;
  for (const TensorDesc& t : plan.tensors)
    if (t.ddr_addr >= 0) out.push_back(t);
  return out;
}

// Why a host node runs on the host (the compile warning).
std::string host_reason(const Plan& plan, int k) {
  const ir::Node& n = plan.graph->nodes[k];
  if (!plan.nodes[k].note.empty()) return plan.nodes[k].note;
  if (n.op == ir::op::kQuantize) return "quantization of a float tensor";
  if (n.op == ir::op::kDequantize) return "dequantization to a float tensor";
  if (n.op == ir::op::kArgMax) return "argmax of a non-8-bit tensor";
  return "float op (a region without quantization, qconfig = None)";
}

// Accumulates the current segment (BPU or host) and flushes it into the builder.
class SegmentWriter {
 public:
  SegmentWriter(const Plan& plan, const HwConfig& hw, ProgramBuilder& b, Lowered& out)
      : plan_(plan), hw_(hw), builder_(b), out_(out) {}

  void bpu_node(int k) {
    if (host_) flush();
    if (!schedule_) schedule_.emplace(), sram_ = SramState{};
    const ir::Node& n = plan_.graph->nodes[k];
    const int64_t first = schedule_->size();
    EmitContext ctx{plan_, hw_, *schedule_, sram_};
    const LayerStats s = find_lowering(n.op)->emit(ctx, k);
    schedule_->flush();  // the layer's last STOREs belong to its instructions
    isa::Layer r;
    r.name = n.name;
    r.op = s.op;
    r.segment = builder_.segment_count();
    for (ir::ValueId id : n.inputs)
      if (id != ir::kNoValue && !plan_.value(id).constant)
        r.inputs.push_back(plan_.value(id).shape);
    r.output = plan_.value(n.outputs[0]).shape;
    r.macs = s.macs;
    r.tiles = s.tiles;
    r.sram = s.sram;
    r.code = {builder_.code_size() + first, builder_.code_size() + schedule_->size()};
    layer_names_.push_back(n.name);
    pending_.push_back(r);
  }

  void host_node(int k) {
    if (schedule_) flush();
    if (!host_) host_.emplace();
    host_->push_back(host_op(plan_, k));
  }

  void flush() {
    if (schedule_) {
      isa::Operands finish;
      finish.opcode = static_cast<int64_t>(isa::Opcode::FINISH);
      schedule_->emit(finish);
      TokenReport tokens;
      try {
        tokens = check_schedule(schedule_->code(), hw_);
      } catch (const Error& e) {
        check_invariant(false, "the schedule of segment ", builder_.segment_count(),
                        " failed verification: ", e.what());
      }
      try {
        check_token_depth(tokens, hw_);
      } catch (const Error& e) {
        fail("segment ", builder_.segment_count(), ": ", e.what());
      }
      // The cost model's prediction of the whole segment gives each layer its estimate: a
      // layer overlaps its neighbours, so its span depends on what runs beside it.
      const std::vector<PredictedTiming> predicted = predict_segment(schedule_->code(), hw_);
      const int64_t base = builder_.code_size();
      int64_t segment_end = 0;
      for (isa::Layer& r : pending_)
        r.est_cycles = predicted_span(predicted, r.code.first - base, r.code.end - base);
      // A segment runs from its first fetch (cycle 0) to the end of its last instruction.
      for (const PredictedTiming& t : predicted) segment_end = std::max(segment_end, t.end);
      out_.est_cycles += segment_end;
      builder_.add_bpu_segment(schedule_->code(), layer_names_);
      for (const isa::Layer& r : pending_) {
        builder_.add_layer(r);
        out_.layers.push_back(r);
      }
      schedule_.reset();
      pending_.clear();
      layer_names_.clear();
    }
    if (host_) {
      builder_.add_host_segment(std::move(*host_));
      host_.reset();
    }
  }

 private:
  const Plan& plan_;
  const HwConfig& hw_;
  ProgramBuilder& builder_;
  Lowered& out_;
  std::optional<Schedule> schedule_;
  SramState sram_;
  std::vector<isa::Layer> pending_;
  std::vector<std::string> layer_names_;
  std::optional<std::vector<isa::HostOp>> host_;
};

}  // namespace

Lowered lower_graph(const ir::Graph& graph, const HwConfig& hw, const CompileOptions& options) {
  const Plan plan = make_plan(graph, hw, options);
  Lowered out;
  ProgramBuilder builder(hw);
  SegmentWriter writer(plan, hw, builder, out);
  for (const int k : plan.order) {
    const ir::Node& n = graph.nodes[k];
    switch (plan.nodes[k].placement) {
      case Placement::kAlias:
        break;
      case Placement::kHost:
        writer.host_node(k);
        out.warnings.push_back(cat(n.describe(), " runs on the host: ", host_reason(plan, k)));
        break;
      case Placement::kBpu:
        writer.bpu_node(k);
        if (n.op == ir::op::kQAdd || n.op == ir::op::kQClamp)
          out.warnings.push_back(cat(n.describe(), " is not fused into a convolution: it runs as ",
                                     "a separate vector-unit pass (VADD) over its tensor"));
        break;
    }
  }
  writer.flush();
  builder.set_weights(plan.weights);
  builder.set_params(plan.params_base, plan.params);
  builder.set_tensors(placed_tensors(plan));
  for (const std::string& w : plan.warnings) out.warnings.push_back(w);
  out.program = std::move(builder).finish();
  check_ddr_plan(plan, out.program);
  out.ddr = plan.ddr;
  return out;
}

}  // namespace bpusim::compiler
