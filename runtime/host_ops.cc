#include "runtime/host_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <variant>

#include "common/error.h"

namespace bpusim::runtime {

using nlohmann::json;

// ---------------------------------------------------------------- tensors in DDR

namespace {

// [N, C, H, W] <-> [N, H, W, C] for elements of `esize` bytes.
void permute_nchw(const uint8_t* src, uint8_t* dst, const Shape& s, size_t esize, bool to_nhwc) {
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ic = 0; ic < c; ++ic)
      for (int64_t ih = 0; ih < h; ++ih)
        for (int64_t iw = 0; iw < w; ++iw) {
          const int64_t nchw = ((in * c + ic) * h + ih) * w + iw;
          const int64_t nhwc = ((in * h + ih) * w + iw) * c + ic;
          const int64_t from = to_nhwc ? nchw : nhwc, to = to_nhwc ? nhwc : nchw;
          std::memcpy(dst + to * esize, src + from * esize, esize);
        }
}

bool nhwc(const TensorDesc& d) {
  return d.layout == isa::TensorLayout::kNhwc;
}

// Elements of the innermost memory dimension (C for nhwc, the last dim otherwise).
int64_t inner_elems(const TensorDesc& d) {
  if (nhwc(d)) return d.nchw[1];
  return d.shape.empty() ? 1 : d.shape.back();
}

// The tensor's bytes in memory order (dense), gathered from / scattered to DDR.
void ddr_gather(const Ddr& ddr, const TensorDesc& d, std::span<uint8_t> dense) {
  const std::string what = cat("tensor '", d.name, "'");
  const int64_t row = inner_elems(d) * static_cast<int64_t>(dtype_size(d.dtype));
  if (d.pixel_stride == 0 || row == 0) {
    ddr.read(d.ddr_addr, dense, what);
    return;
  }
  for (size_t p = 0; p * row < dense.size(); ++p)
    ddr.read(d.ddr_addr + p * d.pixel_stride, dense.subspan(p * row, row), what);
}
void ddr_scatter(Ddr& ddr, const TensorDesc& d, std::span<const uint8_t> dense) {
  const std::string what = cat("tensor '", d.name, "'");
  const int64_t row = inner_elems(d) * static_cast<int64_t>(dtype_size(d.dtype));
  if (d.pixel_stride == 0 || row == 0) {
    ddr.write(d.ddr_addr, dense, what);
    return;
  }
  for (size_t p = 0; p * row < dense.size(); ++p)
    ddr.write(d.ddr_addr + p * d.pixel_stride, dense.subspan(p * row, row), what);
}

}  // namespace

