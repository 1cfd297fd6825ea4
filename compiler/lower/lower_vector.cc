// The vector-unit ops: standalone QAdd (VADD), QClamp (VADD with b unused), QLut (VLUT),
// QConcat (inputs
// moved into their slice of the output with COPY or VREQ, or written there directly by their
// producer), max/average/global pooling (POOL) and ArgMax (ARGMAX).
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "common/error.h"
#include "compiler/lower/op_lowering.h"
#include "compiler/lower/tiling.h"
#include "compiler/passes/pytorch_params.h"
#include "compiler/requant_record.h"

namespace bpusim::compiler {
namespace {

using namespace lower_detail;

isa::Operands op_of(isa::Opcode code) {
  isa::Operands o;
  o.opcode = static_cast<int64_t>(code);
  return o;
}

// Loads `len` bytes at DDR `dram` into FEATURE at `sram`.
void load_linear(EmitContext& ctx, int64_t buf, int64_t sram, int64_t dram, int64_t len) {
  for (const DmaBox& b : linear_boxes(dram, len)) {
    ctx.schedule.emit(dma(isa::Opcode::LOAD, buf, sram, b));
    sram += box_bytes(b);
  }
}

void store_linear(EmitContext& ctx, int64_t sram, int64_t dram, int64_t len) {
  for (const DmaBox& b : linear_boxes(dram, len)) {
    ctx.schedule.emit(dma(isa::Opcode::STORE, 3, sram, b));
    sram += box_bytes(b);
  }
}

// Loads `count` parameter records from `index` on into PARAM unless they are resident;
// returns their PARAM address.
int64_t load_record(EmitContext& ctx, SramPlan& sram, int area, int64_t index, int64_t count = 1) {
  const auto slot = sram.get(area, {index, 0, 0, 0, 0});
  if (!slot.hit)
    ctx.schedule.emit(dma(isa::Opcode::LOAD, 4, slot.addr,
                          {param_addr(ctx.plan, index), count * kRecordBytes, 1, 1, 0, 0}));
  return slot.addr;
}

// A record's zero point and the output type's range (VREQ and the average-pooling kinds).
isa::ParamRecord output_record(int64_t out_zp, DType out) {
  isa::ParamRecord r;
  r.zp = static_cast<int32_t>(out_zp);
  r.min = static_cast<int32_t>(ir::dtype_min(out));
  r.max = static_cast<int32_t>(ir::dtype_max(out));
  return r;
}

// ---- elementwise: QAdd, QClamp and QLut ----

// A QLut's 256-byte table as the four parameter records VLUT reads as raw bytes.
constexpr int64_t kLutRecords = 256 / kRecordBytes;

void require_same_order(const Plan& plan, int node, ir::ValueId a, ir::ValueId b) {
  require(memory_order_key(plan.desc(a)) == memory_order_key(plan.desc(b)), what(plan, node),
          ": operands '", plan.value(a).name, "' and '", plan.value(b).name,
          "' are stored in different layouts");
}

void prepare_add(Plan& plan, int node, const HwConfig&) {
  const ir::Node& n = plan.graph->nodes[node];
  require_8bit(plan, node, n.inputs[0], "input a");
  require_8bit(plan, node, n.inputs[1], "input b");
  const Shape& out = plan.value(n.outputs[0]).shape;
  for (int i = 0; i < 2; ++i)
    require(plan.value(n.inputs[i]).shape == out, what(plan, node), ": input ",
            plan.value(n.inputs[i]).name, " has shape ", shape_str(plan.value(n.inputs[i]).shape),
            " but the output has ", shape_str(out),
            "; broadcasting adds are not supported on the BPU");
  require_same_order(plan, node, n.inputs[0], n.inputs[1]);
  const DType t = plan.value(n.outputs[0]).dtype;
  require(is_8bit(t), what(plan, node), ": output type ", dtype_name(t), " is not 8-bit");
  ir::RequantChannel ch;  // stage 2 only: the stage-1 fields stay 0
  ch.add = ir::get_add_params(n, t);
  plan.nodes[node].params = add_params(plan, {param_record(ch)});
}

void prepare_clamp(Plan& plan, int node, const HwConfig&) {
  const ir::Node& n = plan.graph->nodes[node];
  require_8bit(plan, node, n.inputs[0], "input x");
  const DType t = plan.value(n.inputs[0]).dtype;
  const int64_t lo = n.attr_int("min"), hi = n.attr_int("max");
  require(lo <= hi && lo >= ir::dtype_min(t) && hi <= ir::dtype_max(t), what(plan, node),
          ": clamp range [", lo, ", ", hi, "] is not inside the ", dtype_name(t), " range");
  // The stage-2 formula with a*1 + b*0, no shift and zero point 0 is clamp(a, min, max).
  isa::ParamRecord r;
  r.add_mult_a = 1;
  r.add_min = static_cast<int32_t>(lo);
  r.add_max = static_cast<int32_t>(hi);
  plan.nodes[node].params = add_params(plan, {r});
}

void prepare_lut(Plan& plan, int node, const HwConfig& hw) {
  const ir::Node& n = plan.graph->nodes[node];
  require(hw.param_sram_bytes / 2 >= kLutRecords * kRecordBytes, what(plan, node),
          ": a lookup table needs ", kLutRecords * kRecordBytes,
          " bytes in each half of PARAM, but sram.param.bytes = ", hw.param_sram_bytes);
  require_8bit(plan, node, n.inputs[0], "input x");
  const DType t = plan.value(n.outputs[0]).dtype;
  require(is_8bit(t), what(plan, node), ": output type ", dtype_name(t), " is not 8-bit");
  std::vector<uint8_t> bytes;
  for (const char* key : {"table", "tail_table"}) {
    if (!n.has_attr(key)) continue;
    const std::vector<int64_t> table = n.attr_ints(key, {});
    require(table.size() == 256, what(plan, node), ": attribute '", key, "' has ", table.size(),
            " entries, not 256");
    for (size_t i = 0; i < table.size(); ++i) {
      require(table[i] >= ir::dtype_min(t) && table[i] <= ir::dtype_max(t), what(plan, node), ": ",
              key, " entry ", i, " = ", table[i], " is outside the ", dtype_name(t), " range");
      bytes.push_back(static_cast<uint8_t>(table[i]));
    }
  }
  if (n.has_attr("tail_table")) {
    // The positions count in PyTorch's memory order; the DDR order must be the same.
    const TensorDesc& x = plan.desc(n.inputs[0]);
    const bool ddr_nhwc = x.layout == isa::TensorLayout::kNhwc && x.nchw == x.shape;
    const bool same_bytes =
        x.shape.size() == 4 && (x.shape[1] == 1 || x.shape[2] * x.shape[3] == 1);
    const bool torch_nhwc = n.attr_string("memory_order", "nchw") == "nhwc";
    require(ddr_nhwc == torch_nhwc || same_bytes || x.shape.size() != 4, what(plan, node),
            ": PyTorch's leaky_relu rounds by memory position in ", torch_nhwc ? "NHWC" : "NCHW",
            " order, but the tensor is stored ", ddr_nhwc ? "NHWC" : "NCHW");
  }
  plan.nodes[node].params =
      add_params(plan, isa::unpack_param_records(bytes, what(plan, node) + " table"));
}

// The operand fields VMUL adds to VADD's: zero points and the stage-1 mode.
void set_mul_fields(const ir::Node& n, isa::Operands& v) {
  v.a_zp = n.attr_int("a_zero_point", 0);
  v.b_zp = n.attr_int("b_zero_point", 0);
  v.mode = n.attr_string(ir::attr::kMode, "fp32") == "fixed" ? 1 : 0;
}

// VADD (or VLUT or VMUL, `op`) over the whole tensor in chunks; `b` == `a` for a clamp and a
// table lookup (loaded once).
LayerStats emit_elementwise(EmitContext& ctx, int node, ir::ValueId a, ir::ValueId b,
                            std::string desc, isa::Opcode op = isa::Opcode::VADD) {
  // A table pair (QLut with tail_table): the elements from `split` on take the second table.
  const bool pair = op == isa::Opcode::VLUT && ctx.plan.graph->nodes[node].has_attr("tail_table");
  const int64_t records = op == isa::Opcode::VLUT ? kLutRecords : 1;
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const TensorDesc& ta = plan.desc(a);
  const TensorDesc& tb = plan.desc(b);
  const TensorDesc& ty = plan.desc(n.outputs[0]);
  const int64_t total = numel(ty.shape);
  const bool same = a == b;
  const int64_t chunk = tile_linear(total, same ? 1 : 2, ctx.hw, what(plan, node));
  SramPlan sram(ctx.hw, ctx.sram);
  const int a_area = sram.add(Space::kFeature, chunk);
  const int b_area = same ? a_area : sram.add(Space::kFeature, chunk);
  const int out_area = sram.add(Space::kOutput, chunk);
  const int prm_area = sram.add(Space::kParam, records * kRecordBytes);
  int64_t tiles = 0;
  for (int64_t e0 = 0; e0 < total; e0 += chunk, ++tiles) {
    const int64_t len = std::min(chunk, total - e0);
    const auto sa = sram.get(a_area, {tiles, 0, 0, 0, 0});
    load_linear(ctx, 0, sa.addr, ta.ddr_addr + e0, len);
    int64_t b_addr = sa.addr;
    if (!same) {
      const auto sb = sram.get(b_area, {tiles, 0, 0, 0, 0});
      load_linear(ctx, 0, sb.addr, tb.ddr_addr + e0, len);
      b_addr = sb.addr;
    }
    const int64_t prm = load_record(ctx, sram, prm_area, plan.nodes[node].params, records);
    const auto out = sram.get(out_area, {tiles, 0, 0, 0, 0});
    isa::Operands v = op_of(op);
    v.out_addr = out.addr, v.prm_addr = prm, v.n = len, v.out_signed = ty.dtype == DType::kI8;
    if (op == isa::Opcode::VLUT) {
      v.in_addr = sa.addr, v.in_signed = ta.dtype == DType::kI8;
      const int64_t split = pair ? std::clamp(total / 64 * 64 - e0, int64_t{0}, len) : len;
      if (split < len) {  // the tail part, with the second table (its own PARAM slot)
        isa::Operands tail = v;
        tail.in_addr += split, tail.out_addr += split, tail.n = len - split;
        tail.prm_addr =
            load_record(ctx, sram, prm_area, plan.nodes[node].params + kLutRecords, kLutRecords);
        ctx.schedule.emit(tail);
        v.n = split;
        v.prm_addr = load_record(ctx, sram, prm_area, plan.nodes[node].params, kLutRecords);
      }
      if (v.n == 0) {
        store_linear(ctx, out.addr, ty.ddr_addr + e0, len);
        continue;
      }
    } else {
      v.a_addr = sa.addr, v.a_signed = ta.dtype == DType::kI8;
      v.b_addr = b_addr, v.b_signed = tb.dtype == DType::kI8;
      if (op == isa::Opcode::VMUL) set_mul_fields(n, v);
    }
    ctx.schedule.emit(v);
    store_linear(ctx, out.addr, ty.ddr_addr + e0, len);
  }
  return finish_stats(sram, std::move(desc), 0, tiles);
}

LayerStats emit_add(EmitContext& ctx, int node) {
  const ir::Node& n = ctx.plan.graph->nodes[node];
  const ir::AddParams a = ir::get_add_params(n, ctx.plan.value(n.outputs[0]).dtype);
  const std::string act =
      activation_name(a.add_min, a.add_max, a.add_zp, ctx.plan.value(n.outputs[0]).dtype);
  return emit_elementwise(ctx, node, n.inputs[0], n.inputs[1],
                          "add" + (act.empty() ? "" : " +" + act) + " (VADD)");
}

LayerStats emit_clamp(EmitContext& ctx, int node) {
  const ir::Node& n = ctx.plan.graph->nodes[node];
  return emit_elementwise(ctx, node, n.inputs[0], n.inputs[0],
                          cat("clamp [", n.attr_int("min"), ", ", n.attr_int("max"), "] (VADD)"));
}

// ---- the gate operand of VMUL / VFADD runs ----

// A per-channel operand read with b_period: loaded whole when it fits beside the chunk of the
// full-size operand, else per run only the `period` bytes the run reads.
class GateOperand {
 public:
  GateOperand(EmitContext& ctx, SramPlan& sram, const TensorDesc& g, int64_t chunk, int64_t period)
      : ctx_(ctx), sram_(sram), g_(g), whole_(numel(g.shape) <= chunk), period_(period) {
    area_ = sram.add(Space::kFeature, whole_ ? numel(g.shape) : period);
    if (whole_) {
      base_ = sram.get(area_, {0, 0, 0, 0, 0}).addr;
      load_linear(ctx, 0, base_, g.ddr_addr, numel(g.shape));
    }
  }
  // FEATURE address of the run whose gate bytes start at byte `offset` of the operand.
  int64_t addr(int64_t offset) {
    if (whole_) return base_ + offset;
    const auto slot = sram_.get(area_, {offset, 1, 0, 0, 0});
    if (!slot.hit) load_linear(ctx_, 0, slot.addr, g_.ddr_addr + offset, period_);
    return slot.addr;
  }

