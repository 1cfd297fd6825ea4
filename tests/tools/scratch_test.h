// A scratch directory per test for the tests that run the tools as processes (run them with
// tests/support/cli_runner.h), and where the default model lives.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/support/cli_runner.h"
#include "tests/support/test_util.h"

namespace bpusim::testing {

class ScratchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bpusim_tools_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

// The repository's default model.
inline std::string digits_dir() {
  return source_dir() + "/models/digits";
}

}  // namespace bpusim::testing
