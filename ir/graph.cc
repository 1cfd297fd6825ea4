#include "ir/graph.h"

#include <algorithm>
#include <set>

#include "common/error.h"

namespace bpusim::ir {
namespace {

template <class T>
const T* get_attr(const Node& n, const std::string& key, const char* type_name) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return nullptr;
  const T* v = std::get_if<T>(&it->second);
  require(v != nullptr, n.describe(), ": attribute '", key, "' is not of type ", type_name);
  return v;
}

}  // namespace

std::string Node::describe() const {
  return "node '" + name + "' (" + op + ")";
}

int64_t Node::attr_int(const std::string& key) const {
  const int64_t* v = get_attr<int64_t>(*this, key, "int");
  require(v != nullptr, describe(), ": missing required attribute '", key, "'");
  return *v;
}

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  const int64_t* v = get_attr<int64_t>(*this, key, "int");
  return v ? *v : fallback;
}

float Node::attr_float(const std::string& key, float fallback) const {
  const float* v = get_attr<float>(*this, key, "float");
  return v ? *v : fallback;
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  const std::string* v = get_attr<std::string>(*this, key, "string");
  return v ? *v : fallback;
}

std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
  const auto* v = get_attr<std::vector<int64_t>>(*this, key, "ints");
  return v ? *v : fallback;
}

std::vector<float> Node::attr_floats(const std::string& key, std::vector<float> fallback) const {
  const auto* v = get_attr<std::vector<float>>(*this, key, "floats");
  return v ? *v : fallback;
}

ValueId Graph::add_value(Value v) {
  values.push_back(std::move(v));
  return static_cast<ValueId>(values.size() - 1);
}

ValueId Graph::find(const std::string& name) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == name) return static_cast<ValueId>(i);
  return kNoValue;
}

int Graph::producer(ValueId id) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (std::find(nodes[i].outputs.begin(), nodes[i].outputs.end(), id) != nodes[i].outputs.end())
      return static_cast<int>(i);
  return -1;
}

std::vector<int> Graph::consumers(ValueId id) const {
  std::vector<int> out;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (std::find(nodes[i].inputs.begin(), nodes[i].inputs.end(), id) != nodes[i].inputs.end())
      out.push_back(static_cast<int>(i));
  return out;
}

void Graph::prune() {
  // Mark live values backwards from the outputs.
  std::set<ValueId> live(outputs.begin(), outputs.end());
  std::vector<bool> keep(nodes.size(), false);
  for (size_t k = nodes.size(); k-- > 0;) {
    const Node& n = nodes[k];
    keep[k] = std::any_of(n.outputs.begin(), n.outputs.end(),
                          [&](ValueId o) { return live.count(o) != 0; });
    if (keep[k]) live.insert(n.inputs.begin(), n.inputs.end());
  }
  std::vector<Node> kept;
  for (size_t k = 0; k < nodes.size(); ++k)
    if (keep[k]) kept.push_back(std::move(nodes[k]));
  nodes = std::move(kept);
  live.insert(inputs.begin(), inputs.end());
  for (const Node& n : nodes) live.insert(n.outputs.begin(), n.outputs.end());
  live.erase(kNoValue);

  // Compact the value table and remap every reference.
  std::vector<ValueId> remap(values.size(), kNoValue);
  std::vector<Value> compact;
  for (ValueId id : live) {
    remap[id] = static_cast<ValueId>(compact.size());
    compact.push_back(std::move(values[id]));
  }
  values = std::move(compact);
  auto fix = [&](std::vector<ValueId>& ids) {
    for (ValueId& id : ids)
      if (id != kNoValue) id = remap[id];
  };
  fix(inputs);
  fix(outputs);
  for (Node& n : nodes) {
    fix(n.inputs);
    fix(n.outputs);
  }
}

void Graph::toposort() {
  std::vector<bool> ready(values.size(), false);
  for (ValueId id : inputs) ready[id] = true;
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].constant) ready[i] = true;
  std::vector<Node> sorted;
  std::vector<bool> done(nodes.size(), false);
  while (sorted.size() < nodes.size()) {
    bool progress = false;
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (done[k]) continue;
      const Node& n = nodes[k];
      if (!std::all_of(n.inputs.begin(), n.inputs.end(),
                       [&](ValueId id) { return id == kNoValue || ready[id]; }))
        continue;
      for (ValueId o : n.outputs) ready[o] = true;
      sorted.push_back(n);
      done[k] = true;
      progress = true;
    }
    if (!progress) fail_unsortable(done, ready);
  }
  nodes = std::move(sorted);
}

void Graph::fail_unsortable(const std::vector<bool>& done, const std::vector<bool>& ready) const {
  // The first input of node k that is not available yet.
  auto blocked_input = [&](size_t k) {
    for (ValueId id : nodes[k].inputs)
      if (id != kNoValue && !ready[id]) return id;
    return kNoValue;
  };
  // An input that nothing defines.
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (done[k]) continue;
    for (ValueId id : nodes[k].inputs)
      if (id != kNoValue && !ready[id] && producer(id) < 0)
        fail(nodes[k].describe(), ": input '", values[id].name,
             "' is never defined (no node, graph input or constant produces it)");
  }
  // Otherwise every waiting node waits for another waiting node: following them from any of
  // them reaches a node a second time, and that node lies on a cycle.
  size_t k = 0;
  while (done[k]) ++k;
  std::vector<bool> seen(nodes.size(), false);
  while (!seen[k]) {
    seen[k] = true;
    k = static_cast<size_t>(producer(blocked_input(k)));
  }
  const ValueId id = blocked_input(k);
  fail(nodes[k].describe(), ": input '", values[id].name, "' comes from ",
       nodes[producer(id)].describe(), ", which depends on this node's output (a cycle)");
}

}  // namespace bpusim::ir
