// ir/op_set.h: the op table, check_node's errors (each names the node, the field and the
// value), the requantizer attributes (set_requant/get_requant round trips, broadcasting,
// defaults) and every row of docs/requantizer.md section 8's validation table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ir/op_set.h"
#include "tests/support/test_util.h"

namespace bpusim::ir {
namespace {

using testing::error_message;
using ::testing::HasSubstr;
using Ints = std::vector<int64_t>;

Node make(const std::string& name, const std::string& op, size_t inputs, size_t outputs = 1) {
  Node n;
  n.name = name;
  n.op = op;
  for (size_t i = 0; i < inputs; ++i) n.inputs.push_back(static_cast<ValueId>(i));
  for (size_t i = 0; i < outputs; ++i) n.outputs.push_back(static_cast<ValueId>(inputs + i));
  return n;
}

// ---- the table and check_node ----

TEST(OpSet, NamesAreUniqueAndFindOpReturnsTheirDefinition) {
  std::set<std::string_view> names;
  for (const OpDef& d : op_set()) {
    EXPECT_TRUE(names.insert(d.name).second) << d.name;
    EXPECT_EQ(find_op(d.name), &d);
  }
  EXPECT_EQ(names.size(), 29u);
  EXPECT_EQ(find_op("QLinearConv"), nullptr);
  ASSERT_NE(find_op(op::kQConv), nullptr);
  EXPECT_EQ(find_op(op::kQConv)->group, OpGroup::kQuantized);
  EXPECT_EQ(find_op(op::kFlatten)->group, OpGroup::kAnyType);
  EXPECT_EQ(find_op(op::kRelu)->group, OpGroup::kFloat);
  EXPECT_EQ(attr_kind_name(AttrKind::kFloats), "floats");
}

TEST(OpSet, CheckNodeAcceptsAValidNode) {
  Node conv = make("conv", op::kQConv, 2);
  conv.attrs = {{"mode", std::string("fp32")},
                {"scale", std::vector<float>{0.5f}},
                {"pads", Ints{1, 1, 1, 1}},
                {"x_zero_point", int64_t{128}}};
  EXPECT_EQ(error_message([&] { check_node(conv); }), "");
  conv.inputs.push_back(2);  // the optional residual
  EXPECT_EQ(error_message([&] { check_node(conv); }), "");
}

TEST(OpSet, CheckNodeErrorsNameTheNodeTheFieldAndTheValue) {
  EXPECT_EQ(error_message([] { check_node(make("f", "Frobnicate", 1)); }),
            "node 'f' (Frobnicate): unsupported op 'Frobnicate' (not in the canonical op set, "
            "ir/op_set.h)");
  EXPECT_EQ(error_message([] { check_node(make("r", op::kRelu, 2)); }),
            "node 'r' (Relu): has 2 inputs, expected 1");
  EXPECT_EQ(error_message([] { check_node(make("r", op::kRelu, 1, 0)); }),
            "node 'r' (Relu): has 0 outputs, expected 1");

  Node conv = make("conv", op::kQConv, 4);
  conv.attrs = {{"mode", std::string("fp32")}};
  EXPECT_EQ(error_message([&] { check_node(conv); }),
            "node 'conv' (QConv): has 4 inputs, expected 2 to 3");
  conv.inputs = {0, kNoValue};
  EXPECT_EQ(error_message([&] { check_node(conv); }),
            "node 'conv' (QConv): input 1 ('w') is required but absent");
  conv.inputs = {0, 1, kNoValue};  // an absent optional input is fine
  EXPECT_EQ(error_message([&] { check_node(conv); }), "");

  EXPECT_EQ(error_message([] { check_node(make("cat", op::kConcat, 0)); }),
            "node 'cat' (Concat): has 0 inputs, expected 1 or more");

  conv.attrs["frob"] = int64_t{1};
  EXPECT_EQ(error_message([&] { check_node(conv); }),
            "node 'conv' (QConv): unsupported attribute 'frob'");
  conv.attrs.erase("frob");
  conv.attrs["mode"] = int64_t{0};
  EXPECT_EQ(error_message([&] { check_node(conv); }),
            "node 'conv' (QConv): attribute 'mode' must be of type string");
  conv.attrs.erase("mode");
  EXPECT_EQ(error_message([&] { check_node(conv); }),
            "node 'conv' (QConv): missing required attribute 'mode'");
}

// ---- requantizer attributes ----

RequantChannel channel(int32_t bias, float scale, int32_t mult, int32_t shift, int32_t zp,
                       int32_t min, int32_t max, AddParams add = {}) {
  return {bias, scale, mult, shift, zp, min, max, add};
}

auto fields(const RequantChannel& c) {
  return std::make_tuple(c.bias, c.scale, c.mult, c.shift, c.zp, c.min, c.max, c.add.add_const,
                         c.add.add_mult_a, c.add.add_mult_b, c.add.add_shift, c.add.add_zp,
                         c.add.add_min, c.add.add_max);
}

TEST(Requant, Fp32WithStage2RoundTrips) {
  Node n = make("conv", op::kQConv, 3);
  Requant rq;
  rq.mode = Stage1Mode::kFp32;
  rq.out_dtype = DType::kU8;
  rq.has_add = true;
  rq.channels = {
      channel(-7, 0.125f, 0, 0, 3, 0, 200, {11, -12, 13, 31, 255, 0, 255}),
      channel(1 << 20, 3.5e-5f, 0, 0, 255, 10, 10, {0, 1 << 30, -(1 << 30), 0, 0, 5, 6})};
  set_requant(n, rq);
  EXPECT_EQ(n.attr_string("mode", ""), "fp32");
  EXPECT_EQ(n.attr_string("out_dtype", ""), "uint8");
  EXPECT_FALSE(n.has_attr("mult"));  // only the fields the mode uses
  EXPECT_FALSE(n.has_attr("shift"));
  EXPECT_EQ(n.attr_ints("add_mult_a", {}), (Ints{-12, 1 << 30}));
  EXPECT_EQ(error_message([&] { check_node(n); }), "");

  const Requant back = get_requant(n, 2, true);
  EXPECT_EQ(back.mode, Stage1Mode::kFp32);
  EXPECT_EQ(back.out_dtype, DType::kU8);
  EXPECT_TRUE(back.has_add);
  ASSERT_EQ(back.channels.size(), 2u);
  for (size_t c = 0; c < 2; ++c) EXPECT_EQ(fields(back.channels[c]), fields(rq.channels[c])) << c;
}

TEST(Requant, FixedAndInt32RoundTrip) {
  Node n = make("fc", op::kQMatMul, 2);
  Requant fixed;
  fixed.mode = Stage1Mode::kFixed;
  fixed.out_dtype = DType::kI8;
  fixed.channels = {channel(5, 0.0f, 1 << 30, 0, -128, -128, 127),
                    channel(-5, 0.0f, 0x7fffffff, 62, 127, -3, 100),
                    channel(0, 0.0f, 0, 31, 0, 0, 0)};
  set_requant(n, fixed);
  EXPECT_FALSE(n.has_attr("scale"));
  const Requant back = get_requant(n, 3, false);
  EXPECT_EQ(back.mode, Stage1Mode::kFixed);
  EXPECT_EQ(back.out_dtype, DType::kI8);
  EXPECT_FALSE(back.has_add);
  ASSERT_EQ(back.channels.size(), 3u);
  for (size_t c = 0; c < 3; ++c)
    EXPECT_EQ(fields(back.channels[c]), fields(fixed.channels[c])) << c;

  Node p = make("acc", op::kQConv, 2);
  Requant pass;
  pass.mode = Stage1Mode::kInt32;
  pass.out_dtype = DType::kI32;
  pass.channels = {channel(std::numeric_limits<int32_t>::min(), 0, 0, 0, 0, 0, 0),
                   channel(std::numeric_limits<int32_t>::max(), 0, 0, 0, 0, 0, 0)};
  set_requant(p, pass);
  // int32 pass-through stores the bias only.
  std::set<std::string> keys;
  for (const auto& [key, value] : p.attrs) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"bias", "mode", "out_dtype"}));
  const Requant pb = get_requant(p, 2, false);
  EXPECT_EQ(pb.mode, Stage1Mode::kInt32);
  EXPECT_EQ(pb.out_dtype, DType::kI32);
  EXPECT_EQ(pb.channels[0].bias, std::numeric_limits<int32_t>::min());
  EXPECT_EQ(pb.channels[1].bias, std::numeric_limits<int32_t>::max());
}

