// What the GoogleTest suites share: the message of an expected Error, the repository root,
// reading a whole file. Running a program: tests/support/cli_runner.h.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

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

// Every committed PyTorch export, "tests/data/models/<name>" relative to the root, sorted: the
// directory is the list, so a new model is covered without editing the tests.
inline std::vector<std::string> committed_model_dirs() {
  std::vector<std::string> dirs;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(source_dir()) /
                                                           "tests/data/models"))
    if (e.is_directory()) dirs.push_back("tests/data/models/" + e.path().filename().string());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// Whole file as a string ("" when it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace bpusim::testing
