// The .bpu container reader (isa/container.h; the harness repairs the CRCs), the disassembler
// and the runtime loader (runtime/runtime.h) on fuzzed program bytes. A program that reads
// is disassembled, checked against its own hardware configuration and, when that
// configuration is small (at most 1 MiB of DDR) and the code short, run on the SystemC model
// with zero inputs: a modeled fault is a result, a user error is a rejection.
#include <map>

#include "fuzz/fuzz_util.h"
#include "isa/assembler.h"
#include "isa/container.h"
#include "runtime/runtime.h"
#include "sim/systemc_backend.h"

#include <boost/crc.hpp>

namespace {

using namespace bpusim;

uint32_t crc32(const uint8_t* p, size_t n) {
  boost::crc_32_type crc;
  crc.process_bytes(p, n);
  return crc.checksum();
}

uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Mutations almost never keep the CRCs right, which would stop every input at the first
// check (tested on its own in tests/isa). Where the header's layout is consistent, the
// harness rewrites each section's CRC and the file CRC so that the input reaches the
// section parsers (isa/container.h: 24-byte header and section entries, little endian).
std::vector<uint8_t> with_crcs_repaired(std::span<const uint8_t> in) {
  std::vector<uint8_t> b(in.begin(), in.end());
  if (b.size() < isa::kHeaderBytes) return b;
  const uint64_t count = b[12] | b[13] << 8 | b[14] << 16 | static_cast<uint64_t>(b[15]) << 24;
  const uint64_t declared = get_u64(&b[16]);
  const uint64_t table_end = isa::kHeaderBytes + isa::kSectionEntryBytes * count;
  if (count > 64 || declared != b.size() || declared < table_end + 4) return b;
  const uint64_t crc_pos = declared - 4;
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t* entry = &b[isa::kHeaderBytes + isa::kSectionEntryBytes * i];
    const uint64_t offset = get_u64(entry + 8), length = get_u64(entry + 16);
    if (offset >= table_end && offset <= crc_pos && length <= crc_pos - offset)
      put_u32(entry + 4, crc32(&b[offset], length));
  }
  put_u32(&b[crc_pos], crc32(b.data(), crc_pos));
  return b;
}

void check(const std::vector<uint8_t>& bytes) {
  const isa::Program p = isa::read_program(bytes, "fuzz.bpu");
  isa::disassemble(p.code);
  if (p.hwconfig.is_null()) return;
  runtime::RunOptions o;
  o.hw = HwConfig::from_json(p.hwconfig, "fuzz.bpu: HWCONFIG");
  o.hw.validate();
  o.source = "fuzz.bpu";
  runtime::check_hw_hash(p, o.hw, o.source);
  if (o.hw.ddr_size_bytes > (1 << 20) || p.code.size() > 4096) return;
  std::map<std::string, Tensor> inputs;
  for (const isa::TensorDesc& d : p.tensors) {
    if (d.role != isa::TensorRole::kInput) continue;
    // An input larger than the DDR cannot be given by a user either; the harness skips it.
    if (numel(d.shape) > o.hw.ddr_size_bytes) return;
    inputs.emplace(d.name, Tensor(d.ir_dtype, d.shape));
  }
  static sim::SystemcBackend backend;
  runtime::run_program(p, inputs, o, backend);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_user_error_or_success([&] { check(with_crcs_repaired({data, size})); });
  return 0;
}
