#include "sim/requantizer.h"

#include <cstring>
#include <utility>
#include <vector>

#include "common/error.h"
#include "sim/multiversion.h"
#include "sim/requant_math.h"
#include "sim/timing.h"

namespace bpusim::sim {

using isa::Operands;
using isa::ParamRecord;

void read_param_records(const uint8_t* bytes, int64_t n, std::vector<ParamRecord>& out) {
  out.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* rec = bytes + i * isa::kParamRecordBytes;
    isa::for_each_param_field(out[i], [rec](const char*, int offset, auto& member, const char*) {
      std::memcpy(&member, rec + offset, sizeof member);  // little-endian host
    });
  }
}

std::string param_record_fault(const ParamRecord& r, bool fixed, bool stage2, int64_t prm_addr,
                               int64_t index) {
  const auto where = [&] {
    return cat("PARAM record ", index, " at 0x", std::hex, prm_addr + index * 64, std::dec);
  };
  if (fixed && (r.shift < 0 || r.shift > 62))
    return cat(where(), ": shift = ", r.shift, " is out of range [0, 62]");
  if (stage2 && (r.add_shift < 0 || r.add_shift > 31))
    return cat(where(), ": add_shift = ", r.add_shift, " is out of range [0, 31]");
  return "";
}

namespace {

// The records' fields as per-channel arrays (structure of arrays): the channel loop reads each
// field contiguously and vectorises.
struct ChannelFields {
  std::vector<int32_t> bias, mult, shift, zp, min, max;
  std::vector<int32_t> add_const, add_mult_a, add_mult_b, add_shift, add_zp, add_min, add_max;
  std::vector<float> scale;

