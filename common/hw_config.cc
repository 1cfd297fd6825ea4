#include "common/hw_config.h"

#include <array>
#include <boost/crc.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bpusim {
namespace {

struct IntKey {
  const char* name;
  int64_t HwConfig::*field;
  int64_t min;
  int64_t max;
  const char* meaning;
};

// The table: every integer parameter of the hardware.
const std::array<IntKey, 21> kIntKeys{{
    {"clock_mhz", &HwConfig::clock_mhz, 1, 10000, "core clock in MHz (for frames per second)"},
    {"mac.rows", &HwConfig::mac_rows, 1, 1024, "MAC array rows: output channels per cycle"},
    {"mac.cols", &HwConfig::mac_cols, 1, 1024, "MAC array columns: input channels per cycle"},
    {"requant.pipeline_depth", &HwConfig::requant_pipeline_depth, 1, 64,
     "requantizer pipeline stages (latency in cycles)"},
    {"vector.lanes", &HwConfig::vector_lanes, 1, 1024, "vector unit elements per cycle"},
    {"ddr.bytes_per_cycle", &HwConfig::ddr_bytes_per_cycle, 1, 4096,
     "DDR bandwidth shared by the LOAD and STORE queues"},
    {"ddr.latency_cycles", &HwConfig::ddr_latency_cycles, 0, 100000,
     "cycles from a DMA request to its first byte"},
    {"ddr.burst_bytes", &HwConfig::ddr_burst_bytes, 1, 65536,
     "DDR burst size; every transfer is rounded up to whole bursts"},
    {"ddr.size_bytes", &HwConfig::ddr_size_bytes, 4096, 1ll << 32, "DDR capacity in bytes"},
    {"sram.feature.bytes", &HwConfig::feature_sram_bytes, 64, 1ll << 24,
     "feature (input activation) SRAM size"},
    {"sram.feature.banks", &HwConfig::feature_sram_banks, 1, 256, "feature SRAM banks"},
    {"sram.weight.bytes", &HwConfig::weight_sram_bytes, 64, 1ll << 24, "weight SRAM size"},
    {"sram.weight.banks", &HwConfig::weight_sram_banks, 1, 256, "weight SRAM banks"},
    {"sram.accumulator.bytes", &HwConfig::acc_sram_bytes, 64, 1ll << 24,
     "accumulator SRAM size (int32 entries)"},
    {"sram.accumulator.banks", &HwConfig::acc_sram_banks, 1, 256, "accumulator SRAM banks"},
    {"sram.output.bytes", &HwConfig::output_sram_bytes, 64, 1ll << 24,
     "output SRAM size (requantizer and vector unit results)"},
    {"sram.output.banks", &HwConfig::output_sram_banks, 1, 256, "output SRAM banks"},
    {"sram.param.bytes", &HwConfig::param_sram_bytes, 64, 1ll << 24,
     "requantizer parameter SRAM size"},
    {"sram.ports", &HwConfig::sram_ports, 1, 2, "ports per SRAM bank (1 or 2)"},
    {"queue.depth", &HwConfig::queue_depth, 1, 1024, "entries per instruction queue"},
    {"queue.token_depth", &HwConfig::token_depth, 1, 1024,
     "tokens each dependency-token FIFO holds (L2C, C2L, C2S, S2C)"},
}};

constexpr const char* kModeKey = "requant.mode";

const char* mode_name(RequantMode m) {
  return m == RequantMode::kFixed ? "fixed" : "fp32";
}

RequantMode parse_mode(const std::string& value, const std::string& context) {
  if (value == "fp32") return RequantMode::kFp32;
  if (value == "fixed") return RequantMode::kFixed;
  fail(context, ": ", kModeKey, " must be 'fp32' or 'fixed', got '", value, "'");
}

const IntKey* find_int_key(const std::string& name) {
  for (const auto& k : kIntKeys)
    if (name == k.name) return &k;
  return nullptr;
}

std::string known_keys() {
  std::string s = kModeKey;
  for (const auto& k : kIntKeys) s += std::string(", ") + k.name;
  return s;
}

int64_t parse_int(const std::string& key, const std::string& value, const std::string& context) {
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(value, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  require(used == value.size() && !value.empty(), context, ": ", key, " must be an integer, got '",
          value, "'");
  return v;
}

// Sets one key from its text form; `context` names where the value came from.
void set_key(HwConfig& cfg, const std::string& key, const std::string& value,
             const std::string& context) {
  if (key == kModeKey) {
    cfg.requant_mode = parse_mode(value, context);
    return;
  }
  const IntKey* k = find_int_key(key);
  require(k != nullptr, context, ": unknown hardware key '", key, "' (known: ", known_keys(), ")");
  cfg.*(k->field) = parse_int(key, value, context);
}

// Flattens nested objects to dotted keys: {"mac": {"rows": 8}} -> "mac.rows".
void flatten(const nlohmann::json& j, const std::string& prefix,
             std::vector<std::pair<std::string, nlohmann::json>>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object())
      flatten(*it, key, out);
    else
      out.emplace_back(key, *it);
  }
}

}  // namespace

