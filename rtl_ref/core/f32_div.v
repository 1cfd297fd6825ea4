`default_nettype none
// f32_div: IEEE single division q = a / b on packed bits, correctly rounded to nearest even
// for every finite input, subnormal operands and results included (no flush to zero);
// overflow gives infinity. Special operands: inf / finite = inf, finite / inf = 0,
// finite nonzero / 0 = inf, 0 / nonzero = 0, all with the quotient's sign. 0 / 0 and
// inf / inf (IEEE: NaN) and NaN operands are outside the domain (the vector unit divides a
// finite or infinite value by a finite nonzero constant). Combinational.
//
// Both significands are first normalized to [2^23, 2^24) (a subnormal's leading zeros move
// into its exponent), so their ratio lies in (1/2, 2). A restoring division then produces
// 27 quotient bits, floor(na * 2^26 / nb) in [2^25, 2^27): with 24 bits kept at most, two
// or more are rounded off, so f32_round sees the guard bit inside the quotient and the
// nonzero remainder as its sticky bit, which is all correct rounding needs.
module f32_div (
    input  wire [31:0] a,
    input  wire [31:0] b,
    output wire [31:0] q
);
  wire [7:0] ea = a[30:23];
  wire [7:0] eb = b[30:23];
  wire [23:0] ma = {ea != 8'd0, a[22:0]};
  wire [23:0] mb = {eb != 8'd0, b[22:0]};
  wire sign = a[31] ^ b[31];

  integer i;
  integer lza, lzb;  // leading zeros of the 24-bit significands
  reg [23:0] na, nb;  // normalized significands
  reg [24:0] rem;
  reg [26:0] quo;
  reg [15:0] x;  // weight of quo's LSB
  always @* begin
    lza = 24;
    lzb = 24;
    for (i = 0; i < 24; i = i + 1) begin
      if (ma[i]) lza = 23 - i;
      if (mb[i]) lzb = 23 - i;
    end
    na = ma << lza;
    nb = mb << lzb;
    // a / b = (na / nb) * 2^((ea' - lza) - (eb' - lzb)), ea' the effective exponents
    // (1 for subnormals); quo carries 26 fraction bits of na / nb.
    x = {8'd0, (ea == 8'd0) ? 8'd1 : ea} - {8'd0, (eb == 8'd0) ? 8'd1 : eb} - lza[15:0] +
        lzb[15:0] - 16'd26;
    // rem < 2 * nb before every compare, so 25 bits hold it.
    rem = {1'b0, na};
    quo = 27'd0;
    for (i = 26; i >= 0; i = i - 1) begin
      if (rem >= {1'b0, nb}) begin
        quo[i] = 1'b1;
        rem = rem - {1'b0, nb};
      end
      rem = rem << 1;
    end
  end

  wire [31:0] rounded;
  f32_round #(
      .W(27)
  ) u_round (
      .sign  (sign),
      .m     (quo),
      .x     (x),
      .sticky(rem != 25'd0),
      .f     (rounded)
  );

  wire a_inf = (ea == 8'hFF);
  wire b_inf = (eb == 8'hFF);
  wire a_zero = (ma == 24'd0);
  wire b_zero = (mb == 24'd0);
  assign q = (a_inf || b_zero) ? {sign, 8'hFF, 23'd0} :
             (b_inf || a_zero) ? {sign, 31'd0} : rounded;
  // lza/lzb are at most 24; their upper bits are zero.
  wire unused_ok = &{1'b0, lza[31:16], lzb[31:16]};
endmodule
`default_nettype wire