Tensor read_tensor(const Ddr& ddr, const TensorDesc& d) {
  Tensor t(d.dtype, d.shape);
  auto bytes = t.bytes();
  std::span<uint8_t> out(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  if (nhwc(d)) {
    std::vector<uint8_t> raw(out.size());
    ddr_gather(ddr, d, raw);
    permute_nchw(raw.data(), out.data(), d.nchw, dtype_size(d.dtype), false);
  } else {
    ddr_gather(ddr, d, out);
  }
  return t;
}

void write_tensor(Ddr& ddr, const TensorDesc& d, const Tensor& t) {
  require(t.dtype() == d.dtype && numel(t.shape()) == numel(d.shape), "tensor '", d.name,
          "': writing ", dtype_name(t.dtype()), " ", shape_str(t.shape()), " into its ",
          dtype_name(d.dtype), " ", shape_str(d.shape), " descriptor");
  auto bytes = t.bytes();
  std::span<const uint8_t> in(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (nhwc(d)) {
    std::vector<uint8_t> raw(in.size());
    permute_nchw(in.data(), raw.data(), d.nchw, dtype_size(d.dtype), true);
    ddr_scatter(ddr, d, raw);
  } else {
    ddr_scatter(ddr, d, in);
  }
}

// ---------------------------------------------------------------- scalar arithmetic

namespace {

std::pair<int64_t, int64_t> type_range(DType t) {
  switch (t) {
    case DType::kU8:
      return {0, 255};
    case DType::kI8:
      return {-128, 127};
    case DType::kI32:
      return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    default:
      fail("quantize: element type ", dtype_name(t), " is not uint8, int8 or int32");
  }
}

}  // namespace

int32_t quantize_value(float x, float scale, int32_t zp, DType type, bool mul_inv) {
  const auto [lo, hi] = type_range(type);
  const float t = mul_inv ? x * (1.0f / scale) : x / scale;
  if (std::isnan(t)) return zp;
  // Round half to even, saturating: beyond +-2^62 the sum below saturates anyway.
  const double r = std::nearbyint(static_cast<double>(std::clamp(t, -4.0e18f, 4.0e18f)));
  const int64_t q = static_cast<int64_t>(r) + zp;
  return static_cast<int32_t>(std::clamp<int64_t>(q, lo, hi));
}

float dequantize_value(int64_t q, float scale, int32_t zp) {
  return static_cast<float>(q - zp) * scale;
}

// ---------------------------------------------------------------- the op table

namespace {

struct Call {
  std::string what;  // "host segment 2, op 3 (Conv)"
  std::vector<Tensor> in;
  const std::map<std::string, isa::HostAttr>* attrs;
  const TensorDesc* out;  // the output's descriptor

  const isa::HostAttr* find(const char* name) const {
    const auto it = attrs->find(name);
    return it == attrs->end() ? nullptr : &it->second;
  }
  [[noreturn]] void bad(const char* name, const char* expected, const isa::HostAttr& a) const {
    const json value = std::visit([](const auto& x) { return json(x); }, a);
    fail(what, ": attribute '", name, "': expected ", expected, ", got ", value.dump());
  }
  int64_t attr_int(const char* name, int64_t def) const {
    const isa::HostAttr* a = find(name);
    if (!a) return def;
    if (const auto* v = std::get_if<int64_t>(a)) return *v;
    bad(name, "an integer", *a);
  }
  float attr_float(const char* name, float def) const {
    const isa::HostAttr* a = find(name);
    if (!a) return def;
    if (const auto* v = std::get_if<float>(a)) return *v;
    if (const auto* v = std::get_if<int64_t>(a)) return static_cast<float>(*v);
    bad(name, "a number", *a);
  }
  // A list attribute; a single number counts as a list of one.
  std::vector<int64_t> attr_ints(const char* name, std::vector<int64_t> def) const {
    const isa::HostAttr* a = find(name);
    if (!a) return def;
    if (const auto* v = std::get_if<int64_t>(a)) return {*v};
    if (const auto* v = std::get_if<std::vector<int64_t>>(a)) return *v;
    bad(name, "an integer or an array of integers", *a);
  }
  std::vector<float> attr_floats(const char* name) const {
    const isa::HostAttr* a = find(name);
    require(a != nullptr, what, ": attribute '", name, "' is required");
    if (const auto* v = std::get_if<float>(a)) return {*v};
    if (const auto* v = std::get_if<int64_t>(a)) return {static_cast<float>(*v)};
    if (const auto* v = std::get_if<std::vector<float>>(a)) return *v;
    if (const auto* v = std::get_if<std::vector<int64_t>>(a))
      return std::vector<float>(v->begin(), v->end());
    bad(name, "a number or an array of numbers", *a);
  }
  std::string attr_string(const char* name, std::string def) const {
    const isa::HostAttr* a = find(name);
    if (!a) return def;
    if (const auto* v = std::get_if<std::string>(a)) return *v;
    bad(name, "a string", *a);
  }
  const Tensor& input(size_t i, bool f32 = true) const {
    require(i < in.size(), what, ": needs at least ", i + 1, " inputs, got ", in.size());
    require(!f32 || in[i].dtype() == DType::kF32, what, ": input ", i, " is ",
            dtype_name(in[i].dtype()), ", expected float32");
    return in[i];
  }
  // The output, of the declared shape, for `count` computed elements (a malformed program may
  // declare another size: an error, never a write past the tensor).
  Tensor output(DType t, int64_t count) const {
    require(numel(out->shape) == count, what, ": computed ", count, " elements for the output '",
            out->name, "' of shape ", shape_str(out->shape));
    return Tensor(t, out->shape);
  }
  Tensor output_f32(const std::vector<double>& v) const {
    Tensor t = output(DType::kF32, static_cast<int64_t>(v.size()));
    auto o = t.values<float>();
    for (size_t i = 0; i < v.size(); ++i) o[i] = static_cast<float>(v[i]);
    return t;
  }
};

std::vector<double> doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.as_double(i);
  return v;
}

// numpy broadcasting of `s` to `out`: the flat index into s of every output element.
std::vector<int64_t> broadcast_index(const Shape& s, const Shape& out, const std::string& what) {
  require(s.size() <= out.size(), what, ": cannot broadcast ", shape_str(s), " to ",
          shape_str(out));
  const size_t off = out.size() - s.size();
  for (size_t i = 0; i < s.size(); ++i)
    require(s[i] == out[off + i] || s[i] == 1, what, ": cannot broadcast ", shape_str(s), " to ",
            shape_str(out));
  std::vector<int64_t> idx(static_cast<size_t>(numel(out)));
  std::vector<int64_t> pos(out.size(), 0);
  for (size_t k = 0; k < idx.size(); ++k) {
    int64_t flat = 0;
    for (size_t i = 0; i < s.size(); ++i) flat = flat * s[i] + (s[i] == 1 ? 0 : pos[off + i]);
    idx[k] = flat;
    for (int64_t d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
      if (++pos[d] < out[d]) break;
      pos[d] = 0;
    }
  }
  return idx;
}

Tensor op_identity(const Call& c) {
  const Tensor& x = c.input(0, false);
  require(x.dtype() == c.out->dtype, c.what, ": output '", c.out->name, "' is ",
          dtype_name(c.out->dtype), " but the input is ", dtype_name(x.dtype()));
  return x.reshaped(c.out->shape);
}

Tensor op_relu(const Call& c) {
  std::vector<double> v = doubles(c.input(0));
  for (double& x : v) x = x < 0 ? 0.0 : x;  // NaN stays NaN
  return c.output_f32(v);
}

Tensor op_sigmoid(const Call& c) {
  std::vector<double> v = doubles(c.input(0));
  for (double& x : v) x = 1.0 / (1.0 + std::exp(-x));
  return c.output_f32(v);
}

// Elementwise float32 binary op with numpy broadcasting: one float32 operation per element.
template <class Op>
Tensor binary(const Call& c, Op op) {
  const Tensor &a = c.input(0), &b = c.input(1);
  const auto ia = broadcast_index(a.shape(), c.out->shape, c.what);
  const auto ib = broadcast_index(b.shape(), c.out->shape, c.what);
  Tensor t(DType::kF32, c.out->shape);
  auto o = t.values<float>();
  const auto av = a.values<float>(), bv = b.values<float>();
  for (size_t i = 0; i < ia.size(); ++i) o[i] = op(av[ia[i]], bv[ib[i]]);
  return t;
}
Tensor op_add(const Call& c) {
  return binary(c, [](float x, float y) { return x + y; });
}
Tensor op_mul(const Call& c) {
  return binary(c, [](float x, float y) { return x * y; });
}

struct Window {
  int64_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
};
Window window_of(const Call& c, int64_t kh, int64_t kw) {
  const auto s = c.attr_ints("strides", {1, 1});
  const auto d = c.attr_ints("dilations", {1, 1});
  const auto p = c.attr_ints("pads", {0, 0, 0, 0});
  require(s.size() == 2 && d.size() == 2 && p.size() == 4, c.what,
          ": strides/dilations need 2 entries and pads 4");
  return {kh, kw, s[0], s[1], d[0], d[1], p[0], p[1], p[2], p[3]};
}

Tensor op_conv(const Call& c) {
  const Tensor &x = c.input(0), &w = c.input(1);
  require(x.rank() == 4 && w.rank() == 4 && c.out->shape.size() == 4, c.what,
          ": Conv needs 4-D X, W and Y");
  const int64_t n = x.dim(0), ch = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t m = w.dim(0), cg = w.dim(1);
  const Window g = window_of(c, w.dim(2), w.dim(3));
  const int64_t group = c.attr_int("group", 1);
  require(group >= 1 && ch == cg * group && m % group == 0, c.what, ": group ", group,
          " does not match X ", shape_str(x.shape()), " and W ", shape_str(w.shape()));
  const int64_t oh = c.out->shape[2], ow = c.out->shape[3];
  const auto xv = x.values<float>(), wv = w.values<float>();
  const Tensor* bias = c.in.size() > 2 ? &c.input(2) : nullptr;
  std::vector<double> y(static_cast<size_t>(n * m * oh * ow), 0.0);
  for (int64_t in = 0; in < n; ++in)
    for (int64_t om = 0; om < m; ++om) {
      const int64_t c0 = (om / (m / group)) * cg;
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double sum = 0.0;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t ky = 0; ky < g.kh; ++ky) {
              const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
              if (iy < 0 || iy >= h) continue;
              for (int64_t kx = 0; kx < g.kw; ++kx) {
                const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
                if (ix < 0 || ix >= wd) continue;
                sum += double{xv[((in * ch + c0 + ic) * h + iy) * wd + ix]} *
                       double{wv[((om * cg + ic) * g.kh + ky) * g.kw + kx]};
              }
            }
          if (bias) sum += bias->as_double(om);
          y[((in * m + om) * oh + oy) * ow + ox] = sum;
        }
    }
  return c.output_f32(y);
}