TEST(Requant, SingleEntriesBroadcastAndMissingFieldsTakeTheirDefaults) {
  Node n = make("conv", op::kQConv, 2);
  n.attrs = {{"mode", std::string("fp32")}, {"scale", std::vector<float>{0.25f}}};
  const Requant rq = get_requant(n, 3, false);
  EXPECT_EQ(rq.out_dtype, DType::kU8);  // default for fp32 / fixed
  ASSERT_EQ(rq.channels.size(), 3u);
  for (const RequantChannel& c : rq.channels)
    EXPECT_EQ(fields(c), fields(channel(0, 0.25f, 0, 0, 0, 0, 255)));

  n.attrs["out_dtype"] = std::string("int8");
  n.attrs["bias"] = Ints{9};
  const Requant i8 = get_requant(n, 2, false);
  EXPECT_EQ(fields(i8.channels[1]), fields(channel(9, 0.25f, 0, 0, 0, -128, 127)));

  Node pass = make("acc", op::kQConv, 2);
  pass.attrs = {{"mode", std::string("int32")}};
  EXPECT_EQ(get_requant(pass, 1, false).out_dtype, DType::kI32);  // default for int32
}

TEST(Requant, QAddStage2FieldsRoundTrip) {
  Node add = make("add", op::kQAdd, 2);
  const AddParams p{-40, 1 << 29, -(1 << 29), 31, -128, -100, 127};
  set_add_params(add, p);
  EXPECT_EQ(add.attr_ints("add_shift", {}), Ints{31});
  add.attrs["out_dtype"] = std::string("int8");
  EXPECT_EQ(error_message([&] { check_node(add); }), "");
  const AddParams back = get_add_params(add, DType::kI8);
  EXPECT_EQ(std::tie(back.add_const, back.add_mult_a, back.add_mult_b, back.add_shift, back.add_zp,
                     back.add_min, back.add_max),
            std::tie(p.add_const, p.add_mult_a, p.add_mult_b, p.add_shift, p.add_zp, p.add_min,
                     p.add_max));
  // The same fields read as uint8: add_zp -128 is outside its range.
  EXPECT_EQ(error_message([&] { get_add_params(add, DType::kU8); }),
            "node 'add' (QAdd): attribute 'add_zp' channel 0 value -128 is outside [0, 255]");
}

