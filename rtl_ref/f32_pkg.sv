`default_nettype none
// f32_pkg: the float arithmetic of the RTL as functions, one implementation of each
// operation. Modules that need one at a port are one-line wrappers of the function
// (f32_from_int.v, f32_to_int.v: the requantizer lanes; core/vreq_route.v: a test top),
// and the vector unit calls vreq_route() in its clocked block, only on the beats that
// use it, so that the simulator does not evaluate it on every cycle.
//
//   f32_from_int   int32 -> single, rounded to nearest even, unpacked (f32u_t)
//   f32_pack_int   f32_from_int's result as packed IEEE single bits
//   f32_to_int     unpacked single -> int32, rounded half to even, saturated
//   f32_round      the one rounding step of every packed IEEE single operation below
//   f32_mul_ieee   a * b      \
//   f32_fma        fmaf(a, b, c)  > IEEE single on packed bits, round to nearest even,
//   f32_div        a / b      /   subnormals exact (no flush to zero)
//   f32_add        a + b (fma with 1.0)
//   vreq_route     VREQ's float rescale routes 1..3 before the zero point and clamp
//   vblend_value   VBLEND's bilinear blend of four taps, minus the zero point, rounded
//   vfadd_value    VFADD's float add of two dequantized bytes, rescaled, rounded
//   f32_round_sat32  a packed single to int32, half to even, saturated
package f32_pkg;

  // An unpacked single: value = (-1)^sign * mant * 2^(exp - 23), exp unbiased and signed,
  // mant in [2^23, 2^24) or 0 for zero (f32_from_int's result, f32_to_int's operand; the
  // requantizer's f32_mul.v also takes and gives it, with exp beyond the single's range).
  typedef struct packed {
    logic        sign;
    logic [ 9:0] exp;
    logic [23:0] mant;
  } f32u_t;

  // f32_from_int: converts an int32 to IEEE single precision, rounding to nearest even
  // (C++ static_cast<float>(int32_t)), unpacked (mant = 0 for zero).
  function automatic f32u_t f32_from_int(input logic [31:0] a);
    logic [31:0] mag, norm;
    logic [5:0] lz;  // leading zeros of mag (32 when mag = 0)
    logic guard, sticky, round_up, carry_out;
    logic [24:0] rounded;
    f32u_t f;
    mag = a[31] ? -a : a;  // |-2^31| = 2^31 fits as unsigned
    lz = 6'd32;
    for (int i = 0; i < 32; i++) if (mag[i]) lz = 6'd31 - 6'(i);
    norm = mag << lz[4:0];  // bit 31 set unless mag = 0
    guard = norm[7];
    sticky = |norm[6:0];
    round_up = guard && (sticky || norm[8]);
    rounded = {1'b0, norm[31:8]} + {24'd0, round_up};
    carry_out = rounded[24];  // rounded up to the next power of two
    f.sign = a[31];
    f.exp = 10'd31 - {4'd0, lz} + {9'd0, carry_out};
    f.mant = carry_out ? 24'h800000 : rounded[23:0];
    return f;
  endfunction

  // f32_pack_int: an int32 converted by f32_from_int, as packed IEEE single bits. Its
  // exponent is 0..31 for a nonzero int32: its low 8 bits are the value.
  function automatic logic [31:0] f32_pack_int(input f32u_t f);
    return (f.mant == 24'd0) ? {f.sign, 31'd0} : {f.sign, f.exp[7:0] + 8'd127, f.mant[22:0]};
  endfunction

  // f32_to_int: rounds an unpacked float to the nearest integer, ties to even (C++
  // std::nearbyint in the default rounding mode), saturated to int32.
  function automatic logic [31:0] f32_to_int(input f32u_t f);
    logic e_neg, tiny, big, left, guard, sticky, round_up;
    logic [4:0] lsh, rsh;
    logic [47:0] ext;
    logic [31:0] frac_int, mag;
    e_neg = f.exp[9];
    tiny = (f.mant == 24'd0) || (e_neg && f.exp != 10'h3FF);  // |value| < 0.5 (exp < -1)
    big = !e_neg && (f.exp >= 10'd31);  // |value| >= 2^31
    // 0 <= shift amounts below: exp in [-1, 30].
    left = !e_neg && (f.exp >= 10'd23);
    lsh = f.exp[4:0] - 5'd23;  // exp in [23, 30]: 0 .. 7
    rsh = 5'd23 - f.exp[4:0];  // exp in [-1, 22]: 24 .. 1 (mod 32 arithmetic)
    ext = {f.mant, 24'd0} >> rsh;  // integer part in [47:24], fraction below
    guard = ext[23];
    sticky = |ext[22:0];
    round_up = guard && (sticky || ext[24]);
    frac_int = {8'd0, ext[47:24]} + {31'd0, round_up};
    mag = left ? ({8'd0, f.mant} << lsh) : frac_int;
    return tiny ? 32'd0 : big ? (f.sign ? 32'h80000000 : 32'h7FFFFFFF) : (f.sign ? -mag : mag);
  endfunction

  // f32_round: the one rounding step every IEEE single operation ends with. Takes an exact
  // value (-1)^sign * m * 2^x, m an unsigned integer of any position of its leading one,
  // and returns the IEEE single nearest to it (ties to even) as packed bits, with gradual
  // underflow (subnormal results, no flush to zero) and overflow to infinity, as IEEE 754
  // round-to-nearest-even defines them (and x86 SSE computes them). m has ROUND_W bits, the
  // widest caller's (f32_fma); narrower ones zero-extend it, which changes nothing.
  //
  // `sticky` says the exact value has further nonzero bits below m's LSB (a division's
  // nonzero remainder). It is only meaningful when at least one bit of m is rounded off,
  // which the caller guarantees by keeping 25 or more significant bits in m (f32_div keeps
  // 26 or 27); then it only breaks ties and lifts a guard-only remainder above half.
  //
  // Why one rounder: every result's LSB weight is lsb = max(e - 23, -149), e the exponent of
  // m's leading one. m shifted right by lsb - x gives the significand r including the
  // hidden bit (r < 2^24, or 2^24 after a rounding carry), and the packed bits are then
  // simply (lsb + 149) * 2^23 + r: for normal results lsb + 149 is the biased exponent
  // minus one and r's hidden bit adds the missing one; for subnormals lsb + 149 = 0 and
  // r < 2^23 is the fraction; a carry out of a subnormal into 2^-126, or out of a binade
  // into the next, lands on the right encoding by the same addition, and a carry past the
  // largest finite value lands on 0x7F800000 = infinity.
  localparam int ROUND_W = 52;
  function automatic logic [31:0] f32_round(input logic sign, input logic [ROUND_W-1:0] m,
                                            input logic [15:0] x,  // value = m * 2^x
                                            input logic sticky);
    int xi;  // x as an integer
    int lead;  // index of m's leading one
    int e;  // exponent of the leading one
    int bexp;  // lsb + 149 = the biased exponent minus one (0 for subnormals)
    int sh;  // bits of m below the result's LSB (negative: m is shorter than r)
    logic [24:0] r;
    logic guard, rest;
    logic [31:0] sum;
    xi = {{16{x[15]}}, x};
    lead = 0;
    for (int i = 0; i < ROUND_W; i++) if (m[i]) lead = i;
    e = lead + xi;
    bexp = (e + 126 > 0) ? e + 126 : 0;
    sh = bexp - 149 - xi;
    guard = 1'b0;
    rest = sticky;
    if (sh <= 0) begin
      // Exact: -sh <= 23 - lead, so m << -sh < 2^24 and nothing is rounded off.
      r = 25'(m << (-sh));
    end else begin
      for (int i = 0; i < ROUND_W; i++) begin
        if (i + 1 < sh) rest = rest | m[i];
        if (i + 1 == sh) guard = m[i];
      end
      // m >> sh has at most 24 significant bits (sh >= lead - 23).
      r = (sh >= ROUND_W) ? 25'd0 : {1'b0, 24'(m >> sh)};
      r = r + {24'd0, guard & (rest | r[0])};
    end
    // bexp's upper bits only matter beyond 254, which is tested as a whole; sum[31] is only
    // set with sum >= 2^31.
    sum = {1'b0, bexp[7:0], 23'd0} + {7'd0, r};
    if (m == {ROUND_W{1'b0}}) return {sign, 31'd0};
    else if (bexp > 254 || sum >= 32'h7F800000) return {sign, 8'hFF, 23'd0};
    else return {sign, sum[30:0]};
  endfunction

  // f32_mul_ieee: IEEE single multiplication a * b on packed bits, rounded to nearest even,
  // exact for every finite input including subnormal operands and subnormal results (no
  // flush to zero), overflowing to infinity. An infinite operand gives infinity with the
  // product's sign. NaN operands and inf * 0 (IEEE: NaN) are outside the domain: the vector
  // unit's operands are never NaN, and an infinite operand only meets a nonzero finite one.
  // (rtl_ref/f32_mul.v is the requantizer's unpacked variant, exact only above 2^-126.)
  function automatic logic [31:0] f32_mul_ieee(input logic [31:0] a, input logic [31:0] b);
    // A finite float is m * 2^(e' - 150) with m = {hidden bit, fraction} and e' = the
    // biased exponent, except that subnormals (e = 0) scale like e = 1 without the hidden
    // bit.
    logic [7:0] ea, eb, ea_eff, eb_eff;
    logic [23:0] ma, mb;
    logic sign;
    logic [47:0] m;
    logic [15:0] x;
    logic [31:0] rounded;
    ea = a[30:23];
    eb = b[30:23];
    ma = {ea != 8'd0, a[22:0]};
    mb = {eb != 8'd0, b[22:0]};
    ea_eff = (ea == 8'd0) ? 8'd1 : ea;
    eb_eff = (eb == 8'd0) ? 8'd1 : eb;
    sign = a[31] ^ b[31];
    // The exact product: no bit of it is lost before the single rounding.
    m = ma * mb;
    x = {8'd0, ea_eff} + {8'd0, eb_eff} - 16'd300;
    rounded = f32_round(sign, ROUND_W'(m), x, 1'b0);
    return (ea == 8'hFF || eb == 8'hFF) ? {sign, 8'hFF, 23'd0} : rounded;
  endfunction

  // f32_fma: IEEE single fused multiply-add a * b + c on packed bits (C's fmaf): the exact
  // product plus c, rounded once to nearest even. Exact for every finite input, subnormal
  // operands and results included (no flush to zero); overflow gives infinity. An exact
  // zero sum is +0, or -0 when a * b and c are both -0 (IEEE 754 6.3 under
  // round-to-nearest). Special operands: an infinite c gives c, an infinite a or b gives
  // infinity with the product's sign (when c is finite). NaN operands, inf * 0 and
  // inf - inf (IEEE: NaN) are outside the domain (the vector unit's a and b are finite and
  // its c is finite or infinite).
  //
  // Addition: both terms are normalized to a 48-bit significand with the leading one at bit
  // 47 (the product has 48 bits; c is shifted up), exponents adjusted. The larger magnitude
  // (`big`) is placed in a window with G = 3 zero bits below it; the smaller is shifted
  // right by the exponent difference d into the same window, and the bits it loses are
  // ORed into the window's LSB (a sticky bit). No bit is lost while d <= 3, so then the sum
  // is exact. When d > 3 the smaller term is below big / 8 (big has its leading one at
  // window bit 50), so the sum keeps its leading one at bit 49, 50 or 51 and the result's
  // LSB sits at window bit 26 or higher (higher still for a subnormal result). In units of
  // the window's LSB the true smaller term lies strictly between two consecutive integers,
  // and the ORed value is the odd one of them; big is a multiple of 8, so the true sum and
  // the computed (odd) sum lie in the same open interval between two consecutive even
  // integers. That interval holds no rounding boundary (representable values and the ties
  // between them are multiples of 2^25 here), so both round to the same float: the
  // classic guard/round/sticky argument.
  localparam int FMA_G = 3;
  localparam int FMA_WS = 48 + FMA_G + 1;  // the window plus a carry bit (= ROUND_W)
  function automatic logic [31:0] f32_fma(input logic [31:0] a, input logic [31:0] b,
                                          input logic [31:0] c);
    logic [7:0] ea, eb, ec;
    logic [23:0] ma, mb, mc;
    logic sp, sc;
    logic [47:0] mp;  // the exact product's significand
    int lzp, lzc;  // leading zeros of mp (48 bits) and of {mc, 24'd0}
    int xp, xc;  // weights of the LSBs of the normalized np and nc
    logic [15:0] xbig;  // the larger term's xp or xc: within +-400, 16 bits hold it
    int d;
    logic [47:0] np, nc, nbig, nsmall;
    logic c_big, sbig, ssmall, lost;
    logic [FMA_WS-1:0] wbig, wsmall, sum;
    logic [15:0] x;
    logic zero_sign;
    logic [31:0] rounded;
    ea = a[30:23];
    eb = b[30:23];
    ec = c[30:23];
    ma = {ea != 8'd0, a[22:0]};
    mb = {eb != 8'd0, b[22:0]};
    mc = {ec != 8'd0, c[22:0]};
    sp = a[31] ^ b[31];
    sc = c[31];
    mp = ma * mb;
    lzp = 48;
    lzc = 48;
    for (int i = 0; i < 48; i++) if (mp[i]) lzp = 47 - i;
    for (int i = 0; i < 24; i++) if (mc[i]) lzc = 23 - i;
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
    xbig = 16'(c_big ? xc : xp);
    d = c_big ? xc - xp : xp - xc;  // >= 0
    wbig = {1'b0, nbig, {FMA_G{1'b0}}};
    lost = 1'b0;
    for (int i = 0; i < 48; i++) if (i + FMA_G < d) lost = lost | nsmall[i];
    wsmall = (d >= FMA_WS) ? {FMA_WS{1'b0}} : ({1'b0, nsmall, {FMA_G{1'b0}}} >> d);
    wsmall[0] = wsmall[0] | lost;
    sum = (sbig == ssmall) ? wbig + wsmall : wbig - wsmall;  // wbig >= wsmall
    x = xbig - 16'(FMA_G);
    // An exact zero sum: -0 only for (-0) + (-0).
    zero_sign = (np == 48'd0) && (nc == 48'd0) && sp && sc;
    rounded = f32_round(sum == {FMA_WS{1'b0}} ? zero_sign : sbig, ROUND_W'(sum), x, 1'b0);
    return (ec == 8'hFF) ? c : (ea == 8'hFF || eb == 8'hFF) ? {sp, 8'hFF, 23'd0} : rounded;
  endfunction

  // f32_div: IEEE single division a / b on packed bits, correctly rounded to nearest even
  // for every finite input, subnormal operands and results included (no flush to zero);
  // overflow gives infinity. Special operands: inf / finite = inf, finite / inf = 0,
  // finite nonzero / 0 = inf, 0 / nonzero = 0, all with the quotient's sign. 0 / 0 and
  // inf / inf (IEEE: NaN) and NaN operands are outside the domain (the vector unit divides
  // a finite or infinite value by a finite nonzero constant).
  //
  // Both significands are first normalized to [2^23, 2^24) (a subnormal's leading zeros
  // move into its exponent), so their ratio lies in (1/2, 2). A restoring division then
  // produces 27 quotient bits, floor(na * 2^26 / nb) in [2^25, 2^27): with 24 bits kept at
  // most, two or more are rounded off, so f32_round sees the guard bit inside the quotient
  // and the nonzero remainder as its sticky bit, which is all correct rounding needs.
  function automatic logic [31:0] f32_div(input logic [31:0] a, input logic [31:0] b);
    logic [7:0] ea, eb;
    logic [23:0] ma, mb;
    logic sign;
    int lza, lzb;  // leading zeros of the 24-bit significands (at most 24)
    logic [23:0] na, nb;  // normalized significands
    logic [24:0] rem;
    logic [26:0] quo;
    logic [15:0] x;  // weight of quo's LSB
    logic [31:0] rounded;
    ea = a[30:23];
    eb = b[30:23];
    ma = {ea != 8'd0, a[22:0]};
    mb = {eb != 8'd0, b[22:0]};
    sign = a[31] ^ b[31];
    lza = 24;
    lzb = 24;
    for (int i = 0; i < 24; i++) begin
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
    for (int i = 26; i >= 0; i--) begin
      if (rem >= {1'b0, nb}) begin
        quo[i] = 1'b1;
        rem = rem - {1'b0, nb};
      end
      rem = rem << 1;
    end
    rounded = f32_round(sign, ROUND_W'(quo), x, rem != 25'd0);
    if (ea == 8'hFF || mb == 24'd0) return {sign, 8'hFF, 23'd0};  // inf / b, a / 0
    else if (eb == 8'hFF || ma == 24'd0) return {sign, 31'd0};  // a / inf, 0 / b
    else return rounded;
  endfunction

  // vreq_route: VREQ's float rescale routes (docs/requantizer.md 6, record field `route`),
  // bit-exact with rescale_route() of sim/requant_math.h, before the output zero point and
  // clamp:
  //   route 1 mul: q = round_sat32((float(x - zx) * scale) * rescale_k)
  //   route 2 fma: q = round_sat32(fmaf(scale, float(x), scale * float(-zx)) * rescale_k)
  //   route 3 div: q = round_sat32((float(x - zx) * scale) / rescale_k)
  //   (route 0, stage 1 on x - zx + bias, is not computed here: q is then don't-care.)
  // Every operation is one IEEE single operation rounded to nearest even, with subnormal
  // operands and results computed exactly (x86 SSE without flush-to-zero, as the C++
  // runs); round_sat32 rounds half to even and saturates to int32 (infinity included).
  //
  // Domain: x and zx are int32 (the vector unit feeds 8-bit values and zero points,
  // -128..255; any int32 with x - zx and -zx free of overflow converts as C++ does), scale
  // and rescale_k finite and > 0 (validated upstream). Then no operation ever sees a NaN
  // operand or produces NaN: products of finite floats are finite or +-inf; +-inf times or
  // divided by the finite nonzero rescale_k stays +-inf; the fma's a and b are finite, so
  // an infinite offset (scale * -zx overflowing) is simply its result. An infinite t
  // saturates like the C++'s !(t < 2^31) and t < -2^31 tests.
  // The sign of a zero never reaches q: a +-0 intermediate stays +-0 through * rescale_k
  // and / rescale_k and rounds to integer 0 either way. f32_fma still follows IEEE's zero
  // signs.
  function automatic logic [31:0] vreq_route(input logic [1:0] route,  // 1 mul, 2 fma, 3 div
                                             input logic [31:0] x,  // int32
                                             input logic [31:0] zx,  // int32
                                             input logic [31:0] scale,  // IEEE single bits
                                             input logic [31:0] rescale_k);
    logic [31:0] t;
    if (route == 2'd2)  // t = fmaf(scale, float(x), scale * float(-zx)) * rescale_k
      t = f32_mul_ieee(f32_fma(scale, f32_pack_int(f32_from_int(x)),
                               f32_mul_ieee(scale, f32_pack_int(f32_from_int(-zx)))),
                       rescale_k);
    else if (route == 2'd3)  // t = (float(x - zx) * scale) / rescale_k
      t = f32_div(f32_mul_ieee(f32_pack_int(f32_from_int(x - zx)), scale), rescale_k);
    else  // t = (float(x - zx) * scale) * rescale_k
      t = f32_mul_ieee(f32_mul_ieee(f32_pack_int(f32_from_int(x - zx)), scale), rescale_k);
    return f32_round_sat32(t);
  endfunction

  // f32_add: a + b, one IEEE single rounding (the fused a * 1 + b: the product is exact).
  function automatic logic [31:0] f32_add(input logic [31:0] a, input logic [31:0] b);
    return f32_fma(a, 32'h3F80_0000, b);
  endfunction

  // vblend_value: VBLEND's value of one element (docs/requantizer.md 7), bit-exact with
  // blend_value() of sim/requant_math.h, rounded half to even and saturated to int32 after
  // subtracting the zero point: round_sat32(v - float(zx)) with
  //   contraction 0 (plain): v = h0 * (w0 * p00 + w1 * p01) + h1 * (w0 * p10 + w1 * p11)
  //   contraction 1:         v = fma(h1, fma(w1, p11, w0 * p10), h0 * fma(w1, p01, w0 * p00))
  //   contraction 2:         v = fma(h0, fma(w0, p00, w1 * p01), h1 * fma(w0, p10, w1 * p11))
  // each operation one IEEE single operation. p.. and zx are 8-bit values as int32 (exact
  // floats); the weights finite (the compiler's are in [0, 1]).
  function automatic logic [31:0] vblend_value(input logic [1:0] contraction,
                                               input logic [31:0] p00, input logic [31:0] p01,
                                               input logic [31:0] p10, input logic [31:0] p11,
                                               input logic [31:0] w0, input logic [31:0] w1,
                                               input logic [31:0] h0, input logic [31:0] h1,
                                               input logic [31:0] zx);
    logic [31:0] f00, f01, f10, f11, a, b, v;
    f00 = f32_pack_int(f32_from_int(p00));
    f01 = f32_pack_int(f32_from_int(p01));
    f10 = f32_pack_int(f32_from_int(p10));
    f11 = f32_pack_int(f32_from_int(p11));
    if (contraction == 2'd1) begin
      a = f32_fma(w1, f01, f32_mul_ieee(w0, f00));
      b = f32_fma(w1, f11, f32_mul_ieee(w0, f10));
      v = f32_fma(h1, b, f32_mul_ieee(h0, a));
    end else if (contraction == 2'd2) begin
      a = f32_fma(w0, f00, f32_mul_ieee(w1, f01));
      b = f32_fma(w0, f10, f32_mul_ieee(w1, f11));
      v = f32_fma(h0, a, f32_mul_ieee(h1, b));
    end else begin
      a = f32_add(f32_mul_ieee(w0, f00), f32_mul_ieee(w1, f01));
      b = f32_add(f32_mul_ieee(w0, f10), f32_mul_ieee(w1, f11));
      v = f32_add(f32_mul_ieee(h0, a), f32_mul_ieee(h1, b));
    end
    return f32_round_sat32(f32_add(v, f32_pack_int(f32_from_int(-zx))));
  endfunction

  // vfadd_value: VFADD's value of one element (docs/requantizer.md 6, QAddBroadcast),
  // bit-exact with float_add() of sim/requant_math.h: round_sat32((da + db) * k) with
  //   fused: dx = fmaf(sx, float(x), sx * float(-zx));   plain: dx = float(x - zx) * sx
  // each operation one IEEE single operation; x, zx are 8-bit values as int32.
  function automatic logic [31:0] vfadd_value(input logic fused, input logic [31:0] a,
                                              input logic [31:0] za, input logic [31:0] sa,
                                              input logic [31:0] b, input logic [31:0] zb,
                                              input logic [31:0] sb, input logic [31:0] k);
    logic [31:0] da, db;
    if (fused) begin
      da = f32_fma(sa, f32_pack_int(f32_from_int(a)), f32_mul_ieee(sa, f32_pack_int(f32_from_int(-za))));
      db = f32_fma(sb, f32_pack_int(f32_from_int(b)), f32_mul_ieee(sb, f32_pack_int(f32_from_int(-zb))));
    end else begin
      da = f32_mul_ieee(f32_pack_int(f32_from_int(a - za)), sa);
      db = f32_mul_ieee(f32_pack_int(f32_from_int(b - zb)), sb);
    end
    return f32_round_sat32(f32_mul_ieee(f32_add(da, db), k));
  endfunction

  // f32_round_sat32: a packed single rounded to the nearest int32, ties to even, saturated.
  // f32_to_int takes value = mant * 2^(exp - 23). A subnormal t (below 2^-126, so rounding
  // to 0) goes in unnormalized with exp = -126, which f32_to_int rounds to 0 as well;
  // infinity (exp = 128) saturates like any |t| >= 2^31.
  function automatic logic [31:0] f32_round_sat32(input logic [31:0] t);
    logic [7:0] t_be;
    f32u_t tu;
    t_be = t[30:23];
    tu.sign = t[31];
    tu.exp = (t_be == 8'd0) ? -10'd126 : {2'b00, t_be} - 10'd127;
    tu.mant = {t_be != 8'd0, t[22:0]};
    return f32_to_int(tu);
  endfunction

endpackage
`default_nettype wire