Tensor op_gemm(const Call& c) {
  const Tensor &a = c.input(0), &b = c.input(1);
  require(a.rank() == 2 && b.rank() == 2, c.what, ": Gemm needs 2-D A and B");
  const bool ta = c.attr_int("transA", 0), tb = c.attr_int("transB", 0);
  const double alpha = c.attr_float("alpha", 1.0f), beta = c.attr_float("beta", 1.0f);
  const int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1);
  const int64_t n = tb ? b.dim(0) : b.dim(1);
  require((tb ? b.dim(1) : b.dim(0)) == k, c.what, ": inner dimensions of A ", shape_str(a.shape()),
          " and B ", shape_str(b.shape()), " differ");
  const auto av = a.values<float>(), bv = b.values<float>();
  std::vector<int64_t> ci;
  const Tensor* cc = c.in.size() > 2 ? &c.input(2) : nullptr;
  if (cc) ci = broadcast_index(cc->shape(), {m, n}, c.what);
  std::vector<double> y(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int64_t p = 0; p < k; ++p)
        sum += double{av[ta ? p * m + i : i * k + p]} * double{bv[tb ? j * k + p : p * n + j]};
      y[i * n + j] = alpha * sum + (cc ? beta * cc->as_double(ci[i * n + j]) : 0.0);
    }
  return c.output_f32(y);
}