 private:
  EmitContext& ctx_;
  SramPlan& sram_;
  const TensorDesc& g_;
  bool whole_;
  int64_t period_;
  int area_ = -1;
  int64_t base_ = 0;
};

// ---- QMul: equal shapes, or a per-channel gate [N, C, 1, 1] over [N, C, H, W] ----

// Which operand is the gate (-1: none, equal shapes).
int gate_operand(const Plan& plan, int node) {
  const ir::Node& n = plan.graph->nodes[node];
  const Shape& y = plan.value(n.outputs[0]).shape;
  for (int k : {0, 1})
    if (plan.value(n.inputs[k]).shape != y) return k;
  return -1;
}

void prepare_mul(Plan& plan, int node, const HwConfig&) {
  const ir::Node& n = plan.graph->nodes[node];
  require_8bit(plan, node, n.inputs[0], "input a");
  require_8bit(plan, node, n.inputs[1], "input b");
  const Shape& y = plan.value(n.outputs[0]).shape;
  const int gate = gate_operand(plan, node);
  if (gate < 0) {
    require_same_order(plan, node, n.inputs[0], n.inputs[1]);
  } else {
    const Shape& g = plan.value(n.inputs[gate]).shape;
    const Shape& x = plan.value(n.inputs[1 - gate]).shape;
    require(x == y && y.size() == 4 && g == Shape{y[0], y[1], 1, 1}, what(plan, node),
            ": a product of ", shape_str(plan.value(n.inputs[0]).shape), " and ",
            shape_str(plan.value(n.inputs[1]).shape),
            " is not supported on the BPU: the operands must have equal shapes, or one must be "
            "a per-channel gate [N, C, 1, 1] of the other [N, C, H, W]");
  }
  const DType t = plan.value(n.outputs[0]).dtype;
  require(is_8bit(t), what(plan, node), ": output type ", dtype_name(t), " is not 8-bit");
  const ir::Requant rq = ir::get_requant(n, 1, false);
  plan.nodes[node].params = add_params(plan, {param_record(rq.channels.at(0))});
}

// One VMUL / VFADD run: `len` elements of the full-size operand at byte `offset`, each with
// the gate's bytes from `gate` on, repeating every `period` (1: one gate byte for the run);
// VFADD fuses the first `n_vec` elements of every `group` (contraction fma when n_vec > 0).
struct GateRun {
  int64_t offset = 0, len = 0, gate = 0, period = 0, group = 1, n_vec = 0;
};

// The runs of a gated product in the memory order of the full-size operand `x`: per image one
// run of period C when the channel is innermost (NHWC), else one run per channel plane.
std::vector<GateRun> gate_runs(const TensorDesc& x) {
  const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
  std::vector<GateRun> runs;
  const bool channel_innermost = image_4d(x).has_value();
  for (int64_t i = 0; i < n; ++i) {
    if (channel_innermost) {
      runs.push_back({i * hw * c, hw * c, i * c, c});
      continue;
    }
    for (int64_t ch = 0; ch < c; ++ch) runs.push_back({(i * c + ch) * hw, hw, i * c + ch, 1});
  }
  return runs;
}

// VMUL / VFADD (`op`) over the runs of a full-size operand `x` and its gate `g`, chunked per
// run (whole pixels), with `records` parameter records; `fill` sets the opcode's own fields.
LayerStats emit_gated(EmitContext& ctx, int node, isa::Opcode op, const TensorDesc& tx,
                      const TensorDesc& tg, const std::vector<GateRun>& runs, int64_t records,
                      const std::function<void(isa::Operands&)>& fill, std::string desc) {
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const TensorDesc& ty = plan.desc(n.outputs[0]);
  require(memory_order_key(tx) == memory_order_key(ty), what(plan, node), ": the result and its ",
          "operand '", tx.name, "' are stored in different layouts");
  const int64_t period = runs.front().period;
  // Two FEATURE areas' worth: the operand's chunk and the gate (whole, or a run's slice).
  const int64_t most = tile_linear(numel(ty.shape), 2, ctx.hw, what(plan, node));
  const int64_t chunk = most - most % period;
  require(chunk > 0, what(plan, node), ": a pixel of ", period,
          " channels and its gate: chunks are whole pixels, and a chunk holds at most ", most,
          " elements here (two operands in half of sram.feature.bytes, the result in half of "
          "sram.output.bytes); the layer does not fit the SRAMs");
  SramPlan sram(ctx.hw, ctx.sram);
  const int x_area = sram.add(Space::kFeature, chunk);
  GateOperand gate_operand(ctx, sram, tg, chunk, period);
  const int out_area = sram.add(Space::kOutput, chunk);
  const int prm_area = sram.add(Space::kParam, records * kRecordBytes);
  int64_t tiles = 0;
  for (const GateRun& r : runs) {
    for (int64_t e0 = 0; e0 < r.len; e0 += chunk, ++tiles) {
      const int64_t len = std::min(chunk, r.len - e0);
      const auto sx = sram.get(x_area, {tiles, 0, 0, 0, 0});
      load_linear(ctx, 0, sx.addr, tx.ddr_addr + r.offset + e0, len);
      const int64_t prm = load_record(ctx, sram, prm_area, plan.nodes[node].params, records);
      const auto out = sram.get(out_area, {tiles, 0, 0, 0, 0});
      isa::Operands v = op_of(op);
      v.a_addr = sx.addr, v.b_addr = gate_operand.addr(r.gate), v.out_addr = out.addr;
      v.prm_addr = prm, v.n = len, v.b_period = r.period;
      v.a_signed = tx.dtype == DType::kI8, v.b_signed = tg.dtype == DType::kI8;
      v.out_signed = ty.dtype == DType::kI8;
      if (op == isa::Opcode::VFADD)
        v.contraction = r.n_vec > 0 ? 1 : 0, v.group = r.group, v.n_vec = r.n_vec;
      fill(v);
      ctx.schedule.emit(v);
      store_linear(ctx, out.addr, ty.ddr_addr + r.offset + e0, len);
    }
  }
  return finish_stats(sram, std::move(desc), 0, tiles);
}

LayerStats emit_mul(EmitContext& ctx, int node) {
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const int gate = gate_operand(plan, node);
  if (gate < 0)
    return emit_elementwise(ctx, node, n.inputs[0], n.inputs[1], "mul (VMUL)", isa::Opcode::VMUL);
  const TensorDesc& tx = plan.desc(n.inputs[1 - gate]);
  const std::vector<GateRun> runs = gate_runs(tx);
  return emit_gated(
      ctx, node, isa::Opcode::VMUL, tx, plan.desc(n.inputs[gate]), runs, 1,
      [&](isa::Operands& v) {
        set_mul_fields(n, v);
        if (gate == 0) std::swap(v.a_zp, v.b_zp);  // the zero points follow their operands
      },
      cat("mul by a ", runs.front().period == 1 ? "per-plane" : "per-channel", " gate (VMUL)"));
}

// ---- QAddBroadcast: ATen's float add of a full-size operand and a per-channel one, VFADD
// with the gate repeating like VMUL's; PyTorch's vector/scalar positions (2.20) choose the
// contraction: per pixel the first floor(C / 64) * 64 channels (NHWC), per channel plane the
// first floor(H * W / 64) * 64 positions (NCHW) are fused ----

struct BroadcastAdd {
  int full = 0;  // the full-size operand (0: a, 1: b)
  bool nhwc = false;
};

BroadcastAdd broadcast_add_of(const Plan& plan, int node) {
  const ir::Node& n = plan.graph->nodes[node];
  BroadcastAdd b;
  b.full = plan.value(n.inputs[0]).shape == plan.value(n.outputs[0]).shape ? 0 : 1;
  b.nhwc = n.attr_string("memory_order", "nchw") == "nhwc";
  return b;
}

void prepare_broadcast_add(Plan& plan, int node, const HwConfig&) {
  const ir::Node& n = plan.graph->nodes[node];
  require_8bit(plan, node, n.inputs[0], "input a");
  require_8bit(plan, node, n.inputs[1], "input b");
  const BroadcastAdd b = broadcast_add_of(plan, node);
  const TensorDesc& x = plan.desc(n.inputs[b.full]);
  const Shape& g = plan.value(n.inputs[1 - b.full]).shape;
  require(x.shape.size() == 4 && g.size() == 4 && (g[0] == x.shape[0] || g[0] == 1) &&
              g[1] == x.shape[1] && g[2] * g[3] == 1,
          what(plan, node), ": a broadcasting add of ", shape_str(x.shape), " and ", shape_str(g),
          " needs a per-channel operand [N, C, 1, 1]");
  // A position's contraction depends on its pixel only in PyTorch's NCHW order, so NHWC
  // storage serves it too; PyTorch's NHWC order needs NHWC storage.
  const bool ddr_nhwc = image_4d(x).has_value() && x.shape[1] > 1;
  require(ddr_nhwc || !b.nhwc, what(plan, node),
          ": PyTorch's broadcasting add rounds by "
          "memory position in NHWC order, but '",
          x.name, "' is stored NCHW");
  const DType t = plan.value(n.outputs[0]).dtype;
  require(is_8bit(t), what(plan, node), ": output type ", dtype_name(t), " is not 8-bit");
  const char* sx = b.full == 0 ? "a_scale" : "b_scale";
  const char* sg = b.full == 0 ? "b_scale" : "a_scale";
  isa::ParamRecord rx = output_record(n.attr_int("y_zero_point", 0), t);
  if (n.attr_int("relu", 0) != 0) rx.min = static_cast<int32_t>(n.attr_int("y_zero_point", 0));
  rx.scale = n.attr_float(sx, 0.0f);
  rx.rescale_k = 1.0f / n.attr_float("y_scale", 0.0f);
  isa::ParamRecord rg;
  rg.scale = n.attr_float(sg, 0.0f);
  for (float s : {rx.scale, rg.scale, n.attr_float("y_scale", 0.0f)})
    require(std::isfinite(s) && s > 0.0f, what(plan, node), ": scale ", s,
            " is not a finite positive float32");
  plan.nodes[node].params = add_params(plan, {rx, rg});
}

// `torch_nhwc`: PyTorch's order (rows of C channels, else planes of H * W); the storage is
// NHWC when `x` is an image with C > 1, else NCHW.
std::vector<GateRun> broadcast_add_runs(const TensorDesc& x, bool gate_per_image, bool torch_nhwc) {
  const int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2] * x.shape[3];
  const bool ddr_nhwc = image_4d(x).has_value() && c > 1;
  std::vector<GateRun> runs;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t gate = gate_per_image ? i * c : 0;
    if (torch_nhwc) {
      runs.push_back({i * hw * c, hw * c, gate, c, c, c / 64 * 64});
      continue;
    }
    if (ddr_nhwc) {  // the first floor(hw / 64) * 64 pixels fused, all their channels
      const int64_t fused = hw / 64 * 64;
      if (fused > 0) runs.push_back({i * hw * c, fused * c, gate, c, 1, 1});
      if (hw > fused) runs.push_back({(i * hw + fused) * c, (hw - fused) * c, gate, c, 1, 0});
      continue;
    }
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t at = (i * c + ch) * hw, fused = hw / 64 * 64;
      if (fused > 0) runs.push_back({at, fused, gate + ch, 1, 1, 1});
      if (hw > fused) runs.push_back({at + fused, hw - fused, gate + ch, 1, 1, 0});
    }
  }
  return runs;
}

