// The golden integer reference: simple, obviously correct implementations of every op of the
// canonical op set (ir/op_set.h), written from docs/requantizer.md. Speed is not a goal;
// clarity is. Nothing here is shared with sim/ or rtl_ref/ — they are independent
// implementations checked against this one.
//
// Scalar functions implement one formula each (named after the document's sections); tensor
// functions validate shapes and element types (bpusim::Error naming `what`, usually the node)
// and apply the scalar functions element by element. Layout is NCHW.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/tensor.h"
#include "ir/graph.h"
#include "ir/op_set.h"

namespace bpusim::golden {

// ======================= scalar arithmetic (docs/requantizer.md) =======================

// Two's-complement wrap of v to 32 bits (what a 32-bit accumulator register holds).
int32_t wrap32(int64_t v);
// v clamped to [lo, hi].
int64_t clamp64(int64_t v, int64_t lo, int64_t hi);
// v saturated to the range of an integer element type (uint8, int8, int32).
int32_t saturate_to(int64_t v, DType t);
// Nearest integer to t, ties to even, clamped to [lo, hi]; NaN gives clamp(0, lo, hi).
int64_t round_half_even(double t, int64_t lo, int64_t hi);

// Stage 1, mode fp32: q = saturate32(round_half_even(float(acc) * scale)), one IEEE-single
// conversion and one IEEE-single multiply.
int32_t requant_fp32(int32_t acc, float scale);
// Stage 1, mode fixed: q = saturate32(round_half_away((int64)acc * mult / 2^shift)).
int32_t requant_fixed(int32_t acc, int32_t mult, int32_t shift);
// Stage 1 complete for one channel: acc = wrap32(sum + bias); int32 mode returns acc; the
// other modes return clamp(saturate32(q + zp), min, max).
int32_t stage1(int32_t sum, ir::Stage1Mode mode, const ir::RequantChannel& ch);
// s / 2^shift rounded half away from zero (shift in [0, 31]).
int32_t shift_round_half_away(int32_t s, int32_t shift);
// Stage 2 (fused residual add and standalone QAdd): all int32 arithmetic wraps.
//   s = add_const + a * add_mult_a + b * add_mult_b
//   y = clamp(shift_round_half_away(s, add_shift), add_min - add_zp, add_max - add_zp) + add_zp
int32_t stage2_add(int32_t a, int32_t b, const ir::AddParams& p);

// Clamp bounds of a quantized output (zero point zp, scale `scale`) for the activations the
// requantizer's single clamp implements. None: the dtype range; ReLU: [zp, max];
// ReLU6: [zp, min(max, zp + round_half_even(6 / scale))].
struct Bounds {
  int32_t min = 0;
  int32_t max = 0;
};
Bounds no_activation_bounds(DType t);
Bounds relu_bounds(int32_t zp, DType t);
Bounds relu6_bounds(int32_t zp, float scale, DType t);

// How Quantize scales: kDiv (ONNX QuantizeLinear) t = x / scale; kMulInv (PyTorch's
// quantize_val) t = x * (1.0f / scale). Each is IEEE-single arithmetic.
enum class QuantizeMethod { kDiv, kMulInv };
// Quantize: saturate(round_half_even(t) + zp) with t as `method` says.
int32_t quantize_value(float x, float scale, int32_t zp, DType t,
                       QuantizeMethod method = QuantizeMethod::kDiv);
// Dequantize: float(q - zp) * scale (the difference is exact in int64, then one conversion
// to float and one IEEE-single multiply).
float dequantize_value(int64_t q, float scale, int32_t zp);

// Per-tensor affine quantization of an input or output of a pooling/concat op.
struct Affine {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// ---- ONNX QDQ recipes of average pooling and concat (golden only: the BPU computes the
// PyTorch recipes below, docs/requantizer.md 6). Each is the single place that decides its
// arithmetic.
//
// Average pooling, one output element. AvgWindow holds every fact a recipe may need.
// Current recipe = ONNX QDQ semantics (DequantizeLinear -> AveragePool -> QuantizeLinear):
// divisor = padded_count with count_include_pad, else count;
// mean = float(double(sum - count * in.zero_point) * in.scale / divisor);
// y = quantize_value(mean, out).
struct AvgWindow {
  int64_t sum = 0;           // sum of the raw integers of the window's elements in the image
  int64_t count = 0;         // number of those elements
  int64_t padded_count = 0;  // window positions inside the padded image
  int64_t kernel_size = 0;   // kh * kw
};
int32_t avg_pool_recipe(const AvgWindow& w, bool count_include_pad, const Affine& in,
                        const Affine& out, DType t);
// Concat, one element of one input: ONNX QDQ semantics, quantize(dequantize(q, in), out).
int32_t concat_recipe(int32_t q, const Affine& in, const Affine& out, DType t);

// ---- PyTorch 1.13 / qnnpack recipes (docs/pytorch-recipes.md 2.7, 2.8), chosen per node by
// the attribute `recipe` (ir/op_set.h); the ONNX recipes above stay the default. These are
// the definitions the SystemC model (POOL, VREQ routes) and the compiler implement ----
// kAtenChannelsLast / kAtenContiguous: ATen's native kernels (ceil_mode, 2.22; qint8, 2.23),
// see qavg_pool_aten; kAtenAdaptive*: adaptive_avg_pool2d's (QGlobalAvgPool of qint8), see
// qglobal_avg_pool_aten.
enum class AvgPoolRecipe {
  kOnnx,
  kQnnpack,
  kAtenChannelsLast,
  kAtenContiguous,
  kAtenAdaptiveChannelsLast,
  kAtenAdaptiveContiguous
};
// QNNPACK q8avgpool: acc = sum - count * zx (padding taps read zx, i.e. add 0); divisor always
// kh * kw; s = in.scale / (out.scale * float(kh * kw)) (float32: the product first);
// y = saturate(round_half_even(float(acc) * s) + out.zero_point).
// With `fixed` (attribute mode = "fixed", docs/requantizer.md 6) the product is instead
// requant_fixed(acc, mult, shift): the q31 encoding of that same scale, rounded half away.
struct FixedScale {
  int32_t mult = 0;
  int32_t shift = 0;
};
int32_t avg_pool_recipe_qnnpack(const AvgWindow& w, const Affine& in, const Affine& out, DType t,
                                const std::optional<FixedScale>& fixed = std::nullopt);
// kQnnpack: every element takes the scalar route. kQnnpackChannelsLast: PyTorch's
// channels-last fast path (4-D inputs, axis 1): an input whose (scale, zero point) equal the
// output's is copied; otherwise in each pixel the first floor(C / 8) * 8 channels take the
// AVX2 route and the rest the scalar route.
enum class ConcatRecipe { kOnnx, kQnnpack, kQnnpackChannelsLast };
// One element of one input. Scalar route: v = float(q - zx) * sx, then
// saturate(round_half_even(v * (1.0f / sy)) + zy). AVX2 route (`vector_route`):
// v = fma(sx, float(q), float(sx * float(-zx))), y = saturate(round_half_even(v * float(1.0 /
// double(sy))) + zy).
int32_t concat_recipe_qnnpack(int32_t q, const Affine& in, const Affine& out, DType t,
                              bool vector_route);

// =================================== tensor ops ===================================

// Per-tensor (axis < 0, one entry) or per-axis quantization, as in ir::QuantParams.
Tensor quantize(const Tensor& x, const ir::QuantParams& q, DType out, QuantizeMethod method,
                const std::string& what);
Tensor dequantize(const Tensor& x, const ir::QuantParams& q, const std::string& what);

struct Conv2dGeometry {
  std::array<int64_t, 2> strides{1, 1};
  std::array<int64_t, 4> pads{0, 0, 0, 0};  // top, left, bottom, right
  std::array<int64_t, 2> dilations{1, 1};
  int64_t group = 1;
};

// Integer conv: out[n, m, oh, ow] = wrap32(sum over taps inside the image of
// (x - x_zp) * (w - w_zp)); taps in the padding contribute nothing. x: uint8/int8 NCHW,
// w: int8/uint8 [M, C / group, kh, kw]. Returns int32 [N, M, OH, OW] (bias not added).
Tensor conv2d_acc(const Tensor& x, int32_t x_zp, const Tensor& w, int32_t w_zp,
                  const Conv2dGeometry& g, const std::string& what);
// Integer matmul with ONNX/numpy batch broadcasting (ranks >= 2): out[..., m, n] =
// wrap32(sum_k (a[..., m, k] - a_zp) * (b[..., k, n] - b_zp)). Returns int32.
Tensor matmul_acc(const Tensor& a, int32_t a_zp, const Tensor& b, int32_t b_zp,
                  const std::string& what);
// Applies bias, stage 1 and (when rq.has_add, with `residual` of the same shape) stage 2 to
// every element of the int32 accumulator tensor; the channel of an element is its index along
// `channel_axis`. Returns a tensor of rq.out_dtype.
Tensor requantize(const Tensor& acc, int64_t channel_axis, const ir::Requant& rq,
                  const Tensor* residual, const std::string& what);
// Elementwise stage-2 add with numpy broadcasting; a, b uint8/int8.
Tensor qadd(const Tensor& a, const Tensor& b, const ir::AddParams& p, DType out,
            const std::string& what);
// Elementwise product with numpy broadcasting: stage 1 (rq's single channel, mode fp32 or
// fixed) of acc = (a - a_zp) * (b - b_zp), exact (|acc| <= 65025); a, b uint8/int8.
Tensor qmul(const Tensor& a, int32_t a_zp, const Tensor& b, int32_t b_zp, const ir::Requant& rq,
            const std::string& what);
// Nearest upsampling as a gather over NCHW: y[n, c, oy, ox] = x[n, c, src_h[oy], src_w[ox]].
Tensor gather2d(const Tensor& x, const std::vector<int64_t>& src_h,
                const std::vector<int64_t>& src_w, const std::string& what);
// [docs/pytorch-recipes.md 2.20] ATen's quantized add (add_relu with `relu`) of a 4-D x and
// a per-channel operand g of shape [N or 1, C, 1, 1], in either order (`g_first`: g is the
// first operand). Per element, with (s, z) each operand's quantization:
//   vector: d = fmaf(s, float(q), float(s * float(-z)));   scalar: d = float(q - z) * s
//   c = d_x + d_g  [relu: max(c, 0)];   y = saturate(round_half_even(c * (1.0f / sy)) + zy)
// Vector or scalar follows PyTorch's loop (one thread): rows are the H * W plane of each
// channel for a contiguous x (or C == 1), the C channels of each pixel for a channels-last
// x; the first floor(row / 64) * 64 elements of a row are vector, the rest scalar.
Tensor qadd_broadcast(const Tensor& x, const Affine& xa, const Tensor& g, const Affine& ga,
                      bool g_first, const Affine& y, bool relu, bool channels_last, DType out,
                      const std::string& what);
// One output position of a bilinear upsampling along one axis: two source positions and
// their float32 weights (golden/recipes.h bilinear_sources).
struct LinearSource {
  int64_t lo = 0, hi = 0;
  float w_lo = 1.0f, w_hi = 0.0f;
};
// PyTorch's quantized bilinear upsampling (docs/pytorch-recipes.md 2.21) of an NCHW 8-bit x
// with zero point zp: y = clamp(round_half_even(v) + zp) with v the four taps blended in
// float32 minus float(zp). `channels_last`: PyTorch's NHWC kernel with its fused multiply-adds
// (the first floor(C / 8) * 8 channels of a pixel in the vector order, the rest in the scalar
// order); else the NCHW kernel (no fusion; an output of the input's size is a copy).
Tensor upsample_bilinear(const Tensor& x, int32_t zp, const std::vector<LinearSource>& rows,
                         const std::vector<LinearSource>& cols, bool channels_last,
                         const std::string& what);
// Table lookup: y = table[x] for uint8 x, table[x + 128] for int8 x; `table` has 256 entries
// in the range of `out` (uint8 or int8).
Tensor lut(const Tensor& x, const std::vector<int64_t>& table, DType out, const std::string& what);
// The memory position of element `i` (row-major NCHW index) of a 4-D `shape` in NHWC order.
int64_t nhwc_position(const Shape& shape, int64_t i);
// Two tables by position: elements whose position in memory order (`nhwc` for a 4-D tensor,
// else row-major) is >= floor(numel / 64) * 64 take `tail`, the others `table`.
Tensor lut_by_position(const Tensor& x, const std::vector<int64_t>& table,
                       const std::vector<int64_t>& tail, bool nhwc, DType out,
                       const std::string& what);
// Elementwise clamp of an integer tensor; same element type.
Tensor clamp(const Tensor& x, int64_t lo, int64_t hi, const std::string& what);

struct PoolGeometry {
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> strides{1, 1};
  std::array<int64_t, 4> pads{0, 0, 0, 0};  // top, left, bottom, right
  std::array<int64_t, 2> dilations{1, 1};
  bool ceil_mode = false;  // output size rounds up, PyTorch's rule (see docs)
  bool count_include_pad = false;
};

// Max over the window's elements inside the image (padding never wins); any element type.
Tensor max_pool(const Tensor& x, const PoolGeometry& g, const std::string& what);
// [docs/pytorch-recipes.md 2.22] ATen's native quantized average pool (PyTorch takes it for
// ceil_mode), output quantization = input's (x): per window acc = sum - count * zx, divisor
// d = padded_count with count_include_pad, else count; m = float(1.0 / d);
//   channels_last: y = saturate(round_half_even(float(acc) * m) + zx)
//   contiguous:    y = saturate(round_half_even(float(float(acc) * m) + float(zx)))
// With `fixed_by_divisor` (requant mode fixed, indexed by d): requant_fixed(acc, mult, shift)
// + zx with the q31 encoding of m.
Tensor qavg_pool_aten(const Tensor& x, const PoolGeometry& g, const Affine& xa, bool channels_last,
                      const std::vector<FixedScale>* fixed_by_divisor, const std::string& what);
// [2.22, 2.23] ATen's native adaptive_avg_pool2d to 1x1 (PyTorch's global pool of qint8),
// output quantization = input's (x), over the n = H * W elements of each plane:
//   channels_last: y = saturate(round_half_even(float(sum - n * zx) * (1.0f / float(n))) + zx)
//   contiguous:    y = saturate(round_half_even(float(sum) * ((1.0f / H) / W)))  (the raw
//                  integers: no zero point anywhere)
// With `fixed` (requant mode fixed): requant_fixed(sum - n * zx, mult, shift) + zx with the
// q31 encoding of that multiplier.
Tensor qglobal_avg_pool_aten(const Tensor& x, const Affine& xa, bool channels_last,
                             const std::optional<FixedScale>& fixed, const std::string& what);
// [2.23] XNNPACK's qs8 add (PyTorch's add / add_relu of qint8 tensors of one shape):
// a_os = a.scale / y.scale, b_os = b.scale / y.scale (float32 divisions, each in [2^-10, 2^8)),
// shift = 20 - floor(log2(max(a_os, b_os))), m = round_half_even(os * 2^shift),
// s = (a - za) * m_a + (b - zb) * m_b (exact), y = clamp(floor((s + 2^(shift-1)) / 2^shift)
// + zy, zy if relu else -128, 127): rounded half UP.
Tensor qadd_xnnpack(const Tensor& a, const Affine& aa, const Tensor& b, const Affine& ba,
                    const Affine& y, bool relu, const std::string& what);
// Quantized average pooling through avg_pool_recipe (or avg_pool_recipe_qnnpack).
// `fixed` applies to the qnnpack recipe only.
Tensor qavg_pool(const Tensor& x, const PoolGeometry& g, const Affine& in, const Affine& out,
                 DType out_dtype, const std::string& what,
                 AvgPoolRecipe recipe = AvgPoolRecipe::kOnnx,
                 const std::optional<FixedScale>& fixed = std::nullopt);
// Average over H x W (a kernel covering the whole image), output [N, C, 1, 1].
Tensor qglobal_avg_pool(const Tensor& x, const Affine& in, const Affine& out, DType out_dtype,
                        const std::string& what, AvgPoolRecipe recipe = AvgPoolRecipe::kOnnx,
                        const std::optional<FixedScale>& fixed = std::nullopt);
// Index (int64) of the largest element along `axis`; ties: first index, or last with
// select_last_index. Integers compare as integers.
Tensor argmax(const Tensor& x, int64_t axis, bool keepdims, bool select_last_index,
              const std::string& what);
// Concatenation of same-type tensors along `axis` (negative counts from the end).
Tensor concat(const std::vector<const Tensor*>& inputs, int64_t axis, const std::string& what);
// Quantized concat: each input rescaled by concat_recipe (or concat_recipe_qnnpack as
// `recipe` says), then concatenated.
Tensor qconcat(const std::vector<const Tensor*>& inputs, const std::vector<Affine>& in,
               const Affine& out, DType out_dtype, int64_t axis, const std::string& what,
               ConcatRecipe recipe = ConcatRecipe::kOnnx);
// ONNX Reshape (0 copies the input dim unless allow_zero, one -1 is inferred).
Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape, bool allow_zero,
               const std::string& what);
// ONNX Flatten: [prod(dims < axis), prod(dims >= axis)].
Tensor flatten(const Tensor& x, int64_t axis, const std::string& what);

// ---- float32 host ops: sums accumulate in double in a fixed order, rounded once ----
// Conv: out = round_to_float(bias[m] + sum over (c, kh, kw) of x * w).
Tensor conv2d_f32(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dGeometry& g,
                  const std::string& what);
// Gemm: alpha * A' B' + beta * C (C broadcast to [M, N]).
Tensor gemm_f32(const Tensor& a, const Tensor& b, const Tensor* c, float alpha, float beta,
                bool trans_a, bool trans_b, const std::string& what);
Tensor matmul_f32(const Tensor& a, const Tensor& b, const std::string& what);
Tensor add_f32(const Tensor& a, const Tensor& b, const std::string& what);
// Elementwise float32 product with numpy broadcasting (one IEEE-single multiply).
Tensor mul_f32(const Tensor& a, const Tensor& b, const std::string& what);
// Elementwise float32 quotient with numpy broadcasting (one IEEE-single division).
Tensor div_f32(const Tensor& a, const Tensor& b, const std::string& what);
// Elementwise int32 sum with numpy broadcasting, wrapped to 32 bits (an accumulator plus bias).
Tensor add_i32_wrap(const Tensor& a, const Tensor& b, const std::string& what);
// ONNX Cast: integers convert exactly, floats to integers truncate toward zero; a value outside
// the target type is an Error naming `what`.
Tensor cast(const Tensor& x, DType to, const std::string& what);
// ONNX Transpose: out dim i = in dim perm[i] (an empty perm reverses the dims).
Tensor transpose(const Tensor& x, const std::vector<int64_t>& perm, const std::string& what);
// 1 / (1 + exp(-x)) computed in double, rounded to float32 once.
Tensor sigmoid_f32(const Tensor& x, const std::string& what);
Tensor relu_f32(const Tensor& x, const std::string& what);
Tensor avg_pool_f32(const Tensor& x, const PoolGeometry& g, const std::string& what);
Tensor global_avg_pool_f32(const Tensor& x, const std::string& what);

}  // namespace bpusim::golden
