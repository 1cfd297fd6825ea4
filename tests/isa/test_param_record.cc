// The 64-byte requantizer parameter record: byte layout pinned, round trip, reserved bytes.
#include <gtest/gtest.h>

#include <random>

#include "isa/param_record.h"
#include "tests/support/test_util.h"

namespace bpusim::isa {
namespace {

using testing::error_message;

TEST(ParamRecord, LayoutIsPinned) {
  ParamRecord r;
  r.bias = -2;
  r.scale = 1.0f;
  r.shift = 31;
  r.add_max = 0x01020304;
  const auto b = pack(r);
  const std::array<uint8_t, 4> bias{0xfe, 0xff, 0xff, 0xff}, scale{0, 0, 0x80, 0x3f},
      shift{31, 0, 0, 0}, add_max{4, 3, 2, 1};
  EXPECT_TRUE(std::equal(bias.begin(), bias.end(), b.begin() + 0));
  EXPECT_TRUE(std::equal(scale.begin(), scale.end(), b.begin() + 4));
  EXPECT_TRUE(std::equal(shift.begin(), shift.end(), b.begin() + 12));
  EXPECT_TRUE(std::equal(add_max.begin(), add_max.end(), b.begin() + 52));
  for (size_t i = 56; i < 64; ++i) EXPECT_EQ(b[i], 0);  // route 0, rescale_k 0.0f
}

TEST(ParamRecord, FieldsTileTheWholeRecord) {
  size_t expected = 0;
  const ParamRecord r;
  for_each_param_field(r, [&](const char* name, size_t offset, const auto& member, const char*) {
    EXPECT_EQ(offset, expected) << name;
    EXPECT_EQ(sizeof member, 4u) << name;
    expected += 4;
  });
  EXPECT_EQ(expected, kParamRecordUsedBytes);
}

TEST(ParamRecord, RandomRoundTrip) {
  std::mt19937 rng(3);
  std::vector<ParamRecord> records(50);
  for (ParamRecord& r : records) {
    for_each_param_field(r, [&](const char*, size_t, auto& member, const char*) {
      member = std::bit_cast<std::remove_reference_t<decltype(member)>>(
          static_cast<uint32_t>(rng() & 0x7f7fffff));  // finite floats, so == compares
    });
  }
  const std::vector<uint8_t> bytes = pack(records);
  ASSERT_EQ(bytes.size(), 50 * kParamRecordBytes);
  EXPECT_EQ(unpack_param_records(bytes, "mem"), records);
}

TEST(ParamRecord, Errors) {
  // Every byte belongs to a field (route, rescale_k at 56..63), so only the size can be wrong.
  EXPECT_EQ(error_message([] { unpack_param_records(std::vector<uint8_t>(65), "p.bin"); }),
            "p.bin: 65 bytes is not a whole number of 64-byte parameter records");
}

}  // namespace
}  // namespace bpusim::isa
