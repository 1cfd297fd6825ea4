// Seeded random inputs for a program run without --input (profile, sweep): one tensor per
// TENSORS entry with role "input", in its dtype and shape. float32: uniform in [-1, 1] (the
// range of the default model's images); uint8/int8: uniform over the type; int32/int64:
// uniform in [-8, 8]. The same seed and program give the same tensors on every machine
// (std::mt19937 and explicit integer arithmetic, not std:: distributions).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/tensor.h"
#include "isa/container.h"

namespace bpusim::report {

std::map<std::string, Tensor> random_inputs(const isa::Program& program, uint32_t seed);

}  // namespace bpusim::report