LayerStats emit_broadcast_add(EmitContext& ctx, int node) {
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const BroadcastAdd b = broadcast_add_of(plan, node);
  const TensorDesc& tx = plan.desc(n.inputs[b.full]);
  const TensorDesc& tg = plan.desc(n.inputs[1 - b.full]);
  return emit_gated(
      ctx, node, isa::Opcode::VFADD, tx, tg,
      broadcast_add_runs(tx, tg.shape[0] == tx.shape[0] && tx.shape[0] > 1, b.nhwc), 2,
      [&](isa::Operands& v) {
        v.a_zp = n.attr_int(b.full == 0 ? "a_zero_point" : "b_zero_point", 0);
        v.b_zp = n.attr_int(b.full == 0 ? "b_zero_point" : "a_zero_point", 0);
      },
      "add of a per-channel operand (VFADD)");
}

// ---- QUpsampleNearest: a gather by DMA (LOAD with a zero run stride repeats a source
// pixel), then COPY to OUTPUT and STORE ----

void prepare_upsample(Plan& plan, int node, const HwConfig&) {
  const ir::Node& n = plan.graph->nodes[node];
  require_8bit(plan, node, n.inputs[0], "input x");
  const Shape& x = plan.value(n.inputs[0]).shape;
  require(x.size() == 4, what(plan, node), ": input must be 4-D NCHW, got ", shape_str(x));
  require(!(x[2] == 1 && x[3] == 1 && x[1] > 1), what(plan, node),
          ": upsampling an (N, C, 1, 1) tensor: torch 1.13 returns its bytes permuted "
          "(docs/pytorch-recipes.md 2.21), so there is no PyTorch result to reproduce");
}

