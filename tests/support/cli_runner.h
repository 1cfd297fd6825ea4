// The one way tests run a program: a shell command, or the `bpusim` executable the test target
// was built against (compile definition BPUSIM_EXE="$<TARGET_FILE:bpusim>"). Exit status,
// stdout and stderr come back apart; stderr goes through a private temporary file, so test
// cases that ctest runs in parallel processes never share one.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/test_util.h"

namespace bpusim::testing {

struct CliResult {
  int status = -1;  // exit code; -1 when the process did not exit normally (signal)
  std::string out;  // stdout
  std::string err;  // stderr
  // Both streams, stdout first, for checks that do not care which one a message went to.
  std::string output() const { return out + err; }
};

// Runs `command` with /bin/sh (popen) and waits for it.
inline CliResult run_command(const std::string& command) {
  CliResult r;
  std::string err_path =
      (std::filesystem::temp_directory_path() / "bpusim_test_stderr_XXXXXX").string();
  const int fd = ::mkstemp(err_path.data());
  if (fd < 0) {
    r.err = "run_command: cannot create a temporary file for stderr";
    return r;
  }
  ::close(fd);
  FILE* pipe = ::popen((command + " 2>" + err_path).c_str(), "r");
  if (pipe) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
    const int status = ::pclose(pipe);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_text(err_path);
  } else {
    r.err = "run_command: popen failed";
  }
  std::filesystem::remove(err_path);
  return r;
}

#ifdef BPUSIM_EXE
// `bpusim <args>` (args as the shell reads them).
inline CliResult run_bpusim(const std::string& args) {
  return run_command(std::string(BPUSIM_EXE) + " " + args);
}
#endif

}  // namespace bpusim::testing
