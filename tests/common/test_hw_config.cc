#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/hw_config.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

using testing::error_message;

TEST(HwConfig, DefaultsAreValidAndRoundTripThroughJson) {
  HwConfig cfg;
  cfg.validate();
  const HwConfig back = HwConfig::from_json(cfg.to_json(), "mem");
  EXPECT_EQ(back.to_json(), cfg.to_json());
  EXPECT_EQ(back.hash(), cfg.hash());
}

TEST(HwConfig, NestedAndDottedKeysAreAccepted) {
  const auto j = nlohmann::json::parse(
      R"({"mac": {"rows": 8, "cols": 16}, "ddr.bytes_per_cycle": 8, "requant": {"mode": "fixed"}})");
  const HwConfig cfg = HwConfig::from_json(j, "hw.json");
  EXPECT_EQ(cfg.mac_rows, 8);
  EXPECT_EQ(cfg.mac_cols, 16);
  EXPECT_EQ(cfg.ddr_bytes_per_cycle, 8);
  EXPECT_EQ(cfg.requant_mode, RequantMode::kFixed);
}

TEST(HwConfig, SetOverridesAndHashChanges) {
  HwConfig cfg;
  const uint32_t before = cfg.hash();
  cfg.set("mac.rows=16");
  cfg.set("requant.mode=fixed");
  EXPECT_EQ(cfg.mac_rows, 16);
  EXPECT_EQ(cfg.requant_mode, RequantMode::kFixed);
  EXPECT_NE(cfg.hash(), before);
}

TEST(HwConfig, ErrorsNameKeyAndValue) {
  HwConfig cfg;
  EXPECT_NE(error_message([&] { cfg.set("mac.rowz=4"); }).find("unknown hardware key 'mac.rowz'"),
            std::string::npos);
  EXPECT_NE(error_message([&] { cfg.set("mac.rows=four"); }).find("must be an integer, got 'four'"),
            std::string::npos);
  EXPECT_NE(error_message([&] { cfg.set("mac.rows"); }).find("expected key=value"),
            std::string::npos);
  EXPECT_NE(error_message([&] { cfg.set("requant.mode=float"); }).find("got 'float'"),
            std::string::npos);
  EXPECT_NE(error_message([] {
              load_hw_config("", {"mac.rows=0"});
            }).find("mac.rows = 0 is out of range"),
            std::string::npos);
  EXPECT_NE(
      error_message([] { load_hw_config("", {"ddr.burst_bytes=48"}); }).find("not a power of two"),
      std::string::npos);
  EXPECT_NE(error_message([] {
              HwConfig::from_json(nlohmann::json::parse(R"({"mac": {"rows": 1.5}})"), "h.json");
            }).find("h.json: key 'mac.rows' has value 1.5"),
            std::string::npos);
  EXPECT_NE(error_message([] {
              HwConfig::from_json(nlohmann::json::array(), "h.json");
            }).find("JSON object"),
            std::string::npos);
}

TEST(HwConfig, FileErrorsNameThePath) {
  EXPECT_NE(
      error_message([] { HwConfig::load("/nonexistent/hw.json"); }).find("/nonexistent/hw.json"),
      std::string::npos);
  const std::string path = ::testing::TempDir() + "bad_hw.json";
  std::ofstream(path) << "{ \"mac\": ";
  EXPECT_NE(error_message([&] { HwConfig::load(path); }).find("invalid JSON"), std::string::npos);
}

// docs/hardware.md documents every key of the table, with its default.
TEST(HwConfig, EveryKeyIsDocumented) {
  const std::string doc = testing::read_text(testing::source_dir() + "/docs/hardware.md");
  ASSERT_FALSE(doc.empty()) << "docs/hardware.md missing";
  for (const auto& key : HwConfig::keys()) {
    EXPECT_NE(doc.find("`" + key.name + "`"), std::string::npos) << key.name << " not documented";
    EXPECT_NE(doc.find("| `" + key.name + "` | " + key.default_value + " |"), std::string::npos)
        << key.name << " default " << key.default_value << " not documented";
  }
}

}  // namespace
}  // namespace bpusim
