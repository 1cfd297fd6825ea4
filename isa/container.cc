#include "isa/container.h"

#include <zlib.h>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <sstream>

#include "common/error.h"
#include "isa/little_endian.h"
#include "isa/param_record.h"

namespace bpusim::isa {
namespace {

struct SectionInfo {
  SectionType type;
  std::string_view name;
};
constexpr std::array<SectionInfo, 7> kSections{{{SectionType::kCode, "CODE"},
                                                {SectionType::kWeights, "WEIGHTS"},
                                                {SectionType::kParams, "PARAMS"},
                                                {SectionType::kTensors, "TENSORS"},
                                                {SectionType::kSegments, "SEGMENTS"},
                                                {SectionType::kHwConfig, "HWCONFIG"},
                                                {SectionType::kLayers, "LAYERS"}}};

// CRC-32 (IEEE 802.3, as zlib and PNG): zlib's, several times faster than a byte-table CRC on
// the megabytes of weights every program load checks. zlib takes 32-bit lengths: 1 GiB pieces.
uint32_t crc32(std::span<const uint8_t> bytes) {
  constexpr size_t kPiece = size_t{1} << 30;
  uLong crc = ::crc32(0L, Z_NULL, 0);
  for (size_t at = 0; at < bytes.size(); at += kPiece)
    crc = ::crc32(crc, bytes.data() + at, static_cast<uInt>(std::min(kPiece, bytes.size() - at)));
  return static_cast<uint32_t>(crc);
}

uint64_t align_up(uint64_t n) {
  return (n + kPayloadAlignment - 1) / kPayloadAlignment * kPayloadAlignment;
}

std::string hex(uint64_t v) {
  return cat("0x", std::hex, std::setw(8), std::setfill('0'), v);
}

std::string hex_bytes(std::span<const uint8_t> bytes) {
  std::ostringstream out;
  for (size_t i = 0; i < bytes.size(); ++i)
    out << (i ? " " : "") << std::hex << std::setw(2) << std::setfill('0') << int{bytes[i]};
  return out.str();
}

std::string type_name(SectionType type) {
  const std::string_view n = section_name(type);
  return n.empty() ? cat("type ", static_cast<uint32_t>(type)) : std::string(n);
}

// A DdrBlob section: u64 DDR base, then the bytes.
std::vector<uint8_t> blob_payload(const DdrBlob& blob) {
  std::vector<uint8_t> out(8 + blob.bytes.size());
  put_le<uint64_t>(out.data(), blob.ddr_base);
  std::copy(blob.bytes.begin(), blob.bytes.end(), out.begin() + 8);
  return out;
}

DdrBlob parse_blob(const Section& s, const std::string& where) {
  require(s.payload.size() >= 8, where, ": truncated section: ", s.payload.size(),
          " bytes, needs at least the 8-byte DDR base address");
  return {get_le<uint64_t>(s.payload.data()), {s.payload.begin() + 8, s.payload.end()}};
}

std::vector<Instruction> parse_code(const Section& s, const std::string& where) {
  require(s.payload.size() % kInstructionBytes == 0, where,
          ": truncated section: ", s.payload.size(), " bytes is not a whole number of ",
          kInstructionBytes, "-byte instructions");
  std::vector<Instruction> code;
  for (size_t i = 0; i < s.payload.size() / kInstructionBytes; ++i) {
    const auto bytes =
        std::span(s.payload).subspan(i * kInstructionBytes).first<kInstructionBytes>();
    try {
      code.push_back(Instruction::decode(bytes));
    } catch (const Error& e) {
      fail(where, ": instruction ", i, " (byte ", s.offset + i * kInstructionBytes,
           " of the file): ", e.what());
    }
  }
  return code;
}

Section json_section(SectionType type, const nlohmann::json& value) {
  const std::string text = value.dump();
  return {type, std::vector<uint8_t>(text.begin(), text.end())};
}

nlohmann::json parse_json(const Section& s, const std::string& where) {
  try {
    return nlohmann::json::parse(s.payload.begin(), s.payload.end());
  } catch (const nlohmann::json::exception& e) {
    fail(where, ": bad JSON: ", e.what());
  }
}

void check_code_range(const CodeRange& r, int64_t code_size, const std::string& where) {
  require(0 <= r.first && r.first <= r.end && r.end <= code_size, where, ": [", r.first, ", ",
          r.end, ") is outside CODE (", code_size, " instructions)");
}

}  // namespace

std::string_view section_name(SectionType type) {
  for (const SectionInfo& s : kSections)
    if (s.type == type) return s.name;
  return {};
}

std::vector<uint8_t> write_container(const Container& c) {
  uint64_t end = kHeaderBytes + kSectionEntryBytes * c.sections.size();
  std::vector<uint64_t> offsets;
  for (const Section& s : c.sections) {
    offsets.push_back(align_up(end));
    end = offsets.back() + s.payload.size();
  }
  std::vector<uint8_t> out(end + 4, 0);
  std::memcpy(out.data(), kMagic, sizeof kMagic);
  put_le<uint16_t>(&out[4], c.major);
  put_le<uint16_t>(&out[6], c.minor);
  put_le<uint32_t>(&out[8], c.hw_hash);
  put_le<uint32_t>(&out[12], static_cast<uint32_t>(c.sections.size()));
  put_le<uint64_t>(&out[16], out.size());
  for (size_t i = 0; i < c.sections.size(); ++i) {
    const Section& s = c.sections[i];
    uint8_t* entry = &out[kHeaderBytes + kSectionEntryBytes * i];
    put_le<uint32_t>(entry, static_cast<uint32_t>(s.type));
    put_le<uint32_t>(entry + 4, crc32(s.payload));
    put_le<uint64_t>(entry + 8, offsets[i]);
    put_le<uint64_t>(entry + 16, s.payload.size());
    std::copy(s.payload.begin(), s.payload.end(), out.begin() + static_cast<ptrdiff_t>(offsets[i]));
  }
  put_le<uint32_t>(&out[end], crc32(std::span(out).first(end)));
  return out;
}

Container read_container(std::span<const uint8_t> bytes, const std::string& source) {
  const uint64_t size = bytes.size();
  require(size >= sizeof kMagic, source, ": truncated file: ", size,
          " bytes, too short for the \"BPU\\0\" magic");
  require(std::memcmp(bytes.data(), kMagic, sizeof kMagic) == 0, source,
          ": wrong magic: expected 42 50 55 00 (\"BPU\\0\"), found ",
          hex_bytes(bytes.first(sizeof kMagic)), " — not a .bpu program");
  require(size >= kHeaderBytes, source, ": truncated file: ", size, " bytes, the header needs ",
          kHeaderBytes);
  Container c;
  c.major = get_le<uint16_t>(&bytes[4]);
  c.minor = get_le<uint16_t>(&bytes[6]);
  if (c.major != kVersionMajor || c.minor > kVersionMinor) {
    const bool older = c.major < kVersionMajor;
    fail(source, ": unsupported version ", c.major, ".", c.minor, " (this bpusim reads ",
         kVersionMajor, ".0 to ", kVersionMajor, ".", kVersionMinor, "): ",
         older ? "the file was written by an older bpusim, before the typed program contract "
                 "(TENSORS, SEGMENTS, LAYERS); recompile it with this bpusim (bpusim compile, "
                 "or bpusim asm)"
               : "the file was written by a newer bpusim; run it with that bpusim or recompile "
                 "it with this one");
  }
  c.hw_hash = get_le<uint32_t>(&bytes[8]);
  const uint64_t count = get_le<uint32_t>(&bytes[12]);
  const uint64_t declared = get_le<uint64_t>(&bytes[16]);
  const uint64_t table_end = kHeaderBytes + kSectionEntryBytes * count;
  require(declared >= table_end + 4, source, ": corrupt header: file size ", declared,
          " cannot hold ", count, " section entries and the CRC");
  require(size >= declared, source, ": truncated file: the header says ", declared,
          " bytes, the file has ", size);
  require(size == declared, source, ": trailing bytes: the header says ", declared,
          " bytes, the file has ", size);
  const uint64_t crc_pos = declared - 4;
  const uint32_t stored = get_le<uint32_t>(&bytes[crc_pos]);
  const uint32_t computed = crc32(bytes.first(crc_pos));
  require(stored == computed, source, ": bad file CRC: stored ", hex(stored), ", computed ",
          hex(computed), " (the file is corrupt)");
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t* entry = &bytes[kHeaderBytes + kSectionEntryBytes * i];
    Section s{static_cast<SectionType>(get_le<uint32_t>(entry)), {}};
    s.crc = get_le<uint32_t>(entry + 4);
    s.offset = get_le<uint64_t>(entry + 8);
    const uint64_t length = get_le<uint64_t>(entry + 16);
    const std::string where = cat(source, ": section ", i, " (", type_name(s.type), ")");
    require(!section_name(s.type).empty(), where, ": unknown section type ",
            static_cast<uint32_t>(s.type));
    for (const Section& earlier : c.sections)
      require(earlier.type != s.type, where, ": duplicate section ", type_name(s.type));
    require(s.offset >= table_end && s.offset <= crc_pos && length <= crc_pos - s.offset, where,
            ": section out of bounds: offset ", s.offset, " size ", length,
            ", payloads must lie in [", table_end, ", ", crc_pos, ")");
    const auto payload = bytes.subspan(s.offset, length);
    require(crc32(payload) == s.crc, where, ": bad section CRC: stored ", hex(s.crc), ", computed ",
            hex(crc32(payload)));
    s.payload.assign(payload.begin(), payload.end());
    c.sections.push_back(std::move(s));
  }
  return c;
}