// One output row of the gather as LOAD boxes: consecutive output columns that read one source
// column form a run (repeat = run length, DDR run stride 0); consecutive runs of equal length
// over consecutive source columns form one box. `at(ix)` is the DDR byte address of source
// column ix of the row, `bytes` the bytes per column, `step` the DDR bytes between columns.
std::vector<DmaBox> gather_row(const std::vector<int64_t>& src_w,
                               const std::function<int64_t(int64_t)>& at, int64_t bytes,
                               int64_t step) {
  std::vector<std::pair<int64_t, int64_t>> runs;  // (source column, repeat)
  for (int64_t s : src_w)
    if (!runs.empty() && runs.back().first == s)
      ++runs.back().second;
    else
      runs.push_back({s, 1});
  std::vector<DmaBox> boxes;
  for (size_t i = 0; i < runs.size();) {
    size_t j = i + 1;
    while (j < runs.size() && runs[j].second == runs[i].second &&
           runs[j].first == runs[j - 1].first + 1 && j - i < 0xFFFF)
      ++j;
    DmaBox b;
    b.dram = at(runs[i].first);
    b.n0 = bytes;
    b.n1 = runs[i].second;
    b.stride1 = 0;
    b.n2 = static_cast<int64_t>(j - i);
    b.stride2 = step;
    boxes.push_back(b);
    i = j;
  }
  return boxes;
}

// Loads into FEATURE at `at` the gathered row y[outer, iy, src_w[..]] of `x` (NHWC: `outer` =
// n, a row of pixels of C bytes; flat NCHW: `outer` = n * C + c, a row of bytes); returns the
// address after it.
int64_t load_gathered_row(EmitContext& ctx, const TensorDesc& x, int64_t outer, int64_t iy,
                          const std::vector<int64_t>& src_w, int64_t at) {
  const int64_t C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const std::optional<Image> xi = image_4d(x);
  const std::vector<DmaBox> boxes =
      xi ? gather_row(
               src_w, [&](int64_t ix) { return xi->at(outer, iy, ix, 0); }, C, xi->pixel)
         : gather_row(
               src_w, [&](int64_t ix) { return x.ddr_addr + (outer * H + iy) * W + ix; }, 1, 1);
  for (const DmaBox& b : boxes) {
    ctx.schedule.emit(dma(isa::Opcode::LOAD, 0, at, b));
    at += box_bytes(b);
  }
  return at;
}

// An upsampling's input and output rows in memory order: (n, oy) of OW*C bytes when both are
// NHWC images, else (n, c, oy) of OW bytes (both flat NCHW).
struct UpsampleRows {
  bool channels_inner = false;
  int64_t row_bytes = 0, rows = 0;
};

UpsampleRows upsample_rows(const Plan& plan, int node, const TensorDesc& tx, const TensorDesc& ty) {
  const bool channels_inner = image_4d(tx).has_value() && image_4d(ty).has_value();
  require(channels_inner || (memory_order_key(tx) == "flat" + std::to_string(numel(tx.shape)) &&
                             memory_order_key(ty) == "flat" + std::to_string(numel(ty.shape))),
          what(plan, node), ": the upsample's input and output layouts differ");
  const int64_t N = ty.shape[0], C = ty.shape[1], OH = ty.shape[2], OW = ty.shape[3];
  return {channels_inner, channels_inner ? OW * C : OW, channels_inner ? N * OH : N * C * OH};
}

// Stores OUTPUT rows [r0, r1) of `ty` (rows as upsample_rows gives them) from `sram`.
void store_rows(EmitContext& ctx, const TensorDesc& ty, const UpsampleRows& u, int64_t r0,
                int64_t r1, int64_t sram) {
  const int64_t OH = ty.shape[2], OW = ty.shape[3];
  const std::optional<Image> yi = image_4d(ty);
  const int64_t first = u.channels_inner ? yi->at(r0 / OH, r0 % OH, 0, 0) : ty.ddr_addr + r0 * OW;
  store_linear(ctx, sram, first, (r1 - r0) * u.row_bytes);
}

LayerStats emit_upsample(EmitContext& ctx, int node) {
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const TensorDesc& tx = plan.desc(n.inputs[0]);
  const TensorDesc& ty = plan.desc(n.outputs[0]);
  const int64_t H = tx.shape[2], W = tx.shape[3];
  const std::vector<int64_t> src_h = nearest_source_indices(upsample_axis_of(n, 0, H));
  const std::vector<int64_t> src_w = nearest_source_indices(upsample_axis_of(n, 1, W));
  const int64_t OH = static_cast<int64_t>(src_h.size()), OW = static_cast<int64_t>(src_w.size());
  const UpsampleRows u = upsample_rows(plan, node, tx, ty);
  const int64_t chunk_rows =
      std::min(u.rows, tile_linear(numel(ty.shape), 1, ctx.hw, what(plan, node)) / u.row_bytes);
  require(chunk_rows > 0, what(plan, node), ": an output row of ", u.row_bytes,
          " bytes does not fit the SRAMs");
  SramPlan sram(ctx.hw, ctx.sram);
  const int in_area = sram.add(Space::kFeature, chunk_rows * u.row_bytes);
  const int out_area = sram.add(Space::kOutput, chunk_rows * u.row_bytes);
  int64_t tiles = 0;
  for (int64_t r0 = 0; r0 < u.rows; r0 += chunk_rows, ++tiles) {
    const int64_t r1 = std::min(u.rows, r0 + chunk_rows);
    const auto in = sram.get(in_area, {tiles, 0, 0, 0, 0});
    int64_t at = in.addr;
    for (int64_t r = r0; r < r1; ++r)  // outer: n (NHWC) or n * C + c (NCHW)
      at = load_gathered_row(ctx, tx, r / OH, src_h[r % OH], src_w, at);
    const auto out = sram.get(out_area, {tiles, 0, 0, 0, 0});
    isa::Operands copy = op_of(isa::Opcode::COPY);
    copy.src_buf = 0, copy.src_addr = in.addr, copy.dst_addr = out.addr;
    copy.n = (r1 - r0) * u.row_bytes;
    ctx.schedule.emit(copy);
    store_rows(ctx, ty, u, r0, r1, out.addr);
  }
  return finish_stats(
      sram, cat("nearest upsample x", OH, "/", H, " x", OW, "/", W, " (DMA gather)"), 0, tiles);
}

// ---- QUpsampleBilinear: per output row, the four taps gathered by DMA (rows i0 and i1 of
// the source, columns i0 and i1 of each output column), then VBLEND with the row's weight
// table (h0, h1, then w0, w1 per output column) ----

bool bilinear_nhwc(const ir::Node& n) {
  return n.attr_string("memory_order", "nchw") == "nhwc";
}

// How a bilinear upsampling is cut: output rows (upsample_rows), each in pieces of up to
// `piece` output columns; a tile holds `chunk_rows` whole rows (or one piece when a row does
// not fit). Every (row, piece) has its weight table of `table_records` PARAM records.
struct BilinearTiling {
  std::vector<BilinearTap> th, tw;
  UpsampleRows u;
  int64_t pixel_bytes = 1, piece = 1, pieces = 1, chunk_rows = 1, table_records = 1;
};