  explicit ChannelFields(std::span<const ParamRecord> records) {
    for (const ParamRecord& r : records) {
      bias.push_back(r.bias);
      mult.push_back(r.mult);
      shift.push_back(r.shift);
      zp.push_back(r.zp);
      min.push_back(r.min);
      max.push_back(r.max);
      scale.push_back(r.scale);
      add_const.push_back(r.add_const);
      add_mult_a.push_back(r.add_mult_a);
      add_mult_b.push_back(r.add_mult_b);
      add_shift.push_back(r.add_shift);
      add_zp.push_back(r.add_zp);
      add_min.push_back(r.add_min);
      add_max.push_back(r.add_max);
    }
  }
};

// The value range of an 8-bit output type (saturate_to's bounds).
std::pair<int32_t, int32_t> range_of(OutType t) {
  return t == OutType::kI8 ? std::pair{-128, 127} : std::pair{0, 255};
}

// The stage-2 fields' arrays (ChannelFields') as plain pointers.
struct Stage2Arrays {
  const int32_t *add_const, *add_mult_a, *add_mult_b, *add_shift, *add_zp, *add_min, *add_max;
};

// One pixel's n channels: saturate_to(stage1(acc + bias), a_type) into the range [a_lo, a_hi],
// then, with a residual byte b (signed: flipped and offset), saturate_to(stage2(y, b)) into
// [o_lo, o_hi]. A loop of branch-free 32-bit operations the compiler vectorises; the restrict
// pointers tell it that the byte stores alias none of the fields (as far as it knows, a byte
// store may alias anything, vectors' own pointers included).
template <bool kFixed, bool kRes>
inline void requant_row(int64_t n, const uint8_t* __restrict a_row, const uint8_t* __restrict r_row,
                        uint8_t* __restrict o_row, const int32_t* __restrict bias,
                        const int32_t* __restrict mult, const int32_t* __restrict shift,
                        const float* __restrict scale, const int32_t* __restrict zp,
                        const int32_t* __restrict lo, const int32_t* __restrict hi,
                        const Stage2Arrays& s2, int32_t a_lo, int32_t a_hi, int32_t o_lo,
                        int32_t o_hi, uint8_t res_flip, int32_t res_offset) {
  for (int64_t c = 0; c < n; ++c) {
    int32_t a;
    std::memcpy(&a, a_row + c * 4, 4);
    const int32_t biased = wrap_add(a, bias[c]);
    const int32_t q =
        kFixed ? scale_fixed(biased, mult[c], shift[c]) : scale_fp32(biased, scale[c]);
    int32_t y = clamp32(add_zp_and_clamp(q, zp[c], lo[c], hi[c]), a_lo, a_hi);
    if constexpr (kRes) {
      const int32_t b = int32_t{static_cast<uint8_t>(r_row[c] ^ res_flip)} - res_offset;
      const Stage2Fields add{s2.add_const[c], s2.add_mult_a[c], s2.add_mult_b[c], s2.add_shift[c],
                             s2.add_zp[c],    s2.add_min[c],    s2.add_max[c]};
      y = clamp32(stage2(y, b, add), o_lo, o_hi);
    }
    o_row[c] = static_cast<uint8_t>(y);
  }
}

// The REQUANT loop with the mode and stage-2 choices hoisted out of it.
template <bool kFixed, bool kRes>
inline void requant_loop(const Operands& f, const uint8_t* acc, const uint8_t* res,
                         const ChannelFields& r, uint8_t* out, OutType type, OutType a_type) {
  const int64_t n_ch = f.n_ch;
  const auto [a_lo, a_hi] = range_of(a_type);
  const auto [o_lo, o_hi] = range_of(type);
  // A residual byte as a number: int8 is (byte ^ 0x80) - 128, uint8 the byte itself.
  const uint8_t res_flip = f.res_signed ? 0x80 : 0x00;
  const int32_t res_offset = f.res_signed ? 128 : 0;
  const Stage2Arrays s2{r.add_const.data(), r.add_mult_a.data(), r.add_mult_b.data(),
                        r.add_shift.data(), r.add_zp.data(),     r.add_min.data(),
                        r.add_max.data()};
  for (int64_t p = 0; p < f.n_pix; ++p)
    requant_row<kFixed, kRes>(n_ch, acc + p * n_ch * 4, kRes ? res + p * n_ch : nullptr,
                              out + p * n_ch, r.bias.data(), r.mult.data(), r.shift.data(),
                              r.scale.data(), r.zp.data(), r.min.data(), r.max.data(), s2, a_lo,
                              a_hi, o_lo, o_hi, res_flip, res_offset);
}

BPUSIM_MULTIVERSION
void requant_8bit(const Operands& f, const uint8_t* acc, const uint8_t* res,
                  const ChannelFields& records, uint8_t* out, OutType type, OutType a_type) {
  if (f.mode == 1) {
    if (f.has_res)
      requant_loop<true, true>(f, acc, res, records, out, type, a_type);
    else
      requant_loop<true, false>(f, acc, res, records, out, type, a_type);
  } else {
    if (f.has_res)
      requant_loop<false, true>(f, acc, res, records, out, type, a_type);
    else
      requant_loop<false, false>(f, acc, res, records, out, type, a_type);
  }
}

}  // namespace

void requant_tile(const Operands& f, const uint8_t* acc, const uint8_t* res,
                  std::span<const ParamRecord> records, uint8_t* out) {
  const OutType type = static_cast<OutType>(f.out_type);
  if (type == OutType::kI32) {  // pass-through: acc + bias
    for (int64_t i = 0; i < f.n_pix * f.n_ch; ++i) {
      int32_t a;
      std::memcpy(&a, acc + i * 4, 4);
      const int32_t biased = wrap_add(a, records[i % f.n_ch].bias);
      std::memcpy(out + i * 4, &biased, 4);
    }
    return;
  }
  // The stage-1 result is saturated to its own type: the output's, or a's when stage 2 runs.
  const OutType a_type = f.has_res ? (f.a_signed ? OutType::kI8 : OutType::kU8) : type;
  requant_8bit(f, acc, res, ChannelFields(records.first(f.n_ch)), out, type, a_type);
}

