#include "tests/compiler/mini_exec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/error.h"
#include "isa/param_record.h"

namespace bpusim::testing {
namespace {

int32_t wrap32(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(v));
}

int64_t sat32(int64_t v) {
  return std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                             std::numeric_limits<int32_t>::max());
}

// v / 2^shift rounded half away from zero.
int64_t shift_round(int64_t v, int64_t shift) {
  if (shift == 0) return v;
  const int64_t mag = v < 0 ? -v : v;
  const int64_t r = (mag + (int64_t{1} << (shift - 1))) >> shift;
  return v < 0 ? -r : r;
}

int64_t read_elem(const std::vector<uint8_t>& m, int64_t addr, bool is_signed) {
  return is_signed ? static_cast<int8_t>(m.at(addr)) : m.at(addr);
}

int32_t read_i32(const std::vector<uint8_t>& m, int64_t addr) {
  int32_t v;
  std::memcpy(&v, &m.at(addr + 3) - 3, 4);
  return v;
}

void write_i32(std::vector<uint8_t>& m, int64_t addr, int32_t v) {
  std::memcpy(&m.at(addr + 3) - 3, &v, 4);
}

isa::ParamRecord record(const std::vector<uint8_t>& param, int64_t addr) {
  std::span<const uint8_t, isa::kParamRecordBytes> bytes(&param.at(addr + 63) - 63, 64);
  return isa::unpack_param_record(bytes);
}

// Stage 2 of docs/requantizer.md.
int64_t stage2(const isa::ParamRecord& r, int64_t a, int64_t b) {
  const int64_t s =
      wrap32(int64_t{r.add_const} + wrap32(a * r.add_mult_a) + wrap32(b * r.add_mult_b));
  const int64_t q = shift_round(wrap32(s), r.add_shift);
  return std::clamp<int64_t>(q, r.add_min - r.add_zp, r.add_max - r.add_zp) + r.add_zp;
}

// Stage 1 of a record on an accumulator (docs/requantizer.md 4): scale, zero point, clamp.
int64_t stage1(const isa::ParamRecord& r, int64_t acc, bool fixed) {
  int64_t q;
  if (fixed) {
    q = sat32(shift_round(acc * r.mult, r.shift));
  } else {
    const float t = static_cast<float>(acc) * r.scale;
    q = sat32(static_cast<int64_t>(std::nearbyint(static_cast<double>(t))));
  }
  return std::clamp<int64_t>(sat32(q + r.zp), r.min, r.max);
}

}  // namespace

MiniExec::MiniExec(const isa::Program& program, const HwConfig& hw) : program_(program), hw_(hw) {
  int64_t end = 0;
  for (const isa::TensorDesc& t : program.tensors)  // views lie inside their root tensors
    if (t.view_of.empty()) end = std::max(end, t.ddr_addr + t.bytes);
  end = std::max<int64_t>(end, program.params.ddr_base + program.params.bytes.size());
  end = std::max<int64_t>(end, program.weights.ddr_base + program.weights.bytes.size());
  ddr_.assign(end + 64, 0xCD);
  store_counts_.assign(ddr_.size(), 0);
  std::copy(program.weights.bytes.begin(), program.weights.bytes.end(),
            ddr_.begin() + program.weights.ddr_base);
  std::copy(program.params.bytes.begin(), program.params.bytes.end(),
            ddr_.begin() + program.params.ddr_base);
  sram_ = {std::vector<uint8_t>(hw.feature_sram_bytes, 0xAB),
           std::vector<uint8_t>(hw.weight_sram_bytes, 0xAB),
           std::vector<uint8_t>(hw.acc_sram_bytes, 0xAB),
           std::vector<uint8_t>(hw.output_sram_bytes, 0xAB),
           std::vector<uint8_t>(hw.param_sram_bytes, 0xAB)};
}

const isa::TensorDesc& MiniExec::tensor_desc(const std::string& name) const {
  for (const isa::TensorDesc& t : program_.tensors)
    if (t.name == name) return t;
  fail("no tensor ", name);
}

