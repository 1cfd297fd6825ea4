`default_nettype none
// f32_to_int: rounds an unpacked float (f32_from_int's format) to the nearest integer,
// ties to even (C++ std::nearbyint in the default rounding mode), saturated to int32.
// Combinational.
module f32_to_int (
    input  wire        sign,
    input  wire [ 9:0] exp,
    input  wire [23:0] mant,
    output wire [31:0] q
);
  wire e_neg = exp[9];
  wire tiny = (mant == 24'd0) || (e_neg && exp != 10'h3FF);  // |value| < 0.5 (exp < -1)
  wire big = !e_neg && (exp >= 10'd31);                          // |value| >= 2^31
  // 0 <= shift amounts below: exp in [-1, 30].
  wire left = !e_neg && (exp >= 10'd23);
  wire [4:0] lsh = exp[4:0] - 5'd23;          // exp in [23, 30]: 0 .. 7
  wire [4:0] rsh = 5'd23 - exp[4:0];          // exp in [-1, 22]: 24 .. 1 (mod 32 arithmetic)
  wire [47:0] ext = {mant, 24'd0} >> rsh;     // integer part in [47:24], fraction below
  wire guard = ext[23];
  wire sticky = |ext[22:0];
  wire round_up = guard && (sticky || ext[24]);
  wire [31:0] frac_int = {8'd0, ext[47:24]} + {31'd0, round_up};
  wire [31:0] mag = left ? ({8'd0, mant} << lsh) : frac_int;

  assign q = tiny ? 32'd0 : big ? (sign ? 32'h80000000 : 32'h7FFFFFFF) : (sign ? -mag : mag);
endmodule
`default_nettype wire
