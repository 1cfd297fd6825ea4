// The design-space sweep's data: the axes given as `--set key=v1,v2,...`, their product, one
// result row per configuration (what a worker process reports as JSON), and the table and
// CSV that `bpusim sweep` prints and writes.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/hw_config.h"

namespace bpusim::report {

struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
};

// Parses each "key=v1,v2,..." into an axis. Error (naming the option) for a missing '=',
// an empty value, a key given twice, or a value HwConfig::set refuses on `base` (unknown key,
// not a number, out of range). Cross-key rules are checked per configuration later.
std::vector<SweepAxis> parse_sweep_axes(const std::vector<std::string>& sets, const HwConfig& base);

// Every configuration: the product of the axes as "key=value" assignments in axis order,
// the last axis varying fastest. No axis gives one empty configuration.
std::vector<std::vector<std::string>> sweep_points(const std::vector<SweepAxis>& axes);

inline constexpr int kNumSrams = 5;
// "feature", "weight", "accumulator", "output", "param" (isa::Layer::sram order).
const char* sram_name(int buffer);
// Capacity in bytes of each SRAM under `hw`.
std::array<int64_t, kNumSrams> sram_capacity(const HwConfig& hw);

struct SweepRow {
  std::string model;                     // the model's path in a sweep of several ("" for one)
  std::vector<std::string> assignments;  // this configuration's "key=value"s
  std::string status = "ok";             // "ok", "error" (user error: e.g. the model does
                                         // not fit), "fault" (modeled fault), "crash"
  std::string message;                   // why, when status is not "ok"
  int64_t cycles = 0;
  int64_t macs = 0;
  double utilisation = 0.0;  // MACs / (rows * cols * cycles)
  double frames_per_second = 0.0;
  int64_t ddr_read_bytes = 0, ddr_write_bytes = 0;
  int64_t instructions = 0;
  std::array<int64_t, kNumSrams> sram_peak{};      // largest reservation of any layer
  std::array<int64_t, kNumSrams> sram_capacity{};  // bytes available

  // The fullest SRAM: peak / capacity (0..1) and its index.
  double sram_use() const;
  int sram_fullest() const;
};

nlohmann::json sweep_row_json(const SweepRow& row);
// Inverse of sweep_row_json; Error naming `source` for a malformed object.
SweepRow sweep_row_from_json(const nlohmann::json& j, const std::string& source);

// The printed table: one column per axis (an axis keyed "model" shows SweepRow::model), then
// cycles, MAC utilisation, frames per second, SRAM use (fullest buffer), DDR bytes; status
// messages under it.
std::string sweep_table(const std::vector<SweepAxis>& axes, const std::vector<SweepRow>& rows);
// CSV (RFC 4180 quoting, \n line ends): the axes' keys, status, cycles, macs, mac_utilisation,
// frames_per_second, ddr_read_bytes, ddr_write_bytes, instructions, sram_<buffer>_peak_bytes
// and sram_<buffer>_bytes per buffer, sram_use, message.
std::string sweep_csv(const std::vector<SweepAxis>& axes, const std::vector<SweepRow>& rows);

}  // namespace bpusim::report
