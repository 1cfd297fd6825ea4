// Running the real `bpusim` executable from a test: exit code, stdout and stderr apart (the
// demo's progress bar must stay off stderr when it is not a terminal), and a scratch
// directory per test.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/support/test_util.h"

namespace bpusim::testing {

struct CliResult {
  int status = -1;  // exit code, -1 when killed
  std::string out, err;
};

// Runs `command` through the shell with stderr captured in `err_file`.
inline CliResult run_shell(const std::string& command, const std::string& err_file) {
  CliResult r;
  FILE* pipe = ::popen((command + " 2>" + err_file).c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_text(err_file);
  return r;
}

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
  // `bpusim <args>`.
  CliResult bpusim(const std::string& args) const {
    return run_shell(std::string(BPUSIM_EXE) + " " + args, path("stderr.txt"));
  }
  std::filesystem::path dir_;
};

// The repository's default model.
inline std::string digits_dir() {
  return source_dir() + "/models/digits";
}

}  // namespace bpusim::testing
