// The `.bpu` program container (byte layout in docs/isa.md, "Container"):
//   header  magic "BPU\0", u16 major, u16 minor, u32 hw-config hash, u32 section count,
//           u64 file size
//   table   per section: u32 type, u32 CRC-32 of the payload, u64 offset, u64 size
//   payloads, 8-byte aligned, zero padding between them
//   u32 CRC-32 (IEEE 802.3: zlib's crc32, equal to boost::crc_32_type) of every byte before it
// Two layers: Container is the raw header + sections (used by `bpusim disasm` for its summary
// and by tests to craft malformed files); Program is the typed content the compiler writes and
// the simulator runs. Every malformed input is a bpusim::Error that starts with the source name
// and says which check failed (wrong magic, unsupported version, truncated file, trailing
// bytes, bad file CRC, unknown section, duplicate section, section out of bounds, bad section
// CRC, truncated section, unknown opcode / reserved bits / illegal token in CODE, bad JSON,
// a TENSORS/SEGMENTS/LAYERS field that breaks the program contract, a code range outside CODE).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isa/isa.h"
#include "isa/program_contract.h"

namespace bpusim::isa {

inline constexpr char kMagic[4] = {'B', 'P', 'U', '\0'};
// 2.0: TENSORS, SEGMENTS and LAYERS follow the typed program contract (program_contract.h);
// 1.x files carried untyped JSON and are refused with a request to recompile.
inline constexpr uint16_t kVersionMajor = 2;
inline constexpr uint16_t kVersionMinor = 0;
inline constexpr size_t kHeaderBytes = 24;
inline constexpr size_t kSectionEntryBytes = 24;
inline constexpr size_t kPayloadAlignment = 8;

enum class SectionType : uint32_t {
  kCode = 1,      // instructions, 32 bytes each
  kWeights = 2,   // u64 DDR base, then the bytes placed there
  kParams = 3,    // u64 DDR base, then 64-byte parameter records
  kTensors = 4,   // JSON array of TensorDesc (program_contract.h)
  kSegments = 5,  // JSON array of Segment
  kHwConfig = 6,  // JSON object: HwConfig::to_json()
  kLayers = 7,    // JSON array of Layer
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
  // The JSON sections (optional: empty / null = absent).
  std::vector<TensorDesc> tensors;  // TENSORS
  std::vector<Segment> segments;    // SEGMENTS, in execution order; absent: one BPU segment
                                    // over all of CODE
  nlohmann::json hwconfig;          // HWCONFIG: HwConfig::to_json() of the configuration
  std::vector<Layer> layers;        // LAYERS
  bool operator==(const Program&) const = default;
};

// CODE is always written; WEIGHTS/PARAMS when they have bytes or a nonzero base; the JSON
// sections when not empty (HWCONFIG: not null).
Container to_container(const Program& p);
// Also checks the program (check_program).
Program from_container(const Container& c, const std::string& source);

// What holds across sections: every code range of SEGMENTS and LAYERS lies in CODE. Error
// "<source>: SEGMENTS[2].code: [5, 99) is outside CODE (40 instructions)".
void check_program(const Program& p, const std::string& source);

std::vector<uint8_t> write_program(const Program& p);
Program read_program(std::span<const uint8_t> bytes, const std::string& source);
void save_program(const Program& p, const std::string& path);
Program load_program(const std::string& path);
// The whole file as bytes; Error naming `path` when it cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace bpusim::isa
