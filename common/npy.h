// NumPy .npy files (format versions 1.0 to 3.0, little-endian, C order) for the element
// types of Tensor. Errors name the file and the offending header field or size.
#pragma once

#include <string>

#include "common/tensor.h"

namespace bpusim {

Tensor read_npy(const std::string& path);
void write_npy(const std::string& path, const Tensor& tensor);

// In-memory forms of the same format (used by the two functions above and by tests).
Tensor parse_npy(const std::string& bytes, const std::string& name);
std::string serialize_npy(const Tensor& tensor);

}  // namespace bpusim
