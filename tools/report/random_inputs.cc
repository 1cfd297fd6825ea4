#include "tools/report/random_inputs.h"

#include <random>

namespace bpusim::report {

namespace {

// Uniform integer in [lo, hi] from one 32-bit draw (portable, unlike
// std::uniform_int_distribution whose algorithm is implementation-defined).
int64_t draw(std::mt19937& rng, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

Tensor random_tensor(DType dtype, const Shape& shape, std::mt19937& rng) {
  Tensor t(dtype, shape);
  switch (dtype) {
    case DType::kF32:
      for (float& v : t.values<float>())
        v = static_cast<float>(draw(rng, -1 << 16, 1 << 16)) / static_cast<float>(1 << 16);
      break;
    case DType::kU8:
      for (uint8_t& v : t.values<uint8_t>()) v = static_cast<uint8_t>(draw(rng, 0, 255));
      break;
    case DType::kI8:
      for (int8_t& v : t.values<int8_t>()) v = static_cast<int8_t>(draw(rng, -128, 127));
      break;
    case DType::kI32:
      for (int32_t& v : t.values<int32_t>()) v = static_cast<int32_t>(draw(rng, -8, 8));
      break;
    case DType::kI64:
      for (int64_t& v : t.values<int64_t>()) v = draw(rng, -8, 8);
      break;
  }
  return t;
}

}  // namespace

std::map<std::string, Tensor> random_inputs(const isa::Program& program, uint32_t seed) {
  std::map<std::string, Tensor> out;
  std::mt19937 rng(seed);
  for (const isa::TensorDesc& d : program.tensors)
    if (d.role == isa::TensorRole::kInput) out[d.name] = random_tensor(d.dtype, d.shape, rng);
  return out;
}

}  // namespace bpusim::report