// docs/requantizer.md section 8, one case per rule: a valid two-channel node (fp32, uint8,
// with stage 2) with one field changed; the error names the node, the field, the channel and
// the value.
class RequantValidation : public ::testing::Test {
 protected:
  void SetUp() override {
    n_ = make("conv7", op::kQConv, 3);
    n_.attrs = {{"mode", std::string("fp32")},
                {"out_dtype", std::string("uint8")},
                {"bias", Ints{1, 2}},
                {"scale", std::vector<float>{0.5f, 0.25f}},
                {"zp", Ints{10}},
                {"min", Ints{0, 5}},
                {"max", Ints{255, 200}},
                {"add_const", Ints{0}},
                {"add_mult_a", Ints{1 << 20}},
                {"add_mult_b", Ints{1 << 21}},
                {"add_shift", Ints{20}},
                {"add_zp", Ints{3}},
                {"add_min", Ints{0}},
                {"add_max", Ints{255}}};
    ASSERT_EQ(error_message([&] { get_requant(n_, 2, true); }), "");
  }
  // The error of get_requant after setting `key` to `value`.
  template <class V>
  std::string with(const std::string& key, V value, bool has_add = true) {
    Node n = n_;
    n.attrs[key] = value;
    return error_message([&] { get_requant(n, 2, has_add); });
  }
  std::string without(const std::string& key, bool has_add = true) {
    Node n = n_;
    n.attrs.erase(key);
    return error_message([&] { get_requant(n, 2, has_add); });
  }
  std::string fixed_with(const std::string& key, Ints value) {
    Node n = n_;
    n.attrs.erase("scale");
    n.attrs["mode"] = std::string("fixed");
    n.attrs["mult"] = Ints{1 << 30};
    n.attrs["shift"] = Ints{40};
    n.attrs[key] = value;
    return error_message([&] { get_requant(n, 2, true); });
  }
  Node n_;
};

TEST_F(RequantValidation, Mode) {
  EXPECT_EQ(with("mode", std::string("fp16")),
            "node 'conv7' (QConv): attribute 'mode' value 'fp16' is not fp32, fixed or int32");
  EXPECT_EQ(without("mode"),
            "node 'conv7' (QConv): attribute 'mode' value '' is not fp32, fixed or int32");
}

