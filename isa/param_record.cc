#include "isa/param_record.h"

#include <bit>

#include "common/error.h"
#include "isa/little_endian.h"

namespace bpusim::isa {

std::array<uint8_t, kParamRecordBytes> pack(const ParamRecord& r) {
  std::array<uint8_t, kParamRecordBytes> out{};
  for_each_param_field(r, [&](const char*, size_t offset, const auto& member, const char*) {
    put_le<uint32_t>(out.data() + offset, std::bit_cast<uint32_t>(member));
  });
  return out;
}

ParamRecord unpack_param_record(std::span<const uint8_t, kParamRecordBytes> bytes,
                                const std::string& context) {
  for (size_t i = kParamRecordUsedBytes; i < kParamRecordBytes; ++i)
    require(bytes[i] == 0, context, ": reserved byte ", i, " is ", int{bytes[i]}, ", must be 0");
  ParamRecord r;
  for_each_param_field(r, [&](const char*, size_t offset, auto& member, const char*) {
    member = std::bit_cast<std::remove_reference_t<decltype(member)>>(
        get_le<uint32_t>(bytes.data() + offset));
  });
  return r;
}

std::vector<uint8_t> pack(std::span<const ParamRecord> records) {
  std::vector<uint8_t> out;
  out.reserve(records.size() * kParamRecordBytes);
  for (const ParamRecord& r : records) {
    const auto bytes = pack(r);
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  return out;
}

std::vector<ParamRecord> unpack_param_records(std::span<const uint8_t> bytes,
                                              const std::string& source) {
  require(bytes.size() % kParamRecordBytes == 0, source, ": ", bytes.size(),
          " bytes is not a whole number of ", kParamRecordBytes, "-byte parameter records");
  std::vector<ParamRecord> out;
  for (size_t i = 0; i < bytes.size() / kParamRecordBytes; ++i) {
    out.push_back(
        unpack_param_record(bytes.subspan(i * kParamRecordBytes).first<kParamRecordBytes>(),
                            cat(source, ": parameter record ", i)));
  }
  return out;
}

}  // namespace bpusim::isa