Tensor op_matmul(const Call& c) {
  const Tensor &a = c.input(0), &b = c.input(1);
  require(a.rank() >= 2 && b.rank() >= 2, c.what, ": MatMul needs operands of rank >= 2");
  const int64_t m = a.dim(a.rank() - 2), k = a.dim(a.rank() - 1), n = b.dim(b.rank() - 1);
  require(b.dim(b.rank() - 2) == k, c.what, ": inner dimensions differ");
  const Shape& out = c.out->shape;
  require(out.size() >= 2, c.what, ": output needs rank >= 2");
  const Shape batch(out.begin(), out.end() - 2);
  const auto ai = broadcast_index(Shape(a.shape().begin(), a.shape().end() - 2), batch, c.what);
  const auto bi = broadcast_index(Shape(b.shape().begin(), b.shape().end() - 2), batch, c.what);
  const auto av = a.values<float>(), bv = b.values<float>();
  std::vector<double> y;
  y.reserve(static_cast<size_t>(numel(out)));
  for (size_t r = 0; r < ai.size(); ++r)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0.0;
        for (int64_t p = 0; p < k; ++p)
          sum += double{av[(ai[r] * m + i) * k + p]} * double{bv[(bi[r] * k + p) * n + j]};
        y.push_back(sum);
      }
  return c.output_f32(y);
}

// Max or average pooling over windows; the output shape comes from the descriptor.
Tensor pool(const Call& c, bool max, bool global) {
  const Tensor& x = c.input(0);
  require(x.rank() == 4 && c.out->shape.size() == 4, c.what, ": pooling needs 4-D X and Y");
  const int64_t n = x.dim(0), ch = x.dim(1), h = x.dim(2), w = x.dim(3);
  Window g{h, w, 1, 1, 1, 1, 0, 0, 0, 0};
  if (!global) {
    const auto k = c.attr_ints("kernel_shape", {});
    require(k.size() == 2, c.what, ": attribute 'kernel_shape' needs 2 entries");
    g = window_of(c, k[0], k[1]);
  }
  const bool include_pad = c.attr_int("count_include_pad", 0);
  const int64_t oh = c.out->shape[2], ow = c.out->shape[3];
  const auto xv = x.values<float>();
  std::vector<double> y(static_cast<size_t>(n * ch * oh * ow));
  for (int64_t p = 0; p < n * ch; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
        int64_t count = 0, padded = 0;
        for (int64_t ky = 0; ky < g.kh; ++ky)
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            const int64_t iy = oy * g.sh - g.pt + ky * g.dh, ix = ox * g.sw - g.pl + kx * g.dw;
            if (iy >= -g.pt && iy < h + g.pb && ix >= -g.pl && ix < w + g.pr) ++padded;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const double v = xv[(p * h + iy) * w + ix];
            best = std::max(best, v);
            sum += v;
            ++count;
          }
        y[(p * oh + oy) * ow + ox] =
            max ? best : sum / static_cast<double>(include_pad ? padded : count);
      }
  return c.output_f32(y);
}
Tensor op_maxpool(const Call& c) {
  return pool(c, true, false);
}
Tensor op_avgpool(const Call& c) {
  return pool(c, false, false);
}
Tensor op_global_avgpool(const Call& c) {
  return pool(c, false, true);
}

