`default_nettype none
// f32_mul: product of an unpacked float (f32_from_int's format) and an IEEE single `b`,
// rounded to nearest even to 24 significant bits, in the same unpacked format. Exact IEEE
// single-precision multiplication for every result of magnitude >= 2^-126; smaller results
// (and subnormal b, treated as zero) can only come out below 2^-95, which f32_to_int turns
// into 0 exactly as the IEEE result would. The exponent is not limited to the IEEE range:
// an overflowing product keeps exp >= 128 and f32_to_int saturates it like infinity.
// b must be finite (the driver/ISA validate scale finite and > 0). Combinational.
module f32_mul (
    input  wire        a_sign,
    input  wire [ 9:0] a_exp,
    input  wire [23:0] a_mant,
    input  wire [31:0] b,
    output wire        sign,
    output wire [ 9:0] exp,
    output wire [23:0] mant
);
  wire b_zero = (b[30:23] == 8'd0);  // zero or subnormal
  wire [23:0] b_mant = {1'b1, b[22:0]};
  wire [9:0] b_exp = {2'b00, b[30:23]} - 10'd127;

  wire [47:0] p = a_mant * b_mant;  // in [2^46, 2^48) for nonzero operands
  wire top = p[47];
  wire [23:0] m = top ? p[47:24] : p[46:23];
  wire guard = top ? p[23] : p[22];
  wire sticky = top ? |p[22:0] : |p[21:0];
  wire round_up = guard && (sticky || m[0]);
  wire [24:0] rounded = {1'b0, m} + {24'd0, round_up};
  wire carry_out = rounded[24];
  wire zero = (a_mant == 24'd0) || b_zero;

  assign sign = a_sign ^ b[31];
  assign exp  = a_exp + b_exp + {9'd0, top} + {9'd0, carry_out};
  assign mant = zero ? 24'd0 : (carry_out ? 24'h800000 : rounded[23:0]);
endmodule
`default_nettype wire