std::vector<int64_t> MiniExec::element_addresses(const isa::TensorDesc& d) const {
  const int64_t elem = static_cast<int64_t>(dtype_size(d.dtype));
  const int64_t addr = d.ddr_addr;
  const int64_t count = numel(d.shape);
  std::vector<int64_t> out(count);
  if (d.layout == isa::TensorLayout::kNhwc) {
    const int64_t C = d.nchw[1], H = d.nchw[2], W = d.nchw[3];
    const int64_t pixel = d.pixel_stride ? d.pixel_stride : C * elem;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t w = i % W, h = i / W % H, c = i / (W * H) % C, n = i / (W * H * C);
      out[i] = addr + ((n * H + h) * W + w) * pixel + c * elem;
    }
    return out;
  }
  const int64_t last = d.shape.empty() ? 1 : d.shape.back();
  const int64_t pixel = d.pixel_stride ? d.pixel_stride : last * elem;
  for (int64_t i = 0; i < count; ++i) out[i] = addr + i / last * pixel + i % last * elem;
  return out;
}

void MiniExec::set_input(const std::string& name, const Tensor& t) {
  const auto& d = tensor_desc(name);
  const auto addrs = element_addresses(d);
  const auto bytes = t.bytes();
  const size_t elem = dtype_size(t.dtype());
  for (size_t i = 0; i < addrs.size(); ++i)
    for (size_t b = 0; b < elem; ++b)
      ddr_.at(addrs[i] + b) = static_cast<uint8_t>(bytes[i * elem + b]);
}

Tensor MiniExec::output(const std::string& name) const {
  const auto& d = tensor_desc(name);
  Tensor t(d.dtype, d.shape);
  const auto addrs = element_addresses(d);
  auto bytes = t.bytes();
  const size_t elem = dtype_size(t.dtype());
  for (size_t i = 0; i < addrs.size(); ++i)
    for (size_t b = 0; b < elem; ++b)
      bytes[i * elem + b] = static_cast<std::byte>(ddr_.at(addrs[i] + b));
  return t;
}

void MiniExec::run() {
  for (const isa::Segment& seg : program_.segments) {
    require(seg.kind == isa::SegmentKind::kBpu, "MiniExec runs BPU segments only");
    for (int64_t i = seg.code.first; i < seg.code.end; ++i) exec(isa::operands(program_.code[i]));
  }
}