Container to_container(const Program& p) {
  Container c;
  c.hw_hash = p.hw_hash;
  std::vector<uint8_t> code;
  for (const Instruction& inst : p.code) {
    const auto bytes = inst.to_bytes();
    code.insert(code.end(), bytes.begin(), bytes.end());
  }
  c.sections.push_back({SectionType::kCode, std::move(code)});
  if (p.weights != DdrBlob{})
    c.sections.push_back({SectionType::kWeights, blob_payload(p.weights)});
  if (p.params != DdrBlob{}) c.sections.push_back({SectionType::kParams, blob_payload(p.params)});
  if (!p.tensors.empty()) c.sections.push_back(json_section(SectionType::kTensors, p.tensors));
  if (!p.segments.empty()) c.sections.push_back(json_section(SectionType::kSegments, p.segments));
  if (!p.hwconfig.is_null()) c.sections.push_back(json_section(SectionType::kHwConfig, p.hwconfig));
  if (!p.layers.empty()) c.sections.push_back(json_section(SectionType::kLayers, p.layers));
  return c;
}

Program from_container(const Container& c, const std::string& source) {
  Program p;
  p.hw_hash = c.hw_hash;
  for (const Section& s : c.sections) {
    const std::string where = cat(source, ": section ", type_name(s.type));
    switch (s.type) {
      case SectionType::kCode:
        p.code = parse_code(s, where);
        break;
      case SectionType::kWeights:
        p.weights = parse_blob(s, where);
        break;
      case SectionType::kParams:
        p.params = parse_blob(s, where);
        unpack_param_records(p.params.bytes, where);  // validates size and reserved bytes
        break;
      case SectionType::kTensors:
        p.tensors = read_section<TensorDesc>(parse_json(s, where), section_name(s.type), source);
        break;
      case SectionType::kSegments:
        p.segments = read_section<Segment>(parse_json(s, where), section_name(s.type), source);
        break;
      case SectionType::kHwConfig:
        p.hwconfig = parse_json(s, where);
        break;
      case SectionType::kLayers:
        p.layers = read_section<Layer>(parse_json(s, where), section_name(s.type), source);
        break;
      default:
        fail(where, ": unknown section type ", static_cast<uint32_t>(s.type));
    }
  }
  check_program(p, source);
  return p;
}

