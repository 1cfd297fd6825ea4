// The bpusim_report library: where the cycles go (hand-built instruction records), the
// profile of a real run (every figure adds up), the sweep's axes, product, CSV and JSON,
// seeded random inputs, the default model's records, escaping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/npy.h"
#include "compiler/compile.h"
#include "runtime/runtime.h"
#include "sim/systemc_backend.h"
#include "tests/support/test_util.h"
#include "tools/report/default_model.h"
#include "tools/report/html.h"
#include "tools/report/profile.h"
#include "tools/report/random_inputs.h"
#include "tools/report/svg.h"
#include "tools/report/sweep.h"

namespace bpusim::report {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

runtime::InstrRecord record(isa::Opcode op, int64_t start, int64_t end, int64_t index = 0) {
  runtime::InstrRecord r;
  r.op = op;
  r.index = index;
  r.start = start;
  r.end = end;
  return r;
}

int64_t of(const CycleBreakdown& b, CycleClass c) {
  return b[static_cast<int>(c)];
}

TEST(CycleBreakdown, EachCycleGoesToTheFirstClassThatRuns) {
  using isa::Opcode;
  // LOAD 0..15 under CONV 10..20, REQUANT 20..22, STORE 25..30, idle elsewhere up to 40.
  const std::vector<runtime::InstrRecord> instrs{
      record(Opcode::LOAD, 0, 15), record(Opcode::CONV, 10, 20), record(Opcode::REQUANT, 20, 22),
      record(Opcode::STORE, 25, 30), record(Opcode::FINISH, 39, 40)};
  const CycleBreakdown all = cycle_breakdown(instrs, 0, 40);
  EXPECT_EQ(of(all, CycleClass::kMac), 10);
  EXPECT_EQ(of(all, CycleClass::kRequant), 2);
  EXPECT_EQ(of(all, CycleClass::kDmaOnly), 15);  // 0..10 and 25..30
  EXPECT_EQ(of(all, CycleClass::kControl), 1);
  EXPECT_EQ(of(all, CycleClass::kVector), 0);
  EXPECT_EQ(of(all, CycleClass::kIdle), 12);  // 22..25 and 30..39
  // A window clips the instructions.
  const CycleBreakdown window = cycle_breakdown(instrs, 12, 26);
  EXPECT_EQ(of(window, CycleClass::kMac), 8);
  EXPECT_EQ(of(window, CycleClass::kRequant), 2);
  EXPECT_EQ(of(window, CycleClass::kDmaOnly), 1);
  EXPECT_EQ(of(window, CycleClass::kIdle), 3);
  EXPECT_EQ(cycle_breakdown(instrs, 5, 5), CycleBreakdown{});
}

TEST(CycleBreakdown, VectorOpsAndOverlappingDma) {
  using isa::Opcode;
  const std::vector<runtime::InstrRecord> instrs{
      record(Opcode::LOAD, 0, 10), record(Opcode::STORE, 5, 12), record(Opcode::POOL, 8, 9),
      record(Opcode::VADD, 9, 11)};
  const CycleBreakdown b = cycle_breakdown(instrs, 0, 12);
  EXPECT_EQ(of(b, CycleClass::kVector), 3);
  EXPECT_EQ(of(b, CycleClass::kDmaOnly), 9);
  EXPECT_EQ(of(b, CycleClass::kIdle), 0);
}

// The default model compiled and run once on its first test image.
struct DigitsRun {
  isa::Program program;
  runtime::ProgramResult result;
  HwConfig hw;
};

const DigitsRun& digits_run() {
  static const DigitsRun run = [] {
    DigitsRun r;
    const DemoModel m = load_demo_model(default_model_dir());
    r.program = compiler::compile_model(m.onnx_path, r.hw).program;
    runtime::RunOptions o;
    o.hw = r.hw;
    sim::SystemcBackend systemc;
    r.result = runtime::run_program(r.program, {{m.input_name, m.image(0)}}, o, systemc);
    return r;
  }();
  return run;
}

TEST(Profile, FiguresOfARealRunAddUp) {
  const DigitsRun& run = digits_run();
  const Profile p = make_profile(run.program, run.result, run.hw, "digits");
  ASSERT_EQ(p.layers.size(), run.program.layers.size());
  int64_t total = 0;
  for (int64_t c : p.breakdown) total += c;
  EXPECT_EQ(total, p.cycles);
  EXPECT_GT(p.breakdown[static_cast<int>(CycleClass::kMac)], 0);
  int64_t read = 0, instructions = 0;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const LayerProfile& l = p.layers[i];
    SCOPED_TRACE(l.name);
    int64_t sum = 0;
    for (int64_t c : l.breakdown) sum += c;
    EXPECT_EQ(sum, l.cycles());
    EXPECT_EQ(l.cycles(), run.result.layers[i].cycles());
    EXPECT_EQ(l.est_cycles, run.program.layers[i].est_cycles);
    EXPECT_EQ(l.sram, run.program.layers[i].sram);
    EXPECT_GT(l.ddr_read_bytes, 0);
    read += l.ddr_read_bytes;
    instructions += l.instructions;
  }
  EXPECT_LE(read, p.counters.ddr_read_bytes);
  EXPECT_LE(instructions, static_cast<int64_t>(p.counters.instrs.size()));
  EXPECT_DOUBLE_EQ(p.frames_per_second(), 1e9 / static_cast<double>(p.cycles));