Tensor op_concat(const Call& c) {
  require(!c.in.empty(), c.what, ": Concat needs inputs");
  const Shape& out = c.out->shape;
  int64_t axis = c.attr_int("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(out.size());
  require(axis >= 0 && axis < static_cast<int64_t>(out.size()), c.what, ": axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= out[i];
  for (size_t i = axis + 1; i < out.size(); ++i) inner *= out[i];
  const size_t esize = dtype_size(c.out->dtype);
  Tensor t(c.out->dtype, out);
  auto* dst = reinterpret_cast<uint8_t*>(t.bytes().data());
  int64_t offset = 0;  // along axis
  for (const Tensor& x : c.in) {
    require(x.dtype() == c.out->dtype && x.rank() == out.size(), c.what,
            ": inputs must match the output's type and rank");
    for (size_t i = 0; i < out.size(); ++i)
      require(static_cast<int64_t>(i) == axis || x.dim(i) == out[i], c.what, ": input ",
              shape_str(x.shape()), " does not match the output ", shape_str(out), " off the axis ",
              axis);
    const int64_t len = x.dim(axis);
    require(offset + len <= out[axis], c.what,
            ": inputs add up to more than the output along the axis (", shape_str(out), ")");
    const auto* src = reinterpret_cast<const uint8_t*>(x.bytes().data());
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + ((o * out[axis] + offset) * inner) * esize, src + (o * len * inner) * esize,
                  static_cast<size_t>(len * inner) * esize);
    offset += len;
  }
  require(offset == out[axis], c.what, ": inputs do not add up to the output along the axis");
  return t;
}

// Per-tensor (one scale) or per-slice along attribute `axis` (-1 default: per tensor):
// {elements per slice step, number of slices}.
std::pair<int64_t, int64_t> quant_axis(const Call& c, const Tensor& x, size_t scales, size_t zps) {
  require(zps == scales, c.what, ": ", scales, " scales but ", zps, " zero points");
  if (scales == 1) return {1, 1};
  const int64_t axis = c.attr_int("axis", -1);
  require(axis >= 0 && axis < static_cast<int64_t>(x.rank()) &&
              x.dim(static_cast<size_t>(axis)) == static_cast<int64_t>(scales),
          c.what, ": ", scales, " scales do not match axis ", axis, " of ", shape_str(x.shape()));
  int64_t inner = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < x.rank(); ++i) inner *= x.dim(i);
  return {inner, x.dim(static_cast<size_t>(axis))};
}

Tensor op_quantize(const Call& c) {
  const Tensor& x = c.input(0);
  const auto scales = c.attr_floats("y_scale");
  const auto zps = c.attr_ints("y_zero_point", std::vector<int64_t>(scales.size(), 0));
  const bool mul_inv = c.attr_string("method", "div") == "mul_inv";
  const auto [inner, channels] = quant_axis(c, x, scales.size(), zps.size());
  Tensor t = c.output(c.out->dtype, x.numel());
  const auto xv = x.values<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t ch = channels == 1 ? 0 : static_cast<size_t>((i / inner) % channels);
    const int32_t q =
        quantize_value(xv[i], scales[ch], static_cast<int32_t>(zps[ch]), t.dtype(), mul_inv);
    switch (t.dtype()) {
      case DType::kU8:
        t.values<uint8_t>()[i] = static_cast<uint8_t>(q);
        break;
      case DType::kI8:
        t.values<int8_t>()[i] = static_cast<int8_t>(q);
        break;
      default:
        t.values<int32_t>()[i] = q;
        break;
    }
  }
  return t;
}

Tensor op_dequantize(const Call& c) {
  const Tensor& x = c.input(0, false);
  const auto scales = c.attr_floats("x_scale");
  const auto zps = c.attr_ints("x_zero_point", std::vector<int64_t>(scales.size(), 0));
  const auto [inner, channels] = quant_axis(c, x, scales.size(), zps.size());
  Tensor t = c.output(DType::kF32, x.numel());
  auto o = t.values<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t ch = channels == 1 ? 0 : static_cast<size_t>((i / inner) % channels);
    o[i] = dequantize_value(x.as_int(i), scales[ch], static_cast<int32_t>(zps[ch]));
  }
  return t;
}

