// Tiling: how one canonical accelerator op is cut into tiles that fit the hardware.
//
// Every SRAM is split into two halves used alternately (double buffering). A layer divides
// each half into areas (FEATURE: input tile [+ residual tile]; WEIGHT; ACC; OUTPUT; PARAM);
// every area thus has two slots, one per half. The tilers below pick tile sizes so that the
// largest tile of each kind fits its area, every ISA field fits its width, and the estimated
// cycles (compiler/lower/estimate.h) are lowest. docs/compiler.md, "Tiling", explains the
// search. Pure functions: no instructions are emitted here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "compiler/lower/footprint.h"

namespace bpusim::compiler {

// Areas inside an SRAM half start at multiples of this.
inline constexpr int64_t kSramAlign = 16;
int64_t align_up(int64_t v, int64_t a = kSramAlign);
// Bytes of one half of buffer `s` (rounded down to kSramAlign).
int64_t half_bytes(Space s, const HwConfig& hw);

// Widest values of the ISA fields the tilers respect (from isa/isa.def).
inline constexpr int64_t kMaxDim = 4095;        // in_h/in_w/in_c/out_h/out_w/out_c/n_ch (12 bits)
inline constexpr int64_t kMaxPix = 65535;       // n_pix, ARGMAX n (16 bits)
inline constexpr int64_t kMaxVector = 1048575;  // VADD/VREQ/COPY n (20 bits)
inline constexpr int64_t kMaxRun = 65535;       // LOAD/STORE n0/n1/n2 (16 bits)
inline constexpr int64_t kRecordBytes = 64;

// The input rows (or columns) that output rows [o0, o1) read: [lo, hi) clipped to [0, size),
// and `pad`, the number of virtual padding rows above lo that the tile's first output row
// sees (the CONV/POOL pad_t of the tile). Rows past hi are never read inside the image.
struct Window {
  int64_t lo;
  int64_t hi;
  int64_t pad;
};
Window input_window(int64_t o0, int64_t o1, int64_t stride, int64_t dil, int64_t k, int64_t pad,
                    int64_t size);
// The most input rows a window of `t` output rows can read.
int64_t max_window(int64_t t, int64_t stride, int64_t dil, int64_t k, int64_t size);

// One convolution group (or a whole depthwise conv, or a linear layer as a 1x1 conv) in
// NHWC terms.
struct ConvProblem {
  int64_t n = 1, h = 1, w = 1, c = 1;  // input image; c = input channels of the group
  int64_t oh = 1, ow = 1, oc = 1;      // output image; oc = output channels of the group
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  bool depthwise = false;  // c == oc, one kernel per channel
  int64_t out_elem = 1;    // bytes per output element (4 for int32 pass-through)
  bool residual = false;   // REQUANT reads a residual tile from FEATURE
};

struct ConvTiling {
  int64_t th = 0, tw = 0;  // output tile rows and columns
  int64_t tci = 0;         // input channels per CONV instruction (== tco when depthwise)
  int64_t tco = 0;         // output channels per tile
  bool oc_outer = false;   // loop order: output-channel blocks outside the spatial tiles
  // Bytes of one slot of each area (the largest tile of its kind).
  int64_t in_area = 0, res_area = 0, wgt_area = 0, acc_area = 0, out_area = 0, prm_area = 0;
  int64_t est_cycles = 0;
};

// The tilings that fit, at most `limit`, cheapest first by a closed-form cost (est_cycles:
// the durations of the timing rules, the three queues assumed to overlap perfectly). The
// candidates are every pair of output/input channel blocks (equal splits and multiples of the
// array's rows/columns) with a few tile heights each, in both loop orders. Error naming
// `what` and the missing bytes when not even a one-pixel, one-channel tile fits.
std::vector<ConvTiling> conv_candidates(const ConvProblem& p, const HwConfig& hw,
                                        const std::string& what, size_t limit);
// The first of conv_candidates().
ConvTiling tile_conv(const ConvProblem& p, const HwConfig& hw, const std::string& what);

// Max/average pooling (global: the window is the whole image, one output pixel).
struct PoolProblem {
  int64_t n = 1, h = 1, w = 1, c = 1, oh = 1, ow = 1;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1;
  bool global = false;
  bool params = false;  // reads a parameter record (average kinds)
};

struct PoolTiling {
  int64_t th = 0, tw = 0, tc = 0;
  int64_t in_area = 0, out_area = 0, prm_area = 0;
};

PoolTiling tile_pool(const PoolProblem& p, const HwConfig& hw, const std::string& what);

// A 2-D block copy/rescale/elementwise op over [rows][cols] bytes: the largest chunk of
// whole rows (or of one row's columns when a row does not fit) with `inputs` FEATURE areas
// and one OUTPUT area of `out_elem` bytes per element, at most `max_elems` elements.
struct ChunkTiling {
  int64_t rows = 0, cols = 0;  // chunk shape
  int64_t in_area = 0, out_area = 0;
};
ChunkTiling tile_chunks(int64_t rows, int64_t cols, int inputs, int64_t out_elem, int64_t max_elems,
                        const HwConfig& hw, const std::string& what);

}  // namespace bpusim::compiler

namespace bpusim::compiler {
// Elements per chunk of an elementwise op over `total` bytes with `inputs` FEATURE operands
// and one OUTPUT result of the same size.
int64_t tile_linear(int64_t total, int inputs, const HwConfig& hw, const std::string& what);
// ARGMAX over [positions][c]: whole positions per chunk (c is never split).
struct ArgmaxTiling {
  int64_t positions = 0;
  int64_t in_area = 0, out_area = 0;
};
ArgmaxTiling tile_argmax(int64_t positions, int64_t c, const HwConfig& hw, const std::string& what);
}  // namespace bpusim::compiler