void HwConfig::set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  require(eq != std::string::npos && eq > 0, "--set '", assignment, "': expected key=value");
  set_key(*this, assignment.substr(0, eq), assignment.substr(eq + 1), "--set");
}

void HwConfig::validate() const {
  for (const auto& k : kIntKeys) {
    const int64_t v = this->*(k.field);
    require(v >= k.min && v <= k.max, "hardware config: ", k.name, " = ", v, " is out of range [",
            k.min, ", ", k.max, "]");
  }
  auto power_of_two = [](int64_t v) { return (v & (v - 1)) == 0; };
  require(power_of_two(ddr_burst_bytes), "hardware config: ddr.burst_bytes = ", ddr_burst_bytes,
          " is not a power of two");
  require(acc_sram_bytes % 4 == 0, "hardware config: sram.accumulator.bytes = ", acc_sram_bytes,
          " is not a multiple of 4");
  require(param_sram_bytes >= 64 * mac_rows,
          "hardware config: sram.param.bytes = ", param_sram_bytes,
          " cannot hold one parameter record per MAC row (needs ", 64 * mac_rows, ")");
}

nlohmann::json HwConfig::to_json() const {
  nlohmann::json j;
  j[kModeKey] = mode_name(requant_mode);
  for (const auto& k : kIntKeys) j[k.name] = this->*(k.field);
  return j;
}

HwConfig HwConfig::from_json(const nlohmann::json& j, const std::string& source) {
  require(j.is_object(), source, ": hardware config must be a JSON object");
  std::vector<std::pair<std::string, nlohmann::json>> entries;
  flatten(j, "", entries);
  HwConfig cfg;
  for (const auto& [key, value] : entries) {
    std::string text;
    if (value.is_string())
      text = value.get<std::string>();
    else if (value.is_number_integer())
      text = std::to_string(value.get<int64_t>());
    else
      fail(source, ": key '", key, "' has value ", value.dump(), ", expected an integer or string");
    set_key(cfg, key, text, source);
  }
  cfg.validate();
  return cfg;
}

HwConfig HwConfig::load(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), path, ": cannot open hardware config");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    fail(path, ": invalid JSON: ", e.what());
  }
  return from_json(j, path);
}

uint32_t HwConfig::hash() const {
  const std::string canonical = to_json().dump();  // keys sorted by nlohmann::json
  boost::crc_32_type crc;
  crc.process_bytes(canonical.data(), canonical.size());
  return crc.checksum();
}

std::vector<HwConfig::KeyInfo> HwConfig::keys() {
  const HwConfig defaults;
  std::vector<KeyInfo> out{{kModeKey, mode_name(defaults.requant_mode), "fp32, fixed",
                            "requantizer arithmetic: IEEE float scale or int32 multiplier+shift"}};
  for (const auto& k : kIntKeys)
    out.push_back({k.name, std::to_string(defaults.*(k.field)),
                   std::to_string(k.min) + " .. " + std::to_string(k.max), k.meaning});
  return out;
}

HwConfig load_hw_config(const std::string& path, const std::vector<std::string>& overrides) {
  HwConfig cfg = path.empty() ? HwConfig{} : HwConfig::load(path);
  for (const auto& o : overrides) cfg.set(o);
  cfg.validate();
  return cfg;
}

}  // namespace bpusim
