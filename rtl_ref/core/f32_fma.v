`default_nettype none
// f32_fma: IEEE single fused multiply-add r = a * b + c on packed bits (C's fmaf): the
// exact product plus c, rounded once to nearest even. Exact for every finite input,
// subnormal operands and results included (no flush to zero); overflow gives infinity.
// An exact zero sum is +0, or -0 when a * b and c are both -0 (IEEE 754 6.3 under
// round-to-nearest). Special operands: an infinite c gives c, an infinite a or b gives
// infinity with the product's sign (when c is finite). NaN operands, inf * 0 and
// inf - inf (IEEE: NaN) are outside the domain (the vector unit's a and b are finite and
// its c is finite or infinite). Combinational.
//
// Addition: both terms are normalized to a 48-bit significand with the leading one at bit
// 47 (the product has 48 bits; c is shifted up), exponents adjusted. The larger magnitude
// (`big`) is placed in a window with G = 3 zero bits below it; the smaller is shifted
// right by the exponent difference d into the same window, and the bits it loses are ORed
// into the window's LSB (a sticky bit). No bit is lost while d <= 3, so then the sum is
// exact. When d > 3 the smaller term is below big / 8 (big has its leading one at window
// bit 50), so the sum keeps its leading one at bit 49, 50 or 51 and the result's LSB sits
// at window bit 26 or higher (higher still for a subnormal result). In units of the
// window's LSB the true smaller term lies strictly between two consecutive integers, and
// the ORed value is the odd one of them; big is a multiple of 8, so the true sum and the
// computed (odd) sum lie in the same open interval between two consecutive even integers.
// That interval holds no rounding boundary (representable values and the ties between
// them are multiples of 2^25 here), so both round to the same float: the classic
// guard/round/sticky argument.
module f32_fma (
    input  wire [31:0] a,
    input  wire [31:0] b,
    input  wire [31:0] c,
    output wire [31:0] r
);
  localparam integer G = 3;
  localparam integer WS = 48 + G + 1;  // the window plus a carry bit

  wire [ 7:0] ea = a[30:23];
  wire [ 7:0] eb = b[30:23];
  wire [ 7:0] ec = c[30:23];
  wire [23:0] ma = {ea != 8'd0, a[22:0]};
  wire [23:0] mb = {eb != 8'd0, b[22:0]};
  wire [23:0] mc = {ec != 8'd0, c[22:0]};
  wire        sp = a[31] ^ b[31];
  wire        sc = c[31];
  wire [47:0] mp = ma * mb;  // the exact product's significand

  integer i;
  integer lzp, lzc;  // leading zeros of mp (48 bits) and of {mc, 24'd0}
  integer xp, xc;  // weights of the LSBs of the normalized np and nc
  integer xbig, d;
  reg [47:0] np, nc, nbig, nsmall;
  reg c_big, sbig, ssmall, lost;
  reg [WS-1:0] wbig, wsmall, sum;
  reg [15:0] x;
  reg zero_sign;
  always @* begin
    lzp = 48;
    lzc = 48;
    for (i = 0; i < 48; i = i + 1) if (mp[i]) lzp = 47 - i;
    for (i = 0; i < 24; i = i + 1) if (mc[i]) lzc = 23 - i;
    np = mp << lzp;
    nc = {mc, 24'd0} << lzc;
    // m * 2^(e' - 150) per operand, e' = 1 for subnormals; the product's weights add.
    xp = ((ea == 8'd0) ? 1 : {24'd0, ea}) + ((eb == 8'd0) ? 1 : {24'd0, eb}) - 300 - lzp;
    xc = ((ec == 8'd0) ? 1 : {24'd0, ec}) - 150 - 24 - lzc;
    // Both normalized, so the larger exponent is the larger magnitude; a zero term is
    // always the smaller one (its exponent means nothing).
    c_big = (np == 48'd0) || (nc != 48'd0 && (xc > xp || (xc == xp && nc > np)));
    nbig = c_big ? nc : np;
    nsmall = c_big ? np : nc;
    sbig = c_big ? sc : sp;
    ssmall = c_big ? sp : sc;
    xbig = c_big ? xc : xp;
    d = c_big ? xc - xp : xp - xc;  // >= 0
    wbig = {1'b0, nbig, {G{1'b0}}};
    lost = 1'b0;
    for (i = 0; i < 48; i = i + 1) if (i + G < d) lost = lost | nsmall[i];
    wsmall = (d >= WS) ? {WS{1'b0}} : ({1'b0, nsmall, {G{1'b0}}} >> d);
    wsmall[0] = wsmall[0] | lost;
    sum = (sbig == ssmall) ? wbig + wsmall : wbig - wsmall;  // wbig >= wsmall
    x = xbig[15:0] - G[15:0];
    // An exact zero sum: -0 only for (-0) + (-0).
    zero_sign = (np == 48'd0) && (nc == 48'd0) && sp && sc;
  end

  wire [31:0] rounded;
  f32_round #(
      .W(WS)
  ) u_round (
      .sign  (sum == {WS{1'b0}} ? zero_sign : sbig),
      .m     (sum),
      .x     (x),
      .sticky(1'b0),
      .f     (rounded)
  );

  wire c_inf = (ec == 8'hFF);
  wire p_inf = (ea == 8'hFF) || (eb == 8'hFF);
  assign r = c_inf ? c : p_inf ? {sp, 8'hFF, 23'd0} : rounded;
  // xbig lies within +-400: 16 bits of it are the whole value.
  wire unused_ok = &{1'b0, xbig[31:16]};
endmodule
`default_nettype wire
