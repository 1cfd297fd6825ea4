// The profile page in a real browser: Debian's headless Chromium loads the HTML that
// `bpusim profile` writes, runs its script (which cross-checks the tables and charts against
// the embedded JSON and throws on any disagreement) and dumps the DOM. The page passes when
// the script wrote its "rendered" marker and the console shows no uncaught error. A page
// with one layer row removed must fail the same check (the check can fail).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "tests/tools/scratch_test.h"

namespace bpusim::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class Browser : public ScratchTest {
 protected:
  // Loads `html_path` in headless Chromium; returns the dumped DOM (out) and the log (err).
  CliResult render(const std::string& html_path) const {
    const std::string profile_dir = path("chromium-profile");
    std::filesystem::create_directories(profile_dir);
    const std::string command =
        cat("timeout 120 ", BPUSIM_CHROMIUM,
            " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
            " --disable-background-networking --disable-component-update --disable-sync"
            " --user-data-dir=",
            profile_dir, " --enable-logging=stderr --v=0 --dump-dom file://", html_path);
    return run_command(command);
  }
  void SetUp() override {
    ScratchTest::SetUp();
    if (std::string(BPUSIM_CHROMIUM).find("NOTFOUND") != std::string::npos)
      FAIL() << "chromium was not found at configure time (scripts/install-deps.sh installs it)";
    ASSERT_EQ(
        run_bpusim(cat("compile ", digits_dir(), "/model.onnx -q -o ", path("digits.bpu"))).status,
        0);
    const CliResult p = run_bpusim(cat("profile ", path("digits.bpu"), " -o ", path("p.html")));
    ASSERT_EQ(p.status, 0) << p.out << p.err;
  }
};

TEST_F(Browser, ProfilePageRendersWithoutErrors) {
  const CliResult r = render(path("p.html"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("<p id=\"bpusim-status\" data-ready=\"1\">rendered: 6 layers"),
            std::string::npos)
      << "no marker in the dumped DOM; chromium log:\n"
      << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("Uncaught")));
  EXPECT_THAT(r.err, Not(HasSubstr("ERR_FILE_NOT_FOUND")));  // no missing asset
}

TEST_F(Browser, APageThatDisagreesWithItsDataIsCaught) {
  std::string html = read_text(path("p.html"));
  const size_t row = html.find("<tr data-layer=\"2\">");
  ASSERT_NE(row, std::string::npos);
  html.erase(row, html.find("</tr>", row) + 5 - row);
  std::ofstream(path("bad.html")) << html;
  const CliResult r = render(path("bad.html"));
  EXPECT_EQ(r.out.find("data-ready=\"1\""), std::string::npos) << "the marker was set";
  EXPECT_NE(r.out.find("not rendered"), std::string::npos);
  EXPECT_THAT(r.err, HasSubstr("Uncaught Error: bpusim report: the layer table has 5 rows"));
}

}  // namespace
}  // namespace bpusim::testing