  const nlohmann::json j = profile_json(p);
  EXPECT_EQ(j["cycles"], p.cycles);
  EXPECT_EQ(j["layers"].size(), p.layers.size());
  EXPECT_EQ(j["layers"][1]["ddr_read_bytes"], p.layers[1].ddr_read_bytes);
  EXPECT_EQ(j["instructions"].size(), p.counters.instrs.size());
  EXPECT_FALSE(profile_json(p, false).contains("instructions"));
  EXPECT_DOUBLE_EQ(j["roofline"]["ridge_macs_per_byte"].get<double>(), 1024.0 / 32.0);
}

TEST(Profile, PageEscapesNamesAndEmbedsItsData) {
  const DigitsRun& run = digits_run();
  Profile p = make_profile(run.program, run.result, run.hw, "digits");
  p.layers[0].name = "</script><b>&\"x'";
  const std::string html = profile_html(p, {"T <1>", "sub", {}});
  EXPECT_THAT(html, HasSubstr("<title>T &lt;1&gt;</title>"));
  EXPECT_THAT(html, HasSubstr("&lt;/script&gt;&lt;b&gt;&amp;&quot;x&#39;"));
  EXPECT_EQ(html.find("</script><b>"), std::string::npos);
  EXPECT_THAT(html, HasSubstr("\\u003c/script>\\u003cb>"));  // in the embedded JSON
  EXPECT_THAT(html, HasSubstr("id=\"bpusim-data\""));
  const std::string svg = roofline_svg(p);
  int points = 0;
  for (const LayerProfile& l : p.layers) points += l.macs > 0;
  int found = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1))
    ++found;
  EXPECT_EQ(found, points);
  EXPECT_THAT(svg, HasSubstr("peak 1024 MACs/cycle (32x32)"));
}

TEST(Html, EscapeTableAndNumbers) {
  EXPECT_EQ(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(grouped_int(0), "0");
  EXPECT_EQ(grouped_int(999), "999");
  EXPECT_EQ(grouped_int(1234567), "1,234,567");
  EXPECT_EQ(grouped_int(-1000), "-1,000");
  const std::string t = html_table({"k", "v"}, {{"a<", "1,234"}, {"b", "12.5%"}});
  EXPECT_THAT(t, HasSubstr("<td>a&lt;</td><td class=\"num\">1,234</td>"));
  EXPECT_THAT(t, HasSubstr("<td class=\"num\">12.5%</td>"));
}

TEST(Sweep, AxesAndTheirProduct) {
  const auto axes = parse_sweep_axes({"mac.rows=16,32,64", "ddr.bytes_per_cycle=16,32"}, {});
  ASSERT_EQ(axes.size(), 2u);
  EXPECT_EQ(axes[0].values, (std::vector<std::string>{"16", "32", "64"}));
  const auto points = sweep_points(axes);
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0], (std::vector<std::string>{"mac.rows=16", "ddr.bytes_per_cycle=16"}));
  EXPECT_EQ(points[1], (std::vector<std::string>{"mac.rows=16", "ddr.bytes_per_cycle=32"}));
  EXPECT_EQ(points[5], (std::vector<std::string>{"mac.rows=64", "ddr.bytes_per_cycle=32"}));
  EXPECT_EQ(sweep_points({}).size(), 1u);
}

TEST(Sweep, BadAxesNameTheOption) {
  using testing::error_message;
  EXPECT_THAT(error_message([] { parse_sweep_axes({"mac.rows"}, {}); }),
              HasSubstr("--set 'mac.rows': expected key=value"));
  EXPECT_THAT(error_message([] { parse_sweep_axes({"mac.rows=8,"}, {}); }),
              HasSubstr("empty value"));
  EXPECT_THAT(error_message([] { parse_sweep_axes({"mac.rows=8,x"}, {}); }),
              HasSubstr("--set 'mac.rows=8,x': --set: mac.rows must be an integer, got 'x'"));
  // Ranges and cross-key rules are checked per configuration (a row with status "error").
  EXPECT_EQ(error_message([] { parse_sweep_axes({"mac.rows=8,0"}, {}); }), "");
  EXPECT_THAT(error_message([] { parse_sweep_axes({"no.such=1"}, {}); }),
              HasSubstr("unknown hardware key 'no.such'"));
  EXPECT_THAT(error_message([] {
                parse_sweep_axes({"mac.rows=8", "mac.rows=16"}, {});
              }),
              HasSubstr("given twice"));
}

