// The 64-byte per-channel requantizer parameter record (its fields' meaning:
// docs/requantizer.md; byte layout: docs/isa.md). REQUANT, VADD, VREQ and POOL read records
// from the PARAM buffer at prm_addr (+64 per channel); the compiler writes them into the
// container's PARAMS section. All fields little-endian; every byte belongs to a field.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace bpusim::isa {

inline constexpr size_t kParamRecordBytes = 64;
inline constexpr size_t kParamRecordUsedBytes = 64;

// Field meanings and offsets: for_each_param_field below.
struct ParamRecord {
  int32_t bias = 0;
  float scale = 0.0f;
  int32_t mult = 0;
  int32_t shift = 0;
  int32_t zp = 0;
  int32_t min = 0;
  int32_t max = 0;
  int32_t add_const = 0;
  int32_t add_mult_a = 0;
  int32_t add_mult_b = 0;
  int32_t add_shift = 0;
  int32_t add_zp = 0;
  int32_t add_min = 0;
  int32_t add_max = 0;
  int32_t route = 0;
  float rescale_k = 0.0f;

  bool operator==(const ParamRecord&) const = default;
};

// Calls f(name, byte_offset, member, meaning) for every field in layout order: the one description
// of the record that packing, unpacking, the docs table and tests share. Fields are 4 bytes, at
// offset 4*i. Works for const and non-const records.
template <class Record, class F>
void for_each_param_field(Record& r, F&& f) {
  f("bias", 0, r.bias, "added to the accumulator");
  f("scale", 4, r.scale, "stage-1 fp32 scale");
  f("mult", 8, r.mult, "stage-1 fixed multiplier");
  f("shift", 12, r.shift, "stage-1 fixed shift (0..62)");
  f("zp", 16, r.zp, "stage-1 output zero point");
  f("min", 20, r.min, "stage-1 clamp low");
  f("max", 24, r.max, "stage-1 clamp high");
  f("add_const", 28, r.add_const, "stage-2 constant");
  f("add_mult_a", 32, r.add_mult_a, "stage-2 multiplier for a");
  f("add_mult_b", 36, r.add_mult_b, "stage-2 multiplier for b");
  f("add_shift", 40, r.add_shift, "stage-2 shift (0..31)");
  f("add_zp", 44, r.add_zp, "stage-2 output zero point");
  f("add_min", 48, r.add_min, "stage-2 clamp low");
  f("add_max", 52, r.add_max, "stage-2 clamp high");
  f("route", 56, r.route, "VREQ rescale route: 0 stage 1, 1 mul, 2 fma, 3 div");
  f("rescale_k", 60, r.rescale_k, "VREQ routes 1..3: output-scale constant");
}

std::array<uint8_t, kParamRecordBytes> pack(const ParamRecord& r);
// Error when a reserved byte (kParamRecordUsedBytes..63, none today) is nonzero; `context`
// prefixes the message.
ParamRecord unpack_param_record(std::span<const uint8_t, kParamRecordBytes> bytes,
                                const std::string& context = "parameter record");

std::vector<uint8_t> pack(std::span<const ParamRecord> records);
// Error when the size is not a multiple of 64 or a record has reserved bytes set; the
// message names `source` and the record index.
std::vector<ParamRecord> unpack_param_records(std::span<const uint8_t> bytes,
                                              const std::string& source);

}  // namespace bpusim::isa
