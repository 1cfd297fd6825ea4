#include "common/npy.h"

#include <array>
#include <charconv>
#include <fstream>
#include <iterator>
#include <regex>

namespace bpusim {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

struct Descr {
  DType type;
  std::string_view descr;
};
constexpr std::array<Descr, 5> kDescrs{{{DType::kU8, "|u1"},
                                        {DType::kI8, "|i1"},
                                        {DType::kI32, "<i4"},
                                        {DType::kI64, "<i8"},
                                        {DType::kF32, "<f4"}}};

DType dtype_from_descr(const std::string& descr, const std::string& name) {
  for (const auto& d : kDescrs)
    if (d.descr == descr) return d.type;
  fail(name, ": unsupported npy dtype '", descr,
       "' (supported: |u1 |i1 <i4 <i8 <f4, little-endian, C order)");
}

std::string_view descr_of(DType t) {
  for (const auto& d : kDescrs)
    if (d.type == t) return d.descr;
  return "";
}

// A field of the header dict, 'KEY': VALUE, with VALUE's part of interest captured. The regexes
// are compiled once, at first use: building one costs far more than running it.
struct HeaderField {
  std::string key;
  std::regex pattern;
  HeaderField(const std::string& k, const std::string& value_pattern)
      : key(k), pattern("'" + k + "'\\s*:\\s*" + value_pattern) {}
};

// The field's value in `header`, e.g. 'descr': '<f4' -> <f4.
std::string header_field(const std::string& header, const HeaderField& field,
                         const std::string& name) {
  std::smatch m;
  require(std::regex_search(header, m, field.pattern), name, ": npy header has no valid '",
          field.key, "' field: ", header);
  return m[1].str();
}

Shape parse_shape(const std::string& text, const std::string& name) {
  static const std::regex dim("\\s*(\\d+)\\s*(,|$)");
  static const std::regex separators("[\\s,]");
  static const std::regex non_digits("[^0-9]");
  Shape shape;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), dim); it != std::sregex_iterator();
       ++it) {
    const std::string digits = (*it)[1].str();
    int64_t d = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    require(ec == std::errc() && end == digits.data() + digits.size(), name, ": npy shape '(", text,
            ")' has dimension ", digits, ", which does not fit 64 bits");
    shape.push_back(d);
  }
  std::string stripped = std::regex_replace(text, separators, "");
  std::string digits = std::regex_replace(text, non_digits, "");
  require(stripped == digits, name, ": npy shape '(", text, ")' is not a tuple of integers");
  return shape;
}

}  // namespace

Tensor parse_npy(const std::string& bytes, const std::string& name) {
  require(bytes.size() >= 10 && bytes.compare(0, kMagic.size(), kMagic) == 0, name,
          ": not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  require(major >= 1 && major <= 3, name, ": unsupported npy format version ", major);
  const size_t len_bytes = major == 1 ? 2 : 4;
  require(bytes.size() >= 8 + len_bytes, name, ": truncated npy header");
  size_t header_len = 0;
  for (size_t i = 0; i < len_bytes; ++i)
    header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const size_t data_start = 8 + len_bytes + header_len;
  require(bytes.size() >= data_start, name, ": truncated npy header (", header_len,
          " bytes announced)");
  const std::string header = bytes.substr(8 + len_bytes, header_len);

  static const HeaderField descr("descr", "'([^']*)'");
  static const HeaderField fortran_order("fortran_order", "(True|False)");
  static const HeaderField shape_field("shape", "\\(([^)]*)\\)");
  const DType dtype = dtype_from_descr(header_field(header, descr, name), name);
  require(header_field(header, fortran_order, name) == "False", name,
          ": Fortran-ordered npy arrays are not supported");
  const Shape shape = parse_shape(header_field(header, shape_field, name), name);

  // Checked before allocating: the header may announce far more than the file holds.
  const auto want = static_cast<size_t>(tensor_bytes(shape, dtype, name));
  require(bytes.size() - data_start == want, name, ": npy data has ", bytes.size() - data_start,
          " bytes, shape ", shape_str(shape), " of ", dtype_name(dtype), " needs ", want);
  Tensor t(dtype, shape);
  if (want > 0) std::memcpy(t.bytes().data(), bytes.data() + data_start, want);
  return t;
}

std::string serialize_npy(const Tensor& tensor) {
  std::string shape;
  for (size_t i = 0; i < tensor.rank(); ++i)
    shape += (i ? ", " : "") + std::to_string(tensor.dim(i));
  if (tensor.rank() == 1) shape += ",";  // a one-element tuple: "(3,)"
  std::string header = "{'descr': '" + std::string(descr_of(tensor.dtype())) +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Pad with spaces so that the data starts on a 64-byte boundary, newline-terminated.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(tensor.bytes().data()), tensor.bytes().size());
  return out;
}

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  require(in.good(), path, ": cannot open for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_npy(bytes, path);
}

void write_npy(const std::string& path, const Tensor& tensor) {
  std::ofstream out(path, std::ios::binary);
  require(out.good(), path, ": cannot open for writing");
  const std::string bytes = serialize_npy(tensor);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  require(out.good(), path, ": write failed");
}

}  // namespace bpusim
