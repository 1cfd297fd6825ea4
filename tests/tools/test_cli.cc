// bpusim demo, profile and sweep run as a user runs them: exit codes, the printed figures
// checked against the committed records and against each other, the HTML and JSON reports'
// content, the sweep's CSV and JSON, and exit code 2 with a clear message for bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "common/npy.h"
#include "tests/tools/scratch_test.h"
#include "tools/report/html.h"

namespace bpusim::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The integers of the first match of `pattern` in `text` (its groups), commas removed.
std::vector<int64_t> numbers(const std::string& text, const std::string& pattern) {
  std::smatch m;
  const std::regex re(pattern);
  if (!std::regex_search(text, m, re)) {
    ADD_FAILURE() << "no '" << pattern << "' in:\n" << text;
    return {};
  }
  std::vector<int64_t> out;
  for (size_t i = 1; i < m.size(); ++i) {
    std::string s = m[i].str();
    s.erase(std::remove(s.begin(), s.end(), ','), s.end());
    out.push_back(std::stoll(s));
  }
  return out;
}

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Index of the largest of `n` floats at `p` (first maximum).
int64_t argmax(const float* p, int64_t n) {
  return std::max_element(p, p + n) - p;
}

// RFC 4180 rows (quoted fields with "" escapes; \n line ends).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\n') {
      rows.emplace_back(1);
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back() == std::vector<std::string>(1)) rows.pop_back();
  return rows;
}

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(read_text(path));
}

class DemoCli : public ScratchTest {};

TEST_F(DemoCli, FiguresAreConsistentWithTheCommittedRecords) {
  const int64_t n = 40;  // enough to include a misclassified image (index 36)
  const CliResult r = run_bpusim(cat("demo --images ", n, " --report ", path("demo.html")));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(cat(n, " test images")));
  // fp32 requantization is bit-exact with golden and with PyTorch on every image.
  EXPECT_EQ(numbers(r.out, R"(SystemC vs golden reference\s+(\d+)/(\d+))"),
            (std::vector<int64_t>{n, n}));
  EXPECT_EQ(numbers(r.out, R"(SystemC vs PyTorch's quantized logits\s+(\d+)/(\d+))"),
            (std::vector<int64_t>{n, n}));
  // The accuracy is the share of these images whose argmax matches its label (PyTorch's
  // logits are the simulator's, bit for bit, as checked above).
  const Tensor logits = read_npy(digits_dir() + "/torch_logits.npy");
  const Tensor labels = read_npy(digits_dir() + "/test_labels.npy");
  int64_t correct = 0;
  std::string wrong;  // "; index i: label l, predicted p" per misclassified image
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = labels.values<int64_t>()[i];
    const int64_t pred = argmax(logits.values<float>().data() + i * 10, 10);
    correct += pred == label;
    if (pred != label) wrong += cat("; index ", i, ": label ", label, ", predicted ", pred);
  }
  // How many were misclassified, of how many, and which (not an image index alone).
  const std::string misclassified =
      cat(n - correct, " of ", n, wrong.empty() ? "" : " (" + wrong.substr(2) + ")");
  EXPECT_THAT(r.out, HasSubstr("misclassified images (SystemC)           " + misclassified + "\n"));
  EXPECT_EQ(numbers(r.out, R"(simulated accelerator \(SystemC\)\s+[\d.]+%\s+(\d+)/(\d+))"),
            (std::vector<int64_t>{correct, n}));
  EXPECT_EQ(numbers(r.out, R"(quantized model \(PyTorch's logits\)\s+[\d.]+%\s+(\d+)/(\d+))"),
            (std::vector<int64_t>{correct, n}));
  // The recorded accuracies are printed as the manifest has them.
  const nlohmann::json man = read_json(digits_dir() + "/manifest.json");
  char want[64];
  std::snprintf(want, sizeof want, "%.2f%%", 100.0 * man["accuracy"]["float"].get<double>());
  EXPECT_THAT(r.out, HasSubstr(cat("float model (PyTorch, at training)       ", want)));
  // Frames per second follow from the cycles at the default 1000 MHz.
  const int64_t cycles = numbers(r.out, R"(\n  cycles\s+([\d,]+)\n)").at(0);
  const int64_t fps = numbers(r.out, R"(frames per second at 1000 MHz\s+([\d,]+))").at(0);
  // The demo simulates the committed digits model on the default configuration: its cycles
  // per image are the regression trace's (timing does not depend on the pixels).
  const nlohmann::json trace =
      read_json(bpusim::testing::source_dir() + "/traces/digits/default-fp32.json");
  EXPECT_EQ(cycles, trace["cycles"].get<int64_t>());
  EXPECT_EQ(fps, static_cast<int64_t>(1e9 / static_cast<double>(cycles)));
  EXPECT_THAT(r.out, HasSubstr("MAC utilisation"));
  // No progress bar when stderr is not a terminal.
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  const std::string html = read_text(path("demo.html"));
  EXPECT_THAT(html, HasSubstr("Confusion matrix"));
  EXPECT_THAT(html, HasSubstr("Misclassified images (SystemC): " + misclassified + "."));
  EXPECT_EQ(count(html, "<tr data-layer="), 6);
}

