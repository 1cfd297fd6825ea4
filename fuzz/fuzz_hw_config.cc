// Hardware configuration parsing (common/hw_config.h): a JSON document, or `--set` lines.
// The first byte picks the form: '{' parses the whole input as a JSON config file; anything
// else is a list of key=value overrides, one per line, applied to the defaults.
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/hw_config.h"
#include "fuzz/fuzz_util.h"

namespace {

void check(const std::string& text) {
  bpusim::HwConfig hw;
  if (!text.empty() && text[0] == '{') {
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return;  // not JSON: HwConfig::load reports that as bad input
    hw = bpusim::HwConfig::from_json(j, "fuzz.json");
  } else {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) hw.set(line);
  }
  hw.validate();
  // A valid configuration round-trips through its JSON form.
  const bpusim::HwConfig again = bpusim::HwConfig::from_json(hw.to_json(), "round trip");
  bpusim::check_invariant(again.hash() == hw.hash(), "HwConfig JSON round trip changes the hash");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bpusim::fuzz::expect_user_error_or_success([&] { check(bpusim::fuzz::as_string(data, size)); });
  return 0;
}
