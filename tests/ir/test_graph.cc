// ir::Graph and ir::Node: value table, producer/consumer queries, typed attributes, prune
// (what it keeps, how it renumbers values) and toposort (order, and the errors that name the
// node and the input for an undefined tensor or a cycle).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ir/graph.h"
#include "tests/support/test_util.h"

namespace bpusim::ir {
namespace {

using testing::error_message;

ValueId add(Graph& g, const std::string& name) {
  Value v;
  v.name = name;
  return g.add_value(std::move(v));
}

ValueId add_constant(Graph& g, const std::string& name) {
  Value v;
  v.name = name;
  v.constant = Tensor::from<float>({1}, {2.0f});
  return g.add_value(std::move(v));
}

Node node(const std::string& name, std::vector<ValueId> inputs, std::vector<ValueId> outputs,
          const std::string& op = "Relu") {
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  return n;
}

std::vector<std::string> node_names(const Graph& g) {
  std::vector<std::string> out;
  for (const Node& n : g.nodes) out.push_back(n.name);
  return out;
}

std::vector<std::string> value_names(const Graph& g) {
  std::vector<std::string> out;
  for (const Value& v : g.values) out.push_back(v.name);
  return out;
}

TEST(Graph, AddValueNumbersValuesInOrderAndFindLooksThemUpByName) {
  Graph g;
  EXPECT_EQ(add(g, "x"), 0);
  EXPECT_EQ(add(g, "t"), 1);
  EXPECT_EQ(add(g, "y"), 2);
  EXPECT_EQ(g.find("x"), 0);
  EXPECT_EQ(g.find("y"), 2);
  EXPECT_EQ(g.find("nope"), kNoValue);
  EXPECT_EQ(g.value(1).name, "t");
  g.value(1).dtype = DType::kU8;
  EXPECT_EQ(g.values[1].dtype, DType::kU8);
  EXPECT_THROW(g.value(3), std::out_of_range);
}

TEST(Graph, ProducerAndConsumers) {
  // x -> a -> t -> b -> y, and t -> c -> z.
  Graph g;
  const ValueId x = add(g, "x"), t = add(g, "t"), y = add(g, "y"), z = add(g, "z");
  g.inputs = {x};
  g.nodes = {node("a", {x}, {t}), node("b", {t}, {y}), node("c", {t, t}, {z})};
  EXPECT_EQ(g.producer(t), 0);
  EXPECT_EQ(g.producer(y), 1);
  EXPECT_EQ(g.producer(z), 2);
  EXPECT_EQ(g.producer(x), -1);  // a graph input
  EXPECT_EQ(g.consumers(x), std::vector<int>{0});
  EXPECT_EQ(g.consumers(t), (std::vector<int>{1, 2}));  // c reads t twice, listed once
  EXPECT_TRUE(g.consumers(y).empty());
}

TEST(Graph, NodeAttributesAreTypedAndErrorsNameNodeAndKey) {
  Node n = node("conv1", {}, {}, "QConv");
  n.attrs = {{"group", int64_t{4}},
             {"scale", 0.5f},
             {"mode", std::string("fixed")},
             {"pads", std::vector<int64_t>{1, 2, 3, 4}},
             {"scales", std::vector<float>{0.25f}}};
  EXPECT_EQ(n.describe(), "node 'conv1' (QConv)");
  EXPECT_TRUE(n.has_attr("group"));
  EXPECT_FALSE(n.has_attr("strides"));
  EXPECT_EQ(n.attr_int("group"), 4);
  EXPECT_EQ(n.attr_int("strides", 7), 7);
  EXPECT_EQ(n.attr_float("scale", 1.0f), 0.5f);
  EXPECT_EQ(n.attr_string("mode", ""), "fixed");
  EXPECT_EQ(n.attr_ints("pads", {}), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(n.attr_ints("dilations", {1, 1}), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(n.attr_floats("scales", {}), std::vector<float>{0.25f});
  EXPECT_EQ(error_message([&] { n.attr_int("axis"); }),
            "node 'conv1' (QConv): missing required attribute 'axis'");
  EXPECT_EQ(error_message([&] { n.attr_int("mode"); }),
            "node 'conv1' (QConv): attribute 'mode' is not of type int");
  EXPECT_EQ(error_message([&] { n.attr_string("group", ""); }),
            "node 'conv1' (QConv): attribute 'group' is not of type string");
  EXPECT_EQ(error_message([&] { n.attr_floats("pads", {}); }),
            "node 'conv1' (QConv): attribute 'pads' is not of type floats");
}

TEST(Graph, PruneDropsDeadNodesAndValuesAndRenumbersTheRest) {
  // x -> a -> t -> b -> y (output); dead_in -> d -> dead (nobody reads it);
  // t -> e -> unused (nobody reads it); c -> f -> y2 (output) with constant c and an absent
  // optional input.
  Graph g;
  const ValueId x = add(g, "x");              // 0
  const ValueId dead_in = add(g, "dead_in");  // 1
  const ValueId t = add(g, "t");              // 2
  const ValueId dead = add(g, "dead");        // 3
  const ValueId unused = add(g, "unused");    // 4
  const ValueId y = add(g, "y");              // 5
  const ValueId c = add_constant(g, "c");     // 6
  const ValueId y2 = add(g, "y2");            // 7
  g.inputs = {x};
  g.outputs = {y, y2};
  g.nodes = {node("a", {x}, {t}), node("d", {dead_in}, {dead}), node("e", {t}, {unused}),
             node("b", {t}, {y}), node("f", {c, kNoValue}, {y2})};
  g.prune();

  EXPECT_EQ(node_names(g), (std::vector<std::string>{"a", "b", "f"}));
  // The surviving values keep their relative order and are renumbered densely.
  EXPECT_EQ(value_names(g), (std::vector<std::string>{"x", "t", "y", "c", "y2"}));
  EXPECT_EQ(g.inputs, std::vector<ValueId>{0});
  EXPECT_EQ(g.outputs, (std::vector<ValueId>{2, 4}));
  EXPECT_EQ(g.nodes[0].inputs, std::vector<ValueId>{0});
  EXPECT_EQ(g.nodes[0].outputs, std::vector<ValueId>{1});
  EXPECT_EQ(g.nodes[1].inputs, std::vector<ValueId>{1});
  EXPECT_EQ(g.nodes[1].outputs, std::vector<ValueId>{2});
  EXPECT_EQ(g.nodes[2].inputs, (std::vector<ValueId>{3, kNoValue}));  // absent stays absent
  EXPECT_EQ(g.nodes[2].outputs, std::vector<ValueId>{4});
  ASSERT_TRUE(g.value(3).constant.has_value());
  EXPECT_EQ(g.value(3).constant->as_double(0), 2.0);
  EXPECT_EQ(g.find("dead"), kNoValue);
  EXPECT_EQ(g.find("unused"), kNoValue);
}

TEST(Graph, PruneKeepsAGraphInputNobodyReadsAndANodeWithOneLiveOutput) {
  Graph g;
  const ValueId x = add(g, "x"), spare = add(g, "spare"), y = add(g, "y"), aux = add(g, "aux");
  g.inputs = {x, spare};
  g.outputs = {y};
  g.nodes = {node("split", {x}, {aux, y}, "Split")};
  g.prune();
  EXPECT_EQ(node_names(g), std::vector<std::string>{"split"});
  EXPECT_EQ(value_names(g), (std::vector<std::string>{"x", "spare", "y", "aux"}));
  EXPECT_EQ(g.inputs, (std::vector<ValueId>{0, 1}));
  EXPECT_EQ(g.outputs, std::vector<ValueId>{2});
  EXPECT_EQ(g.nodes[0].outputs, (std::vector<ValueId>{3, 2}));
}

TEST(Graph, ToposortOrdersNodesAfterTheirInputs) {
  // Given in reverse: c reads b's and a's outputs, b reads a's output and a constant.
  Graph g;
  const ValueId x = add(g, "x"), k = add_constant(g, "k");
  const ValueId ta = add(g, "ta"), tb = add(g, "tb"), y = add(g, "y");
  g.inputs = {x};
  g.outputs = {y};
  g.nodes = {node("c", {tb, ta}, {y}, "Add"), node("b", {ta, k, kNoValue}, {tb}, "Conv"),
             node("a", {x}, {ta})};
  g.toposort();
  EXPECT_EQ(node_names(g), (std::vector<std::string>{"a", "b", "c"}));
  // Already sorted graphs keep their order.
  g.toposort();
  EXPECT_EQ(node_names(g), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Graph, ToposortKeepsTheOrderOfIndependentNodes) {
  Graph g;
  const ValueId x = add(g, "x"), p = add(g, "p"), q = add(g, "q"), r = add(g, "r");
  g.inputs = {x};
  g.nodes = {node("q_node", {x}, {q}), node("r_node", {p}, {r}), node("p_node", {x}, {p})};
  g.toposort();
  EXPECT_EQ(node_names(g), (std::vector<std::string>{"q_node", "p_node", "r_node"}));
}

TEST(Graph, ToposortNamesTheNodeAndTheUndefinedInput) {
  Graph g;
  const ValueId x = add(g, "x"), ghost = add(g, "ghost"), t = add(g, "t"), y = add(g, "y");
  g.inputs = {x};
  g.nodes = {node("first", {x}, {t}), node("reader", {t, ghost}, {y}, "Add")};
  EXPECT_EQ(error_message([&] { g.toposort(); }),
            "node 'reader' (Add): input 'ghost' is never defined (no node, graph input or "
            "constant produces it)");
}

TEST(Graph, ToposortNamesANodeOnTheCycle) {
  // x -> head -> h; h and t2 -> a -> t1 -> b -> t2 (a and b form a cycle); t2 -> tail -> y.
  // tail comes first and waits on the cycle without being on it: the error names a or b.
  Graph g;
  const ValueId x = add(g, "x"), h = add(g, "h"), t1 = add(g, "t1"), t2 = add(g, "t2"),
                y = add(g, "y");
  g.inputs = {x};
  g.nodes = {node("tail", {t2}, {y}), node("head", {x}, {h}), node("a", {h, t2}, {t1}, "Add"),
             node("b", {t1}, {t2})};
  EXPECT_EQ(error_message([&] { g.toposort(); }),
            "node 'b' (Relu): input 't1' comes from node 'a' (Add), which depends on this "
            "node's output (a cycle)");
  // A node that reads its own output.
  Graph self;
  const ValueId s = add(self, "s");
  self.nodes = {node("loop", {s}, {s})};
  EXPECT_EQ(error_message([&] { self.toposort(); }),
            "node 'loop' (Relu): input 's' comes from node 'loop' (Relu), which depends on this "
            "node's output (a cycle)");
}

}  // namespace
}  // namespace bpusim::ir
