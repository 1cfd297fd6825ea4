`default_nettype none
// f32_round: the one rounding step every IEEE single operation ends with. Takes an exact
// value (-1)^sign * m * 2^x, m an unsigned integer of any position of its leading one, and
// returns the IEEE single nearest to it (ties to even) as packed bits, with gradual
// underflow (subnormal results, no flush to zero) and overflow to infinity, as IEEE 754
// round-to-nearest-even defines them (and x86 SSE computes them).
//
// `sticky` says the exact value has further nonzero bits below m's LSB (a division's
// nonzero remainder). It is only meaningful when at least one bit of m is rounded off,
// which the caller guarantees by keeping 25 or more significant bits in m (f32_div keeps
// 26 or 27); then it only breaks ties and lifts a guard-only remainder above half.
//
// Why one rounder: every result's LSB weight is lsb = max(e - 23, -149), e the exponent of
// m's leading one. m shifted right by lsb - x gives the significand r including the hidden
// bit (r < 2^24, or 2^24 after a rounding carry), and the packed bits are then simply
// (lsb + 149) * 2^23 + r: for normal results lsb + 149 is the biased exponent minus one
// and r's hidden bit adds the missing one; for subnormals lsb + 149 = 0 and r < 2^23 is
// the fraction; a carry out of a subnormal into 2^-126, or out of a binade into the next,
// lands on the right encoding by the same addition, and a carry past the largest finite
// value lands on 0x7F800000 = infinity. Combinational.
module f32_round #(
    parameter integer W = 48  // width of m, 25..200
) (
    input  wire         sign,
    input  wire [W-1:0] m,
    input  wire [ 15:0] x,       // two's complement: value = m * 2^x
    input  wire         sticky,
    output reg  [ 31:0] f
);
  integer i;
  integer xi;  // x as an integer
  integer lead;  // index of m's leading one
  integer e;  // exponent of the leading one
  integer bexp;  // lsb + 149 = the biased exponent minus one (0 for subnormals)
  integer sh;  // bits of m below the result's LSB (negative: m is shorter than r)
  reg [W+23:0] widened;  // m << -sh
  reg [W-1:0] narrowed;  // m >> sh
  reg [24:0] r;
  reg guard, rest;
  reg [31:0] sum;

  always @* begin
    xi = {{16{x[15]}}, x};
    lead = 0;
    for (i = 0; i < W; i = i + 1) if (m[i]) lead = i;
    e = lead + xi;
    bexp = (e + 126 > 0) ? e + 126 : 0;
    sh = bexp - 149 - xi;
    guard = 1'b0;
    rest = sticky;
    widened = {(W + 24) {1'b0}};
    narrowed = {W{1'b0}};
    if (sh <= 0) begin
      // Exact: -sh <= 23 - lead, so r < 2^24 and nothing is rounded off.
      widened = {24'd0, m} << (-sh);
      r = widened[24:0];
    end else begin
      for (i = 0; i < W; i = i + 1) begin
        if (i + 1 < sh) rest = rest | m[i];
        if (i + 1 == sh) guard = m[i];
      end
      narrowed = (sh >= W) ? {W{1'b0}} : m >> sh;
      r = {1'b0, narrowed[23:0]};
      r = r + {24'd0, guard & (rest | r[0])};
    end
    sum = {1'b0, bexp[7:0], 23'd0} + {7'd0, r};
    if (m == {W{1'b0}}) f = {sign, 31'd0};
    else if (bexp > 254 || sum >= 32'h7F800000) f = {sign, 8'hFF, 23'd0};
    else f = {sign, sum[30:0]};
  end

  // After a right shift m >> sh has at most 24 significant bits (sh >= lead - 23), and after
  // a left shift widened < 2^24: their upper bits are zero by construction. bexp's upper bits
  // only matter beyond 254, which is tested as a whole; sum[31] is only set with sum >= 2^31.
  wire unused_ok = &{1'b0, widened[W+23:25], narrowed[W-1:24], bexp[31:8], sum[31]};
endmodule
`default_nettype wire