BilinearTiling tile_bilinear(const Plan& plan, int node, const HwConfig& hw) {
  const ir::Node& n = plan.graph->nodes[node];
  const TensorDesc& tx = plan.desc(n.inputs[0]);
  const TensorDesc& ty = plan.desc(n.outputs[0]);
  const bool align = n.attr_int("align_corners", 0) != 0, nhwc = bilinear_nhwc(n);
  BilinearTiling t;
  t.th = bilinear_taps(upsample_axis_of(n, 0, tx.shape[2]), align, nhwc);
  t.tw = bilinear_taps(upsample_axis_of(n, 1, tx.shape[3]), align, nhwc);
  t.u = upsample_rows(plan, node, tx, ty);
  const int64_t OW = static_cast<int64_t>(t.tw.size());
  t.pixel_bytes = t.u.channels_inner ? tx.shape[1] : 1;
  // Elements per tap vector: four taps in half of FEATURE, the result in half of OUTPUT.
  const int64_t cap = tile_linear(numel(ty.shape), 4, hw, what(plan, node));
  const int64_t param_pixels = (hw.param_sram_bytes / 2 - 8) / 8;  // one table in half of PARAM
  t.piece = std::min({OW, cap / t.pixel_bytes, param_pixels});
  require(t.piece > 0, what(plan, node), ": the four taps of one output pixel (", 4 * t.pixel_bytes,
          " bytes) and its weight table (16 bytes) do not fit the SRAMs");
  t.pieces = (OW + t.piece - 1) / t.piece;
  t.chunk_rows = t.pieces == 1 ? std::min(t.u.rows, cap / t.u.row_bytes) : 1;
  t.table_records = (8 + 8 * t.piece + kRecordBytes - 1) / kRecordBytes;
  return t;
}

void prepare_bilinear(Plan& plan, int node, const HwConfig& hw) {
  prepare_upsample(plan, node, hw);
  const ir::Node& n = plan.graph->nodes[node];
  const std::string order = n.attr_string("memory_order", "nchw");
  require(order == "nchw" || order == "nhwc", what(plan, node), ": attribute 'memory_order' is '",
          order, "', not nchw or nhwc");
  const BilinearTiling t = tile_bilinear(plan, node, hw);
  // One table per (output row, piece): h0, h1, then w0, w1 per column of the piece.
  std::vector<isa::ParamRecord> records;
  for (const BilinearTap& h : t.th)
    for (int64_t k = 0; k < t.pieces; ++k) {
      std::vector<float> w{h.l0, h.l1};
      const int64_t x1 = std::min<int64_t>((k + 1) * t.piece, static_cast<int64_t>(t.tw.size()));
      for (int64_t x = k * t.piece; x < x1; ++x) w.insert(w.end(), {t.tw[x].l0, t.tw[x].l1});
      std::vector<uint8_t> bytes(static_cast<size_t>(t.table_records * kRecordBytes), 0);
      std::memcpy(bytes.data(), w.data(), w.size() * sizeof(float));
      const std::vector<isa::ParamRecord> r =
          isa::unpack_param_records(bytes, what(plan, node) + " weight table");
      records.insert(records.end(), r.begin(), r.end());
    }
  plan.nodes[node].params = add_params(plan, records);
}

LayerStats emit_bilinear(EmitContext& ctx, int node) {
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const TensorDesc& tx = plan.desc(n.inputs[0]);
  const TensorDesc& ty = plan.desc(n.outputs[0]);
  const BilinearTiling t = tile_bilinear(plan, node, ctx.hw);
  const bool nhwc = bilinear_nhwc(n);
  const int64_t OH = static_cast<int64_t>(t.th.size()), OW = static_cast<int64_t>(t.tw.size());
  const int64_t tile_bytes = t.chunk_rows * t.piece * t.pixel_bytes;
  SramPlan sram(ctx.hw, ctx.sram);
  const int in_area = sram.add(Space::kFeature, 4 * tile_bytes);
  const int out_area = sram.add(Space::kOutput, tile_bytes);
  const int prm_area = sram.add(Space::kParam, t.table_records * kRecordBytes);
  const std::optional<Image> yi = image_4d(ty);
  int64_t tiles = 0;
  for (int64_t r0 = 0; r0 < t.u.rows; r0 += t.chunk_rows) {
    const int64_t r1 = std::min(t.u.rows, r0 + t.chunk_rows);
    for (int64_t k = 0; k < t.pieces; ++k, ++tiles) {
      const int64_t x0 = k * t.piece, x1 = std::min(OW, x0 + t.piece);
      const int64_t bytes = (x1 - x0) * t.pixel_bytes;  // per row of the tile
      const auto in = sram.get(in_area, {tiles, 0, 0, 0, 0});
      const auto out = sram.get(out_area, {tiles, 0, 0, 0, 0});
      std::array<std::vector<int64_t>, 2> cols;
      for (int64_t x = x0; x < x1; ++x)
        cols[0].push_back(t.tw[x].i0), cols[1].push_back(t.tw[x].i1);
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t oy = r % OH, outer = r / OH;
        const int64_t taps = in.addr + 4 * (r - r0) * bytes;
        int64_t at = taps;
        for (int64_t iy : {t.th[oy].i0, t.th[oy].i1})
          for (const std::vector<int64_t>& c : cols)
            at = load_gathered_row(ctx, tx, outer, iy, c, at);
        isa::Operands v = op_of(isa::Opcode::VBLEND);
        v.in_addr = taps, v.out_addr = out.addr + (r - r0) * bytes;
        v.prm_addr = load_record(ctx, sram, prm_area,
                                 plan.nodes[node].params + (oy * t.pieces + k) * t.table_records,
                                 t.table_records);
        v.n = bytes, v.c = t.pixel_bytes;
        v.contraction = nhwc ? 1 : 0, v.n_vec = nhwc ? v.c / 8 * 8 : 0;
        v.in_zp = n.attr_int("x_zero_point", 0);
        v.in_signed = v.out_signed = tx.dtype == DType::kI8;
        ctx.schedule.emit(v);
      }
      if (t.pieces == 1) {
        store_rows(ctx, ty, t.u, r0, r1, out.addr);
      } else {  // one piece of one row
        const int64_t oy = r0 % OH, outer = r0 / OH;
        const int64_t first =
            t.u.channels_inner ? yi->at(outer, oy, x0, 0) : ty.ddr_addr + r0 * OW + x0;
        store_linear(ctx, out.addr, first, bytes);
      }
    }
  }
  return finish_stats(
      sram,
      cat("bilinear upsample x", OH, "/", tx.shape[2], " x", OW, "/", tx.shape[3],
          n.attr_int("align_corners", 0) != 0 ? " align_corners" : "", " (DMA gather, VBLEND)"),
      0, tiles);
}

LayerStats emit_lut(EmitContext& ctx, int node) {
  const ir::Node& n = ctx.plan.graph->nodes[node];
  return emit_elementwise(ctx, node, n.inputs[0], n.inputs[0], "lookup table (VLUT)",
                          isa::Opcode::VLUT);
}

// ---- QConcat ----

// The concat as [outer][inner] bytes in memory order: the output holds, for each outer index,
// the inner bytes of input 0, then of input 1, ...
struct ConcatGeometry {
  int64_t outer = 1;
  std::vector<int64_t> inner;  // per input
  int64_t inner_total = 0;
  bool channel_axis = false;  // the axis is the innermost memory axis
};

// The memory dimensions of `t` (in memory order) and where logical axis `axis` sits in them.
std::pair<Shape, int64_t> memory_dims(const TensorDesc& t, int64_t axis, bool nhwc) {
  if (nhwc) {
    const Shape& s = t.shape;
    static constexpr int64_t kPos[4] = {0, 3, 1, 2};
    return {{s[0], s[2], s[3], s[1]}, kPos[axis]};
  }
  return {t.shape, axis};
}

ConcatGeometry concat_geometry(const Plan& plan, int node) {
  const ir::Node& n = plan.graph->nodes[node];
  const TensorDesc& y = plan.desc(n.outputs[0]);
  const int64_t rank = static_cast<int64_t>(y.shape.size());
  int64_t axis = n.attr_int("axis");
  if (axis < 0) axis += rank;
  const bool nhwc = image_4d(y).has_value() && y.layout == isa::TensorLayout::kNhwc;
  ConcatGeometry g;
  for (ir::ValueId id : n.inputs) {
    const TensorDesc& t = plan.desc(id);
    const bool ok = nhwc ? image_4d(t).has_value()
                         : memory_order_key(t) == "flat" + std::to_string(numel(t.shape));
    require(ok, what(plan, node), ": input '", t.name, "' is stored in a layout (",
            layout_name(t.layout), ") that differs from the output's");
    const auto [dims, m] = memory_dims(t, axis, nhwc);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < static_cast<int64_t>(dims.size()); ++d)
      (d < m ? outer : inner) *= dims[d];
    g.outer = outer;
    g.inner.push_back(inner);
    g.inner_total += inner;
    g.channel_axis = m == static_cast<int64_t>(dims.size()) - 1;
  }
  return g;
}