TEST_F(RequantValidation, OutDTypeMustFitTheMode) {
  EXPECT_EQ(with("out_dtype", std::string("int32")),
            "node 'conv7' (QConv): out_dtype int32 does not fit mode fp32 (int32 output iff "
            "int32 pass-through)");
  EXPECT_EQ(with("out_dtype", std::string("float32")),
            "node 'conv7' (QConv): attribute 'out_dtype' value 'float32' is not uint8, int8 or "
            "int32");
  Node pass = make("acc", op::kQConv, 2);
  pass.attrs = {{"mode", std::string("int32")}, {"out_dtype", std::string("uint8")}};
  EXPECT_EQ(error_message([&] { get_requant(pass, 2, false); }),
            "node 'acc' (QConv): out_dtype uint8 does not fit mode int32 (int32 output iff int32 "
            "pass-through)");
  pass.attrs["out_dtype"] = std::string("int32");
  EXPECT_EQ(error_message([&] { get_requant(pass, 2, true); }),
            "node 'acc' (QConv): int32 pass-through cannot be followed by a fused add (stage 2)");
}

TEST_F(RequantValidation, BiasIsInt32) {
  EXPECT_EQ(with("bias", Ints{0, int64_t{1} << 31}),
            "node 'conv7' (QConv): attribute 'bias' channel 1 value 2147483648 is outside "
            "[-2147483648, 2147483647]");
  EXPECT_EQ(with("bias", Ints{-(int64_t{1} << 31) - 1}),
            "node 'conv7' (QConv): attribute 'bias' channel 0 value -2147483649 is outside "
            "[-2147483648, 2147483647]");
}

TEST_F(RequantValidation, ScaleIsFiniteAndPositive) {
  EXPECT_EQ(with("scale", std::vector<float>{0.5f, 0.0f}),
            "node 'conv7' (QConv): attribute 'scale' channel 1 value 0 must be finite and > 0");
  EXPECT_EQ(with("scale", std::vector<float>{-0.5f}),
            "node 'conv7' (QConv): attribute 'scale' channel 0 value -0.5 must be finite and > 0");
  EXPECT_THAT(with("scale", std::vector<float>{std::numeric_limits<float>::infinity()}),
              HasSubstr("attribute 'scale' channel 0 value inf must be finite and > 0"));
  EXPECT_THAT(with("scale", std::vector<float>{0.5f, std::nanf("")}),
              HasSubstr("attribute 'scale' channel 1 value nan must be finite and > 0"));
  EXPECT_EQ(without("scale"), "node 'conv7' (QConv): missing required attribute 'scale'");
}

TEST_F(RequantValidation, MultIsZeroOrAQ31Multiplier) {
  EXPECT_EQ(fixed_with("mult", Ints{0}), "");
  EXPECT_EQ(fixed_with("mult", Ints{(1 << 30) - 1}),
            "node 'conv7' (QConv): attribute 'mult' channel 0 value 1073741823 must be 0 or in "
            "[2^30, 2^31)");
  EXPECT_EQ(fixed_with("mult", Ints{1 << 30, int64_t{1} << 31}),
            "node 'conv7' (QConv): attribute 'mult' channel 1 value 2147483648 is outside [0, "
            "2147483647]");
  EXPECT_EQ(fixed_with("mult", Ints{-1}),
            "node 'conv7' (QConv): attribute 'mult' channel 0 value -1 is outside [0, 2147483647]");
}

TEST_F(RequantValidation, ShiftIsZeroTo62) {
  EXPECT_EQ(fixed_with("shift", Ints{0, 62}), "");
  EXPECT_EQ(fixed_with("shift", Ints{63}),
            "node 'conv7' (QConv): attribute 'shift' channel 0 value 63 is outside [0, 62]");
  EXPECT_EQ(fixed_with("shift", Ints{1, -1}),
            "node 'conv7' (QConv): attribute 'shift' channel 1 value -1 is outside [0, 62]");
  Node n = n_;
  n.attrs["mode"] = std::string("fixed");
  n.attrs["mult"] = Ints{1 << 30};
  EXPECT_EQ(error_message([&] { get_requant(n, 2, false); }),
            "node 'conv7' (QConv): missing required attribute 'shift'");
}

