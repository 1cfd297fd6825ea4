#include "sim/vector_unit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "sim/requant_math.h"
#include "sim/requantizer.h"
#include "sim/timing.h"

namespace bpusim::sim {

using isa::Opcode;
using isa::Operands;
using isa::ParamRecord;

namespace {

inline int32_t byte_value(uint8_t v, bool is_signed) {
  return is_signed ? int32_t{static_cast<int8_t>(v)} : int32_t{v};
}
inline OutType byte_type(bool is_signed) {
  return is_signed ? OutType::kI8 : OutType::kU8;
}

bool zp_in_range(int64_t zp, bool is_signed) {
  return is_signed ? (zp >= -128 && zp <= 127) : (zp >= 0 && zp <= 255);
}

// Average pooling's requantization (docs/requantizer.md 6): `acc` = sum of (x - in_zp) over
// the window (padding taps add 0). POOL never divides: the compiler folds the divisor k_h*k_w
// into the record's scale (fp32) or mult/shift (fixed), so this is plain stage 1.
int32_t average(int32_t acc, const ParamRecord& r, bool fixed) {
  return stage1(wrap_add(acc, r.bias), r, fixed);
}

// VREQ's record must name a known route; the float routes exist in mode fp32 only.
std::string route_fault(const ParamRecord& r, const Operands& f) {
  if (r.route < 0 || r.route > 3)
    return cat("PARAM record at 0x", std::hex, f.prm_addr, std::dec, ": route = ", r.route,
               " is out of range [0, 3]");
  if (r.route != 0 && f.mode == 1)
    return cat("PARAM record at 0x", std::hex, f.prm_addr, std::dec, ": route = ", r.route,
               " (a float route) needs mode=fp32");
  return "";
}

}  // namespace

void vfadd(const Operands& f, const uint8_t* a, const uint8_t* b, const ParamRecord& ra,
           const ParamRecord& rb, uint8_t* out) {
  const OutType t = byte_type(f.out_signed);
  for (int64_t i = 0; i < f.n; ++i) {
    const int64_t j = f.b_period > 0 ? i % f.b_period : i;
    const bool fused = f.contraction == 1 && i % f.group < f.n_vec;
    const int32_t q =
        float_add(byte_value(a[i], f.a_signed), static_cast<int32_t>(f.a_zp),
                  byte_value(b[j], f.b_signed), static_cast<int32_t>(f.b_zp), ra, rb, fused);
    out[i] = static_cast<uint8_t>(saturate_to(add_zp_and_clamp(q, ra.zp, ra.min, ra.max), t));
  }
}

uint64_t blend_table_bytes(const Operands& f) {
  const uint64_t pixels = f.c > 0 ? uint64_t(f.n / f.c) : 0;
  return (8 + 8 * pixels + 63) / 64 * 64;
}

void vadd(const Operands& f, const uint8_t* a, const uint8_t* b, const ParamRecord& rec,
          uint8_t* out) {
  const OutType t = byte_type(f.out_signed);
  for (int64_t i = 0; i < f.n; ++i)
    out[i] = static_cast<uint8_t>(
        saturate_to(stage2(byte_value(a[i], f.a_signed), byte_value(b[i], f.b_signed), rec), t));
}

void vreq(const Operands& f, const uint8_t* in, const ParamRecord& rec, uint8_t* out) {
  const OutType t = byte_type(f.out_signed);
  const bool fixed = f.mode == 1;
  const int32_t zp = static_cast<int32_t>(f.in_zp);
  if (rec.route == 0) {
    for (int64_t i = 0; i < f.n; ++i) {
      const int32_t acc = wrap_add(byte_value(in[i], f.in_signed) - zp, rec.bias);
      out[i] = static_cast<uint8_t>(saturate_to(stage1(acc, rec, fixed), t));
    }
    return;
  }
  for (int64_t i = 0; i < f.n; ++i) {
    const int32_t q = rescale_route(byte_value(in[i], f.in_signed), zp, rec);
    out[i] = static_cast<uint8_t>(saturate_to(add_zp_and_clamp(q, rec.zp, rec.min, rec.max), t));
  }
}

void pool(const Operands& f, const uint8_t* in, const ParamRecord& rec, bool fixed, uint8_t* out) {
  const bool is_signed = f.in_signed;
  const OutType t = byte_type(is_signed);
  const int64_t c = f.c;
  if (f.kind == 2) {  // global average: one output per channel
    std::vector<int64_t> sums(static_cast<size_t>(c), 0);
    for (int64_t p = 0; p < f.in_h * f.in_w; ++p)
      for (int64_t ch = 0; ch < c; ++ch) sums[ch] += byte_value(in[p * c + ch], is_signed);
    const int64_t count = f.in_h * f.in_w;
    for (int64_t ch = 0; ch < c; ++ch) {
      const int32_t acc = static_cast<int32_t>(sums[ch] - count * f.in_zp);
      out[ch] = static_cast<uint8_t>(saturate_to(average(acc, rec, fixed), t));
    }
    return;
  }
  for (int64_t oy = 0; oy < f.out_h; ++oy) {
    for (int64_t ox = 0; ox < f.out_w; ++ox) {
      uint8_t* o = out + (oy * f.out_w + ox) * c;
      for (int64_t ch = 0; ch < c; ++ch) {
        int32_t best = is_signed ? -128 : 0;
        int64_t sum = 0, count = 0;
        for (int64_t ky = 0; ky < f.k_h; ++ky) {
          const int64_t iy = oy * f.stride_h - f.pad_t + ky;
          if (iy < 0 || iy >= f.in_h) continue;
          for (int64_t kx = 0; kx < f.k_w; ++kx) {
            const int64_t ix = ox * f.stride_w - f.pad_l + kx;
            if (ix < 0 || ix >= f.in_w) continue;
            const int32_t v = byte_value(in[(iy * f.in_w + ix) * c + ch], is_signed);
            best = std::max(best, v);
            sum += v;
            ++count;
          }
        }
        if (f.kind == 0) {
          o[ch] = static_cast<uint8_t>(best);
        } else {
          const int32_t acc = static_cast<int32_t>(sum - count * f.in_zp);
          o[ch] = static_cast<uint8_t>(saturate_to(average(acc, rec, fixed), t));
        }
      }
    }
  }
}

void argmax(const Operands& f, const uint8_t* in, uint8_t* out) {
  for (int64_t p = 0; p < f.n; ++p) {
    const uint8_t* row = in + p * f.c;
    int32_t best_index = 0;
    int32_t best = byte_value(row[0], f.in_signed);
    for (int64_t ch = 1; ch < f.c; ++ch) {
      const int32_t v = byte_value(row[ch], f.in_signed);
      if (v > best) {
        best = v;
        best_index = static_cast<int32_t>(ch);
      }
    }
    std::memcpy(out + p * 4, &best_index, 4);
  }
}

void vmul(const Operands& f, const uint8_t* a, const uint8_t* b, const ParamRecord& rec,
          uint8_t* out) {
  const OutType t = byte_type(f.out_signed);
  const bool fixed = f.mode == 1;
  for (int64_t i = 0; i < f.n; ++i) {
    const int64_t j = f.b_period > 0 ? i % f.b_period : i;
    const int32_t p = (byte_value(a[i], f.a_signed) - static_cast<int32_t>(f.a_zp)) *
                      (byte_value(b[j], f.b_signed) - static_cast<int32_t>(f.b_zp));
    out[i] = static_cast<uint8_t>(saturate_to(stage1(wrap_add(p, rec.bias), rec, fixed), t));
  }
}

void lut(const Operands& f, const uint8_t* in, const uint8_t* table, uint8_t* out) {
  const int offset = f.in_signed ? 128 : 0;
  for (int64_t i = 0; i < f.n; ++i) out[i] = table[(in[i] + offset) & 0xFF];
}

void blend(const Operands& f, const uint8_t* in, const uint8_t* weights, uint8_t* out) {
  const OutType t = byte_type(f.out_signed);
  auto weight = [&](int64_t k) {
    float w;
    std::memcpy(&w, weights + 4 * k, 4);
    return w;
  };
  const float h0 = weight(0), h1 = weight(1);
  const int32_t zp = static_cast<int32_t>(f.in_zp);
  for (int64_t i = 0; i < f.n; ++i) {
    const int64_t pixel = i / f.c, j = i % f.c;
    std::array<float, 4> p;
    for (int64_t k = 0; k < 4; ++k)
      p[k] = static_cast<float>(byte_value(in[k * f.n + i], f.in_signed));
    const int contraction = f.contraction == 0 ? 0 : j < f.n_vec ? 1 : 2;
    const float v =
        blend_value(p, weight(2 + 2 * pixel), weight(3 + 2 * pixel), h0, h1, contraction);
    const int32_t q = round_sat32(v - static_cast<float>(zp));
    out[i] = static_cast<uint8_t>(saturate_to(sat32(static_cast<int64_t>(q) + zp), t));
  }
}

VectorUnit::VectorUnit(sc_core::sc_module_name name, const Memories& memories)
    : sc_core::sc_module(name), activity("busy"), mem_(memories) {}

Plan VectorUnit::plan(const Decoded& d) {
  const Operands& f = d.f;
  Plan p;
  const Access record{Buf::kParam, uint64_t(f.prm_addr), 64, 64, "prm_addr", false};
  switch (d.op) {
    case Opcode::VADD:
      p.accesses = {{Buf::kFeature, uint64_t(f.a_addr), uint64_t(f.n), 1, "a_addr", false},
                    {Buf::kFeature, uint64_t(f.b_addr), uint64_t(f.n), 1, "b_addr", false},
                    {Buf::kOutput, uint64_t(f.out_addr), uint64_t(f.n), 1, "out_addr", true},
                    record};
      break;
    case Opcode::VREQ:
      if (!zp_in_range(f.in_zp, f.in_signed))
        p.fault =
            cat("in_zp=", f.in_zp, " is outside the ", f.in_signed ? "int8" : "uint8", " range");
      p.accesses = {{Buf::kFeature, uint64_t(f.in_addr), uint64_t(f.n), 1, "in_addr", false},
                    {Buf::kOutput, uint64_t(f.out_addr), uint64_t(f.n), 1, "out_addr", true},
                    record};
      break;
    case Opcode::POOL: {
      const bool global = f.kind == 2;
      if (!global && (f.k_h < 1 || f.k_w < 1 || f.stride_h < 1 || f.stride_w < 1))
        p.fault = cat("POOL needs k_h, k_w, stride_h, stride_w >= 1, got ", f.k_h, ", ", f.k_w,
                      ", ", f.stride_h, ", ", f.stride_w);
      if (f.kind != 0 && !zp_in_range(f.in_zp, f.in_signed))
        p.fault =
            cat("in_zp=", f.in_zp, " is outside the ", f.in_signed ? "int8" : "uint8", " range");
      const uint64_t out_elems = global ? uint64_t(f.c) : uint64_t(f.out_h * f.out_w * f.c);
      p.accesses = {{Buf::kFeature, uint64_t(f.in_addr), uint64_t(f.in_h * f.in_w * f.c), 1,
                     "in_addr", false},
                    {Buf::kOutput, uint64_t(f.out_addr), out_elems, 1, "out_addr", true}};
      if (f.kind != 0) p.accesses.push_back(record);
      break;
    }
    case Opcode::ARGMAX:
      if (f.c < 1 && f.n > 0) p.fault = "ARGMAX needs c >= 1";
      p.accesses = {{Buf::kFeature, uint64_t(f.in_addr), uint64_t(f.n * f.c), 1, "in_addr", false},
                    {Buf::kOutput, uint64_t(f.out_addr), uint64_t(f.n) * 4, 4, "out_addr", true}};
      break;
    case Opcode::VMUL: {
      if (!zp_in_range(f.a_zp, f.a_signed))
        p.fault = cat("a_zp=", f.a_zp, " is outside the ", f.a_signed ? "int8" : "uint8", " range");
      else if (!zp_in_range(f.b_zp, f.b_signed))
        p.fault = cat("b_zp=", f.b_zp, " is outside the ", f.b_signed ? "int8" : "uint8", " range");
      const uint64_t b_bytes = f.b_period > 0 ? uint64_t(f.b_period) : uint64_t(f.n);
      p.accesses = {{Buf::kFeature, uint64_t(f.a_addr), uint64_t(f.n), 1, "a_addr", false},
                    {Buf::kFeature, uint64_t(f.b_addr), b_bytes, 1, "b_addr", false},
                    {Buf::kOutput, uint64_t(f.out_addr), uint64_t(f.n), 1, "out_addr", true},
                    record};
      break;
    }
    case Opcode::VLUT:
      p.accesses = {{Buf::kFeature, uint64_t(f.in_addr), uint64_t(f.n), 1, "in_addr", false},
                    {Buf::kOutput, uint64_t(f.out_addr), uint64_t(f.n), 1, "out_addr", true},
                    {Buf::kParam, uint64_t(f.prm_addr), 256, 64, "prm_addr", false}};
      break;
    case Opcode::VFADD: {
      if (!zp_in_range(f.a_zp, f.a_signed))
        p.fault = cat("a_zp=", f.a_zp, " is outside the ", f.a_signed ? "int8" : "uint8", " range");
      else if (!zp_in_range(f.b_zp, f.b_signed))
        p.fault = cat("b_zp=", f.b_zp, " is outside the ", f.b_signed ? "int8" : "uint8", " range");
      else if (f.contraction == 1 && f.group < 1)
        p.fault = "VFADD with contraction=fma needs group >= 1";
      const uint64_t b_bytes = f.b_period > 0 ? uint64_t(f.b_period) : uint64_t(f.n);
      p.accesses = {{Buf::kFeature, uint64_t(f.a_addr), uint64_t(f.n), 1, "a_addr", false},
                    {Buf::kFeature, uint64_t(f.b_addr), b_bytes, 1, "b_addr", false},
                    {Buf::kOutput, uint64_t(f.out_addr), uint64_t(f.n), 1, "out_addr", true},
                    {Buf::kParam, uint64_t(f.prm_addr), 128, 64, "prm_addr", false}};
      break;
    }
    case Opcode::VBLEND:
      if (f.c < 1 || f.n % f.c != 0 || f.n_vec > f.c)
        p.fault = cat("VBLEND needs c >= 1 dividing n and n_vec <= c, got n=", f.n, " c=", f.c,
                      " n_vec=", f.n_vec);
      else if (!zp_in_range(f.in_zp, f.in_signed))
        p.fault =
            cat("in_zp=", f.in_zp, " is outside the ", f.in_signed ? "int8" : "uint8", " range");
      p.accesses = {
          {Buf::kFeature, uint64_t(f.in_addr), 4 * uint64_t(f.n), 1, "in_addr", false},
          {Buf::kOutput, uint64_t(f.out_addr), uint64_t(f.n), 1, "out_addr", true},
          {Buf::kParam, uint64_t(f.prm_addr), blend_table_bytes(f), 64, "prm_addr", false}};
      break;
    case Opcode::COPY: {
      const Buf src = static_cast<Buf>(f.src_buf);
      const int64_t align = buf_alignment(src) == 64 ? 4 : buf_alignment(src);
      p.accesses = {{src, uint64_t(f.src_addr), uint64_t(f.n), align, "src_addr", false},
                    {Buf::kOutput, uint64_t(f.dst_addr), uint64_t(f.n), 1, "dst_addr", true}};
      break;
    }
    default:
      p.fault = cat("the vector unit does not execute ", d.name());
      return p;
  }
  if (p.fault.empty()) {
    for (const Access& a : p.accesses) {
      if (a.buf != Buf::kParam || d.op == Opcode::VLUT || d.op == Opcode::VBLEND || mem_.check(a))
        continue;
      read_param_records(mem_.ptr(Buf::kParam, f.prm_addr), 1, records_);
      const bool fixed = d.op == Opcode::VREQ || d.op == Opcode::VMUL
                             ? f.mode == 1
                             : d.op == Opcode::POOL && hw_.requant_mode == RequantMode::kFixed;
      p.fault = param_record_fault(records_[0], fixed, d.op == Opcode::VADD, f.prm_addr, 0);
      if (p.fault.empty() && d.op == Opcode::VREQ) p.fault = route_fault(records_[0], f);
    }
  }
  const timing::VectorCost cost = timing::vector_cost(d.op, f, hw_);
  p.cycles = cost.cycles();
  p.beats = cost.beats;
  return p;
}

void VectorUnit::run(const Decoded& d, const Plan& p) {
  activity.spend(p.cycles);
  const Operands& f = d.f;
  const bool has_record = d.op == Opcode::VADD || d.op == Opcode::VREQ || d.op == Opcode::VMUL ||
                          (d.op == Opcode::POOL && f.kind != 0);
  if (has_record) read_param_records(mem_.ptr(Buf::kParam, f.prm_addr), 1, records_);
  const ParamRecord rec = has_record ? records_[0] : ParamRecord{};
  switch (d.op) {
    case Opcode::VADD:
      vadd(f, mem_.ptr(Buf::kFeature, f.a_addr), mem_.ptr(Buf::kFeature, f.b_addr), rec,
           mem_.ptr(Buf::kOutput, f.out_addr));
      break;
    case Opcode::VREQ:
      vreq(f, mem_.ptr(Buf::kFeature, f.in_addr), rec, mem_.ptr(Buf::kOutput, f.out_addr));
      break;
    case Opcode::POOL:
      pool(f, mem_.ptr(Buf::kFeature, f.in_addr), rec, hw_.requant_mode == RequantMode::kFixed,
           mem_.ptr(Buf::kOutput, f.out_addr));
      break;
    case Opcode::ARGMAX:
      argmax(f, mem_.ptr(Buf::kFeature, f.in_addr), mem_.ptr(Buf::kOutput, f.out_addr));
      break;
    case Opcode::VMUL:
      vmul(f, mem_.ptr(Buf::kFeature, f.a_addr), mem_.ptr(Buf::kFeature, f.b_addr), rec,
           mem_.ptr(Buf::kOutput, f.out_addr));
      break;
    case Opcode::VLUT:
      lut(f, mem_.ptr(Buf::kFeature, f.in_addr), mem_.ptr(Buf::kParam, f.prm_addr),
          mem_.ptr(Buf::kOutput, f.out_addr));
      break;
    case Opcode::VBLEND:
      blend(f, mem_.ptr(Buf::kFeature, f.in_addr), mem_.ptr(Buf::kParam, f.prm_addr),
            mem_.ptr(Buf::kOutput, f.out_addr));
      break;
    case Opcode::VFADD:
      read_param_records(mem_.ptr(Buf::kParam, f.prm_addr), 2, records_);
      vfadd(f, mem_.ptr(Buf::kFeature, f.a_addr), mem_.ptr(Buf::kFeature, f.b_addr), records_[0],
            records_[1], mem_.ptr(Buf::kOutput, f.out_addr));
      break;
    case Opcode::COPY:
      std::memmove(mem_.ptr(Buf::kOutput, f.dst_addr),
                   mem_.ptr(static_cast<Buf>(f.src_buf), f.src_addr), static_cast<size_t>(f.n));
      break;
    default:
      break;
  }
}

}  // namespace bpusim::sim