Operands requant_tile_op(const HwConfig& hw, int64_t n, bool fixed, OutType out_type, bool has_res,
                         bool res_signed) {
  Operands f;
  f.opcode = static_cast<int64_t>(isa::Opcode::REQUANT);
  f.n_pix = n;
  f.n_ch = hw.mac_rows;
  f.mode = fixed;
  f.out_type = static_cast<int64_t>(out_type);
  f.has_res = has_res;
  f.res_signed = res_signed;
  f.a_signed = out_type == OutType::kI8;
  return f;
}

std::vector<int32_t> requant_results(const uint8_t* bytes, int64_t count, OutType out_type) {
  std::vector<int32_t> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    if (out_type == OutType::kI32)
      std::memcpy(&out[i], bytes + 4 * i, 4);
    else
      out[i] =
          out_type == OutType::kI8 ? int32_t{static_cast<int8_t>(bytes[i])} : int32_t{bytes[i]};
  }
  return out;
}

TileRun run_requant_tile(const HwConfig& hw, std::span<const ParamRecord> records, bool fixed,
                         OutType out_type, bool has_res, bool res_signed,
                         const std::vector<int32_t>& accs, const std::vector<uint8_t>& residual,
                         const std::vector<uint8_t>& ready) {
  const int64_t lanes = hw.mac_rows;
  const int64_t n = static_cast<int64_t>(accs.size()) / lanes;
  const Operands f = requant_tile_op(hw, n, fixed, out_type, has_res, res_signed);
  std::vector<uint8_t> bytes(accs.size() * (out_type == OutType::kI32 ? 4 : 1));
  requant_tile(f, reinterpret_cast<const uint8_t*>(accs.data()),
               has_res ? residual.data() : nullptr, records, bytes.data());
  TileRun run;
  run.out = requant_results(bytes.data(), static_cast<int64_t>(accs.size()), out_type);
  run.cycles = timing::pipelined_tile_latency(lanes, n, hw.requant_pipeline_depth, ready);
  return run;
}

Requantizer::Requantizer(sc_core::sc_module_name name, const Memories& memories)
    : sc_core::sc_module(name), activity("busy"), mem_(memories) {}

Plan Requantizer::plan(const Decoded& d) {
  const Operands& f = d.f;
  Plan p;
  const bool i32 = f.out_type == static_cast<int64_t>(OutType::kI32);
  if (f.has_res && i32) {
    p.fault = "has_res=1 needs an 8-bit out_type (int32 pass-through has no stage 2)";
    return p;
  }
  const uint64_t elems = uint64_t(f.n_pix) * uint64_t(f.n_ch);
  p.accesses = {
      {Buf::kAcc, uint64_t(f.acc_addr), elems * 4, 4, "acc_addr", false},
      {Buf::kParam, uint64_t(f.prm_addr), uint64_t(f.n_ch) * 64, 64, "prm_addr", false},
      {Buf::kOutput, uint64_t(f.out_addr), elems * (i32 ? 4 : 1), i32 ? 4 : 1, "out_addr", true},
  };
  if (f.has_res)
    p.accesses.push_back({Buf::kFeature, uint64_t(f.res_addr), elems, 1, "res_addr", false});
  // The records are read at plan time only to validate them (after the range check).
  if (!mem_.check(p.accesses[1]) && !i32) {
    read_param_records(mem_.ptr(Buf::kParam, f.prm_addr), f.n_ch, records_);
    for (int64_t c = 0; c < f.n_ch && p.fault.empty(); ++c)
      p.fault = param_record_fault(records_[c], f.mode == 1, f.has_res, f.prm_addr, c);
  }
  p.cycles = timing::requant_cycles(f, hw_);
  return p;
}

void Requantizer::run(const Decoded& d, const Plan& p) {
  activity.spend(p.cycles);
  const Operands& f = d.f;
  read_param_records(mem_.ptr(Buf::kParam, f.prm_addr), f.n_ch, records_);
  requant_tile(f, mem_.ptr(Buf::kAcc, f.acc_addr),
               f.has_res ? mem_.ptr(Buf::kFeature, f.res_addr) : nullptr, records_,
               mem_.ptr(Buf::kOutput, f.out_addr));
}

}  // namespace bpusim::sim