void check_program(const Program& p, const std::string& source) {
  const auto code_size = static_cast<int64_t>(p.code.size());
  for (size_t i = 0; i < p.segments.size(); ++i)
    if (p.segments[i].kind == SegmentKind::kBpu)
      check_code_range(p.segments[i].code, code_size, cat(source, ": SEGMENTS[", i, "].code"));
  for (size_t i = 0; i < p.layers.size(); ++i)
    check_code_range(p.layers[i].code, code_size, cat(source, ": LAYERS[", i, "].code"));
}

std::vector<uint8_t> write_program(const Program& p) {
  return write_container(to_container(p));
}

Program read_program(std::span<const uint8_t> bytes, const std::string& source) {
  return from_container(read_container(bytes, source), source);
}

void save_program(const Program& p, const std::string& path) {
  const std::vector<uint8_t> bytes = write_program(p);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  require(out.good(), path, ": cannot write the program");
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);  // opened at the end: its size
  require(in.good(), path, ": cannot open");
  const std::streamsize size = in.tellg();
  require(size >= 0, path, ": cannot tell its size (not a regular file?)");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  require(in.gcount() == size, path, ": read error after ", in.gcount(), " of ", size, " bytes");
  return bytes;
}

Program load_program(const std::string& path) {
  return read_program(read_file_bytes(path), path);
}

}  // namespace bpusim::isa