// One rescaled part of a concat input: the inner byte range [begin, end) whose channels all
// take the same route of the node's recipe (docs/requantizer.md 6), hence one VREQ record.
struct ConcatPart {
  int64_t begin = 0, end = 0;
  int32_t route = 1;
};

// The parts of input `i`: recipe "onnx" is the div route, "qnnpack" the mul route, and
// "qnnpack_channels_last" the fma route for the first floor(C / 8) * 8 channels and the mul
// route for the rest (a channel's bytes are a contiguous inner range in both layouts).
std::vector<ConcatPart> concat_parts(const Plan& plan, int node, size_t i, int64_t inner) {
  const ir::Node& n = plan.graph->nodes[node];
  const std::string recipe = n.attr_string("recipe", "onnx");
  require(recipe == "onnx" || recipe == "qnnpack" || recipe == "qnnpack_channels_last",
          what(plan, node), ": attribute 'recipe' value '", recipe,
          "' (expected onnx, qnnpack or qnnpack_channels_last)");
  if (recipe == "onnx") return {{0, inner, 3}};
  if (recipe == "qnnpack") return {{0, inner, 1}};
  const Shape& x = plan.value(n.inputs[i]).shape;
  require(x.size() == 4 && n.attr_int("axis") == 1, what(plan, node),
          ": recipe 'qnnpack_channels_last' needs 4-D inputs and axis 1");
  const int64_t channels = x[1], per_channel = inner / channels;
  const int64_t split = channels / 8 * 8 * per_channel;
  std::vector<ConcatPart> parts;
  if (split > 0) parts.push_back({0, split, 2});
  if (split < inner) parts.push_back({split, inner, 1});
  return parts;
}

// The VREQ record of a part: x_scale in `scale`, the route's output-scale constant in
// `rescale_k` (1.0f / y_scale, float(1.0 / double(y_scale)) or y_scale), zp and range.
isa::ParamRecord concat_record(float x_scale, float y_scale, int64_t y_zp, DType out,
                               int32_t route) {
  isa::ParamRecord r = output_record(y_zp, out);
  r.route = route;
  r.scale = x_scale;
  r.rescale_k = route == 1   ? 1.0f / y_scale
                : route == 2 ? static_cast<float>(1.0 / static_cast<double>(y_scale))
                             : y_scale;
  return r;
}

void prepare_concat(Plan& plan, int node, const HwConfig&) {
  const ir::Node& n = plan.graph->nodes[node];
  const DType t = plan.value(n.outputs[0]).dtype;
  require(is_8bit(t), what(plan, node), ": output type ", dtype_name(t), " is not 8-bit");
  const auto scales = n.attr_floats("x_scales", {});
  const auto zps = n.attr_ints("x_zero_points", {});
  require(scales.size() == n.inputs.size() && zps.size() == n.inputs.size(), what(plan, node),
          ": x_scales/x_zero_points need one entry per input (", n.inputs.size(), ")");
  const float y_scale = n.attr_float("y_scale", 0.0f);
  const int64_t y_zp = n.attr_int("y_zero_point", 0);
  const ConcatGeometry g = concat_geometry(plan, node);  // validates the layouts
  // make_plan() marked the inputs their producers store in place (-1); the rest are moved.
  NodePlan& np = plan.nodes[node];
  np.concat_move.resize(n.inputs.size(), -2);
  std::vector<isa::ParamRecord> records;
  for (size_t i = 0; i < n.inputs.size(); ++i) require_8bit(plan, node, n.inputs[i], "input");
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (np.concat_move[i] == -1) continue;
    const bool same = plan.value(n.inputs[i]).dtype == t && scales[i] == y_scale && zps[i] == y_zp;
    if (same) continue;  // COPY
    np.concat_move[i] = static_cast<int64_t>(records.size());
    for (const ConcatPart& part : concat_parts(plan, node, i, g.inner[i]))
      records.push_back(concat_record(scales[i], y_scale, y_zp, t, part.route));
  }
  if (!records.empty()) np.params = add_params(plan, records);
}

LayerStats emit_concat(EmitContext& ctx, int node) {
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const NodePlan& np = plan.nodes[node];
  const TensorDesc& y = plan.desc(n.outputs[0]);
  const ConcatGeometry g = concat_geometry(plan, node);
  // Tile every moved input first: the areas must hold the largest chunk of any of them.
  std::vector<ChunkTiling> tilings(n.inputs.size());
  int64_t in_bytes = 0, out_bytes = 0;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (np.concat_move[i] == -1) continue;
    tilings[i] = tile_chunks(g.outer, g.inner[i], 1, 1, kMaxVector, ctx.hw, what(plan, node));
    in_bytes = std::max(in_bytes, tilings[i].in_area);
    out_bytes = std::max(out_bytes, tilings[i].out_area);
  }
  SramPlan sram(ctx.hw, ctx.sram);
  const int in_area = in_bytes ? sram.add(Space::kFeature, in_bytes) : -1;
  const int out_area = out_bytes ? sram.add(Space::kOutput, out_bytes) : -1;
  const int prm_area = np.params >= 0 ? sram.add(Space::kParam, kRecordBytes) : -1;
  int64_t tiles = 0, copies = 0, rescales = 0, in_place = 0, offset = 0;
  for (size_t i = 0; i < n.inputs.size(); offset += g.inner[i], ++i) {
    const int64_t move = np.concat_move[i];
    if (move == -1) {
      ++in_place;
      continue;
    }
    const TensorDesc& x = plan.desc(n.inputs[i]);
    const ChunkTiling& t = tilings[i];
    (move >= 0 ? rescales : copies) += 1;
    const std::vector<ConcatPart> parts = move >= 0 ? concat_parts(plan, node, i, g.inner[i])
                                                    : std::vector<ConcatPart>{{0, g.inner[i], 0}};
    for (size_t part = 0; part < parts.size(); ++part)
      for (int64_t r0 = 0; r0 < g.outer; r0 += t.rows) {
        const int64_t r1 = std::min(g.outer, r0 + t.rows);
        for (int64_t c0 = parts[part].begin; c0 < parts[part].end; c0 += t.cols, ++tiles) {
          const int64_t c1 = std::min(parts[part].end, c0 + t.cols);
          const int64_t count = (r1 - r0) * (c1 - c0);
          const auto in = sram.get(in_area, {tiles, 0, 0, 0, 0});
          ctx.schedule.emit(dma(
              isa::Opcode::LOAD, 0, in.addr,
              coalesce({x.ddr_addr + r0 * g.inner[i] + c0, c1 - c0, r1 - r0, 1, g.inner[i], 0})));
          isa::Operands v;
          const auto out = sram.get(out_area, {tiles, 0, 0, 0, 0});
          if (move >= 0) {
            v = op_of(isa::Opcode::VREQ);
            v.in_addr = in.addr, v.out_addr = out.addr, v.n = count;
            v.prm_addr =
                load_record(ctx, sram, prm_area, np.params + move + static_cast<int64_t>(part));
            v.in_zp = n.attr_ints("x_zero_points", {}).at(i);
            v.mode = 0;  // the float routes, whatever requant.mode says (docs/requantizer.md 6)
            v.in_signed = x.dtype == DType::kI8, v.out_signed = y.dtype == DType::kI8;
          } else {
            v = op_of(isa::Opcode::COPY);
            v.src_buf = 0, v.src_addr = in.addr, v.dst_addr = out.addr, v.n = count;
          }
          ctx.schedule.emit(v);
          ctx.schedule.emit(dma(isa::Opcode::STORE, 3, out.addr,
                                coalesce({y.ddr_addr + r0 * g.inner_total + offset + c0, c1 - c0,
                                          r1 - r0, 1, g.inner_total, 0})));
        }
      }
  }
  return finish_stats(
      sram, cat("concat (", in_place, " in place, ", copies, " copied, ", rescales, " rescaled)"),
      0, tiles);
}

// ---- pooling ----

enum class PoolKind { kMax = 0, kAvg = 1, kGlobal = 2 };

struct PoolAttrs {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0;
};

PoolAttrs pool_attrs(const ir::Node& n, PoolKind kind) {
  if (kind == PoolKind::kGlobal) return {};
  const auto k = n.attr_ints("kernel_shape", {});
  const auto s = n.attr_ints("strides", {1, 1});
  const auto p = n.attr_ints("pads", {0, 0, 0, 0});
  return {k[0], k[1], s[0], s[1], p[0], p[1]};
}

// ATen's average pool (2.22, recipe aten_*): the divisor varies by window; it is
// the product of a row count and a column count (aten_pool_counts), so the output splits
// into rectangles of equal divisor, each pooled with its own record (scale float(1 / d), or
// its q31 encoding in fixed mode).
struct AtenPoolRegions {
  std::vector<int64_t> rows, cols;       // per output row / column: its divisor factor
  std::map<int64_t, int64_t> record_of;  // divisor -> record index after the node's first
};