TEST_F(RequantValidation, ZeroPointAndClampAreInTheOutputRange) {
  EXPECT_EQ(with("zp", Ints{256}),
            "node 'conv7' (QConv): attribute 'zp' channel 0 value 256 is outside [0, 255]");
  EXPECT_EQ(with("min", Ints{0, -1}),
            "node 'conv7' (QConv): attribute 'min' channel 1 value -1 is outside [0, 255]");
  EXPECT_EQ(with("max", Ints{300}),
            "node 'conv7' (QConv): attribute 'max' channel 0 value 300 is outside [0, 255]");
  EXPECT_EQ(with("min", Ints{0, 201}), "node 'conv7' (QConv): channel 1 min 201 > max 200");
  // int8 output: [-128, 127].
  Node n = n_;
  n.attrs["out_dtype"] = std::string("int8");
  n.attrs["max"] = Ints{127, 128};
  n.attrs["add_max"] = Ints{127};
  EXPECT_EQ(error_message([&] { get_requant(n, 2, true); }),
            "node 'conv7' (QConv): attribute 'max' channel 1 value 128 is outside [-128, 127]");
}

TEST_F(RequantValidation, Stage2MultipliersAndConstantAreInt32) {
  for (const char* key : {"add_const", "add_mult_a", "add_mult_b"}) {
    EXPECT_EQ(with(key, Ints{int64_t{1} << 31}),
              cat("node 'conv7' (QConv): attribute '", key,
                  "' channel 0 value 2147483648 is outside [-2147483648, 2147483647]"));
    EXPECT_EQ(without(key), cat("node 'conv7' (QConv): missing required attribute '", key, "'"));
  }
  EXPECT_EQ(without("add_const", false), "");  // stage-2 fields are read only with stage 2
}

TEST_F(RequantValidation, Stage2ShiftIsZeroTo31) {
  EXPECT_EQ(with("add_shift", Ints{31}), "");
  EXPECT_EQ(with("add_shift", Ints{32}),
            "node 'conv7' (QConv): attribute 'add_shift' channel 0 value 32 is outside [0, 31]");
  EXPECT_EQ(with("add_shift", Ints{0, -1}),
            "node 'conv7' (QConv): attribute 'add_shift' channel 1 value -1 is outside [0, 31]");
}

TEST_F(RequantValidation, Stage2ZeroPointAndClampAreInTheOutputRange) {
  EXPECT_EQ(with("add_zp", Ints{-1}),
            "node 'conv7' (QConv): attribute 'add_zp' channel 0 value -1 is outside [0, 255]");
  EXPECT_EQ(with("add_min", Ints{256}),
            "node 'conv7' (QConv): attribute 'add_min' channel 0 value 256 is outside [0, 255]");
  EXPECT_EQ(with("add_max", Ints{255, 1000}),
            "node 'conv7' (QConv): attribute 'add_max' channel 1 value 1000 is outside [0, 255]");
  EXPECT_EQ(with("add_max", Ints{255, 99}), "");  // add_min 0 <= 99
  Node n = n_;
  n.attrs["add_min"] = Ints{50};
  n.attrs["add_max"] = Ints{60, 49};
  EXPECT_EQ(error_message([&] { get_requant(n, 2, true); }),
            "node 'conv7' (QConv): channel 1 add_min 50 > add_max 49");
}

TEST_F(RequantValidation, VectorsHaveOneEntryOrOnePerChannel) {
  EXPECT_EQ(with("zp", Ints{1, 2, 3}),
            "node 'conv7' (QConv): attribute 'zp' has 3 entries, expected 1 or 2");
  EXPECT_EQ(with("scale", std::vector<float>{1.0f, 2.0f, 3.0f}),
            "node 'conv7' (QConv): attribute 'scale' has 3 entries, expected 1 or 2");
  EXPECT_EQ(with("bias", Ints{}), "node 'conv7' (QConv): attribute 'bias' is empty");
  EXPECT_EQ(error_message([&] { get_requant(n_, 0, true); }),
            "node 'conv7' (QConv): requantizer needs at least one output channel");
}

TEST(IntegerRanges, DTypeMinAndMax) {
  EXPECT_EQ(dtype_min(DType::kU8), 0);
  EXPECT_EQ(dtype_max(DType::kU8), 255);
  EXPECT_EQ(dtype_min(DType::kI8), -128);
  EXPECT_EQ(dtype_max(DType::kI8), 127);
  EXPECT_EQ(dtype_min(DType::kI32), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(dtype_max(DType::kI32), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(dtype_max(DType::kI64), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(error_message([] { dtype_min(DType::kF32); }),
            "dtype_min: float32 is not an integer type");
  EXPECT_EQ(error_message([] { dtype_max(DType::kF32); }),
            "dtype_max: float32 is not an integer type");
}

}  // namespace
}  // namespace bpusim::ir
