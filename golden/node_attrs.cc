#include "golden/node_attrs.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "common/error.h"

namespace bpusim::golden {
namespace {

template <size_t N>
std::array<int64_t, N> fixed_ints(const ir::Node& n, const char* key, int64_t fallback) {
  const std::vector<int64_t> v = n.attr_ints(key, std::vector<int64_t>(N, fallback));
  require(v.size() == N, n.describe(), ": attribute '", key, "' must have ", N,
          " entries (2-D op), got ", v.size());
  std::array<int64_t, N> out{};
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

// auto_pad: explicit pads (NOTSET) or none (VALID) only.
void check_auto_pad(const ir::Node& n) {
  const std::string mode = n.attr_string("auto_pad", "NOTSET");
  require(mode == "NOTSET" || mode == "VALID", n.describe(),
          ": unsupported attribute value auto_pad=", mode,
          " (only NOTSET and VALID; pads must be explicit)");
  if (mode == "VALID")
    for (int64_t p : fixed_ints<4>(n, "pads", 0))
      require(p == 0, n.describe(), ": auto_pad=VALID with non-zero pads");
}

}  // namespace

int32_t int32_attr(const ir::Node& n, const char* key, int64_t fallback) {
  const int64_t v = n.attr_int(key, fallback);
  require(v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max(),
          n.describe(), ": attribute '", key, "' value ", v, " does not fit int32");
  return static_cast<int32_t>(v);
}

Conv2dGeometry conv_geometry(const ir::Node& n) {
  check_auto_pad(n);
  Conv2dGeometry g;
  g.strides = fixed_ints<2>(n, "strides", 1);
  g.pads = fixed_ints<4>(n, "pads", 0);
  g.dilations = fixed_ints<2>(n, "dilations", 1);
  g.group = n.attr_int("group", 1);
  return g;
}

PoolGeometry pool_geometry(const ir::Node& n) {
  check_auto_pad(n);
  require(n.has_attr("kernel_shape"), n.describe(), ": missing required attribute 'kernel_shape'");
  PoolGeometry g;
  g.kernel = fixed_ints<2>(n, "kernel_shape", 1);
  g.strides = fixed_ints<2>(n, "strides", 1);
  g.pads = fixed_ints<4>(n, "pads", 0);
  g.dilations = fixed_ints<2>(n, "dilations", 1);
  g.ceil_mode = n.attr_int("ceil_mode", 0) != 0;
  g.count_include_pad = n.attr_int("count_include_pad", 0) != 0;
  return g;
}

}  // namespace bpusim::golden