AtenPoolRegions aten_pool_regions(const Plan& plan, int node) {
  const ir::Node& n = plan.graph->nodes[node];
  const Shape& x = plan.value(n.inputs[0]).shape;
  const Shape& y = plan.value(n.outputs[0]).shape;
  const auto k = n.attr_ints("kernel_shape", {});
  const auto s = n.attr_ints("strides", {1, 1});
  const auto p = n.attr_ints("pads", {0, 0, 0, 0});
  const bool include = n.attr_int("count_include_pad", 0) != 0;
  AtenPoolRegions r;
  r.rows = aten_pool_counts(x[2], k[0], s[0], p[0], p[2], y[2], include);
  r.cols = aten_pool_counts(x[3], k[1], s[1], p[1], p[3], y[3], include);
  for (int64_t a : r.rows)
    for (int64_t b : r.cols) r.record_of.try_emplace(a * b, 0);
  int64_t i = 0;
  for (auto& [d, index] : r.record_of) index = i++;
  return r;
}

// Maximal runs of equal values: [begin, end) index pairs.
std::vector<std::pair<int64_t, int64_t>> equal_runs(const std::vector<int64_t>& v) {
  std::vector<std::pair<int64_t, int64_t>> runs;
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i)
    if (runs.empty() || v[runs.back().first] != v[i])
      runs.push_back({i, i + 1});
    else
      runs.back().second = i + 1;
  return runs;
}

// ATen's recipes (2.22, 2.23): avg_pool2d (QAvgPool, recipe aten_*: a record per divisor) and
// adaptive_avg_pool2d (QGlobalAvgPool, recipe aten_adaptive_*: one record). POOL computes the
// NHWC kernels' round(float(acc) * m) + zx; the NCHW kernels add zx before rounding (or pool
// the raw integers), the same only for zx = 0.
void prepare_aten_pool(Plan& plan, int node, PoolKind kind, const std::string& recipe,
                       const HwConfig& hw) {
  const ir::Node& n = plan.graph->nodes[node];
  require(n.attr_float("x_scale", 0.0f) == n.attr_float("y_scale", -1.0f) &&
              n.attr_int("x_zero_point", 0) == n.attr_int("y_zero_point", 0),
          what(plan, node), ": ATen's average pool keeps the input's quantization");
  const bool channels_last = recipe.ends_with("_channels_last");
  const bool adaptive = recipe.starts_with("aten_adaptive_");
  require((adaptive ? kind == PoolKind::kGlobal : kind == PoolKind::kAvg) &&
              (channels_last || recipe.ends_with("_contiguous")),
          what(plan, node), ": attribute 'recipe' value '", recipe, "' is not ",
          kind == PoolKind::kGlobal ? "aten_adaptive_channels_last or aten_adaptive_contiguous"
                                    : "aten_channels_last or aten_contiguous");
  require(channels_last || n.attr_int("x_zero_point", 0) == 0, what(plan, node),
          ": an average pool of a tensor PyTorch holds contiguous (NCHW, e.g. a QuantStub "
          "output) with zero point ",
          n.attr_int("x_zero_point", 0),
          " is not supported: ATen's NCHW kernel adds the zero point before rounding, which "
          "POOL's requantizer does not (docs/pytorch-recipes.md 2.22); pool a conv output "
          "(channels-last) or use ceil_mode=False");
  const DType out = plan.value(n.outputs[0]).dtype;
  std::map<int64_t, float> multiplier_of;  // divisor -> m, in record order
  if (adaptive) {
    const Shape& x = plan.value(n.inputs[0]).shape;
    multiplier_of[x[2] * x[3]] = aten_adaptive_multiplier(x[2], x[3], channels_last);
  } else {
    for (const auto& [d, index] : aten_pool_regions(plan, node).record_of)
      multiplier_of[d] = d > 0 ? aten_pool_multiplier(d) : 0.0f;
  }
  std::vector<isa::ParamRecord> records;
  for (const auto& [d, m] : multiplier_of) {
    require(d > 0, what(plan, node), ": a pooling window with no element to average");
    isa::ParamRecord rec = output_record(n.attr_int("y_zero_point", 0), out);
    if (hw.requant_mode == RequantMode::kFixed) {
      const FixedScale f = fixed_encoding(m, what(plan, node));
      rec.mult = f.mult, rec.shift = f.shift;
    } else {
      rec.scale = m;
    }
    records.push_back(rec);
  }
  plan.nodes[node].params = add_params(plan, records);
}

void prepare_pool(Plan& plan, int node, PoolKind kind, const HwConfig& hw) {
  const ir::Node& n = plan.graph->nodes[node];
  require_8bit(plan, node, n.inputs[0], "input x");
  require_image_4d(plan, node, n.inputs[0], "input x");
  require_image_4d(plan, node, n.outputs[0], "output y");
  const DType in = plan.value(n.inputs[0]).dtype, out = plan.value(n.outputs[0]).dtype;
  require(in == out, what(plan, node), ": output type ", dtype_name(out),
          " differs from the input type ", dtype_name(in), " (POOL keeps the element type)");
  if (kind != PoolKind::kGlobal) {
    const PoolAttrs a = pool_attrs(n, kind);
    auto field = [&](const char* attr, int64_t v, int64_t hi, const char* f) {
      require(v >= 0 && v <= hi, what(plan, node), ": unsupported attribute '", attr, "' value ", v,
              " (the POOL ", f, " field holds 0..", hi, ")");
    };
    field("kernel_shape", a.kh, 15, "k_h");
    field("kernel_shape", a.kw, 15, "k_w");
    field("strides", a.sh, 15, "stride_h");
    field("strides", a.sw, 15, "stride_w");
    field("pads", a.pt, 31, "pad_t");
    field("pads", a.pl, 31, "pad_l");
    const auto d = n.attr_ints("dilations", {1, 1});
    require(d == std::vector<int64_t>{1, 1}, what(plan, node),
            ": unsupported attribute 'dilations' (POOL has no dilation; only [1, 1])");
  }
  if (kind == PoolKind::kMax) return;
  const std::string recipe = n.attr_string("recipe", "onnx");
  if (recipe.starts_with("aten_")) return prepare_aten_pool(plan, node, kind, recipe, hw);
  require(recipe == "qnnpack", what(plan, node), ": attribute 'recipe' value '", recipe,
          "': POOL computes PyTorch's average (recipe 'qnnpack': divisor k_h*k_w, padding adds "
          "0); the ONNX average (a float mean over the taps inside the image) is not supported");
  const float xs = n.attr_float("x_scale", 0.0f), ys = n.attr_float("y_scale", 0.0f);
  require(xs > 0 && ys > 0, what(plan, node), ": x_scale ", xs, " and y_scale ", ys,
          " must be > 0");
  const bool hw_fixed = hw.requant_mode == RequantMode::kFixed;
  const std::string mode = n.attr_string(ir::attr::kMode, "fp32");
  require((mode == "fixed") == hw_fixed, what(plan, node), ": requantizer mode '", mode,
          "' differs from the hardware's requant.mode '", hw_fixed ? "fixed" : "fp32",
          "' (derive the parameters for the selected mode)");
  isa::ParamRecord r = output_record(n.attr_int("y_zero_point", 0), out);
  if (hw_fixed) {
    r.mult = static_cast<int32_t>(n.attr_int(ir::attr::kMult, 0));
    r.shift = static_cast<int32_t>(n.attr_int(ir::attr::kShift, 0));
  } else {
    r.scale = avg_pool_scale(xs, ys, avg_pool_window(n, plan.value(n.inputs[0]).shape));
  }
  plan.nodes[node].params = add_params(plan, {r});
}

