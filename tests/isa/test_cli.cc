// `bpusim asm` and `bpusim disasm` run as a user would: asm -> disasm round trip, a summary
// header, and clear messages with exit code 2 for bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/hw_config.h"
#include "tests/support/cli_runner.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

namespace fs = std::filesystem;

using testing::CliResult;
using testing::run_bpusim;

class IsaCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bpusim_isa_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
  }
  fs::path dir_;
};

std::string sample() {
  return testing::source_dir() + "/tests/isa/sample.s";
}

std::string instruction_lines(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find(';'));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) out += line + "\n";
  }
  return out;
}

TEST_F(IsaCli, AsmThenDisasmRoundTrips) {
  const CliResult a = run_bpusim("asm " + sample() + " -o " + path("p.bpu"));
  ASSERT_EQ(a.status, 0) << a.output();
  EXPECT_NE(a.output().find("p.bpu: 18 instructions"), std::string::npos) << a.output();
  const CliResult d = run_bpusim("disasm --code-only " + path("p.bpu"));
  ASSERT_EQ(d.status, 0) << d.output();
  EXPECT_EQ(d.output(), instruction_lines(testing::read_text(sample())));
  // and the disassembly assembles to the same bytes
  write("again.s", d.output());
  ASSERT_EQ(run_bpusim("asm " + path("again.s") + " -o " + path("again.bpu")).status, 0);
  EXPECT_EQ(testing::read_text(path("again.bpu")), testing::read_text(path("p.bpu")));
}

TEST_F(IsaCli, DisasmPrintsSummaryAndAddresses) {
  ASSERT_EQ(run_bpusim("asm " + sample() + " -o " + path("p.bpu") + " --set mac.rows=16").status,
            0);
  const CliResult d = run_bpusim("disasm " + path("p.bpu"));
  ASSERT_EQ(d.status, 0) << d.output();
  HwConfig cfg;
  cfg.set("mac.rows=16");
  char hash[16];
  std::snprintf(hash, sizeof hash, "0x%08x", cfg.hash());
  EXPECT_NE(d.output().find(cat(".bpu version 2.0, hw-config hash ", hash, " (matches HWCONFIG)")),
            std::string::npos)
      << d.output();
  EXPECT_NE(d.output().find("; section CODE      offset       72  size      576"),
            std::string::npos)
      << d.output();
  EXPECT_NE(d.output().find("; section HWCONFIG"), std::string::npos) << d.output();
  EXPECT_NE(d.output().find("\n      0  0x000000  LOAD buf=FEATURE"), std::string::npos);
  EXPECT_NE(d.output().find("\n     17  0x000220  FINISH\n"), std::string::npos) << d.output();
}

TEST_F(IsaCli, BadProgramFileExits2WithClearMessage) {
  write("bad.bpu", "this is not a program at all");
  const CliResult d = run_bpusim("disasm " + path("bad.bpu"));
  EXPECT_EQ(d.status, 2) << d.output();
  EXPECT_NE(d.output().find("bpusim disasm: error: " + path("bad.bpu") +
                            ": wrong magic: expected 42 50 55 00"),
            std::string::npos)
      << d.output();
  const CliResult missing = run_bpusim("disasm " + path("none.bpu"));
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.output().find(path("none.bpu") + ": cannot open"), std::string::npos);
}

TEST_F(IsaCli, DisasmNamesTheBadInstruction) {
  ASSERT_EQ(run_bpusim("asm " + sample() + " -o " + path("p.bpu")).status, 0);
  std::string bytes = testing::read_text(path("p.bpu"));
  bytes[48 + 2 * 32] = 63;  // instruction 2: opcode 63 (CRCs now wrong)
  write("p.bpu", bytes);
  const CliResult d = run_bpusim("disasm " + path("p.bpu"));
  EXPECT_EQ(d.status, 2);
  EXPECT_NE(d.output().find("bad file CRC"), std::string::npos) << d.output();
}

TEST_F(IsaCli, AsmErrorNamesFileLineFieldAndValue) {
  write("bad.s", "NOP\nCONV k_h=16 ; too big\n");
  const CliResult a = run_bpusim("asm " + path("bad.s") + " -o " + path("bad.bpu"));
  EXPECT_EQ(a.status, 2) << a.output();
  EXPECT_NE(a.output().find("bpusim asm: error: " + path("bad.s") +
                            ":2: CONV: field k_h = 16 is out of range [0, 15]"),
            std::string::npos)
      << a.output();
  EXPECT_FALSE(fs::exists(path("bad.bpu")));
  const CliResult no_output = run_bpusim("asm " + path("bad.s"));
  EXPECT_EQ(no_output.status, 2);
  EXPECT_NE(no_output.output().find("missing -o PROG.bpu"), std::string::npos);
}

TEST_F(IsaCli, AsmReferenceMatchesDocs) {
  const CliResult r = run_bpusim("asm --reference");
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(testing::read_text(testing::source_dir() + "/docs/isa.md").find(r.output()),
            std::string::npos);
}

}  // namespace
}  // namespace bpusim