void MiniExec::exec(const isa::Operands& o) {
  auto& F = sram_[0];
  auto& Wt = sram_[1];
  auto& A = sram_[2];
  auto& O = sram_[3];
  auto& P = sram_[4];
  switch (static_cast<isa::Opcode>(o.opcode)) {
    case isa::Opcode::NOP:
    case isa::Opcode::FINISH:
      return;
    case isa::Opcode::LOAD:
    case isa::Opcode::STORE: {
      const bool load = o.opcode == static_cast<int64_t>(isa::Opcode::LOAD);
      auto& s = sram_.at(o.buf);
      for (int64_t i2 = 0; i2 < o.n2; ++i2)
        for (int64_t i1 = 0; i1 < o.n1; ++i1)
          for (int64_t i0 = 0; i0 < o.n0; ++i0) {
            const int64_t sa = o.sram_addr + (i2 * o.n1 + i1) * o.n0 + i0;
            const int64_t da = o.dram_addr + i2 * o.dram_stride2 + i1 * o.dram_stride1 + i0;
            if (load) {
              s.at(sa) = ddr_.at(da);
            } else {
              ddr_.at(da) = s.at(sa);
              ++store_counts_.at(da);
            }
          }
      return;
    }
    case isa::Opcode::CONV:
      for (int64_t oy = 0; oy < o.out_h; ++oy)
        for (int64_t ox = 0; ox < o.out_w; ++ox)
          for (int64_t m = 0; m < o.out_c; ++m) {
            const int64_t at = o.acc_addr + ((oy * o.out_w + ox) * o.out_c + m) * 4;
            int64_t acc = o.accumulate ? read_i32(A, at) : 0;
            for (int64_t ky = 0; ky < o.k_h; ++ky)
              for (int64_t kx = 0; kx < o.k_w; ++kx) {
                const int64_t iy = oy * o.stride_h - o.pad_t + ky * o.dil_h;
                const int64_t ix = ox * o.stride_w - o.pad_l + kx * o.dil_w;
                if (iy < 0 || iy >= o.in_h || ix < 0 || ix >= o.in_w) continue;
                const int64_t c0 = o.depthwise ? m : 0, c1 = o.depthwise ? m + 1 : o.in_c;
                for (int64_t c = c0; c < c1; ++c) {
                  const int64_t x =
                      read_elem(F, o.in_addr + (iy * o.in_w + ix) * o.in_c + c, o.in_signed) -
                      o.in_zp;
                  const int64_t wi = o.depthwise ? (m * o.k_h + ky) * o.k_w + kx
                                                 : ((m * o.k_h + ky) * o.k_w + kx) * o.in_c + c;
                  const int64_t w = read_elem(Wt, o.wgt_addr + wi, o.wgt_signed) - o.wgt_zp;
                  acc = wrap32(acc + x * w);
                }
              }
            write_i32(A, at, static_cast<int32_t>(acc));
          }
      return;
    case isa::Opcode::REQUANT:
      for (int64_t p = 0; p < o.n_pix; ++p)
        for (int64_t ch = 0; ch < o.n_ch; ++ch) {
          const int64_t i = p * o.n_ch + ch;
          const isa::ParamRecord r = record(P, o.prm_addr + ch * 64);
          const int64_t acc = wrap32(int64_t{read_i32(A, o.acc_addr + i * 4)} + r.bias);
          if (o.out_type == 2) {
            write_i32(O, o.out_addr + i * 4, static_cast<int32_t>(acc));
            continue;
          }
          int64_t y = stage1(r, acc, o.mode == 1);
          if (o.has_res) y = stage2(r, y, read_elem(F, o.res_addr + i, o.res_signed));
          O.at(o.out_addr + i) = static_cast<uint8_t>(y);
        }
      return;
    case isa::Opcode::VADD: {
      const isa::ParamRecord r = record(P, o.prm_addr);
      for (int64_t i = 0; i < o.n; ++i)
        O.at(o.out_addr + i) = static_cast<uint8_t>(stage2(
            r, read_elem(F, o.a_addr + i, o.a_signed), read_elem(F, o.b_addr + i, o.b_signed)));
      return;
    }
    case isa::Opcode::COPY:
      for (int64_t i = 0; i < o.n; ++i)
        O.at(o.dst_addr + i) = sram_.at(o.src_buf).at(o.src_addr + i);
      return;
    case isa::Opcode::VMUL: {
      const isa::ParamRecord r = record(P, o.prm_addr);
      for (int64_t i = 0; i < o.n; ++i) {
        const int64_t j = o.b_period > 0 ? i % o.b_period : i;
        const int64_t acc = (read_elem(F, o.a_addr + i, o.a_signed) - o.a_zp) *
                                (read_elem(F, o.b_addr + j, o.b_signed) - o.b_zp) +
                            r.bias;
        O.at(o.out_addr + i) = static_cast<uint8_t>(stage1(r, acc, o.mode == 1));
      }
      return;
    }
    case isa::Opcode::VLUT:
      for (int64_t i = 0; i < o.n; ++i)
        O.at(o.out_addr + i) =
            P.at(o.prm_addr + ((F.at(o.in_addr + i) + (o.in_signed ? 128 : 0)) & 0xFF));
      return;
    case isa::Opcode::VFADD: {
      const isa::ParamRecord ra = record(P, o.prm_addr), rb = record(P, o.prm_addr + 64);
      for (int64_t i = 0; i < o.n; ++i) {
        const int64_t j = o.b_period > 0 ? i % o.b_period : i;
        const int64_t a = read_elem(F, o.a_addr + i, o.a_signed);
        const int64_t b = read_elem(F, o.b_addr + j, o.b_signed);
        float da, db;
        if (o.contraction == 1 && i % o.group < o.n_vec) {
          da = std::fma(ra.scale, static_cast<float>(a), ra.scale * static_cast<float>(-o.a_zp));
          db = std::fma(rb.scale, static_cast<float>(b), rb.scale * static_cast<float>(-o.b_zp));
        } else {
          da = static_cast<float>(a - o.a_zp) * ra.scale;
          db = static_cast<float>(b - o.b_zp) * rb.scale;
        }
        const int64_t q = static_cast<int64_t>(std::nearbyint((da + db) * ra.rescale_k)) + ra.zp;
        O.at(o.out_addr + i) = static_cast<uint8_t>(
            std::clamp<int64_t>(std::clamp<int64_t>(q, ra.min, ra.max), o.out_signed ? -128 : 0,
                                o.out_signed ? 127 : 255));
      }
      return;
    }
    case isa::Opcode::VBLEND: {
      auto weight = [&](int64_t k) {
        float w;
        std::memcpy(&w, &P.at(o.prm_addr + 4 * k), 4);
        return w;
      };
      const float h0 = weight(0), h1 = weight(1);
      for (int64_t i = 0; i < o.n; ++i) {
        float p[4];
        for (int64_t k = 0; k < 4; ++k)
          p[k] = static_cast<float>(read_elem(F, o.in_addr + k * o.n + i, o.in_signed));
        const float w0 = weight(2 + 2 * (i / o.c)), w1 = weight(3 + 2 * (i / o.c));
        float v;
        if (o.contraction == 0)
          v = h0 * (w0 * p[0] + w1 * p[1]) + h1 * (w0 * p[2] + w1 * p[3]);
        else if (i % o.c < o.n_vec)
          v = std::fma(h1, std::fma(w1, p[3], w0 * p[2]), h0 * std::fma(w1, p[1], w0 * p[0]));
        else
          v = std::fma(h0, std::fma(w0, p[0], w1 * p[1]), h1 * std::fma(w0, p[2], w1 * p[3]));
        const int64_t q = static_cast<int64_t>(std::nearbyint(v - static_cast<float>(o.in_zp)));
        O.at(o.out_addr + i) = static_cast<uint8_t>(
            std::clamp<int64_t>(q + o.in_zp, o.out_signed ? -128 : 0, o.out_signed ? 127 : 255));
      }
      return;
    }
    case isa::Opcode::POOL:
      require(o.kind == 0, "MiniExec: only max pooling");
      for (int64_t oy = 0; oy < o.out_h; ++oy)
        for (int64_t ox = 0; ox < o.out_w; ++ox)
          for (int64_t c = 0; c < o.c; ++c) {
            int64_t best = std::numeric_limits<int64_t>::min();
            for (int64_t ky = 0; ky < o.k_h; ++ky)
              for (int64_t kx = 0; kx < o.k_w; ++kx) {
                const int64_t iy = oy * o.stride_h - o.pad_t + ky,
                              ix = ox * o.stride_w - o.pad_l + kx;
                if (iy < 0 || iy >= o.in_h || ix < 0 || ix >= o.in_w) continue;
                best = std::max(
                    best, read_elem(F, o.in_addr + (iy * o.in_w + ix) * o.c + c, o.in_signed));
              }
            O.at(o.out_addr + (oy * o.out_w + ox) * o.c + c) = static_cast<uint8_t>(best);
          }
      return;
    case isa::Opcode::ARGMAX:
      for (int64_t p = 0; p < o.n; ++p) {
        int64_t best = 0;
        for (int64_t c = 1; c < o.c; ++c)
          if (read_elem(F, o.in_addr + p * o.c + c, o.in_signed) >
              read_elem(F, o.in_addr + p * o.c + best, o.in_signed))
            best = c;
        write_i32(O, o.out_addr + p * 4, static_cast<int32_t>(best));
      }
      return;
    case isa::Opcode::VREQ:
      fail("MiniExec: VREQ is not modeled");
  }
}

}  // namespace bpusim::testing
