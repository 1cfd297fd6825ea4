// .npy reading (common/npy.h): header parsing, shapes, sizes against the data.
#include "common/npy.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bpusim::fuzz::expect_user_error_or_success(
      [&] { bpusim::parse_npy(bpusim::fuzz::as_string(data, size), "fuzz.npy"); });
  return 0;
}
