// The .bpu container: write -> read round trip with every section, and one specific error per
// kind of malformed file, never a crash (also under random corruption).
#include <gtest/gtest.h>

#include <boost/crc.hpp>
#include <random>

#include "isa/container.h"
#include "isa/param_record.h"
#include "tests/isa/isa_test_util.h"
#include "tests/support/test_util.h"

namespace bpusim::isa {
namespace {

using testing::error_message;

// Little-endian access written out independently of isa/little_endian.h, from docs/isa.md's layout.
uint64_t load_le(const std::vector<uint8_t>& b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{b[at + i]} << (8 * i);
  return v;
}
void store_le(std::vector<uint8_t>& b, size_t at, int n, uint64_t v) {
  for (int i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t crc(const uint8_t* p, size_t n) {
  boost::crc_32_type c;
  c.process_bytes(p, n);
  return c.checksum();
}

// Recomputes every in-bounds section CRC and the file CRC, so that a test's deliberate damage
// reaches the check behind them.
void refresh_crcs(std::vector<uint8_t>& b) {
  const size_t count = load_le(b, 12, 4);
  for (size_t i = 0; i < count && 24 + 24 * (i + 1) <= b.size(); ++i) {
    const size_t entry = 24 + 24 * i;
    const uint64_t offset = load_le(b, entry + 8, 8), size = load_le(b, entry + 16, 8);
    if (offset <= b.size() && size <= b.size() - offset)
      store_le(b, entry + 4, 4, crc(b.data() + offset, size));
  }
  store_le(b, b.size() - 4, 4, crc(b.data(), b.size() - 4));
}

Program full_program() {
  std::mt19937_64 rng(99);
  Program p;
  p.hw_hash = 0xdeadbeef;
  for (const OpcodeDef& op : kOpcodeDefs)
    for (int i = 0; i < 3; ++i) p.code.push_back(random_instruction(op.opcode, rng));
  p.weights.ddr_base = 0x100000;
  for (int i = 0; i < 1001; ++i) p.weights.bytes.push_back(static_cast<uint8_t>(rng()));
  ParamRecord r;
  r.bias = -7;
  r.scale = 0.0123f;
  r.add_max = 127;
  p.params = {0x200000, pack(std::vector<ParamRecord>{r, ParamRecord{}, r})};
  TensorDesc x;
  x.name = "x";
  x.role = TensorRole::kInput;
  x.shape = x.nchw = {1, 16, 8, 8};
  x.layout = TensorLayout::kNhwc;
  x.ddr_addr = 65536;
  x.bytes = 1024;
  x.quant = Quantization{{0.5f}, {128}, -1};
  p.tensors = {x};
  p.segments = {{SegmentKind::kBpu, {0, static_cast<int64_t>(p.code.size())}, {"conv1"}, {}}};
  p.hwconfig = nlohmann::json::parse(R"({"mac.rows": 32})");
  Layer conv1;
  conv1.name = "conv1";
  conv1.op = "conv+relu";
  conv1.code = {0, 5};
  conv1.macs = 147456;
  p.layers = {conv1};
  return p;
}

std::string read_error(const std::vector<uint8_t>& bytes) {
  return error_message([&] { read_program(bytes, "p.bpu"); });
}

TEST(Container, RoundTripWithEverySection) {
  const Program p = full_program();
  const std::vector<uint8_t> bytes = write_program(p);
  const Program back = read_program(bytes, "mem");
  EXPECT_EQ(back, p);
  EXPECT_EQ(write_program(back), bytes) << "writing is deterministic";
  const Container c = read_container(bytes, "mem");
  EXPECT_EQ(c.sections.size(), 7u);
  for (const Section& s : c.sections) EXPECT_EQ(s.offset % kPayloadAlignment, 0u);
}

TEST(Container, EmptyProgramRoundTrips) {
  const Program p;
  const std::vector<uint8_t> bytes = write_program(p);
  EXPECT_EQ(bytes.size(), 24u + 24u + 4u);  // header, CODE entry (empty payload), CRC
  EXPECT_EQ(read_program(bytes, "mem"), p);
}

TEST(Container, HeaderLayoutIsAsDocumented) {
  const std::vector<uint8_t> b = write_program(full_program());
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), std::string("BPU\0", 4));
  EXPECT_EQ(load_le(b, 4, 2), kVersionMajor);
  EXPECT_EQ(load_le(b, 6, 2), kVersionMinor);
  EXPECT_EQ(load_le(b, 8, 4), 0xdeadbeefu);
  EXPECT_EQ(load_le(b, 12, 4), 7u);
  EXPECT_EQ(load_le(b, 16, 8), b.size());
  EXPECT_EQ(load_le(b, 24, 4), 1u);  // first entry: CODE
  EXPECT_EQ(load_le(b, 24 + 16, 8), full_program().code.size() * 32);
  EXPECT_EQ(load_le(b, b.size() - 4, 4), crc(b.data(), b.size() - 4));
}

TEST(ContainerErrors, TruncatedFile) {
  const std::vector<uint8_t> good = write_program(full_program());
  auto cut = [&](size_t n) { return std::vector<uint8_t>(good.begin(), good.begin() + n); };
  EXPECT_EQ(read_error(cut(2)),
            "p.bpu: truncated file: 2 bytes, too short for the \"BPU\\0\" magic");
  EXPECT_EQ(read_error(cut(10)), "p.bpu: truncated file: 10 bytes, the header needs 24");
  EXPECT_EQ(read_error(cut(good.size() - 1)),
            "p.bpu: truncated file: the header says " + std::to_string(good.size()) +
                " bytes, the file has " + std::to_string(good.size() - 1));
}

TEST(ContainerErrors, TrailingBytes) {
  std::vector<uint8_t> b = write_program(Program{});
  b.push_back(0);
  EXPECT_EQ(read_error(b), "p.bpu: trailing bytes: the header says 52 bytes, the file has 53");
}

TEST(ContainerErrors, WrongMagic) {
  std::vector<uint8_t> b = write_program(full_program());
  b[0] = 0x7f;
  b[1] = 'E';
  EXPECT_EQ(read_error(b),
            "p.bpu: wrong magic: expected 42 50 55 00 (\"BPU\\0\"), found 7f 45 55 00 — not a "
            ".bpu program");
}

TEST(ContainerErrors, UnsupportedVersion) {
  std::vector<uint8_t> b = write_program(full_program());
  store_le(b, 4, 2, 3);
  EXPECT_EQ(read_error(b),
            "p.bpu: unsupported version 3.0 (this bpusim reads 2.0 to 2.0): the file was written "
            "by a newer bpusim; run it with that bpusim or recompile it with this one");
  store_le(b, 4, 2, 2);
  store_le(b, 6, 2, 1);
  EXPECT_EQ(read_error(b).substr(0, 64),
            "p.bpu: unsupported version 2.1 (this bpusim reads 2.0 to 2.0): t");
  store_le(b, 4, 2, 1);
  store_le(b, 6, 2, 0);
  EXPECT_EQ(read_error(b),
            "p.bpu: unsupported version 1.0 (this bpusim reads 2.0 to 2.0): the file was written "
            "by an older bpusim, before the typed program contract (TENSORS, SEGMENTS, LAYERS); "
            "recompile it with this bpusim (bpusim compile, or bpusim asm)");
}

TEST(ContainerErrors, CorruptHeaderSize) {
  std::vector<uint8_t> b = write_program(full_program());
  store_le(b, 16, 8, 30);
  EXPECT_EQ(read_error(b),
            "p.bpu: corrupt header: file size 30 cannot hold 7 section entries and the CRC");
}

TEST(ContainerErrors, BadFileCrc) {
  std::vector<uint8_t> b = write_program(full_program());
  b[b.size() / 2] ^= 0x10;
  EXPECT_NE(read_error(b).find("p.bpu: bad file CRC: stored 0x"), std::string::npos)
      << read_error(b);
}

TEST(ContainerErrors, BadSectionCrc) {
  std::vector<uint8_t> b = write_program(full_program());
  const uint64_t weights_offset = load_le(b, 24 + 24 + 8, 8);  // entry 1 = WEIGHTS
  b[weights_offset + 20] ^= 1;
  store_le(b, b.size() - 4, 4, crc(b.data(), b.size() - 4));  // file CRC only
  EXPECT_NE(read_error(b).find("p.bpu: section 1 (WEIGHTS): bad section CRC: stored 0x"),
            std::string::npos)
      << read_error(b);
}

TEST(ContainerErrors, SectionOutOfBounds) {
  std::vector<uint8_t> b = write_program(full_program());
  store_le(b, 24 + 16, 8, b.size());  // CODE size beyond the file
  store_le(b, b.size() - 4, 4, crc(b.data(), b.size() - 4));
  EXPECT_NE(read_error(b).find("p.bpu: section 0 (CODE): section out of bounds: offset 192 size"),
            std::string::npos)
      << read_error(b);
  b = write_program(full_program());
  store_le(b, 24 + 8, 8, 8);  // CODE inside the header
  store_le(b, b.size() - 4, 4, crc(b.data(), b.size() - 4));
  EXPECT_NE(read_error(b).find("section out of bounds: offset 8 size"), std::string::npos);
}

TEST(ContainerErrors, UnknownAndDuplicateSections) {
  Container c;
  c.sections.push_back({static_cast<SectionType>(99), {1, 2, 3}});
  EXPECT_EQ(read_error(write_container(c)), "p.bpu: section 0 (type 99): unknown section type 99");
  c.sections = {{SectionType::kCode, {}}, {SectionType::kCode, {}}};
  EXPECT_EQ(read_error(write_container(c)), "p.bpu: section 1 (CODE): duplicate section CODE");
}

TEST(ContainerErrors, TruncatedSections) {
  Container c;
  c.sections = {{SectionType::kCode, std::vector<uint8_t>(33)}};
  EXPECT_EQ(read_error(write_container(c)),
            "p.bpu: section CODE: truncated section: 33 bytes is not a whole number of 32-byte "
            "instructions");
  c.sections = {{SectionType::kWeights, std::vector<uint8_t>(5)}};
  EXPECT_EQ(read_error(write_container(c)),
            "p.bpu: section WEIGHTS: truncated section: 5 bytes, needs at least the 8-byte DDR "
            "base address");
  c.sections = {{SectionType::kParams, std::vector<uint8_t>(8 + 70)}};
  EXPECT_EQ(read_error(write_container(c)),
            "p.bpu: section PARAMS: 70 bytes is not a whole number of 64-byte parameter records");
}

TEST(ContainerErrors, BadInstructionsInCode) {
  Container c;
  std::vector<uint8_t> code(64);
  code[32] = 63;  // instruction 1: opcode 63
  c.sections = {{SectionType::kCode, code}};
  EXPECT_EQ(read_error(write_container(c)),
            "p.bpu: section CODE: instruction 1 (byte 80 of the file): unknown opcode 63");
  code[32] = 2;        // LOAD
  code[32] |= 1 << 6;  // +pop_prev
  c.sections = {{SectionType::kCode, code}};
  EXPECT_EQ(read_error(write_container(c)),
            "p.bpu: section CODE: instruction 1 (byte 80 of the file): LOAD: token flag "
            "+pop_prev is illegal: the load queue has no previous queue");
}

TEST(ContainerErrors, BadJson) {
  Container c;
  const std::string text = "{\"name\": ";
  c.sections = {{SectionType::kTensors, std::vector<uint8_t>(text.begin(), text.end())}};
  const std::string e = read_error(write_container(c));
  EXPECT_EQ(e.substr(0, 39), "p.bpu: section TENSORS: bad JSON: [json") << e;
}

// Random damage, with and without CRC repair, must end in a bpusim::Error or a valid program —
// never another exception, a crash or a sanitizer report.
TEST(ContainerErrors, RandomCorruptionNeverCrashes) {
  const std::vector<uint8_t> good = write_program(full_program());
  std::mt19937_64 rng(5);
  int errors = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> b = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) b[rng() % b.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    if (rng() % 4 == 0) b.resize(rng() % b.size());
    if (b.size() >= 28 && rng() % 2 == 0) refresh_crcs(b);
    try {
      read_program(b, "fuzz");
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 2000);
}

}  // namespace
}  // namespace bpusim::isa