TEST_F(DemoCli, FixedPointRequantizationStillMatchesGolden) {
  const CliResult r =
      run_bpusim(cat("demo --images 3 --set requant.mode=fixed --report ", path("d.html")));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("requant fixed"));
  EXPECT_EQ(numbers(r.out, R"(SystemC vs golden reference\s+(\d+)/(\d+))"),
            (std::vector<int64_t>{3, 3}));
}

TEST_F(DemoCli, BadModelPathsExitWithCodeTwo) {
  CliResult r = run_bpusim(cat("demo --model ", path("nowhere"), " --report ", path("d.html")));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("nowhere: no such model file or directory"));
  r = run_bpusim(cat("demo --model ", dir_.string(), " --report ", path("d.html")));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("manifest.json: cannot open"));
  r = run_bpusim("demo --images=-1");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--images -1"));
}

class ProfileCli : public ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    const CliResult c =
        run_bpusim(cat("compile ", digits_dir(), "/model.onnx -q -o ", path("digits.bpu")));
    ASSERT_EQ(c.status, 0) << c.out << c.err;
    const Tensor images = read_npy(digits_dir() + "/test_x.npy");
    write_npy(path("x.npy"), images.reshaped({images.numel() / 64, 1, 8, 8}));
    Tensor one(DType::kF32, {1, 1, 8, 8});
    std::copy_n(images.values<float>().begin() + 64 * 7, 64, one.values<float>().begin());
    write_npy(path("x7.npy"), one);
  }
};

TEST_F(ProfileCli, HtmlAndJsonAgreeWithTheRun) {
  const CliResult p = run_bpusim(cat("profile ", path("digits.bpu"), " --input x=", path("x7.npy"),
                                     " -o ", path("p.html"), " --json ", path("p.json")));
  ASSERT_EQ(p.status, 0) << p.out << p.err;
  const CliResult run = run_bpusim(cat("run ", path("digits.bpu"), " --input x=", path("x7.npy"),
                                       " -o ", path("out"), " --report ", path("run.json")));
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  const nlohmann::json j = read_json(path("p.json"));
  const nlohmann::json want = read_json(path("run.json"));
  // Same run: the same cycles, per layer and in total, as `bpusim run` reports.
  EXPECT_EQ(j["cycles"], want["cycles"]);
  EXPECT_EQ(numbers(p.out, R"(total cycles: (\d+))").at(0), j["cycles"].get<int64_t>());
  ASSERT_EQ(j["layers"].size(), 6u);
  ASSERT_EQ(j["layers"].size(), want["layers"].size());
  int64_t read = 0, written = 0;
  for (size_t i = 0; i < j["layers"].size(); ++i) {
    const nlohmann::json& l = j["layers"][i];
    SCOPED_TRACE(l["name"].get<std::string>());
    EXPECT_EQ(l["cycles"], want["layers"][i]["cycles"]);
    EXPECT_EQ(l["cycles"].get<int64_t>(),
              l["end_cycle"].get<int64_t>() - l["start_cycle"].get<int64_t>());
    int64_t parts = 0;
    for (const auto& [cls, cycles] : l["cycle_breakdown"].items()) parts += cycles.get<int64_t>();
    EXPECT_EQ(parts, l["cycles"].get<int64_t>());
    EXPECT_EQ(l["stalls"].size(), 5u);
    read += l["ddr_read_bytes"].get<int64_t>();
    written += l["ddr_write_bytes"].get<int64_t>();
    if (l["macs"].get<int64_t>() > 0) {
      EXPECT_DOUBLE_EQ(l["arithmetic_intensity"].get<double>(),
                       l["macs"].get<double>() / (l["ddr_read_bytes"].get<double>() +
                                                  l["ddr_write_bytes"].get<double>()));
    }
  }
  // Every DMA of this program belongs to a layer.
  EXPECT_EQ(read, j["ddr"]["read_bytes"].get<int64_t>());
  EXPECT_EQ(written, j["ddr"]["write_bytes"].get<int64_t>());
  EXPECT_EQ(j["roofline"]["peak_macs_per_cycle"], 32 * 32);
  EXPECT_EQ(j["instructions"].size(), want["instructions"].size());

  const std::string html = read_text(path("p.html"));
  EXPECT_EQ(count(html, "<tr data-layer="), 6);
  int with_macs = 0;
  for (const auto& l : j["layers"]) with_macs += l["macs"].get<int64_t>() > 0;
  EXPECT_EQ(count(html, "class=\"layer-point\""), with_macs);
  EXPECT_EQ(count(html, "<svg "), 3);
  EXPECT_EQ(count(html, "<g class=\"bar\""), 7);  // the program and each layer
  EXPECT_THAT(html, HasSubstr(cat("<td class=\"num\" data-v=\"", j["cycles"].get<int64_t>())));
  // Self-contained: no external script, style sheet, image or font.
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
}

