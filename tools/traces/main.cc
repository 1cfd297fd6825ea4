// update_traces: recomputes the regression traces (traces/, tools/traces/traces.h) on every
// backend, requires the backends to agree, and writes the traces that changed (or, with
// --check, only reports them). For each changed trace it prints the total cycles and every
// layer whose cycles changed, old -> new, against the file it replaces.
// scripts/update-traces.sh builds it, runs it and shows `git diff --stat traces/`.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "common/error.h"
#include "tools/traces/traces.h"

namespace bpusim::traces {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr const char* kUsage =
    "usage: update_traces [--check] [--root DIR] [FILTER...]\n"
    "  Recomputes traces/<model>/<config>-<mode>.json for every committed model, core\n"
    "  configuration and requant mode on the SystemC model and the RTL core, and writes the\n"
    "  ones that changed (the backends must agree). FILTER: run only the cases whose trace\n"
    "  path contains one of these strings (e.g. digits, tiny-fixed); stale files are removed\n"
    "  only without a filter.\n"
    "  --check     write nothing; exit 1 when a trace differs, is missing or is stale\n"
    "  --root DIR  the repository (default: the source tree this was built from)\n";

// "1234 -> 1250 (+16, +1.30%)"
std::string change(int64_t before, int64_t after) {
  char pct[32] = "";
  if (before != 0) std::snprintf(pct, sizeof pct, ", %+.2f%%", 100.0 * (after - before) / before);
  return std::to_string(before) + " -> " + std::to_string(after) + " (" +
         (after >= before ? "+" : "") + std::to_string(after - before) + pct + ")";
}

// What changed between two traces of one case, for a person: cycles, the layers whose cycles
// changed, and otherwise the first differing field.
void print_change(const ordered_json& before, const ordered_json& after) {
  const auto cycles = [](const ordered_json& t) { return t.value("cycles", int64_t{0}); };
  if (cycles(before) != cycles(after))
    std::cout << "    cycles " << change(cycles(before), cycles(after)) << "\n";
  const ordered_json& a = before.contains("layers") ? before["layers"] : ordered_json::array();
  const ordered_json& b = after["layers"];
  if (a.size() != b.size()) std::cout << "    layers " << a.size() << " -> " << b.size() << "\n";
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const int64_t x = a[i].value("cycles", int64_t{0}), y = b[i].value("cycles", int64_t{0});
    if (x != y || a[i].value("name", "") != b[i]["name"])
      std::cout << "    layer " << b[i]["name"].get<std::string>() << " " << change(x, y) << "\n";
  }
  if (before.value("outputs", ordered_json()) != after["outputs"])
    std::cout << "    OUTPUTS CHANGED (not only timing)\n";
  if (cycles(before) == cycles(after))
    std::cout << "    " << first_difference(before, after)->text() << "\n";
}

int run(const std::vector<std::string>& args) {
  bool check = false;
  std::string root = BPUSIM_SOURCE_DIR;
  std::vector<std::string> filters;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (args[i] == "--check") {
      check = true;
    } else if (args[i] == "--root" && i + 1 < args.size()) {
      root = args[++i];
    } else if (args[i].starts_with("-")) {
      std::cerr << "update_traces: unknown option '" << args[i] << "'\n" << kUsage;
      return 2;
    } else {
      filters.push_back(args[i]);
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  int unchanged = 0, changed = 0, added = 0, disagree = 0, skipped = 0;
  std::set<fs::path> current;
  for (const CommittedCase& c : committed_cases(root)) {
    current.insert(fs::path(root) / c.trace_path());
    if (!filters.empty() && std::none_of(filters.begin(), filters.end(), [&](const auto& f) {
          return c.trace_path().find(f) != std::string::npos;
        })) {
      ++skipped;
      continue;
    }
    const CompiledCase compiled = compile_case(root, c);
    std::vector<ordered_json> traces;
    for (const char* backend : kTraceBackends)
      traces.push_back(make_trace(c, run_case(compiled, backend)));
    if (const auto d = first_difference(traces[0], traces[1])) {
      std::cout << "BACKENDS DIFFER " << c.label() << ": " << kTraceBackends[1] << " vs "
                << kTraceBackends[0] << " at " << d->text()
                << "; not written (bpusim cosim shows the first differing instruction)\n";
      ++disagree;
      continue;
    }
    const std::optional<ordered_json> old = read_trace(root, c);
    if (old && !first_difference(*old, traces[0])) {
      ++unchanged;
      continue;
    }
    std::cout << (old ? "changed " : "new     ") << c.trace_path() << "\n";
    if (old) print_change(*old, traces[0]);
    ++(old ? changed : added);
    if (check) continue;
    const fs::path path = fs::path(root) / c.trace_path();
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << format_trace(traces[0]);
  }
  int stale = 0;
  if (filters.empty() && fs::is_directory(fs::path(root) / "traces")) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(root) / "traces")) {
      if (e.path().extension() != ".json" || current.count(e.path())) continue;
      std::cout << (check ? "stale   " : "removed ") << fs::relative(e.path(), root).string()
                << " (no such committed case)\n";
      ++stale;
      if (!check) fs::remove(e.path());
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%d traces on %s and %s: %d unchanged, %d changed, %d new, %d stale%s%s (%.1f s)\n",
              unchanged + changed + added + disagree, kTraceBackends[0], kTraceBackends[1],
              unchanged, changed, added, stale,
              disagree ? cat(", ", disagree, " where the backends differ").c_str() : "",
              skipped ? cat(", ", skipped, " filtered out").c_str() : "", seconds);
  if (disagree) return 1;
  return check && (changed || added || stale) ? 1 : 0;
}

}  // namespace
}  // namespace bpusim::traces

int main(int argc, char** argv) {
  try {
    return bpusim::traces::run({argv + 1, argv + argc});
  } catch (const bpusim::Error& e) {
    std::cerr << "update_traces: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "update_traces: internal error: " << e.what() << "\n";
    return 4;
  }
}