Tensor op_argmax(const Call& c) {
  const Tensor& x = c.input(0, false);
  int64_t axis = c.attr_int("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(x.rank());
  require(axis >= 0 && axis < static_cast<int64_t>(x.rank()), c.what, ": axis out of range");
  const bool last = c.attr_int("select_last_index", 0);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
  for (size_t i = axis + 1; i < x.rank(); ++i) inner *= x.dim(i);
  const int64_t len = x.dim(axis);
  Tensor t = c.output(DType::kI64, outer * inner);
  auto o = t.values<int64_t>();
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t b = 0; b < inner; ++b) {
      int64_t best = 0;
      for (int64_t k = 1; k < len; ++k) {
        const double v = x.as_double((a * len + k) * inner + b);
        const double bv = x.as_double((a * len + best) * inner + b);
        if (v > bv || (last && v == bv)) best = k;
      }
      o[a * inner + b] = best;
    }
  return t;
}

Tensor op_softmax(const Call& c) {
  const Tensor& x = c.input(0);
  int64_t axis = c.attr_int("axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(x.rank());
  require(axis >= 0 && axis < static_cast<int64_t>(x.rank()), c.what, ": axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
  for (size_t i = axis + 1; i < x.rank(); ++i) inner *= x.dim(i);
  const int64_t len = x.dim(axis);
  std::vector<double> y = doubles(x);
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t b = 0; b < inner; ++b) {
      double mx = -std::numeric_limits<double>::infinity(), sum = 0.0;
      for (int64_t k = 0; k < len; ++k) mx = std::max(mx, y[(a * len + k) * inner + b]);
      for (int64_t k = 0; k < len; ++k) sum += std::exp(y[(a * len + k) * inner + b] - mx);
      for (int64_t k = 0; k < len; ++k) {
        double& v = y[(a * len + k) * inner + b];
        v = std::exp(v - mx) / sum;
      }
    }
  return c.output_f32(y);
}

using OpFn = Tensor (*)(const Call&);
OpFn implementation(isa::HostOpKind kind) {
  using K = isa::HostOpKind;
  switch (kind) {
    case K::kAdd:
      return op_add;
    case K::kArgMax:
      return op_argmax;
    case K::kAveragePool:
      return op_avgpool;
    case K::kConcat:
      return op_concat;
    case K::kConv:
      return op_conv;
    case K::kDequantize:
      return op_dequantize;
    case K::kGemm:
      return op_gemm;
    case K::kGlobalAveragePool:
      return op_global_avgpool;
    case K::kFlatten:
    case K::kIdentity:
    case K::kReshape:
      return op_identity;
    case K::kMatMul:
      return op_matmul;
    case K::kMaxPool:
      return op_maxpool;
    case K::kMul:
      return op_mul;
    case K::kQuantize:
      return op_quantize;
    case K::kRelu:
      return op_relu;
    case K::kSigmoid:
      return op_sigmoid;
    case K::kSoftmax:
      return op_softmax;
  }
  check_invariant(false, "host op ", static_cast<int>(kind), " has no implementation");
  return nullptr;
}

}  // namespace

HostExecutor::HostExecutor(Ddr& ddr, const std::vector<TensorDesc>& tensors) : ddr_(ddr) {
  for (const auto& t : tensors) tensors_[t.name] = &t;
}

void HostExecutor::run(const std::vector<isa::HostOp>& ops, const std::string& where) {
  for (size_t i = 0; i < ops.size(); ++i) {
    const isa::HostOp& op = ops[i];
    Call call;
    call.what = cat(where, ", op ", i, " (", isa::host_op_name(op.op), ")");
    call.attrs = &op.attrs;
    const auto desc = [&](const std::string& name) {
      const auto t = tensors_.find(name);
      require(t != tensors_.end(), call.what, ": tensor \"", name,
              "\" is not in the TENSORS section");
      return t->second;
    };
    for (const std::string& name : op.inputs) call.in.push_back(read_tensor(ddr_, *desc(name)));
    call.out = desc(op.output);
    const Tensor result = implementation(op.op)(call);
    require(result.dtype() == call.out->dtype, call.what, ": produces ", dtype_name(result.dtype()),
            " but output '", call.out->name, "' is ", dtype_name(call.out->dtype));
    write_tensor(ddr_, *call.out, result.reshaped(call.out->shape));
  }
}

}  // namespace bpusim::runtime
