// Untiled integer reference loops for the compiler tests (logical NCHW layout).
#pragma once

#include <cstdint>
#include <vector>

#include "common/tensor.h"

namespace bpusim::testing {

struct ConvParams {
  int64_t sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;
  int64_t group = 1;
  int64_t x_zp = 0, w_zp = 0;
};

// int32 [N, M, OH, OW] = wrap32(bias[m] + sum (x - x_zp) * (w - w_zp)).
inline Tensor reference_conv(const Tensor& x, const Tensor& w, const std::vector<int32_t>& bias,
                             const ConvParams& p) {
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t M = w.dim(0), Cg = w.dim(1), KH = w.dim(2), KW = w.dim(3);
  const int64_t OH = (H + p.pt + p.pb - (KH - 1) * p.dh - 1) / p.sh + 1;
  const int64_t OW = (W + p.pl + p.pr - (KW - 1) * p.dw - 1) / p.sw + 1;
  const int64_t Mg = M / p.group;
  Tensor y(DType::kI32, {N, M, OH, OW});
  auto out = y.values<int32_t>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          uint32_t acc = static_cast<uint32_t>(bias[m]);
          const int64_t g = m / Mg;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t ky = 0; ky < KH; ++ky)
              for (int64_t kx = 0; kx < KW; ++kx) {
                const int64_t iy = oy * p.sh - p.pt + ky * p.dh, ix = ox * p.sw - p.pl + kx * p.dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const int64_t xv = x.as_int(((n * C + g * Cg + c) * H + iy) * W + ix) - p.x_zp;
                const int64_t wv = w.as_int(((m * Cg + c) * KH + ky) * KW + kx) - p.w_zp;
                acc += static_cast<uint32_t>(xv * wv);
              }
          out[((n * M + m) * OH + oy) * OW + ox] = static_cast<int32_t>(acc);
        }
  return y;
}

}  // namespace bpusim::testing
