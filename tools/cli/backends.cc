#include "tools/cli/backends.h"

#include <functional>
#include <vector>

#include "common/error.h"
#ifdef BPUSIM_HAVE_RTL_CORE  // CMake option BPUSIM_RTL_CORE
#include "rtl_ref/core_backend.h"
#endif
#include "sim/systemc_backend.h"

namespace bpusim::cli {
namespace {

struct BackendEntry {
  std::string name;
  std::string what;  // for --help
  std::function<std::unique_ptr<runtime::Backend>()> make;
};

const std::vector<BackendEntry>& table() {
  static const std::vector<BackendEntry> entries{
      {"systemc", "the SystemC cycle-aware model (sim/)",
       [] { return std::make_unique<sim::SystemcBackend>(); }},
#ifdef BPUSIM_HAVE_RTL_CORE
      {"rtl", "the verilated Verilog core (rtl_ref/core/), cycle by cycle",
       [] { return std::make_unique<rtl::RtlBackend>(); }},
#endif
  };
  return entries;
}

}  // namespace

std::unique_ptr<runtime::Backend> make_backend(const std::string& name) {
  std::string available;
  for (const BackendEntry& e : table()) {
    if (e.name == name) return e.make();
    available += (available.empty() ? "" : ", ") + e.name;
  }
  fail("unknown backend '", name, "'; available: ", available);
}

std::string backend_option_help() {
  std::string help = cat("the backend to run on (default ", kDefaultBackend, "):");
  for (size_t i = 0; i < table().size(); ++i)
    help += cat(i ? "; " : " ", table()[i].name, " = ", table()[i].what);
  return help;
}

}  // namespace bpusim::cli