TEST_F(ProfileCli, RandomInputsAreSeeded) {
  ASSERT_EQ(run_bpusim(cat("profile ", path("digits.bpu"), " -o ", path("a.html"), " --json ",
                           path("a.json")))
                .status,
            0);
  ASSERT_EQ(run_bpusim(cat("profile ", path("digits.bpu"), " -o ", path("b.html"), " --json ",
                           path("b.json")))
                .status,
            0);
  EXPECT_EQ(read_json(path("a.json")), read_json(path("b.json")));
  EXPECT_THAT(read_text(path("a.html")), HasSubstr("seeded random inputs (seed 1)"));
}

TEST_F(ProfileCli, BadInputsExitWithCodeTwo) {
  CliResult r = run_bpusim(cat("profile ", path("missing.bpu"), " -o ", path("p.html")));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("missing.bpu"));
  r = run_bpusim(
      cat("profile ", path("digits.bpu"), " --input y=", path("x7.npy"), " -o ", path("p.html")));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("the program has no input 'y'"));
  r = run_bpusim(
      cat("profile ", path("digits.bpu"), " --input x=", path("none.npy"), " -o ", path("p.html")));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("none.npy"));
  r = run_bpusim(cat("profile ", path("digits.bpu"), " --input x=", path("x.npy"), " -o ",
                     path("p.html")));  // 360 images for a batch-1 input
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("'x'"));
  r = run_bpusim(cat("profile ", path("digits.bpu")));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--output"));
}

class SweepCli : public ScratchTest {};

TEST_F(SweepCli, TwoByTwoConfigurations) {
  const std::string model = digits_dir() + "/model.onnx";
  const CliResult r =
      run_bpusim(cat("sweep ", model, " --set mac.rows=8,32 --set ddr.bytes_per_cycle=16,32 -o ",
                     path("s.csv"), " --json ", path("s.json"), " --jobs 2"));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("4 configuration(s), 2 in parallel"));
  const auto rows = parse_csv(read_text(path("s.csv")));
  ASSERT_EQ(rows.size(), 5u);
  const std::vector<std::string>& header = rows[0];
  ASSERT_GE(header.size(), 4u);
  EXPECT_EQ(header[0], "mac.rows");
  EXPECT_EQ(header[1], "ddr.bytes_per_cycle");
  EXPECT_EQ(header[3], "cycles");
  std::map<std::string, int64_t> cycles;  // "rows/bytes_per_cycle" -> cycles
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size()) << "row " << i;
    EXPECT_EQ(rows[i][2], "ok");
    cycles[rows[i][0] + "/" + rows[i][1]] = std::stoll(rows[i][3]);
  }
  // The product, last axis fastest.
  EXPECT_EQ(rows[1][0] + "/" + rows[1][1], "8/16");
  EXPECT_EQ(rows[2][0] + "/" + rows[2][1], "8/32");
  EXPECT_EQ(rows[4][0] + "/" + rows[4][1], "32/32");
  EXPECT_NE(cycles["8/32"], cycles["32/32"]);
  EXPECT_NE(cycles["8/16"], cycles["32/16"]);
  // The same figures in the JSON and the printed table.
  const nlohmann::json j = read_json(path("s.json"));
  ASSERT_EQ(j["rows"].size(), 4u);
  EXPECT_EQ(j["rows"][3]["cycles"].get<int64_t>(), cycles["32/32"]);
  EXPECT_EQ(j["rows"][0]["config"], (nlohmann::json{"mac.rows=8", "ddr.bytes_per_cycle=16"}));
  EXPECT_THAT(r.out, HasSubstr(report::grouped_int(cycles["32/16"])));

  // The default configuration's row is what `bpusim profile` measures with the same seed.
  ASSERT_EQ(run_bpusim(cat("compile ", model, " -q -o ", path("d.bpu"))).status, 0);
  ASSERT_EQ(
      run_bpusim(cat("profile ", path("d.bpu"), " -o ", path("d.html"), " --json ", path("d.json")))
          .status,
      0);
  EXPECT_EQ(read_json(path("d.json"))["cycles"].get<int64_t>(), cycles["32/32"]);
}

