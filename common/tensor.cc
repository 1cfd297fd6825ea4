#include "common/tensor.h"

#include <array>

namespace bpusim {
namespace {

struct DTypeInfo {
  DType type;
  size_t size;
  std::string_view name;
};
constexpr std::array<DTypeInfo, 5> kDTypes{{
    {DType::kU8, 1, "uint8"},
    {DType::kI8, 1, "int8"},
    {DType::kI32, 4, "int32"},
    {DType::kI64, 8, "int64"},
    {DType::kF32, 4, "float32"},
}};

const DTypeInfo& info(DType t) {
  return kDTypes.at(static_cast<size_t>(t));
}

}  // namespace

size_t dtype_size(DType t) {
  return info(t).size;
}
std::string_view dtype_name(DType t) {
  return info(t).name;
}

DType dtype_from_name(std::string_view name, std::string_view context) {
  for (const auto& d : kDTypes)
    if (d.name == name) return d.type;
  fail(context, ": unknown element type '", name, "'");
}

int64_t checked_mul(int64_t a, int64_t b, const std::string& what) {
  int64_t product = 0;
  require(a >= 0 && b >= 0 && !__builtin_mul_overflow(a, b, &product), what, ": size ", a, " x ", b,
          " overflows 64 bits");
  return product;
}

namespace {

// start x the dimensions of `shape`. The product is computed first and the messages are built
// only when it fails (a negative dimension or 64-bit overflow): sizes are taken on every
// tensor operation, so building "shape [..]" eagerly would cost more than the arithmetic.
int64_t shape_product(const Shape& shape, int64_t start, const std::string& what) {
  int64_t n = start;
  bool ok = true;
  for (int64_t d : shape) ok = ok && d >= 0 && !__builtin_mul_overflow(n, d, &n);
  if (ok) return n;
  const std::string prefix = what.empty() ? "" : what + ": ";
  for (int64_t d : shape) require(d >= 0, prefix, "negative dimension in shape ", shape_str(shape));
  n = start;
  for (int64_t d : shape) n = checked_mul(n, d, prefix + "shape " + shape_str(shape));
  return n;
}

}  // namespace

int64_t numel(const Shape& shape) {
  return shape_product(shape, 1, "");
}

int64_t tensor_bytes(const Shape& shape, DType t, const std::string& what) {
  return shape_product(shape, static_cast<int64_t>(dtype_size(t)), what);
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor::Tensor(DType dtype, Shape shape)
    : dtype_(dtype),
      shape_(std::move(shape)),
      numel_(tensor_bytes(shape_, dtype, "tensor") / static_cast<int64_t>(dtype_size(dtype))),
      bytes_(static_cast<size_t>(numel_) * dtype_size(dtype)) {}

Tensor Tensor::reshaped(Shape shape) const {
  require(bpusim::numel(shape) == numel(), "cannot reshape ", shape_str(shape_), " to ",
          shape_str(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  t.numel_ = bpusim::numel(t.shape_);
  return t;
}

void Tensor::type_mismatch(DType want) const {
  fail("tensor of ", dtype_name(dtype_), " accessed as ", dtype_name(want));
}

double Tensor::as_double(int64_t i) const {
  switch (dtype_) {
    case DType::kU8:
      return values<uint8_t>()[i];
    case DType::kI8:
      return values<int8_t>()[i];
    case DType::kI32:
      return values<int32_t>()[i];
    case DType::kI64:
      return static_cast<double>(values<int64_t>()[i]);
    case DType::kF32:
      return values<float>()[i];
  }
  return 0;
}

int64_t Tensor::as_int(int64_t i) const {
  switch (dtype_) {
    case DType::kU8:
      return values<uint8_t>()[i];
    case DType::kI8:
      return values<int8_t>()[i];
    case DType::kI32:
      return values<int32_t>()[i];
    case DType::kI64:
      return values<int64_t>()[i];
    case DType::kF32:
      return static_cast<int64_t>(values<float>()[i]);
  }
  return 0;
}

}  // namespace bpusim
