// QConv and QMatMul: tiles of CONV into ACC (in_c split across accumulating CONVs), then one
// REQUANT per output tile (bias, scale, zero point, activation clamp, fused residual add with
// the residual tile loaded into FEATURE) and a STORE into the output (or into its channel
// slice of a concat). A linear layer is a 1x1 CONV over [1][1][pixels][K].
#include <algorithm>
#include <limits>
#include <optional>
#include <set>

#include "common/error.h"
#include "compiler/lower/estimate.h"
#include "compiler/lower/op_lowering.h"
#include "compiler/lower/tiling.h"
#include "compiler/requant_record.h"

namespace bpusim::compiler {
namespace {

using namespace lower_detail;

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Everything the tile loop needs, independent of whether it came from a QConv or a QMatMul.
struct ConvJob {
  ConvProblem p;
  int64_t pt = 0, pl = 0;  // top/left padding of the whole input
  int64_t groups = 1;      // groups emitted one after another (1 for depthwise)
  int64_t ox0 = 0;         // first output column: the job covers [ox0, ox0 + p.ow)
  int64_t cg = 0, mg = 0;  // input/output channels per group
  Image x, y;
  std::optional<Image> res;
  int64_t w_addr = 0;    // DDR: weights [M][kh][kw][cg] (depthwise [C][kh][kw])
  int64_t prm_addr = 0;  // DDR: record of output channel 0
  int64_t in_signed = 0, wgt_signed = 0, in_zp = 0, wgt_zp = 0;
  int64_t mode = 0, out_type = 0, a_signed = 0, res_signed = 0;
};

isa::Operands op_of(isa::Opcode code) {
  isa::Operands o;
  o.opcode = static_cast<int64_t>(code);
  return o;
}

// The tiles of `j` under tiling `t`, appended to ctx's schedule.
LayerStats emit_tiles(EmitContext& ctx, const ConvJob& j, const ConvTiling& t, std::string op_desc,
                      int64_t macs) {
  SramPlan sram(ctx.hw, ctx.sram);
  const int in_area = sram.add(Space::kFeature, t.in_area);
  const int res_area = j.res ? sram.add(Space::kFeature, t.res_area) : -1;
  const int w_area = sram.add(Space::kWeight, t.wgt_area);
  const int acc_area = sram.add(Space::kAcc, t.acc_area);
  const int out_area = sram.add(Space::kOutput, t.out_area);
  const int prm_area = sram.add(Space::kParam, t.prm_area);
  const ConvProblem& p = j.p;
  const int64_t n_rb = ceil_div(p.oh, t.th), n_cb = ceil_div(p.ow, t.tw);
  const int64_t n_ob = ceil_div(p.oc, t.tco);
  const int64_t n_ib = p.depthwise ? 1 : ceil_div(p.c, t.tci);
  const int64_t taps = p.kh * p.kw;
  int64_t tiles = 0;

  // One output tile (image n, rows block rb, cols block cb, out-channel block ob) of group g.
  auto tile = [&](int64_t g, int64_t n, int64_t rb, int64_t cb, int64_t ob) {
    ++tiles;
    const int64_t y0 = rb * t.th, y1 = std::min(p.oh, y0 + t.th);
    const int64_t x0 = j.ox0 + cb * t.tw, x1 = std::min(j.ox0 + p.ow, x0 + t.tw);
    const int64_t m0 = ob * t.tco, m1 = std::min(p.oc, m0 + t.tco);
    const Window wr = input_window(y0, y1, p.sh, p.dh, p.kh, j.pt, p.h);
    const Window wc = input_window(x0, x1, p.sw, p.dw, p.kw, j.pl, p.w);
    const TileKey out_key{g, n, rb, cb, ob};
    const auto acc = sram.get(acc_area, out_key);
    for (int64_t ib = 0; ib < n_ib; ++ib) {
      const int64_t k0 = p.depthwise ? m0 : ib * t.tci;
      const int64_t k1 = p.depthwise ? m1 : std::min(p.c, k0 + t.tci);
      const auto in = sram.get(in_area, {g, n, rb, cb, p.depthwise ? ob : ib});
      const int64_t in_bytes = (wr.hi - wr.lo) * (wc.hi - wc.lo) * (k1 - k0);
      if (!in.hit && in_bytes > 0) {
        const int64_t c_base = g * j.cg;
        ctx.schedule.emit(
            dma(isa::Opcode::LOAD, 0, in.addr,
                image_box(j.x, n, wr.lo, wr.hi, wc.lo, wc.hi, c_base + k0, c_base + k1)));
      }
      const auto w = sram.get(w_area, {g, ob, ib, 0, 0});
      if (!w.hit) {
        DmaBox b;
        if (p.depthwise) {
          b = {j.w_addr + m0 * taps, taps, m1 - m0, 1, taps, 0};
        } else {
          const int64_t row = taps * j.cg;  // bytes per output channel
          b = {j.w_addr + (g * j.mg + m0) * row + k0, k1 - k0, taps, m1 - m0, j.cg, row};
        }
        ctx.schedule.emit(dma(isa::Opcode::LOAD, 1, w.addr, coalesce(b)));
      }
      isa::Operands c = op_of(isa::Opcode::CONV);
      c.in_addr = in.addr, c.wgt_addr = w.addr, c.acc_addr = acc.addr;
      c.in_h = wr.hi - wr.lo, c.in_w = wc.hi - wc.lo, c.in_c = k1 - k0;
      c.out_h = y1 - y0, c.out_w = x1 - x0, c.out_c = m1 - m0;
      c.k_h = p.kh, c.k_w = p.kw, c.stride_h = p.sh, c.stride_w = p.sw;
      c.dil_h = p.dh, c.dil_w = p.dw, c.pad_t = wr.pad, c.pad_l = wc.pad;
      c.depthwise = p.depthwise, c.accumulate = ib > 0;
      c.in_signed = j.in_signed, c.wgt_signed = j.wgt_signed;
      c.in_zp = j.in_zp, c.wgt_zp = j.wgt_zp;
      ctx.schedule.emit(c);
    }
    const int64_t m_base = g * j.mg;
    const auto prm = sram.get(prm_area, {g, ob, 0, 0, 0});
    if (!prm.hit) {
      DmaBox b{
          j.prm_addr + (m_base + m0) * kRecordBytes, kRecordBytes, m1 - m0, 1, kRecordBytes, 0};
      ctx.schedule.emit(dma(isa::Opcode::LOAD, 4, prm.addr, coalesce(b)));
    }
    isa::Operands r = op_of(isa::Opcode::REQUANT);
    if (j.res) {
      const auto res = sram.get(res_area, out_key);
      ctx.schedule.emit(dma(isa::Opcode::LOAD, 0, res.addr,
                            image_box(*j.res, n, y0, y1, x0, x1, m_base + m0, m_base + m1)));
      r.res_addr = res.addr, r.has_res = 1, r.res_signed = j.res_signed;
    }
    const auto out = sram.get(out_area, out_key);
    r.acc_addr = acc.addr, r.out_addr = out.addr, r.prm_addr = prm.addr;
    r.n_pix = (y1 - y0) * (x1 - x0), r.n_ch = m1 - m0;
    r.mode = j.mode, r.out_type = j.out_type, r.a_signed = j.a_signed;
    ctx.schedule.emit(r);
    ctx.schedule.emit(dma(isa::Opcode::STORE, 3, out.addr,
                          image_box(j.y, n, y0, y1, x0, x1, m_base + m0, m_base + m1)));
  };

  for (int64_t g = 0; g < j.groups; ++g) {
    if (t.oc_outer) {
      for (int64_t ob = 0; ob < n_ob; ++ob)
        for (int64_t n = 0; n < p.n; ++n)
          for (int64_t rb = 0; rb < n_rb; ++rb)
            for (int64_t cb = 0; cb < n_cb; ++cb) tile(g, n, rb, cb, ob);
    } else {
      for (int64_t n = 0; n < p.n; ++n)
        for (int64_t rb = 0; rb < n_rb; ++rb)
          for (int64_t cb = 0; cb < n_cb; ++cb)
            for (int64_t ob = 0; ob < n_ob; ++ob) tile(g, n, rb, cb, ob);
    }
  }
  return finish_stats(sram, std::move(op_desc), macs, tiles);
}

// Candidates predicted exactly per layer: the closed form ranks them; the cost model decides
// among the first kRankedCandidates and, in rank order, up to kDiverseCandidates more that
// each bring an output or input channel block not predicted yet. The closed form misranks
// whole families (it assumes the queues overlap perfectly), and on a configuration with more
// SRAM new candidates push an old winner out of the first few; the best of every block size
// keeps the search from losing a family (issue 15: more hardware never costs cycles).
// A candidate of more CONVs than kMaxPredictedConvs and than the first ranked is not predicted:
// its prediction would cost more than the rest together (tiny SRAMs at 224x224 have thousands
// of tiles), and the bound does not depend on the configuration, so it takes the same
// candidates away from every configuration.
constexpr size_t kRankedCandidates = 8;
constexpr size_t kDiverseCandidates = 16;
constexpr int64_t kMaxPredictedConvs = 4096;

// The candidates the cost model predicts (see kRankedCandidates, kMaxPredictedConvs).
std::vector<ConvTiling> predicted_candidates(const ConvProblem& p, const HwConfig& hw,
                                             const std::string& name) {
  const std::vector<ConvTiling> ranked =
      conv_candidates(p, hw, name, std::numeric_limits<size_t>::max());
  std::vector<ConvTiling> out;
  std::set<int64_t> tcis, tcos;
  auto convs = [&](const ConvTiling& t) {
    return p.n * ceil_div(p.oh, t.th) * ceil_div(p.ow, t.tw) * ceil_div(p.oc, t.tco) *
           (p.depthwise ? 1 : ceil_div(p.c, t.tci));
  };
  const int64_t cap = std::max(kMaxPredictedConvs, convs(ranked.front()));
  for (size_t i = 0; i < ranked.size(); ++i) {
    if (convs(ranked[i]) > cap) continue;
    const bool new_tci = tcis.insert(ranked[i].tci).second;
    const bool new_tco = tcos.insert(ranked[i].tco).second;
    if (out.size() < kRankedCandidates ||
        ((new_tci || new_tco) && out.size() < kRankedCandidates + kDiverseCandidates))
      out.push_back(ranked[i]);
  }
  return out;
}

// Of the predicted candidates, the one the cost model predicts to finish first when the job
// runs after `before` (the layer's earlier jobs, alone) from the current SRAM state.
ConvTiling choose_tiling(const EmitContext& ctx, const ConvJob& j, const std::string& name,
                         const Schedule& before) {
  const std::vector<ConvTiling> candidates = predicted_candidates(j.p, ctx.hw, name);
  ConvTiling best = candidates.front();
  int64_t best_cycles = std::numeric_limits<int64_t>::max();
  for (const ConvTiling& t : candidates) {
    Schedule trial = before;
    SramState state = ctx.sram;
    EmitContext scratch{ctx.plan, ctx.hw, trial, state};
    emit_tiles(scratch, j, t, "", 0);
    trial.flush();
    // Only a strictly faster candidate replaces the best: stop predicting at a tie.
    const std::optional<int64_t> cycles =
        predict_span_at_most(trial.code(), ctx.hw, best_cycles - 1);
    if (cycles) best_cycles = *cycles, best = t;
  }
  best.est_cycles = best_cycles;
  return best;
}

// Each job's tiling, chosen in order (a job predicted after the layer's earlier jobs, alone
// from the current SRAM state), and the cycles the layer then takes alone.
struct LayerChoice {
  std::vector<ConvTiling> tilings;
  int64_t cycles = 0;
};
LayerChoice choose_layer(const EmitContext& ctx, const std::vector<ConvJob>& jobs,
                         const std::string& name) {
  LayerChoice out;
  Schedule layer;  // the layer's jobs so far, alone
  SramState state = ctx.sram;
  EmitContext alone{ctx.plan, ctx.hw, layer, state};
  for (const ConvJob& j : jobs) {
    out.tilings.push_back(choose_tiling(alone, j, name, layer));
    emit_tiles(alone, j, out.tilings.back(), "", 0);
  }
  out.cycles = out.tilings.back().est_cycles;  // the last job's prediction covers the layer
  return out;
}

// A layer's jobs, one after another with their tilings; the stats of all of them.
LayerStats emit_jobs(EmitContext& ctx, const std::vector<ConvJob>& jobs,
                     const std::vector<ConvTiling>& tilings, std::string op_desc, int64_t macs) {
  LayerStats all{std::move(op_desc), macs, 0, {}};
  for (size_t k = 0; k < jobs.size(); ++k) {
    const LayerStats s = emit_tiles(ctx, jobs[k], tilings[k], "", 0);
    all.tiles += s.tiles;
    for (size_t b = 0; b < all.sram.size(); ++b) all.sram[b] = std::max(all.sram[b], s.sram[b]);
  }
  return all;
}

// Width folding (docs/compiler.md, "Folding the kernel width into channels"). A CONV feeds
// the array ceil(in_c / cols) column passes per tap, so a layer with few input channels (an
// RGB stem: 3 of 32 columns) leaves most of the array idle. The kw input pixels an output
// column reads are kw*C consecutive bytes of a dense NHWC row, so a LOAD whose runs are those
// bytes (consecutive runs overlap when sw < kw: the DMA's DDR stride may be smaller than its
// run) gives an image [rows][output columns][kw*C] on which the same weight bytes
// ([M][kh][kw][C] = [M][kh][1][kw*C]) form a kh x 1 kernel over kw*C channels. Padding is not
// in DDR, so only the output columns whose window lies inside the input fold; the columns at
// the edges stay jobs of the unfolded convolution. Empty when the layer cannot fold or
// folding would not save column passes.
std::vector<ConvJob> fold_kernel_width(const ConvJob& j, const HwConfig& hw) {
  const ConvProblem& p = j.p;
  const int64_t folded_c = p.kw * p.c;
  if (p.depthwise || j.groups != 1 || p.dw != 1 || p.kw == 1 || j.x.elem != 1 || j.x.pixel != p.c ||
      folded_c > kMaxDim || ceil_div(folded_c, hw.mac_cols) >= p.kw * ceil_div(p.c, hw.mac_cols))
    return {};
  // Output columns [lo, hi) read input columns ox*sw - pl .. ox*sw - pl + kw - 1 inside [0, w).
  const int64_t lo = ceil_div(j.pl, p.sw);
  const int64_t last = p.w + j.pl - p.kw;
  const int64_t hi = last < 0 ? 0 : std::min(p.ow, last / p.sw + 1);
  if (lo >= hi) return {};
  auto columns = [&](int64_t c0, int64_t c1) {
    ConvJob r = j;
    r.ox0 = c0, r.p.ow = c1 - c0;
    return r;
  };
  std::vector<ConvJob> jobs;
  if (lo > 0) jobs.push_back(columns(0, lo));
  ConvJob f = columns(lo, hi);
  f.x.addr -= j.pl * j.x.pixel;  // output column ox's run starts at input column ox*sw - pl
  f.x.pixel = p.sw * j.x.pixel, f.x.w = p.ow, f.x.c = folded_c;
  f.p.w = p.ow, f.p.c = f.cg = folded_c, f.p.kw = 1, f.p.sw = 1, f.pl = 0;
  jobs.push_back(f);
  if (hi < p.ow) jobs.push_back(columns(hi, p.ow));
  return jobs;
}

// The layer unfolded or width-folded, whichever the cost model predicts to finish first.
LayerStats emit_conv_job(EmitContext& ctx, const ConvJob& j, const std::string& name,
                         std::string op_desc, int64_t macs) {
  const std::vector<ConvJob> whole{j};
  const LayerChoice unfolded = choose_layer(ctx, whole, name);
  const std::vector<ConvJob> folded = fold_kernel_width(j, ctx.hw);
  if (!folded.empty()) {
    const LayerChoice f = choose_layer(ctx, folded, name);
    if (f.cycles < unfolded.cycles)
      return emit_jobs(ctx, folded, f.tilings,
                       op_desc + cat(" (", j.p.kw, " taps folded into channels)"), macs);
  }
  return emit_jobs(ctx, whole, unfolded.tilings, std::move(op_desc), macs);
}

// ---- shared node checks ----

ir::Requant requant_of(const Plan& plan, int node, int64_t channels, bool residual,
                       const HwConfig& hw) {
  const ir::Node& n = plan.graph->nodes[node];
  ir::Requant rq = ir::get_requant(n, channels, residual);
  const bool hw_fixed = hw.requant_mode == RequantMode::kFixed;
  if (rq.mode != ir::Stage1Mode::kInt32)
    require((rq.mode == ir::Stage1Mode::kFixed) == hw_fixed, what(plan, node),
            ": requantizer mode '", ir::stage1_mode_name(rq.mode),
            "' differs from the hardware's requant.mode '", hw_fixed ? "fixed" : "fp32",
            "' (derive the parameters for the selected mode)");
  return rq;
}

void fill_requant_fields(const Plan& plan, int node, const ir::Requant& rq, ConvJob& j) {
  const ir::Node& n = plan.graph->nodes[node];
  j.mode = rq.mode == ir::Stage1Mode::kFixed ? 1 : 0;
  j.out_type = rq.out_dtype == DType::kU8 ? 0 : rq.out_dtype == DType::kI8 ? 1 : 2;
  j.a_signed = rq.out_dtype == DType::kI8;
  if (rq.has_add) {
    j.res_signed = plan.value(n.inputs[2]).dtype == DType::kI8;
  }
}

std::string requant_desc(const ir::Requant& rq) {
  std::string s;
  if (rq.mode == ir::Stage1Mode::kInt32) return " -> int32";
  const ir::RequantChannel& c = rq.channels.front();
  const std::string act1 = activation_name(c.min, c.max, c.zp, rq.out_dtype);
  if (!act1.empty()) s += " +" + act1;
  if (rq.has_add) {
    s += " +add";
    const std::string act2 =
        activation_name(c.add.add_min, c.add.add_max, c.add.add_zp, rq.out_dtype);
    if (!act2.empty()) s += " +" + act2;
  }
  return s + " -> " + std::string(dtype_name(rq.out_dtype));
}

int64_t zero_point_attr(const Plan& plan, int node, const char* key) {
  const ir::Node& n = plan.graph->nodes[node];
  const int64_t zp = n.attr_int(key, 0);
  require(zp >= -256 && zp <= 255, what(plan, node), ": attribute '", key, "' value ", zp,
          " does not fit the 9-bit zero-point field");
  return zp;
}

void require_field(const Plan& plan, int node, const char* attr, int64_t value, int64_t lo,
                   int64_t hi, const char* field) {
  require(value >= lo && value <= hi, what(plan, node), ": unsupported attribute '", attr,
          "' value ", value, " (the ", field, " field holds ", lo, "..", hi, ")");
}

const Tensor& constant_weights(const Plan& plan, int node, size_t input, const char* operand) {
  const ir::Node& n = plan.graph->nodes[node];
  const ir::Value& w = plan.value(n.inputs.at(input));
  require(w.constant.has_value(), what(plan, node), ": ", operand, " '", w.name,
          "' must be a constant (the BPU multiplies activations by stored weights only)");
  require(w.dtype == DType::kI8 || w.dtype == DType::kU8, what(plan, node), ": ", operand, " '",
          w.name, "' has element type ", dtype_name(w.dtype), ", expected int8 or uint8");
  return *w.constant;
}

std::vector<isa::ParamRecord> records_of(const ir::Requant& rq) {
  std::vector<isa::ParamRecord> out;
  for (const ir::RequantChannel& c : rq.channels) out.push_back(param_record(c));
  return out;
}

// ---- QConv ----

struct ConvAttrs {
  int64_t sh, sw, dh, dw, pt, pl, group;
};

ConvAttrs conv_attrs(const ir::Node& n) {
  const auto s = n.attr_ints("strides", {1, 1});
  const auto d = n.attr_ints("dilations", {1, 1});
  const auto p = n.attr_ints("pads", {0, 0, 0, 0});
  return {s[0], s[1], d[0], d[1], p[0], p[1], n.attr_int("group", 1)};
}

void prepare_conv(Plan& plan, int node, const HwConfig& hw) {
  const ir::Node& n = plan.graph->nodes[node];
  require_8bit(plan, node, n.inputs[0], "input x");
  require_image_4d(plan, node, n.inputs[0], "input x");
  const Tensor& w = constant_weights(plan, node, 1, "weight");
  const ConvAttrs a = conv_attrs(n);
  require_field(plan, node, "kernel_shape", w.dim(2), 1, 15, "CONV k_h");
  require_field(plan, node, "kernel_shape", w.dim(3), 1, 15, "CONV k_w");
  require_field(plan, node, "strides", a.sh, 1, 15, "CONV stride_h");
  require_field(plan, node, "strides", a.sw, 1, 15, "CONV stride_w");
  require_field(plan, node, "dilations", a.dh, 1, 15, "CONV dil_h");
  require_field(plan, node, "dilations", a.dw, 1, 15, "CONV dil_w");
  require_field(plan, node, "pads", a.pt, 0, 31, "CONV pad_t");
  require_field(plan, node, "pads", a.pl, 0, 31, "CONV pad_l");
  zero_point_attr(plan, node, "x_zero_point");
  zero_point_attr(plan, node, "w_zero_point");
  const bool residual = n.inputs.size() > 2 && n.inputs[2] != ir::kNoValue;
  if (residual) {
    require_8bit(plan, node, n.inputs[2], "residual");
    require_image_4d(plan, node, n.inputs[2], "residual");
    require(plan.value(n.inputs[2]).shape == plan.value(n.outputs[0]).shape, what(plan, node),
            ": residual shape ", shape_str(plan.value(n.inputs[2]).shape),
            " differs from the output shape ", shape_str(plan.value(n.outputs[0]).shape));
  }
  require_image_4d(plan, node, n.outputs[0], "output y");
  const int64_t m = w.dim(0);
  const ir::Requant rq = requant_of(plan, node, m, residual, hw);
  // Weights [M][C/g][kh][kw] -> [M][kh][kw][C/g]: one output channel's taps, then channels,
  // exactly the CONV weight layout, so any (out, in) channel block is a 3-D DMA.
  const int64_t cg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  std::vector<uint8_t> bytes(w.numel());
  const auto src = w.bytes();
  for (int64_t o = 0; o < m; ++o)
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          bytes[((o * kh + y) * kw + x) * cg + c] =
              static_cast<uint8_t>(src[((o * cg + c) * kh + y) * kw + x]);
  NodePlan& np = plan.nodes[node];
  np.weights = add_weights(plan, bytes);
  np.params = add_params(plan, records_of(rq));
}

LayerStats emit_conv(EmitContext& ctx, int node) {
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const ir::Value& xv = plan.value(n.inputs[0]);
  const Tensor& w = *plan.value(n.inputs[1]).constant;
  const ir::Value& yv = plan.value(n.outputs[0]);
  const ConvAttrs a = conv_attrs(n);
  const bool residual = n.inputs.size() > 2 && n.inputs[2] != ir::kNoValue;
  const ir::Requant rq = requant_of(plan, node, w.dim(0), residual, ctx.hw);
  const int64_t c = xv.shape[1], m = w.dim(0), cg = w.dim(1);
  const bool depthwise = a.group > 1 && cg == 1 && m == a.group;

  ConvJob j;
  j.x = require_image_4d(plan, node, n.inputs[0], "input x");
  j.y = require_image_4d(plan, node, n.outputs[0], "output y");
  if (residual) j.res = require_image_4d(plan, node, n.inputs[2], "residual");
  j.p.n = xv.shape[0], j.p.h = xv.shape[2], j.p.w = xv.shape[3];
  j.p.oh = yv.shape[2], j.p.ow = yv.shape[3];
  j.p.kh = w.dim(2), j.p.kw = w.dim(3), j.p.sh = a.sh, j.p.sw = a.sw, j.p.dh = a.dh, j.p.dw = a.dw;
  j.p.depthwise = depthwise;
  j.p.out_elem = rq.out_dtype == DType::kI32 ? 4 : 1;
  j.p.residual = residual;
  j.pt = a.pt, j.pl = a.pl;
  j.groups = depthwise ? 1 : a.group;
  j.cg = depthwise ? c : cg;
  j.mg = depthwise ? m : m / a.group;
  j.p.c = j.cg, j.p.oc = j.mg;
  j.w_addr = plan.nodes[node].weights;
  j.prm_addr = param_addr(plan, plan.nodes[node].params);
  j.in_signed = xv.dtype == DType::kI8;
  j.wgt_signed = w.dtype() == DType::kI8;
  j.in_zp = n.attr_int("x_zero_point", 0);
  j.wgt_zp = n.attr_int("w_zero_point", 0);
  fill_requant_fields(plan, node, rq, j);

  std::string desc = cat("conv ", j.p.kh, "x", j.p.kw);
  if (a.sh != 1 || a.sw != 1) desc += cat("/", a.sh == a.sw ? cat(a.sh) : cat(a.sh, "x", a.sw));
  if (a.dh != 1 || a.dw != 1) desc += cat(" dil ", a.dh, "x", a.dw);
  if (depthwise)
    desc += " depthwise";
  else if (a.group > 1)
    desc += cat(" groups ", a.group);
  const int64_t macs = yv.shape[0] * yv.shape[2] * yv.shape[3] * m * j.p.kh * j.p.kw * cg;
  return emit_conv_job(ctx, j, what(plan, node), desc + requant_desc(rq), macs);
}

// ---- QMatMul ----

// The K-order of the matmul's input in memory: identity for row-major inputs; for the
// Flatten of an NHWC [N, C, H, W] tensor, memory position (h*W + w)*C + c holds logical
// k = c*H*W + h*W + w, so the weight rows are permuted to match.
std::vector<int64_t> k_order(const Plan& plan, int node) {
  const ir::Node& n = plan.graph->nodes[node];
  const TensorDesc& a = plan.desc(n.inputs[0]);
  const int64_t k = a.shape.back();
  std::vector<int64_t> order(k);
  if (image_rows(a)) {
    for (int64_t i = 0; i < k; ++i) order[i] = i;
    return order;
  }
  const Shape& s = a.nchw;
  require(a.layout == isa::TensorLayout::kNhwc && a.shape.size() == 2 && a.shape[0] == s[0] &&
              k == s[1] * s[2] * s[3],
          what(plan, node), ": input a (shape ", shape_str(a.shape), ") is stored NHWC as ",
          shape_str(s), "; only a Flatten to [N, C*H*W] is supported");
  const int64_t C = s[1], H = s[2], W = s[3];
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) order[(y * W + x) * C + c] = (c * H + y) * W + x;
  return order;
}

Image matmul_input(const Plan& plan, int node) {
  const ir::Node& n = plan.graph->nodes[node];
  const TensorDesc& a = plan.desc(n.inputs[0]);
  if (auto im = image_rows(a)) return *im;
  // The NHWC Flatten case (k_order checked it): N pixels of C*H*W contiguous bytes.
  Image im{a.ddr_addr, 1, 1, a.shape[0], a.shape[1], 1};
  im.pixel = a.shape[1], im.row = a.shape[0] * a.shape[1], im.batch = im.row;
  return im;
}

void prepare_matmul(Plan& plan, int node, const HwConfig& hw) {
  const ir::Node& n = plan.graph->nodes[node];
  require_8bit(plan, node, n.inputs[0], "input a");
  const Tensor& b = constant_weights(plan, node, 1, "input b");
  require(b.rank() == 2, what(plan, node), ": input b has shape ", shape_str(b.shape()),
          "; only a 2-D weight matrix [K, N] is supported");
  zero_point_attr(plan, node, "a_zero_point");
  zero_point_attr(plan, node, "b_zero_point");
  const std::vector<int64_t> order = k_order(plan, node);
  const bool residual = n.inputs.size() > 2 && n.inputs[2] != ir::kNoValue;
  if (residual) {
    require_8bit(plan, node, n.inputs[2], "residual");
    require(image_rows(plan.desc(n.inputs[2])).has_value(), what(plan, node),
            ": residual must be stored with its last axis innermost");
    require(plan.value(n.inputs[2]).shape == plan.value(n.outputs[0]).shape, what(plan, node),
            ": residual shape differs from the output shape");
  }
  require(image_rows(plan.desc(n.outputs[0])).has_value(), what(plan, node),
          ": output must be stored with its last axis innermost");
  const int64_t k = b.dim(0), m = b.dim(1);
  const ir::Requant rq = requant_of(plan, node, m, residual, hw);
  // b [K][N] -> [N][K'] (K' in memory order of the input): a 1x1 CONV weight block.
  std::vector<uint8_t> bytes(b.numel());
  const auto src = b.bytes();
  for (int64_t o = 0; o < m; ++o)
    for (int64_t i = 0; i < k; ++i) bytes[o * k + i] = static_cast<uint8_t>(src[order[i] * m + o]);
  NodePlan& np = plan.nodes[node];
  np.weights = add_weights(plan, bytes);
  np.params = add_params(plan, records_of(rq));
}

LayerStats emit_matmul(EmitContext& ctx, int node) {
  const Plan& plan = ctx.plan;
  const ir::Node& n = plan.graph->nodes[node];
  const ir::Value& av = plan.value(n.inputs[0]);
  const Tensor& b = *plan.value(n.inputs[1]).constant;
  const bool residual = n.inputs.size() > 2 && n.inputs[2] != ir::kNoValue;
  const ir::Requant rq = requant_of(plan, node, b.dim(1), residual, ctx.hw);
  ConvJob j;
  j.x = matmul_input(plan, node);
  j.y = *image_rows(plan.desc(n.outputs[0]));
  if (residual) j.res = *image_rows(plan.desc(n.inputs[2]));
  const int64_t k = b.dim(0), m = b.dim(1), pixels = j.x.w;
  j.p.w = j.p.ow = pixels;
  j.p.c = j.cg = k;
  j.p.oc = j.mg = m;
  j.p.out_elem = rq.out_dtype == DType::kI32 ? 4 : 1;
  j.p.residual = residual;
  j.w_addr = plan.nodes[node].weights;
  j.prm_addr = param_addr(plan, plan.nodes[node].params);
  j.in_signed = av.dtype == DType::kI8;
  j.wgt_signed = b.dtype() == DType::kI8;
  j.in_zp = n.attr_int("a_zero_point", 0);
  j.wgt_zp = n.attr_int("b_zero_point", 0);
  fill_requant_fields(plan, node, rq, j);
  return emit_conv_job(ctx, j, what(plan, node), cat("linear ", k, "->", m) + requant_desc(rq),
                       pixels * k * m);
}

}  // namespace

const OpLowering kConvLowering{ir::op::kQConv, prepare_conv, emit_conv};
const OpLowering kMatMulLowering{ir::op::kQMatMul, prepare_matmul, emit_matmul};

}  // namespace bpusim::compiler
