// The `.bpu` program container (byte layout in docs/isa.md, "Container"):
//   header  magic "BPU\0", u16 major, u16 minor, u32 hw-config hash, u32 section count,
//           u64 file size
//   table   per section: u32 type, u32 CRC-32 of the payload, u64 offset, u64 size
//   payloads, 8-byte aligned, zero padding between them
//   u32 CRC-32 (boost::crc_32_type) of every byte before it
// Two layers: Container is the raw header + sections (used by `bpusim disasm` for its summary
// and by tests to craft malformed files); Program is the typed content the compiler writes and
// the simulator runs. Every malformed input is a bpusim::Error that starts with the source name
// and says which check failed (wrong magic, unsupported version, truncated file, trailing
// bytes, bad file CRC, unknown section, duplicate section, section out of bounds, bad section
// CRC, truncated section, unknown opcode / reserved bits / illegal token in CODE, bad JSON).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isa/isa.h"

namespace bpusim::isa {

inline constexpr char kMagic[4] = {'B', 'P', 'U', '\0'};
inline constexpr uint16_t kVersionMajor = 1;
inline constexpr uint16_t kVersionMinor = 0;
inline constexpr size_t kHeaderBytes = 24;
inline constexpr size_t kSectionEntryBytes = 24;
inline constexpr size_t kPayloadAlignment = 8;

enum class SectionType : uint32_t {
  kCode = 1,      // instructions, 32 bytes each
  kWeights = 2,   // u64 DDR base, then the bytes placed there
  kParams = 3,    // u64 DDR base, then 64-byte parameter records
  kTensors = 4,   // JSON
  kSegments = 5,  // JSON
  kHwConfig = 6,  // JSON
  kLayers = 7,    // JSON
};
// "CODE", "WEIGHTS", ...; "" for a type that is not defined.
std::string_view section_name(SectionType type);

struct Section {
  SectionType type;
  std::vector<uint8_t> payload;
  uint64_t offset = 0;  // set by read_container (ignored by write_container)
  uint32_t crc = 0;     // set by read_container (ignored by write_container)
};

struct Container {
  uint16_t major = kVersionMajor;
  uint16_t minor = kVersionMinor;
  uint32_t hw_hash = 0;
  std::vector<Section> sections;
};

// Lays the sections out in order and computes offsets, sizes and CRCs. Writes whatever
// version and types it is given (tests use that to craft bad files).
std::vector<uint8_t> write_container(const Container& c);
// Checks magic, version, sizes, the file CRC, each section's type, bounds and CRC.
Container read_container(std::span<const uint8_t> bytes, const std::string& source);

// A block of bytes that the runtime places at a DDR address before running the program.
struct DdrBlob {
  uint64_t ddr_base = 0;
  std::vector<uint8_t> bytes;
  bool operator==(const DdrBlob&) const = default;
};

struct Program {
  uint32_t hw_hash = 0;  // HwConfig::hash() of the configuration compiled for
  std::vector<Instruction> code;
  DdrBlob weights;
  DdrBlob params;  // whole 64-byte parameter records (isa/param_record.h)
  // JSON sections; null = absent (they are optional).
  nlohmann::json tensors;   // [{name, dtype, shape, ddr_addr, scale, zp, role}]
  nlohmann::json segments;  // [{kind: "bpu", code: [first, end)} | {kind: "host", ops: [...]}]
  nlohmann::json hwconfig;  // HwConfig::to_json() of the configuration compiled for
  nlohmann::json layers;    // [{name, op, code: [first, end), macs}]
  bool operator==(const Program&) const = default;
};

// CODE is always written; WEIGHTS/PARAMS when they have bytes or a nonzero base; JSON
// sections when not null.
Container to_container(const Program& p);
Program from_container(const Container& c, const std::string& source);

std::vector<uint8_t> write_program(const Program& p);
Program read_program(std::span<const uint8_t> bytes, const std::string& source);
void save_program(const Program& p, const std::string& path);
Program load_program(const std::string& path);
// The whole file as bytes; Error naming `path` when it cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace bpusim::isa
