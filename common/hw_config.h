// The hardware configuration: the one source of every parameter of the modeled BPU.
// The compiler (tiling, scheduling), the SystemC model (sizes, latencies) and the RTL
// (Verilog parameters) all read it from here. The table in hw_config.cc lists every key
// with its default, range and meaning; JSON loading, `--set key=value`, validation,
// printing and docs/hardware.md's key list are all derived from that table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bpusim {

enum class RequantMode : uint8_t { kFp32 = 0, kFixed = 1 };

struct HwConfig {
  // clock
  int64_t clock_mhz = 1000;
  // MAC array: rows = output channels in parallel, cols = input channels per cycle.
  int64_t mac_rows = 32;
  int64_t mac_cols = 32;
  // requantizer
  RequantMode requant_mode = RequantMode::kFp32;
  int64_t requant_pipeline_depth = 4;
  // vector unit: elements per cycle
  int64_t vector_lanes = 32;
  // DDR
  int64_t ddr_bytes_per_cycle = 32;
  int64_t ddr_latency_cycles = 64;
  int64_t ddr_burst_bytes = 64;
  int64_t ddr_size_bytes = 256ll << 20;
  // on-chip SRAMs
  int64_t feature_sram_bytes = 256 << 10;
  int64_t feature_sram_banks = 8;
  int64_t weight_sram_bytes = 256 << 10;
  int64_t weight_sram_banks = 8;
  int64_t acc_sram_bytes = 128 << 10;
  int64_t acc_sram_banks = 8;
  int64_t output_sram_bytes = 128 << 10;
  int64_t output_sram_banks = 8;
  int64_t param_sram_bytes = 32 << 10;
  int64_t sram_ports = 1;
  // instruction queues
  int64_t queue_depth = 16;
  // dependency-token FIFOs: an instruction that pushes into a full one waits before it starts
  int64_t token_depth = 16;

  // Applies one "key=value" override (the CLI's --set); throws Error naming the key and value.
  void set(const std::string& assignment);
  // Checks every value against its range and the cross-key rules; throws Error naming the key.
  void validate() const;

  nlohmann::json to_json() const;
  // Reads a JSON object of dotted or nested keys; unknown keys are errors naming `source`.
  static HwConfig from_json(const nlohmann::json& j, const std::string& source);
  static HwConfig load(const std::string& path);
  // Stable 32-bit hash (CRC-32 of the canonical JSON) that a .bpu container records.
  uint32_t hash() const;

  struct KeyInfo {
    std::string name;
    std::string default_value;
    std::string range;
    std::string meaning;
  };
  // Every key, in table order (for --help and the docs test).
  static std::vector<KeyInfo> keys();
};

// Loads `path` (or the defaults when empty), then applies each `--set` override in order.
HwConfig load_hw_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace bpusim
