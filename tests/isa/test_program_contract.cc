// The program contract (isa/program_contract.h): every struct round-trips through its JSON,
// every kind of malformed field is refused by read_program with a message naming the file,
// the section, the entry, the field and the value; old (untyped) files are refused by version;
// docs/isa.md embeds the generated field tables.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "isa/assembler.h"
#include "isa/container.h"
#include "isa/program_contract.h"
#include "tests/support/test_util.h"

namespace bpusim::isa {
namespace {

using nlohmann::json;
using testing::error_message;
using ::testing::HasSubstr;

TensorDesc nhwc_slice() {
  TensorDesc t;
  t.name = "conv_out";
  t.role = TensorRole::kInternal;
  t.dtype = t.ir_dtype = DType::kI8;
  t.shape = {1, 4, 2, 3};
  t.layout = TensorLayout::kNhwc;
  t.nchw = t.shape;
  t.ddr_addr = 0x10040;
  t.bytes = 24;
  t.view_of = "concat_out";
  t.pixel_stride = 12;
  t.quant = Quantization{{0.5f, 0.25f, 0.125f, 1.0f}, {0, -3, 7, 1}, 1};
  t.overwritten = true;
  return t;
}

TensorDesc input_x() {
  TensorDesc t;
  t.name = "x";
  t.role = TensorRole::kInput;
  t.dtype = t.ir_dtype = DType::kU8;
  t.shape = {1, 8};
  t.ddr_addr = 4096;
  t.bytes = 8;
  t.quant = Quantization{{0.5f}, {10}, -1};
  return t;
}

HostOp every_attr_type() {
  return {HostOpKind::kConv,
          "float_conv",
          {"x", "w"},
          "y",
          {{"group", int64_t{1}},
           {"alpha", 0.1f},
           {"method", std::string("mul_inv")},
           {"pads", std::vector<int64_t>{1, 1, 0, 0}},
           {"y_scale", std::vector<float>{0.5f, 2.0f}}}};
}

Layer conv_layer() {
  return {"conv1", "conv 3x3/2 +relu -> uint8", 0, {0, 2}, {{1, 3, 8, 8}}, {1, 4, 4, 4}, 1728, 2,
          120,     {512, 256, 1024, 128, 256}};
}

// Three instructions, a BPU segment, a host segment, two tensors, one layer.
Program example_program() {
  Program p;
  p.code = assemble("NOP\nNOP\nFINISH\n", "example.s");
  p.tensors = {input_x(), nhwc_slice()};
  p.segments = {{SegmentKind::kBpu, {0, 3}, {"conv1"}, {}},
                {SegmentKind::kHost, {}, {}, {every_attr_type()}}};
  p.layers = {conv_layer()};
  return p;
}

template <class T>
T round_trip(const T& v) {
  return json(v).get<T>();
}

TEST(ProgramContract, EveryStructRoundTrips) {
  EXPECT_EQ(round_trip(nhwc_slice()), nhwc_slice());
  EXPECT_EQ(round_trip(input_x()), input_x());
  EXPECT_EQ(round_trip(*input_x().quant), *input_x().quant);
  EXPECT_EQ(round_trip(CodeRange{3, 9}), (CodeRange{3, 9}));
  EXPECT_EQ(round_trip(every_attr_type()), every_attr_type());
  const Program p = example_program();
  for (const Segment& s : p.segments) EXPECT_EQ(round_trip(s), s);
  EXPECT_EQ(round_trip(conv_layer()), conv_layer());
  EXPECT_EQ(read_program(write_program(p), "mem"), p);
}

TEST(ProgramContract, OptionalFieldsAreWrittenOnlyWhenSet) {
  const json x = input_x();
  EXPECT_FALSE(x.contains("nchw"));  // row-major
  EXPECT_FALSE(x.contains("view_of"));
  EXPECT_FALSE(x.contains("pixel_stride"));
  EXPECT_FALSE(x.contains("overwritten"));
  EXPECT_EQ(json(nhwc_slice())["overwritten"], true);
  EXPECT_EQ(x["quant"], json::parse(R"({"axis": -1, "scale": [0.5], "zero_point": [10]})"));
  const json bpu = example_program().segments[0];
  EXPECT_EQ(bpu, json::parse(R"({"kind": "bpu", "code": [0, 3], "layers": ["conv1"]})"));
  HostOp relu{HostOpKind::kRelu, "relu", {"a"}, "b", {}};
  EXPECT_EQ(json(relu), json::parse(R"({"op": "Relu", "name": "relu", "inputs": ["a"],
                                         "output": "b"})"));
}

TEST(ProgramContract, HostOpNames) {
  EXPECT_EQ(host_op_kind("GlobalAveragePool"), HostOpKind::kGlobalAveragePool);
  EXPECT_EQ(host_op_kind("QConv"), std::nullopt);
  for (int k = 0; k <= static_cast<int>(HostOpKind::kSoftmax); ++k)
    EXPECT_EQ(host_op_kind(host_op_name(static_cast<HostOpKind>(k))), static_cast<HostOpKind>(k));
  EXPECT_THAT(host_op_names(), HasSubstr("Add, ArgMax, AveragePool"));
}

// ---- malformed files: the example program with one JSON section edited

SectionType type_of(std::string_view section) {
  for (SectionType t : {SectionType::kTensors, SectionType::kSegments, SectionType::kLayers})
    if (section_name(t) == section) return t;
  throw std::logic_error("no such JSON section");
}

// The error read_program reports for the example program whose `section` JSON is edited by
// `edit` (the file is otherwise well formed: CRCs are computed after the edit).
std::string edited_error(std::string_view section, const std::function<void(json&)>& edit) {
  Container c = to_container(example_program());
  for (Section& s : c.sections)
    if (s.type == type_of(section)) {
      json j = json::parse(s.payload.begin(), s.payload.end());
      edit(j);
      const std::string text = j.dump();
      s.payload.assign(text.begin(), text.end());
    }
  return error_message([&] { read_program(write_container(c), "p.bpu"); });
}

TEST(ProgramContractErrors, MissingRequiredField) {
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[1].erase("ddr_addr"); }),
            "p.bpu: TENSORS[1].ddr_addr: missing (a required field: a non-negative integer)");
  EXPECT_EQ(edited_error("LAYERS", [](json& j) { j[0]["sram"].erase("param"); }),
            "p.bpu: LAYERS[0].sram.param: missing (a non-negative integer)");
  // A field required by another one: nhwc needs nchw, and a host segment needs its ops.
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[1].erase("nchw"); }),
            "p.bpu: TENSORS[1].nchw: missing (a required field: an array of non-negative "
            "integers)");
  EXPECT_THAT(edited_error("SEGMENTS", [](json& j) { j[1].erase("ops"); }),
              HasSubstr("p.bpu: SEGMENTS[1].ops: missing (a required field: an array of HostOp)"));
}

