// Helpers shared by the GoogleTest suites.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "common/error.h"

namespace bpusim::testing {

// The message of the bpusim::Error that `f` throws, or "" when it throws none.
inline std::string error_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The repository root (ctest sets BPUSIM_SOURCE_DIR; tests also run with it as cwd).
inline std::string source_dir() {
  const char* dir = std::getenv("BPUSIM_SOURCE_DIR");
  return dir ? dir : ".";
}

// Whole file as a string ("" when it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Exit status and combined stdout+stderr of a shell command (status -1 when it did not exit).
struct CommandResult {
  int status;
  std::string output;
};

inline CommandResult run_command(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace bpusim::testing
