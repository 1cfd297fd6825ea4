// A dense, row-major (C-order) tensor of one element type. Data container only: it
// carries no arithmetic, so golden/, sim/ and rtl_ref/ can all use it and stay
// independent of each other's arithmetic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace bpusim {

enum class DType : uint8_t { kU8, kI8, kI32, kI64, kF32 };

// Bytes per element, readable name ("uint8", "int8", "int32", "int64", "float32").
size_t dtype_size(DType t);
std::string_view dtype_name(DType t);
// Inverse of dtype_name; throws Error naming `context` for an unknown name.
DType dtype_from_name(std::string_view name, std::string_view context);

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<uint8_t>() {
  return DType::kU8;
}
template <>
constexpr DType dtype_of<int8_t>() {
  return DType::kI8;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::kI32;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::kI64;
}
template <>
constexpr DType dtype_of<float>() {
  return DType::kF32;
}

using Shape = std::vector<int64_t>;

// Number of elements of a shape (1 for a scalar, shape {}); throws on a negative dim.
int64_t numel(const Shape& shape);
// Size arithmetic on dimensions that come from files (the one overflow-checked helper): a * b
// for a, b >= 0, or an Error naming `what` when the product exceeds int64.
int64_t checked_mul(int64_t a, int64_t b, const std::string& what);
// Bytes of a tensor of `shape` and `t` (overflow-checked; an Error naming `what`).
int64_t tensor_bytes(const Shape& shape, DType t, const std::string& what);
// "[1, 3, 8, 8]"
std::string shape_str(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // zero-filled

  template <class T>
  static Tensor from(Shape shape, const std::vector<T>& values) {
    Tensor t(dtype_of<T>(), std::move(shape));
    if (static_cast<int64_t>(values.size()) != t.numel())  // message built only on failure
      fail("Tensor::from: ", values.size(), " values for shape ", shape_str(t.shape()));
    if (!values.empty()) std::memcpy(t.bytes_.data(), values.data(), t.bytes_.size());
    return t;
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return numel_; }
  int64_t dim(size_t i) const { return shape_.at(i); }
  size_t rank() const { return shape_.size(); }

  // Typed views; the element type must match dtype() exactly (checked).
  template <class T>
  std::span<T> values() {
    check_type(dtype_of<T>());
    return {reinterpret_cast<T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }
  template <class T>
  std::span<const T> values() const {
    check_type(dtype_of<T>());
    return {reinterpret_cast<const T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }

  // Raw little-endian bytes of the elements.
  std::span<std::byte> bytes() { return bytes_; }
  std::span<const std::byte> bytes() const { return bytes_; }

  // Same data, new shape of the same element count.
  Tensor reshaped(Shape shape) const;

  // Element i converted to double / int64 (for comparisons and printing).
  double as_double(int64_t i) const;
  int64_t as_int(int64_t i) const;

  bool operator==(const Tensor& other) const = default;

 private:
  // Inline: typed views are taken in inner loops; the message is built only on a mismatch.
  void check_type(DType want) const {
    if (want != dtype_) type_mismatch(want);
  }
  [[noreturn]] void type_mismatch(DType want) const;

  DType dtype_ = DType::kF32;
  Shape shape_;
  int64_t numel_ = 1;  // of shape_, kept: loops ask for it on every iteration
  std::vector<std::byte> bytes_;
};

}  // namespace bpusim
