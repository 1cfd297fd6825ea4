// What the GoogleTest suites share: the message of an expected Error, the repository root,
// reading a whole file. Running a program: tests/support/cli_runner.h.
#pragma once

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

}  // namespace bpusim::testing
