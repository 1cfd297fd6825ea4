`default_nettype none
// f32_mul_ieee: IEEE single multiplication p = a * b on packed bits, rounded to nearest
// even, exact for every finite input including subnormal operands and subnormal results
// (no flush to zero), overflowing to infinity. An infinite operand gives infinity with the
// product's sign. NaN operands and inf * 0 (IEEE: NaN) are outside the domain: the vector
// unit's operands are never NaN, and an infinite operand only meets a nonzero finite one.
// (rtl_ref/f32_mul.v is the requantizer's unpacked variant, exact only above 2^-126.)
// Combinational.
module f32_mul_ieee (
    input  wire [31:0] a,
    input  wire [31:0] b,
    output wire [31:0] p
);
  // A finite float is m * 2^(e' - 150) with m = {hidden bit, fraction} and e' = the
  // biased exponent, except that subnormals (e = 0) scale like e = 1 without the hidden bit.
  wire [ 7:0] ea = a[30:23];
  wire [ 7:0] eb = b[30:23];
  wire [23:0] ma = {ea != 8'd0, a[22:0]};
  wire [23:0] mb = {eb != 8'd0, b[22:0]};
  wire [ 7:0] ea_eff = (ea == 8'd0) ? 8'd1 : ea;
  wire [ 7:0] eb_eff = (eb == 8'd0) ? 8'd1 : eb;
  wire        sign = a[31] ^ b[31];

  // The exact product: no bit of it is lost before the single rounding.
  wire [47:0] m = ma * mb;
  wire [15:0] x = {8'd0, ea_eff} + {8'd0, eb_eff} - 16'd300;

  wire [31:0] rounded;
  f32_round #(
      .W(48)
  ) u_round (
      .sign  (sign),
      .m     (m),
      .x     (x),
      .sticky(1'b0),
      .f     (rounded)
  );

  wire inf = (ea == 8'hFF) || (eb == 8'hFF);
  assign p = inf ? {sign, 8'hFF, 23'd0} : rounded;
endmodule
`default_nettype wire
