#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "common/npy.h"

namespace bpusim {
namespace {

TEST(Npy, RoundTripsEveryDtypeAndRank) {
  const std::vector<Shape> shapes{{}, {3}, {2, 3}, {1, 2, 3, 4}, {0, 5}};
  for (const Shape& shape : shapes) {
    Tensor u8(DType::kU8, shape), i8(DType::kI8, shape), i32(DType::kI32, shape);
    Tensor i64(DType::kI64, shape), f32(DType::kF32, shape);
    for (int64_t i = 0; i < u8.numel(); ++i) {
      u8.values<uint8_t>()[i] = static_cast<uint8_t>(255 - i);
      i8.values<int8_t>()[i] = static_cast<int8_t>(-128 + i);
      i32.values<int32_t>()[i] = static_cast<int32_t>(-2147483647 + i);
      i64.values<int64_t>()[i] = i * 1000000000000ll;
      f32.values<float>()[i] = 0.5f * static_cast<float>(i) - 1.25f;
    }
    for (const Tensor* t : {&u8, &i8, &i32, &i64, &f32}) {
      const std::string bytes = serialize_npy(*t);
      EXPECT_EQ(bytes.find('\n') + 1, bytes.size() - t->bytes().size());
      EXPECT_EQ((bytes.size() - t->bytes().size()) % 64, 0u) << "header not 64-byte aligned";
      EXPECT_EQ(parse_npy(bytes, "mem"), *t) << shape_str(shape);
    }
  }
}

TEST(Npy, HeaderMatchesNumpyConventions) {
  const std::string one_d = serialize_npy(Tensor(DType::kF32, {3}));
  EXPECT_NE(one_d.find("'shape': (3,)"), std::string::npos);
  const std::string scalar = serialize_npy(Tensor(DType::kI64, {}));
  EXPECT_NE(scalar.find("'shape': ()"), std::string::npos);
  EXPECT_NE(scalar.find("'descr': '<i8'"), std::string::npos);
}

std::string error_of(const std::string& bytes) {
  try {
    parse_npy(bytes, "x.npy");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Npy, MalformedInputsGiveSpecificErrors) {
  std::string good = serialize_npy(Tensor(DType::kF32, {2, 2}));
  EXPECT_NE(error_of("hello").find("bad magic"), std::string::npos);
  EXPECT_NE(error_of(good.substr(0, 12)).find("truncated npy header"), std::string::npos);
  EXPECT_NE(error_of(good.substr(0, good.size() - 1)).find("npy data has 15 bytes"),
            std::string::npos);
  std::string big_endian = good;
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  EXPECT_NE(error_of(big_endian).find("unsupported npy dtype '>f4'"), std::string::npos);
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_NE(error_of(fortran).find("Fortran"), std::string::npos);
  std::string bad_shape = good;
  bad_shape.replace(bad_shape.find("(2, 2)"), 6, "(2, x)");
  EXPECT_NE(error_of(bad_shape).find("not a tuple of integers"), std::string::npos);
  std::string version = good;
  version[6] = 9;
  EXPECT_NE(error_of(version).find("version 9"), std::string::npos);
  // A header announcing more than the file holds is refused before anything is allocated,
  // and a dimension or a size that does not fit 64 bits is an error, not a crash.
  std::string huge = good;
  huge.replace(huge.find("(2, 2)"), 6, "(99999999999, 2)");
  EXPECT_NE(error_of(huge).find("shape [99999999999, 2] of float32 needs 799999999992"),
            std::string::npos)
      << error_of(huge);
  std::string wide = good;
  wide.replace(wide.find("(2, 2)"), 6, "(99999999999999999999, 2)");
  EXPECT_NE(error_of(wide).find("has dimension 99999999999999999999, which does not fit 64 bits"),
            std::string::npos);
  std::string product = good;
  product.replace(product.find("(2, 2)"), 6, "(4294967296, 4294967296)");
  EXPECT_NE(error_of(product).find("overflows 64 bits"), std::string::npos) << error_of(product);
}

TEST(Npy, FileErrorsNameThePath) {
  try {
    read_npy("/nonexistent/dir/a.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/a.npy"), std::string::npos);
  }
  const auto path = std::filesystem::temp_directory_path() / "bpusim_npy_test.npy";
  const Tensor t = Tensor::from<int32_t>({2}, {7, -7});
  write_npy(path.string(), t);
  EXPECT_EQ(read_npy(path.string()), t);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace bpusim