TEST(ProgramContractErrors, WrongType) {
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[1]["shape"] = "x"; }),
            "p.bpu: TENSORS[1].shape: expected an array of non-negative integers, got \"x\"");
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[1]["overwritten"] = 1; }),
            "p.bpu: TENSORS[1].overwritten: expected true or false, got 1");
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[0]["quant"]["zero_point"] = {1.5}; }),
            "p.bpu: TENSORS[0].quant.zero_point: expected an array of 32-bit integers, got [1.5]");
  EXPECT_EQ(edited_error("SEGMENTS", [](json& j) { j[1]["ops"][0]["attrs"]["pads"] = {true}; }),
            "p.bpu: SEGMENTS[1].ops[0].attrs.pads: expected an integer, a number, a string, or an "
            "array of integers or of numbers, got [true]");
  EXPECT_EQ(edited_error("LAYERS", [](json& j) { j[0] = "conv1"; }),
            "p.bpu: LAYERS[0]: expected an object (Layer), got \"conv1\"");
  EXPECT_EQ(edited_error("TENSORS",
                         [](json& j) {
                           j = {{"name", "x"}};
                         }),
            "p.bpu: TENSORS: expected an array of TensorDesc, got {\"name\":\"x\"}");
}

TEST(ProgramContractErrors, NegativeSizes) {
  EXPECT_EQ(edited_error("TENSORS",
                         [](json& j) {
                           j[0]["shape"] = {1, -8};
                         }),
            "p.bpu: TENSORS[0].shape: expected an array of non-negative integers, got [1,-8]");
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[0]["ddr_addr"] = -64; }),
            "p.bpu: TENSORS[0].ddr_addr: expected a non-negative integer, got -64");
  EXPECT_EQ(edited_error("LAYERS", [](json& j) { j[0]["inputs"][0][2] = -1; }),
            "p.bpu: LAYERS[0].inputs[0]: expected an array of non-negative integers, got "
            "[1,3,-1,8]");
}