TEST_F(SweepCli, AConfigurationThatDoesNotCompileIsARow) {
  const CliResult r = run_bpusim(
      cat("sweep ", digits_dir(), "/model.onnx --set mac.rows=1,32 --set sram.param.bytes=64 -o ",
          path("s.csv")));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.out, HasSubstr("cannot hold one parameter record per MAC row"));
  const auto rows = parse_csv(read_text(path("s.csv")));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2][2], "error");
}

TEST_F(SweepCli, BadOptionsExitWithCodeTwo) {
  const std::string model = digits_dir() + "/model.onnx";
  CliResult r = run_bpusim(cat("sweep ", model, " --set mac.rows=16,,32"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--set 'mac.rows=16,,32': empty value"));
  r = run_bpusim(cat("sweep ", model, " --set mac.rows=16,x"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("mac.rows must be an integer, got 'x'"));
  r = run_bpusim(cat("sweep ", model, " --set mac.rows=16 --set mac.rows=32"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("given twice"));
  r = run_bpusim(cat("sweep ", path("missing.onnx"), " --set mac.rows=16"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("missing.onnx"));
  r = run_bpusim(cat("sweep ", model, " --set mac.rows=16 --jobs 0"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--jobs 0"));
}

}  // namespace
}  // namespace bpusim::testing

namespace bpusim::testing {
namespace {

// docs/guide.md documents what the commands write: every key of the profile JSON (top level
// and per layer), every CSV column of the sweep, every exit code.
class GuideDocs : public ScratchTest {};

TEST_F(GuideDocs, ProfileJsonSweepCsvAndExitCodes) {
  const std::string guide = read_text(source_dir() + "/docs/guide.md");
  ASSERT_FALSE(guide.empty());
  const std::string model = digits_dir() + "/model.onnx";
  ASSERT_EQ(run_bpusim(cat("compile ", model, " -q -o ", path("d.bpu"))).status, 0);
  ASSERT_EQ(
      run_bpusim(cat("profile ", path("d.bpu"), " -o ", path("d.html"), " --json ", path("d.json")))
          .status,
      0);
  const nlohmann::json j = read_json(path("d.json"));
  for (const auto& [key, value] : j.items()) EXPECT_THAT(guide, HasSubstr("`" + key + "`"));
  for (const auto& [key, value] : j["layers"][0].items())
    EXPECT_THAT(guide, HasSubstr("`" + key + "`"));
  for (const auto& [key, value] : j["instructions"][0].items())
    EXPECT_THAT(guide, HasSubstr("`" + key + "`"));
  for (const auto& [key, value] : j["cycle_breakdown"].items())
    EXPECT_THAT(guide, HasSubstr("`" + key + "`"));

  ASSERT_EQ(run_bpusim(cat("sweep ", model, " --set mac.rows=16 -o ", path("s.csv"))).status, 0);
  const auto csv = parse_csv(read_text(path("s.csv")));
  ASSERT_FALSE(csv.empty());
  for (const std::string& column : csv[0]) {
    std::string documented = column;  // sram_feature_bytes -> sram_<buffer>_bytes
    for (const char* b : {"feature", "weight", "accumulator", "output", "param"}) {
      const std::string token = cat("sram_", b, "_");
      if (documented.rfind(token, 0) == 0)
        documented = "sram_<buffer>_" + documented.substr(token.size());
    }
    if (column == "mac.rows") continue;  // an axis
    EXPECT_THAT(guide, HasSubstr("`" + documented + "`"));
  }
  for (int code = 0; code <= 4; ++code) EXPECT_THAT(guide, HasSubstr(cat("\n| ", code, " | ")));
}

}  // namespace
}  // namespace bpusim::testing