SweepRow sample_row() {
  SweepRow r;
  r.assignments = {"mac.rows=16", "ddr.bytes_per_cycle=32"};
  r.cycles = 1234;
  r.macs = 5000;
  r.utilisation = 0.25;
  r.frames_per_second = 810372.7;
  r.ddr_read_bytes = 100;
  r.ddr_write_bytes = 20;
  r.instructions = 43;
  r.sram_peak = {10, 20, 300, 40, 50};
  r.sram_capacity = {1000, 1000, 1000, 1000, 1000};
  return r;
}

TEST(Sweep, RowsRoundTripAndPrint) {
  SweepRow ok = sample_row();
  EXPECT_EQ(ok.sram_fullest(), 2);
  EXPECT_DOUBLE_EQ(ok.sram_use(), 0.3);
  const SweepRow back = sweep_row_from_json(sweep_row_json(ok), "row");
  EXPECT_EQ(sweep_row_json(back), sweep_row_json(ok));
  SweepRow bad = sample_row();
  bad.status = "error";
  bad.message = "does not fit, \"really\"";
  const auto axes = parse_sweep_axes({"mac.rows=16", "ddr.bytes_per_cycle=32"}, {});
  const std::string csv = sweep_csv(axes, {ok, bad});
  EXPECT_THAT(csv, HasSubstr("mac.rows,ddr.bytes_per_cycle,status,cycles,"));
  EXPECT_THAT(csv, HasSubstr("\n16,32,ok,1234,5000,0.250000,"));
  EXPECT_THAT(csv, HasSubstr(",\"does not fit, \"\"really\"\"\"\n"));
  const std::string table = sweep_table(axes, {ok, bad});
  EXPECT_THAT(table, HasSubstr("1,234"));
  EXPECT_THAT(table, HasSubstr("30.0% accumulator"));
  EXPECT_THAT(table, HasSubstr("config 2 (mac.rows=16 ddr.bytes_per_cycle=32): error: does not"));
  EXPECT_THAT(testing::error_message([] {
                sweep_row_from_json({{"config", 1}}, "r.json");
              }),
              HasSubstr("r.json: malformed sweep result"));
}

TEST(Inputs, SeededRandomTensorsFollowTensors) {
  isa::Program p;
  const auto tensor = [](std::string name, DType dtype, Shape shape, isa::TensorRole role) {
    isa::TensorDesc t;
    t.name = std::move(name);
    t.dtype = t.ir_dtype = dtype;
    t.shape = std::move(shape);
    t.role = role;
    return t;
  };
  p.tensors = {tensor("x", DType::kF32, {1, 3, 4, 4}, isa::TensorRole::kInput),
               tensor("q", DType::kU8, {2, 5}, isa::TensorRole::kInput),
               tensor("y", DType::kF32, {1, 10}, isa::TensorRole::kOutput)};
  const auto a = random_inputs(p, 7), b = random_inputs(p, 7), c = random_inputs(p, 8);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a.at("x").shape(), (Shape{1, 3, 4, 4}));
  EXPECT_EQ(a.at("q").dtype(), DType::kU8);
  EXPECT_EQ(a.at("x"), b.at("x"));
  EXPECT_EQ(a.at("q"), b.at("q"));
  EXPECT_NE(a.at("x"), c.at("x"));
  for (float v : a.at("x").values<float>()) {
    EXPECT_GE(v, -1.0f);
    EXPECT_LE(v, 1.0f);
  }
}

TEST(DefaultModel, LoadsTheCommittedRecords) {
  const DemoModel m = load_demo_model(default_model_dir());
  EXPECT_EQ(m.count(), m.manifest["test_images"]["count"].get<int64_t>());
  EXPECT_EQ(m.classes(), 10);
  EXPECT_EQ(m.image(3).shape(), (Shape{1, 1, 8, 8}));
  EXPECT_EQ(m.image(3).values<float>()[5], m.images.values<float>()[3 * 64 + 5]);
  EXPECT_EQ(m.torch_output(2).values<float>()[9], m.torch_logits.values<float>()[29]);
  EXPECT_GT(m.pytorch_accuracy, 0.9);
  // An ONNX file in the directory works as well.
  EXPECT_EQ(load_demo_model(default_model_dir() + "/model.onnx").count(), m.count());
}

TEST(DefaultModel, BadDirectoriesAreNamed) {
  const fs::path dir =
      fs::temp_directory_path() / ("bpusim_demo_model_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  using testing::error_message;
  EXPECT_THAT(error_message([&] { load_demo_model((dir / "none").string()); }),
              HasSubstr("none: no such model file or directory"));
  EXPECT_THAT(error_message([&] { load_demo_model(dir.string()); }),
              HasSubstr("manifest.json: cannot open"));
  std::ofstream(dir / "manifest.json") << R"({"onnx": "m.onnx", "input": {"name": "x"}})";
  EXPECT_THAT(error_message([&] { load_demo_model(dir.string()); }),
              HasSubstr("manifest.json: missing 'output'"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bpusim::report