TEST(ProgramContractErrors, UnknownNames) {
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[0]["role"] = "weights"; }),
            "p.bpu: TENSORS[0].role: expected one of \"input\", \"output\", \"internal\", "
            "\"constant\", got \"weights\"");
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[0]["dtype"] = "uint9"; }),
            "p.bpu: TENSORS[0].dtype: expected one of \"uint8\", \"int8\", \"int32\", \"int64\", "
            "\"float32\", got \"uint9\"");
  EXPECT_EQ(edited_error("SEGMENTS", [](json& j) { j[0]["kind"] = "gpu"; }),
            "p.bpu: SEGMENTS[0].kind: expected one of \"bpu\", \"host\", got \"gpu\"");
  const std::string op = edited_error("SEGMENTS", [](json& j) { j[1]["ops"][0]["op"] = "Frob"; });
  EXPECT_THAT(op, HasSubstr("p.bpu: SEGMENTS[1].ops[0].op: expected one of \"Add\", \"ArgMax\""));
  EXPECT_THAT(op, HasSubstr(", got \"Frob\""));
  // A key the contract does not define (a typo) is refused, not ignored.
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[0]["pixel_strid"] = 4; }),
            "p.bpu: TENSORS[0].pixel_strid: unknown field of TensorDesc (its fields: name, role, "
            "dtype, ir_dtype, shape, layout, nchw, ddr_addr, bytes, view_of, pixel_stride, "
            "quant, overwritten), got 4");
  // A known field where it does not belong.
  EXPECT_EQ(edited_error("TENSORS",
                         [](json& j) {
                           j[0]["nchw"] = {1, 8, 1, 1};
                         }),
            "p.bpu: TENSORS[0].nchw: only allowed when `layout` is `nhwc`, got [1,8,1,1]");
  EXPECT_EQ(edited_error("SEGMENTS",
                         [](json& j) {
                           j[1]["code"] = {0, 1};
                         }),
            "p.bpu: SEGMENTS[1].code: only allowed when `kind` is `bpu`, got [0,1]");
}

TEST(ProgramContractErrors, InconsistentFields) {
  EXPECT_EQ(edited_error("TENSORS",
                         [](json& j) {
                           j[1]["nchw"] = {1, 4, 2, 2};
                         }),
            "p.bpu: TENSORS[1].nchw: expected as many elements as shape [1, 4, 2, 3], got "
            "[1,4,2,2]");
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[1]["quant"]["axis"] = 2; }),
            "p.bpu: TENSORS[1].quant: 4 scales do not match axis 2 of shape [1, 4, 2, 3]");
  EXPECT_EQ(edited_error("TENSORS", [](json& j) { j[0]["quant"]["zero_point"] = json::array(); }),
            "p.bpu: TENSORS[0].quant.zero_point: expected 1 entries (one per scale), got []");
}

TEST(ProgramContractErrors, CodeRanges) {
  EXPECT_EQ(edited_error("SEGMENTS",
                         [](json& j) {
                           j[0]["code"] = {0, 99};
                         }),
            "p.bpu: SEGMENTS[0].code: [0, 99) is outside CODE (3 instructions)");
  EXPECT_EQ(edited_error("LAYERS",
                         [](json& j) {
                           j[0]["code"] = {2, 4};
                         }),
            "p.bpu: LAYERS[0].code: [2, 4) is outside CODE (3 instructions)");
  EXPECT_EQ(edited_error("LAYERS",
                         [](json& j) {
                           j[0]["code"] = {2, 1};
                         }),
            "p.bpu: LAYERS[0].code: expected [first, end): two non-negative integers, first <= "
            "end (CODE indices), got [2,1]");
  Program p = example_program();  // built in memory: check_program says the same
  p.segments[0].code = {1, 5};
  EXPECT_EQ(error_message([&] { check_program(p, "mem"); }),
            "mem: SEGMENTS[0].code: [1, 5) is outside CODE (3 instructions)");
}

TEST(ProgramContractErrors, OldVersionIsRefusedWithARequestToRecompile) {
  Container c = to_container(example_program());
  c.major = 1;
  const std::string e = error_message([&] { read_program(write_container(c), "old.bpu"); });
  EXPECT_THAT(e, HasSubstr("old.bpu: unsupported version 1.0 (this bpusim reads 2.0 to 2.0)"));
  EXPECT_THAT(e, HasSubstr("written by an older bpusim"));
  EXPECT_THAT(e, HasSubstr("recompile it with this bpusim"));
}

// ---- docs/isa.md embeds contract_reference()

constexpr std::string_view kBegin = "<!-- BEGIN GENERATED: isa::contract_reference() -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED: isa::contract_reference() -->\n";

TEST(ProgramContractDoc, DocsEmbedTheGeneratedTables) {
  const std::string path = testing::source_dir() + "/docs/isa.md";
  std::string doc = testing::read_text(path);
  const size_t begin = doc.find(kBegin), end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << path << " lacks the marker " << kBegin;
  ASSERT_NE(end, std::string::npos) << path << " lacks the marker " << kEnd;
  ASSERT_LT(begin, end);
  const size_t body = begin + kBegin.size();
  std::string want(1, '\n');
  want += contract_reference();
  want += '\n';
  if (std::getenv("BPUSIM_UPDATE_DOCS")) {
    doc.replace(body, end - body, want);
    std::ofstream(path, std::ios::binary) << doc;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(doc.substr(body, end - body), want)
      << path << " is out of date with isa/program_contract.cc; rerun this test with "
      << "BPUSIM_UPDATE_DOCS=1 and review the diff";
}

}  // namespace
}  // namespace bpusim::isa
