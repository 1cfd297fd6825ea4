#include "compiler/lower/tiling.h"

#include <algorithm>
#include <limits>
#include <set>
#include <vector>

#include "common/error.h"
#include "compiler/lower/estimate.h"

namespace bpusim::compiler {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

constexpr int64_t kPipelineChunks = 4;
constexpr int64_t kMinPipelineChunk = 1024;

// Candidate block sizes for `total` items: every distinct ceil(total / k) (equal splits), and
// the same rounded up to a multiple of `unit` (the MAC array dimension), capped at `cap`.
std::vector<int64_t> block_candidates(int64_t total, int64_t unit, int64_t cap) {
  std::set<int64_t> out;
  for (int64_t k = 1; k <= total;) {
    const int64_t v = ceil_div(total, k);
    if (v <= cap) out.insert(v);
    const int64_t r = std::min(total, ceil_div(v, unit) * unit);
    if (r <= cap) out.insert(r);
    // Next k giving a smaller ceil(total / k).
    k = v == 1 ? total + 1 : ceil_div(total, v - 1);
  }
  return {out.rbegin(), out.rend()};
}

// Largest t in [1, hi] with fits(t), assuming fits is monotone; 0 when none.
template <class F>
int64_t largest(int64_t hi, F fits) {
  int64_t lo = 0;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

// Evens out tiles: the same number of tiles as `t` gives, each as small as possible.
int64_t balance(int64_t total, int64_t t) {
  return ceil_div(total, ceil_div(total, t));
}

isa::Operands dma_op(isa::Opcode op, int64_t n0, int64_t n1, int64_t n2) {
  isa::Operands o;
  o.opcode = static_cast<int64_t>(op);
  o.n0 = n0;
  o.n1 = n1;
  o.n2 = n2;
  return o;
}

struct Halves {
  int64_t f, w, a, o, p;
  explicit Halves(const HwConfig& hw)
      : f(half_bytes(Space::kFeature, hw)),
        w(half_bytes(Space::kWeight, hw)),
        a(half_bytes(Space::kAcc, hw)),
        o(half_bytes(Space::kOutput, hw)),
        p(half_bytes(Space::kParam, hw)) {}
};

// "FEATURE needs 300 bytes per slot, a half of sram.feature.bytes holds 128" for each
// buffer whose need exceeds its half.
std::string shortfall(const Halves& h, int64_t f, int64_t w, int64_t a, int64_t o, int64_t p) {
  std::string out;
  auto one = [&](const char* buf, const char* key, int64_t need, int64_t have) {
    if (need > have)
      out += cat(out.empty() ? "" : "; ", buf, " needs ", need, " bytes per slot, half of ", key,
                 " holds ", have);
  };
  one("FEATURE", "sram.feature.bytes", f, h.f);
  one("WEIGHT", "sram.weight.bytes", w, h.w);
  one("ACC", "sram.accumulator.bytes", a, h.a);
  one("OUTPUT", "sram.output.bytes", o, h.o);
  one("PARAM", "sram.param.bytes", p, h.p);
  return out;
}

// The most rows (of `row_elems` elements) per tile or chunk that still leaves kPipelineChunks of
// them when `others` (images, channel blocks) multiply the `rows`, unless one would then hold
// fewer than kMinPipelineChunk elements. Whatever the SRAMs hold: the tiles of one layer
// pipeline (the LOAD of one overlaps the op of the one before and the STORE of the one before
// that) and the first and last overlap the neighbouring layers, so a larger SRAM must not merge
// them into one serial tile (docs/compiler.md 4 and 6b).
int64_t pipelined_rows(int64_t rows, int64_t row_elems, int64_t others) {
  const int64_t splits = ceil_div(kPipelineChunks, std::max<int64_t>(others, 1));
  return std::max(ceil_div(rows, splits),
                  ceil_div(kMinPipelineChunk, std::max<int64_t>(row_elems, 1)));
}

}  // namespace

int64_t align_up(int64_t v, int64_t a) {
  return ceil_div(v, a) * a;
}

int64_t half_bytes(Space s, const HwConfig& hw) {
  return space_bytes(s, hw) / 2 / kSramAlign * kSramAlign;
}

Window input_window(int64_t o0, int64_t o1, int64_t stride, int64_t dil, int64_t k, int64_t pad,
                    int64_t size) {
  const int64_t first = o0 * stride - pad;
  const int64_t last = (o1 - 1) * stride - pad + (k - 1) * dil;  // inclusive
  const int64_t lo = std::clamp<int64_t>(first, 0, size);
  const int64_t hi = std::clamp<int64_t>(last + 1, lo, size);
  // A window entirely in the padding reads nothing: an empty tile needs no padding offset.
  return {lo, hi, hi == lo ? 0 : lo - first};
}

int64_t max_window(int64_t t, int64_t stride, int64_t dil, int64_t k, int64_t size) {
  return std::min(size, (t - 1) * stride + (k - 1) * dil + 1);
}

std::vector<ConvTiling> conv_candidates(const ConvProblem& p, const HwConfig& hw,
                                        const std::string& what, size_t limit) {
  const Halves half(hw);
  const int64_t ow_cap = std::min(p.ow, kMaxDim);
  const int64_t oh_cap = std::min(p.oh, kMaxDim);
  auto area = [&](int64_t th, int64_t tw, int64_t tci, int64_t tco, ConvTiling& t) {
    const int64_t rows = max_window(th, p.sh, p.dh, p.kh, p.h);
    const int64_t cols = max_window(tw, p.sw, p.dw, p.kw, p.w);
    t.th = th, t.tw = tw, t.tci = tci, t.tco = tco;
    t.in_area = align_up(rows * cols * tci);
    t.res_area = p.residual ? align_up(th * tw * tco) : 0;
    t.acc_area = align_up(th * tw * tco * 4);
    t.out_area = align_up(th * tw * tco * p.out_elem);
    t.wgt_area = align_up(p.depthwise ? tco * p.kh * p.kw : tco * p.kh * p.kw * tci);
    t.prm_area = tco * kRecordBytes;
    return rows <= kMaxDim && cols <= kMaxDim && th * tw <= kMaxPix;
  };
  auto fits = [&](int64_t th, int64_t tw, int64_t tci, int64_t tco) {
    ConvTiling t;
    return area(th, tw, tci, tco, t) && t.in_area + t.res_area <= half.f && t.acc_area <= half.a &&
           t.out_area <= half.o && t.wgt_area <= half.w && t.prm_area <= half.p;
  };

  // Closed-form cost of one candidate under one loop order (the rules of estimate.h's
  // durations, the queues assumed to overlap perfectly): it ranks the candidates, and the
  // caller predicts the best few exactly.
  auto cost = [&](const ConvTiling& t, bool oc_outer) {
    const int64_t n_sp = p.n * ceil_div(p.oh, t.th) * ceil_div(p.ow, t.tw);
    const int64_t n_ob = ceil_div(p.oc, t.tco);
    const int64_t n_ib = p.depthwise ? 1 : ceil_div(p.c, t.tci);
    isa::Operands conv;
    conv.opcode = static_cast<int64_t>(isa::Opcode::CONV);
    conv.out_h = t.th, conv.out_w = t.tw, conv.k_h = p.kh, conv.k_w = p.kw;
    conv.in_c = t.tci, conv.out_c = t.tco, conv.depthwise = p.depthwise;
    isa::Operands rq;
    rq.opcode = static_cast<int64_t>(isa::Opcode::REQUANT);
    rq.n_pix = t.th * t.tw, rq.n_ch = t.tco;
    const int64_t compute =
        n_sp * n_ob * (n_ib * estimate_cycles(conv, hw) + estimate_cycles(rq, hw));
    // A 2-slot cache keeps a block resident when at most two blocks take turns.
    const int64_t in_loads =
        n_sp * n_ib * (oc_outer ? (n_sp * n_ib <= 2 ? 1 : n_ob) : (n_ib == 1 ? 1 : n_ob));
    const int64_t w_loads =
        n_ob * n_ib * (oc_outer ? (n_ib <= 2 ? 1 : n_sp) : (n_ob * n_ib <= 2 ? 1 : n_sp));
    const int64_t rows = max_window(t.th, p.sh, p.dh, p.kh, p.h);
    const int64_t cols = max_window(t.tw, p.sw, p.dw, p.kw, p.w);
    const int64_t load_in = estimate_cycles(dma_op(isa::Opcode::LOAD, t.tci, cols, rows), hw);
    const int64_t load_w = estimate_cycles(
        dma_op(isa::Opcode::LOAD, p.depthwise ? p.kh * p.kw : t.tci, p.kh * p.kw, t.tco), hw);
    const int64_t store =
        estimate_cycles(dma_op(isa::Opcode::STORE, t.tco * p.out_elem, t.tw, t.th), hw);
    const int64_t res =
        p.residual ? estimate_cycles(dma_op(isa::Opcode::LOAD, t.tco, t.tw, t.th), hw) : 0;
    const int64_t dma = in_loads * load_in + w_loads * load_w + n_sp * n_ob * (store + res);
    return std::max(compute, dma) + load_in + load_w + store;
  };

  // Every (tco, tci) block pair that fits, each with a few tile heights (the tallest tile that
  // fits at full width, and the heights oh/2^k below it: smaller tiles fill and drain the
  // pipeline sooner and may keep weights resident), both loop orders.
  std::vector<ConvTiling> all;
  const std::vector<int64_t> tcos = block_candidates(p.oc, hw.mac_rows, kMaxDim);
  const std::vector<int64_t> tcis =
      p.depthwise ? std::vector<int64_t>{0} : block_candidates(p.c, hw.mac_cols, kMaxDim);
  for (int64_t tco : tcos) {
    for (int64_t tci_c : tcis) {
      const int64_t tci = p.depthwise ? tco : tci_c;
      if (!fits(1, 1, tci, tco)) continue;
      int64_t tw = ow_cap;
      int64_t th = largest(oh_cap, [&](int64_t r) { return fits(r, tw, tci, tco); });
      std::set<std::pair<int64_t, int64_t>> shapes;
      if (th == 0) {
        tw = largest(ow_cap, [&](int64_t c) { return fits(1, c, tci, tco); });
        shapes.insert({1, balance(p.ow, tw)});
      } else {
        // The tallest tile, and every height of the ladder oh/2^k that fits: the ladder does
        // not depend on the SRAM sizes, so a configuration with more SRAM keeps every height
        // a smaller one had (issue 15: more hardware never costs cycles).
        shapes.insert({balance(p.oh, th), balance(p.ow, tw)});
        for (int64_t parts = 1; parts < 2 * p.oh; parts *= 2)
          if (ceil_div(p.oh, parts) <= th)
            shapes.insert({ceil_div(p.oh, parts), balance(p.ow, tw)});
      }
      for (const auto& [h, w] : shapes) {
        ConvTiling t;
        area(h, w, tci, tco, t);
        // The loop order matters only with several output-channel blocks and spatial tiles.
        const bool one_order =
            ceil_div(p.oc, tco) == 1 || p.n * ceil_div(p.oh, h) * ceil_div(p.ow, w) == 1;
        for (bool oc_outer : {false, true}) {
          if (oc_outer && one_order) continue;
          t.oc_outer = oc_outer;
          t.est_cycles = cost(t, oc_outer);
          all.push_back(t);
        }
      }
    }
  }
  if (all.empty()) {
    ConvTiling t;
    area(1, 1, 1, 1, t);
    fail(what, ": does not fit the hardware even as 1-pixel, 1-channel tiles (kernel ", p.kh, "x",
         p.kw, ", input ", p.h, "x", p.w, "x", p.c, "): ",
         shortfall(half, t.in_area + t.res_area, t.wgt_area, t.acc_area, t.out_area, t.prm_area));
  }
  // Cheapest first; ties keep the order above (larger blocks and tiles first).
  std::stable_sort(all.begin(), all.end(), [](const ConvTiling& a, const ConvTiling& b) {
    return a.est_cycles < b.est_cycles;
  });
  if (all.size() > limit) all.resize(limit);
  return all;
}

ConvTiling tile_conv(const ConvProblem& p, const HwConfig& hw, const std::string& what) {
  return conv_candidates(p, hw, what, 1).front();
}

PoolTiling tile_pool(const PoolProblem& p, const HwConfig& hw, const std::string& what) {
  const Halves half(hw);
  const int64_t prm = p.params ? kRecordBytes : 0;
  auto make = [&](int64_t th, int64_t tw, int64_t tc, PoolTiling& t) {
    const int64_t rows = p.global ? p.h : max_window(th, p.sh, 1, p.kh, p.h);
    const int64_t cols = p.global ? p.w : max_window(tw, p.sw, 1, p.kw, p.w);
    t = {th, tw, tc, align_up(rows * cols * tc), align_up(th * tw * tc), prm};
    return rows <= kMaxDim && cols <= kMaxDim && t.in_area <= half.f && t.out_area <= half.o &&
           prm <= half.p;
  };
  auto cost = [&](const PoolTiling& t) {
    const int64_t rows = p.global ? p.h : max_window(t.th, p.sh, 1, p.kh, p.h);
    const int64_t cols = p.global ? p.w : max_window(t.tw, p.sw, 1, p.kw, p.w);
    const int64_t tiles = p.n * ceil_div(p.oh, t.th) * ceil_div(p.ow, t.tw) * ceil_div(p.c, t.tc);
    isa::Operands pool;
    pool.opcode = static_cast<int64_t>(isa::Opcode::POOL);
    pool.kind = p.global ? 2 : 0, pool.in_h = rows, pool.in_w = cols, pool.c = t.tc;
    pool.out_h = t.th, pool.out_w = t.tw, pool.k_h = p.kh, pool.k_w = p.kw;
    const int64_t load = estimate_cycles(dma_op(isa::Opcode::LOAD, t.tc, cols, rows), hw);
    const int64_t store = estimate_cycles(dma_op(isa::Opcode::STORE, t.tc, t.tw, t.th), hw);
    return std::max(tiles * estimate_cycles(pool, hw), tiles * (load + store)) + load + store;
  };
  PoolTiling best;
  int64_t best_cost = std::numeric_limits<int64_t>::max();
  const int64_t oh_cap = std::min(p.oh, kMaxDim), ow_cap = std::min(p.ow, kMaxDim);
  for (int64_t tc : block_candidates(p.c, hw.vector_lanes, 65535)) {
    PoolTiling t;
    if (!make(1, 1, tc, t)) continue;
    int64_t tw = ow_cap;
    const int64_t th_cap =
        std::min(oh_cap, pipelined_rows(p.oh, p.ow * tc, p.n * ceil_div(p.c, tc)));
    int64_t th = largest(th_cap, [&](int64_t r) { return make(r, tw, tc, t); });
    if (th == 0) {
      th = 1;
      tw = largest(ow_cap, [&](int64_t c) { return make(1, c, tc, t); });
    }
    make(balance(p.oh, th), balance(p.ow, tw), tc, t);
    const int64_t c = cost(t);
    if (c < best_cost) best_cost = c, best = t;
  }
  if (best.th == 0) {
    PoolTiling t;
    make(1, 1, 1, t);
    fail(what, ": does not fit the hardware even as 1-pixel, 1-channel tiles (input ", p.h, "x",
         p.w, "): ", shortfall(half, t.in_area, 0, 0, t.out_area, t.prm_area));
  }
  return best;
}

ChunkTiling tile_chunks(int64_t rows, int64_t cols, int inputs, int64_t out_elem, int64_t max_elems,
                        const HwConfig& hw, const std::string& what) {
  const Halves half(hw);
  auto fits = [&](int64_t r, int64_t c) {
    return r * c <= max_elems && inputs * align_up(r * c) <= half.f &&
           align_up(r * c * out_elem) <= half.o;
  };
  const int64_t col_cap = std::min(cols, kMaxRun);
  if (fits(1, col_cap)) {
    const int64_t r = largest(std::min(rows, kMaxRun), [&](int64_t k) { return fits(k, col_cap); });
    return {balance(rows, r), col_cap, align_up(balance(rows, r) * col_cap),
            align_up(balance(rows, r) * col_cap * out_elem)};
  }
  const int64_t c = largest(col_cap, [&](int64_t k) { return fits(1, k); });
  require(c > 0, what, ": does not fit the hardware even as 1-element chunks: ",
          shortfall(half, inputs * align_up(1), 0, 0, align_up(out_elem), 0));
  return {1, balance(cols, c), align_up(balance(cols, c)), align_up(balance(cols, c) * out_elem)};
}

int64_t tile_linear(int64_t total, int inputs, const HwConfig& hw, const std::string& what) {
  const Halves half(hw);
  // At least kPipelineChunks chunks, whatever the SRAMs hold (pipelined_rows).
  const int64_t pipelined = align_up(pipelined_rows(total, 1, 1));
  const int64_t chunk =
      std::min({total, kMaxVector, pipelined, half.f / inputs / kSramAlign * kSramAlign,
                half.o / kSramAlign * kSramAlign});
  require(chunk > 0, what, ": does not fit the hardware even as 1-element chunks: ",
          shortfall(half, inputs * kSramAlign, 0, 0, kSramAlign, 0));
  return balance(total, chunk);
}

ArgmaxTiling tile_argmax(int64_t positions, int64_t c, const HwConfig& hw,
                         const std::string& what) {
  const Halves half(hw);
  require(c <= 65535, what, ": argmax over ", c, " values exceeds the ARGMAX c field (65535)");
  auto fits = [&](int64_t k) { return align_up(k * c) <= half.f && align_up(k * 4) <= half.o; };
  const int64_t k = largest(std::min(positions, kMaxPix), fits);
  require(k > 0, what, ": argmax over ", c, " values does not fit the hardware: ",
          shortfall(half, align_up(c), 0, 0, align_up(4), 0));
  return {balance(positions, k), align_up(balance(positions, k) * c),
          align_up(balance(positions, k) * 4)};
}

}  // namespace bpusim::compiler