LayerStats emit_pool(EmitContext& ctx, int node, PoolKind kind) {
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const Image x = require_image_4d(plan, node, n.inputs[0], "input x");
  const Image y = require_image_4d(plan, node, n.outputs[0], "output y");
  const PoolAttrs a = pool_attrs(n, kind);
  PoolProblem p;
  p.n = x.n, p.h = x.h, p.w = x.w, p.c = x.c, p.oh = y.h, p.ow = y.w;
  p.kh = a.kh, p.kw = a.kw, p.sh = a.sh, p.sw = a.sw;
  p.global = kind == PoolKind::kGlobal;
  p.params = kind != PoolKind::kMax;
  const PoolTiling t = tile_pool(p, ctx.hw, what(plan, node));
  SramPlan sram(ctx.hw, ctx.sram);
  const int in_area = sram.add(Space::kFeature, t.in_area);
  const int out_area = sram.add(Space::kOutput, t.out_area);
  const int prm_area = p.params ? sram.add(Space::kParam, kRecordBytes) : -1;
  // Output rectangles pooled with one record: the whole output, or ATen's equal-divisor
  // regions.
  const bool aten = kind == PoolKind::kAvg && n.attr_string("recipe", "").starts_with("aten_");
  std::vector<std::pair<int64_t, int64_t>> row_runs{{0, p.oh}}, col_runs{{0, p.ow}};
  AtenPoolRegions regions;
  if (aten) {
    regions = aten_pool_regions(plan, node);
    row_runs = equal_runs(regions.rows), col_runs = equal_runs(regions.cols);
  }
  int64_t tiles = 0;
  for (int64_t in = 0; in < p.n; ++in)
    for (const auto& [ya, yb] : row_runs)
      for (const auto& [xa, xb] : col_runs)
        for (int64_t y0 = ya; y0 < yb; y0 += t.th)
          for (int64_t x0 = xa; x0 < xb; x0 += t.tw)
            for (int64_t c0 = 0; c0 < p.c; c0 += t.tc, ++tiles) {
              const int64_t y1 = std::min(yb, y0 + t.th), x1 = std::min(xb, x0 + t.tw);
              const int64_t c1 = std::min(p.c, c0 + t.tc);
              const int64_t record =
                  aten ? regions.record_of.at(regions.rows[ya] * regions.cols[xa]) : 0;
              const Window wr =
                  p.global ? Window{0, p.h, 0} : input_window(y0, y1, a.sh, 1, a.kh, a.pt, p.h);
              const Window wc =
                  p.global ? Window{0, p.w, 0} : input_window(x0, x1, a.sw, 1, a.kw, a.pl, p.w);
              const auto sin = sram.get(in_area, {tiles, 0, 0, 0, 0});
              if ((wr.hi - wr.lo) * (wc.hi - wc.lo) > 0)
                ctx.schedule.emit(dma(isa::Opcode::LOAD, 0, sin.addr,
                                      image_box(x, in, wr.lo, wr.hi, wc.lo, wc.hi, c0, c1)));
              isa::Operands o = op_of(isa::Opcode::POOL);
              if (p.params)
                o.prm_addr = load_record(ctx, sram, prm_area, plan.nodes[node].params + record);
              const auto sout = sram.get(out_area, {tiles, 0, 0, 0, 0});
              o.kind = static_cast<int64_t>(kind);
              o.in_addr = sin.addr, o.out_addr = sout.addr;
              o.in_h = wr.hi - wr.lo, o.in_w = wc.hi - wc.lo, o.c = c1 - c0;
              o.out_h = y1 - y0, o.out_w = x1 - x0;
              if (!p.global) {
                o.k_h = a.kh, o.k_w = a.kw, o.stride_h = a.sh, o.stride_w = a.sw;
                o.pad_t = wr.pad, o.pad_l = wc.pad;
              }
              o.in_signed = plan.value(n.inputs[0]).dtype == DType::kI8;
              o.in_zp = kind == PoolKind::kMax ? 0 : n.attr_int("x_zero_point", 0);
              ctx.schedule.emit(o);
              ctx.schedule.emit(
                  dma(isa::Opcode::STORE, 3, sout.addr, image_box(y, in, y0, y1, x0, x1, c0, c1)));
            }
  std::string desc = kind == PoolKind::kMax   ? cat("maxpool ", a.kh, "x", a.kw, "/", a.sh)
                     : kind == PoolKind::kAvg ? cat("avgpool ", a.kh, "x", a.kw, "/", a.sh)
                                              : std::string("global avgpool");
  return finish_stats(sram, desc, 0, tiles);
}

// ---- ArgMax ----

// Positions and channels of the argmax: the reduced axis must be innermost in memory.
std::pair<int64_t, int64_t> argmax_view(const Plan& plan, int node) {
  const ir::Node& n = plan.graph->nodes[node];
  const TensorDesc& x = plan.desc(n.inputs[0]);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = n.attr_int("axis", 0);
  if (axis < 0) axis += rank;
  if (auto im = image_4d(x); im && axis == 1) return {im->n * im->h * im->w, im->c};
  if (auto im = image_rows(x); im && axis == rank - 1) return {im->w, im->c};
  fail(what(plan, node), ": argmax over axis ", axis, " of '", x.name, "' (shape ",
       shape_str(x.shape), ", stored ", layout_name(x.layout),
       ") is not over its innermost memory axis (ARGMAX reduces channels)");
}

void prepare_argmax(Plan& plan, int node, const HwConfig& hw) {
  const ir::Node& n = plan.graph->nodes[node];
  require_8bit(plan, node, n.inputs[0], "input data");
  require(n.attr_int("select_last_index", 0) == 0, what(plan, node),
          ": unsupported attribute 'select_last_index' value 1 (ARGMAX returns the first maximum)");
  const auto [positions, c] = argmax_view(plan, node);
  tile_argmax(positions, c, hw, what(plan, node));
}

LayerStats emit_argmax(EmitContext& ctx, int node) {
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const auto [positions, c] = argmax_view(plan, node);
  const ArgmaxTiling t = tile_argmax(positions, c, ctx.hw, what(plan, node));
  const TensorDesc& x = plan.desc(n.inputs[0]);
  const TensorDesc& y = plan.desc(n.outputs[0]);
  SramPlan sram(ctx.hw, ctx.sram);
  const int in_area = sram.add(Space::kFeature, t.in_area);
  const int out_area = sram.add(Space::kOutput, t.out_area);
  int64_t tiles = 0;
  for (int64_t p0 = 0; p0 < positions; p0 += t.positions, ++tiles) {
    const int64_t p1 = std::min(positions, p0 + t.positions);
    const auto in = sram.get(in_area, {tiles, 0, 0, 0, 0});
    load_linear(ctx, 0, in.addr, x.ddr_addr + p0 * c, (p1 - p0) * c);
    const auto out = sram.get(out_area, {tiles, 0, 0, 0, 0});
    isa::Operands o = op_of(isa::Opcode::ARGMAX);
    o.in_addr = in.addr, o.out_addr = out.addr, o.n = p1 - p0, o.c = c;
    o.in_signed = x.dtype == DType::kI8;
    ctx.schedule.emit(o);
    store_linear(ctx, out.addr, y.ddr_addr + p0 * 4, (p1 - p0) * 4);
  }
  return finish_stats(sram, cat("argmax over ", c), 0, tiles);
}

}  // namespace

const OpLowering kAddLowering{ir::op::kQAdd, prepare_add, emit_add};
const OpLowering kClampLowering{ir::op::kQClamp, prepare_clamp, emit_clamp};
const OpLowering kLutLowering{ir::op::kQLut, prepare_lut, emit_lut};
const OpLowering kMulLowering{ir::op::kQMul, prepare_mul, emit_mul};
const OpLowering kUpsampleLowering{ir::op::kQUpsampleNearest, prepare_upsample, emit_upsample};
const OpLowering kBilinearLowering{ir::op::kQUpsampleBilinear, prepare_bilinear, emit_bilinear};
const OpLowering kBroadcastAddLowering{ir::op::kQAddBroadcast, prepare_broadcast_add,
                                       emit_broadcast_add};
const OpLowering kConcatLowering{ir::op::kQConcat, prepare_concat, emit_concat};
const OpLowering kMaxPoolLowering{
    ir::op::kQMaxPool,
    [](Plan& p, int n, const HwConfig& hw) { prepare_pool(p, n, PoolKind::kMax, hw); },
    [](EmitContext& c, int n) { return emit_pool(c, n, PoolKind::kMax); }};
const OpLowering kAvgPoolLowering{
    ir::op::kQAvgPool,
    [](Plan& p, int n, const HwConfig& hw) { prepare_pool(p, n, PoolKind::kAvg, hw); },
    [](EmitContext& c, int n) { return emit_pool(c, n, PoolKind::kAvg); }};
const OpLowering kGlobalAvgPoolLowering{
    ir::op::kQGlobalAvgPool,
    [](Plan& p, int n, const HwConfig& hw) { prepare_pool(p, n, PoolKind::kGlobal, hw); },
    [](EmitContext& c, int n) { return emit_pool(c, n, PoolKind::kGlobal); }};
const OpLowering kArgMaxLowering{ir::op::kArgMax, prepare_argmax, emit_argmax};

}  // namespace bpusim::compiler
