`default_nettype none
// round_shift: r = round_half_away_from_zero(v / 2^sh) for a W-bit two's-complement v,
// computed as an arithmetic (floor) shift plus a carry when the discarded remainder is more
// than half, or exactly half and v >= 0 (docs/requantizer.md). sh = 0 returns v. The carry cannot
// overflow because a shifted value is at most 2^(W-2) in magnitude. Combinational.
module round_shift #(
    parameter integer W  = 64,
    parameter integer SW = 6    // shift amount width; sh < W
) (
    input  wire [ W-1:0] v,
    input  wire [SW-1:0] sh,
    output wire [ W-1:0] r
);
  wire [W-1:0] floor_q = $signed(v) >>> sh;
  wire [W-1:0] mask = ~({W{1'b1}} << sh);                 // the discarded bits
  wire [W-1:0] half = {{(W - 1) {1'b0}}, 1'b1} << sh >> 1;  // 2^(sh-1); 0 when sh = 0
  wire [W-1:0] rem = v & mask;
  wire carry = (sh != {SW{1'b0}}) && ((rem > half) || (rem == half && !v[W-1]));
  assign r = floor_q + {{(W - 1) {1'b0}}, carry};
endmodule
`default_nettype wire
