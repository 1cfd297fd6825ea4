`default_nettype none
`include "bpu_isa.vh"
// bpu_pkg: what every block of the core shares — the run-time configuration, the memory
// model's DPI-C interface, the description of the memory accesses an instruction makes
// (decoded once, used for the range/alignment faults, the bank claims of rule 10 and the
// intra-instruction conflict of rule 9) and the fault codes the core reports.
//
// Storage: the five SRAMs, DDR and the instruction memory are behavioural memory models in
// C++ (rtl_ref/core_memory.cc) reached through DPI-C, like vendor SRAM macros in a simulation
// netlist. Everything that decides *when* and *what* — fetch, queues, tokens, arbitration,
// address generation, the MAC array, the requantizer and vector datapaths, the DMA and the
// DDR port — is this Verilog. Reads are combinational (a register-file style array: data in
// the cycle the address is presented); writes happen at the clock edge. Combinational reads
// pass the cycle number so that they are re-evaluated every cycle.
package bpu_pkg;
  // The functions below take a whole instruction word or configuration and use the fields
  // they need: the other bits are unused on purpose.
  /* verilator lint_off UNUSEDSIGNAL */

  // Buffer numbers as the ISA's `buf` field encodes them; DDR is 5.
  localparam int BUF_FEATURE = 0;
  localparam int BUF_WEIGHT = 1;
  localparam int BUF_ACC = 2;
  localparam int BUF_OUTPUT = 3;
  localparam int BUF_PARAM = 4;
  localparam int BUF_DDR = 5;

  // ---- the memory model (rtl_ref/core_memory.cc) ----
  import "DPI-C" function int bpu_rd8(input int buf_id, input longint addr, input longint cycle);
  import "DPI-C" function int bpu_rd32(input int buf_id, input longint addr, input longint cycle);
  import "DPI-C" function void bpu_wr8(input int buf_id, input longint addr, input int value);
  import "DPI-C" function void bpu_wr32(input int buf_id, input longint addr, input int value);
  // Word w (0..3) of instruction `pc` of the segment.
  import "DPI-C" function longint bpu_fetch(input int pc, input int w, input longint cycle);
  // Moves a whole 3-D transfer between DDR and an SRAM (the DMA's data path).
  import "DPI-C" function void bpu_dma_copy(
    input int store, input int buf_id, input longint sram_addr, input longint dram_addr,
    input int n0, input int n1, input int n2, input longint stride1, input longint stride2);

  // ---- run-time configuration (docs/hardware.md keys that are not Verilog parameters) ----
  typedef struct packed {
    logic [63:0] sram_bytes_feature;
    logic [63:0] sram_bytes_weight;
    logic [63:0] sram_bytes_acc;
    logic [63:0] sram_bytes_output;
    logic [63:0] sram_bytes_param;
    logic [15:0] banks_feature;
    logic [15:0] banks_weight;
    logic [15:0] banks_acc;
    logic [15:0] banks_output;
    logic [1:0]  ports;
    logic [63:0] ddr_bytes;
    logic [31:0] ddr_bytes_per_cycle;
    logic [31:0] ddr_latency;
    logic [31:0] ddr_burst;
    logic [31:0] queue_depth;
    logic [31:0] token_depth;
    logic        pool_fixed;  // requant.mode = fixed (POOL has no mode field)
  } cfg_t;

  function automatic logic [63:0] sram_bytes(input cfg_t c, input int b);
    case (b)
      BUF_FEATURE: return c.sram_bytes_feature;
      BUF_WEIGHT: return c.sram_bytes_weight;
      BUF_ACC: return c.sram_bytes_acc;
      BUF_OUTPUT: return c.sram_bytes_output;
      BUF_PARAM: return c.sram_bytes_param;
      default: return c.ddr_bytes;
    endcase
  endfunction

  function automatic logic [63:0] sram_banks(input cfg_t c, input int b);
    case (b)
      BUF_FEATURE: return 64'(c.banks_feature);
      BUF_WEIGHT: return 64'(c.banks_weight);
      BUF_ACC: return 64'(c.banks_acc);
      BUF_OUTPUT: return 64'(c.banks_output);
      default: return 64'd1;  // the PARAM SRAM is one bank
    endcase
  endfunction

  // ---- memory accesses of one instruction ----
  typedef struct packed {
    logic        valid;
    logic [2:0]  buf_id;
    logic [63:0] addr;
    logic [63:0] bytes;
    logic [6:0]  align;  // required alignment of addr and bytes
    logic        write;
  } access_t;
  localparam int MAX_ACCESSES = 4;
  typedef access_t [MAX_ACCESSES-1:0] accesses_t;

  function automatic logic [6:0] buf_align(input int b);
    return b == BUF_ACC ? 7'd4 : b == BUF_PARAM ? 7'd64 : 7'd1;
  endfunction

  function automatic access_t acc(input int b, input logic [63:0] addr, input logic [63:0] bytes,
                                  input logic [6:0] align, input logic write);
    acc.valid = 1'b1;
    acc.buf_id = 3'(b);
    acc.addr = addr;
    acc.bytes = bytes;
    acc.align = align;
    acc.write = write;
  endfunction

  // A LOAD or STORE that moves data: it takes its turn in the DMA order and on the DDR port
  // (docs/timing.md rule 5).
  function automatic logic dma_moves(input logic [255:0] i);
    return (`BPU_F_OPCODE(i) == `BPU_OP_LOAD || `BPU_F_OPCODE(i) == `BPU_OP_STORE) &&
           `BPU_F_N0(i) != 0 && `BPU_F_N1(i) != 0 && `BPU_F_N2(i) != 0;
  endfunction

  // The accesses each opcode makes, in the order docs/timing.md's memory rules check them.
  // VBLEND's weight table: h0, h1 and a (w0, w1) pair per pixel of c elements, float32, in
  // whole 64-byte PARAM records.
  function automatic logic [63:0] blend_table_bytes(input logic [255:0] i);
    logic [63:0] pixels;
    pixels = `BPU_F_C(i) == 0 ? 64'd0 : 64'(`BPU_F_N(i)) / 64'(`BPU_F_C(i));
    return (8 + 8 * pixels + 63) / 64 * 64;
  endfunction

  function automatic accesses_t decode_accesses(input logic [255:0] i);
    accesses_t a;
    logic [63:0] taps, wbytes, elems, span, n0, n1, n2;
    logic [2:0] b;
    a = '0;
    taps = 64'(`BPU_F_K_H(i)) * 64'(`BPU_F_K_W(i));
    case (`BPU_F_OPCODE(i))
      `BPU_OP_LOAD, `BPU_OP_STORE: begin
        n0 = 64'(`BPU_F_N0(i));
        n1 = 64'(`BPU_F_N1(i));
        n2 = 64'(`BPU_F_N2(i));
        b = `BPU_F_BUF(i);
        span = (n0 * n1 * n2 == 0) ? 64'd0 :
            (n2 - 1) * 64'(`BPU_F_DRAM_STRIDE2(i)) + (n1 - 1) * 64'(`BPU_F_DRAM_STRIDE1(i)) + n0;
        a[0] = acc(int'(b), 64'(`BPU_F_SRAM_ADDR(i)), n0 * n1 * n2, buf_align(int'(b)),
                   `BPU_F_OPCODE(i) == `BPU_OP_LOAD);
        a[1] = acc(BUF_DDR, 64'(`BPU_F_DRAM_ADDR(i)), span, 7'd1,
                   `BPU_F_OPCODE(i) == `BPU_OP_STORE);
      end
      `BPU_OP_CONV: begin
        wbytes = 64'(`BPU_F_OUT_C(i)) * taps * (`BPU_F_DEPTHWISE(i) ? 64'd1 : 64'(`BPU_F_IN_C(i)));
        a[0] = acc(BUF_FEATURE, 64'(`BPU_F_IN_ADDR(i)),
                   64'(`BPU_F_IN_H(i)) * 64'(`BPU_F_IN_W(i)) * 64'(`BPU_F_IN_C(i)), 7'd1, 1'b0);
        a[1] = acc(BUF_WEIGHT, 64'(`BPU_F_WGT_ADDR(i)), wbytes, 7'd1, 1'b0);
        a[2] = acc(BUF_ACC, 64'(`BPU_F_ACC_ADDR(i)),
                   64'(`BPU_F_OUT_H(i)) * 64'(`BPU_F_OUT_W(i)) * 64'(`BPU_F_OUT_C(i)) * 4, 7'd4,
                   1'b1);
      end
      `BPU_OP_REQUANT: begin
        elems = 64'(`BPU_F_N_PIX(i)) * 64'(`BPU_F_N_CH(i));
        a[0] = acc(BUF_ACC, 64'(`BPU_F_ACC_ADDR(i)), elems * 4, 7'd4, 1'b0);
        a[1] = acc(BUF_PARAM, 64'(`BPU_F_PRM_ADDR(i)), 64'(`BPU_F_N_CH(i)) * 64, 7'd64, 1'b0);
        if (`BPU_F_OUT_TYPE(i) == 2) a[2] = acc(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(i)), elems * 4, 7'd4, 1'b1);
        else a[2] = acc(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(i)), elems, 7'd1, 1'b1);
        if (`BPU_F_HAS_RES(i)) a[3] = acc(BUF_FEATURE, 64'(`BPU_F_RES_ADDR(i)), elems, 7'd1, 1'b0);
      end
      `BPU_OP_VADD: begin
        a[0] = acc(BUF_FEATURE, 64'(`BPU_F_A_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b0);
        a[1] = acc(BUF_FEATURE, 64'(`BPU_F_B_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b0);
        a[2] = acc(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b1);
        a[3] = acc(BUF_PARAM, 64'(`BPU_F_PRM_ADDR(i)), 64'd64, 7'd64, 1'b0);
      end
      `BPU_OP_VREQ: begin
        a[0] = acc(BUF_FEATURE, 64'(`BPU_F_IN_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b0);
        a[1] = acc(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b1);
        a[2] = acc(BUF_PARAM, 64'(`BPU_F_PRM_ADDR(i)), 64'd64, 7'd64, 1'b0);
      end
      `BPU_OP_VMUL, `BPU_OP_VFADD: begin  // VFADD reads two records
        a[0] = acc(BUF_FEATURE, 64'(`BPU_F_A_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b0);
        a[1] = acc(BUF_FEATURE, 64'(`BPU_F_B_ADDR(i)),
                   `BPU_F_B_PERIOD(i) != 0 ? 64'(`BPU_F_B_PERIOD(i)) : 64'(`BPU_F_N(i)), 7'd1, 1'b0);
        a[2] = acc(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b1);
        a[3] = acc(BUF_PARAM, 64'(`BPU_F_PRM_ADDR(i)),
                   `BPU_F_OPCODE(i) == `BPU_OP_VFADD ? 64'd128 : 64'd64, 7'd64, 1'b0);
      end
      `BPU_OP_VLUT: begin
        a[0] = acc(BUF_FEATURE, 64'(`BPU_F_IN_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b0);
        a[1] = acc(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b1);
        a[2] = acc(BUF_PARAM, 64'(`BPU_F_PRM_ADDR(i)), 64'd256, 7'd64, 1'b0);
      end
      `BPU_OP_VBLEND: begin
        a[0] = acc(BUF_FEATURE, 64'(`BPU_F_IN_ADDR(i)), 64'(`BPU_F_N(i)) * 4, 7'd1, 1'b0);
        a[1] = acc(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b1);
        a[2] = acc(BUF_PARAM, 64'(`BPU_F_PRM_ADDR(i)), blend_table_bytes(i), 7'd64, 1'b0);
      end
      `BPU_OP_POOL: begin
        a[0] = acc(BUF_FEATURE, 64'(`BPU_F_IN_ADDR(i)),
                   64'(`BPU_F_IN_H(i)) * 64'(`BPU_F_IN_W(i)) * 64'(`BPU_F_C(i)), 7'd1, 1'b0);
        a[1] = acc(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(i)),
                   `BPU_F_KIND(i) == 2 ? 64'(`BPU_F_C(i)) :
                   64'(`BPU_F_OUT_H(i)) * 64'(`BPU_F_OUT_W(i)) * 64'(`BPU_F_C(i)), 7'd1, 1'b1);
        if (`BPU_F_KIND(i) != 0) a[2] = acc(BUF_PARAM, 64'(`BPU_F_PRM_ADDR(i)), 64'd64, 7'd64, 1'b0);
      end
      `BPU_OP_ARGMAX: begin
        a[0] = acc(BUF_FEATURE, 64'(`BPU_F_IN_ADDR(i)), 64'(`BPU_F_N(i)) * 64'(`BPU_F_C(i)), 7'd1,
                   1'b0);
        a[1] = acc(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(i)), 64'(`BPU_F_N(i)) * 4, 7'd4, 1'b1);
      end
      `BPU_OP_COPY: begin
        b = `BPU_F_SRC_BUF(i);
        a[0] = acc(int'(b), 64'(`BPU_F_SRC_ADDR(i)), 64'(`BPU_F_N(i)),
                   int'(b) == BUF_PARAM ? 7'd4 : buf_align(int'(b)), 1'b0);
        a[1] = acc(BUF_OUTPUT, 64'(`BPU_F_DST_ADDR(i)), 64'(`BPU_F_N(i)), 7'd1, 1'b1);
      end
      default: ;
    endcase
    return a;
  endfunction

  // ---- faults: kind in the high nibble, which access / operand / record rule in the low ----
  localparam logic [3:0] FAULT_MISALIGNED = 4'd1;  // low nibble: access index
  localparam logic [3:0] FAULT_RANGE = 4'd2;       // low nibble: access index
  localparam logic [3:0] FAULT_OPERAND = 4'd3;     // low nibble: OPF_*
  localparam logic [3:0] FAULT_RECORD = 4'd4;      // low nibble: RECF_*, detail: record index
  localparam logic [3:0] OPF_KERNEL = 4'd0, OPF_STRIDE = 4'd1, OPF_DILATION = 4'd2,
      OPF_DEPTHWISE = 4'd3, OPF_IN_ZP = 4'd4, OPF_WGT_ZP = 4'd5, OPF_RES_I32 = 4'd6,
      OPF_POOL_WINDOW = 4'd7, OPF_ARGMAX_C = 4'd8, OPF_A_ZP = 4'd9, OPF_B_ZP = 4'd10,
      OPF_BLEND_SHAPE = 4'd11, OPF_FADD_GROUP = 4'd12;
  localparam logic [3:0] RECF_SHIFT = 4'd0, RECF_ADD_SHIFT = 4'd1, RECF_ROUTE = 4'd2,
      RECF_ROUTE_MODE = 4'd3;

  // A 9-bit zero point lies in the range of its byte type.
  function automatic logic zp_ok(input logic [8:0] zp, input logic is_signed);
    if (is_signed) return $signed(zp) >= -128 && $signed(zp) <= 127;
    return $signed(zp) >= 0;  // 9-bit signed: 0..255
  endfunction

  // Operands a unit cannot execute (checked before the access rules, as docs/timing.md says).
  function automatic logic [7:0] operand_fault(input logic [255:0] i);
    case (`BPU_F_OPCODE(i))
      `BPU_OP_CONV: begin
        if (`BPU_F_K_H(i) == 0 || `BPU_F_K_W(i) == 0) return {FAULT_OPERAND, OPF_KERNEL};
        if (`BPU_F_STRIDE_H(i) == 0 || `BPU_F_STRIDE_W(i) == 0) return {FAULT_OPERAND, OPF_STRIDE};
        if (`BPU_F_DIL_H(i) == 0 || `BPU_F_DIL_W(i) == 0) return {FAULT_OPERAND, OPF_DILATION};
        if (`BPU_F_DEPTHWISE(i) && `BPU_F_IN_C(i) != `BPU_F_OUT_C(i))
          return {FAULT_OPERAND, OPF_DEPTHWISE};
        if (!zp_ok(`BPU_F_IN_ZP(i), `BPU_F_IN_SIGNED(i))) return {FAULT_OPERAND, OPF_IN_ZP};
        if (!zp_ok(`BPU_F_WGT_ZP(i), `BPU_F_WGT_SIGNED(i))) return {FAULT_OPERAND, OPF_WGT_ZP};
      end
      `BPU_OP_REQUANT:
        if (`BPU_F_HAS_RES(i) && `BPU_F_OUT_TYPE(i) == 2) return {FAULT_OPERAND, OPF_RES_I32};
      `BPU_OP_VREQ:
        if (!zp_ok(`BPU_F_IN_ZP(i), `BPU_F_IN_SIGNED(i))) return {FAULT_OPERAND, OPF_IN_ZP};
      `BPU_OP_POOL: begin
        if (`BPU_F_KIND(i) != 2 && (`BPU_F_K_H(i) == 0 || `BPU_F_K_W(i) == 0 ||
                                    `BPU_F_STRIDE_H(i) == 0 || `BPU_F_STRIDE_W(i) == 0))
          return {FAULT_OPERAND, OPF_POOL_WINDOW};
        if (`BPU_F_KIND(i) != 0 && !zp_ok(`BPU_F_IN_ZP(i), `BPU_F_IN_SIGNED(i)))
          return {FAULT_OPERAND, OPF_IN_ZP};
      end
      `BPU_OP_ARGMAX:
        if (`BPU_F_C(i) == 0 && `BPU_F_N(i) != 0) return {FAULT_OPERAND, OPF_ARGMAX_C};
      `BPU_OP_VFADD: begin
        if (!zp_ok(`BPU_F_A_ZP(i), `BPU_F_A_SIGNED(i))) return {FAULT_OPERAND, OPF_A_ZP};
        if (!zp_ok(`BPU_F_B_ZP(i), `BPU_F_B_SIGNED(i))) return {FAULT_OPERAND, OPF_B_ZP};
        if (`BPU_F_CONTRACTION(i) == 1'b1 && `BPU_F_GROUP(i) == 0) return {FAULT_OPERAND, OPF_FADD_GROUP};
      end
      `BPU_OP_VBLEND: begin
        if (`BPU_F_C(i) == 0 || 32'(`BPU_F_N(i)) % 32'(`BPU_F_C(i)) != 0 || `BPU_F_N_VEC(i) > `BPU_F_C(i))
          return {FAULT_OPERAND, OPF_BLEND_SHAPE};
        if (!zp_ok(`BPU_F_IN_ZP(i), `BPU_F_IN_SIGNED(i))) return {FAULT_OPERAND, OPF_IN_ZP};
      end
      `BPU_OP_VMUL: begin
        if (!zp_ok(`BPU_F_A_ZP(i), `BPU_F_A_SIGNED(i))) return {FAULT_OPERAND, OPF_A_ZP};
        if (!zp_ok(`BPU_F_B_ZP(i), `BPU_F_B_SIGNED(i))) return {FAULT_OPERAND, OPF_B_ZP};
      end
      default: ;
    endcase
    return 8'd0;
  endfunction

  // The first access that is misaligned or out of range, else 0.
  function automatic logic [7:0] access_fault(input accesses_t a, input cfg_t c);
    logic [63:0] size;
    for (int k = 0; k < MAX_ACCESSES; k++) begin
      if (a[k].valid) begin
        size = sram_bytes(c, int'(a[k].buf_id));
        if (a[k].addr % 64'(a[k].align) != 0 || a[k].bytes % 64'(a[k].align) != 0)
          return {FAULT_MISALIGNED, 4'(k)};
        if (a[k].addr > size || a[k].bytes > size - a[k].addr) return {FAULT_RANGE, 4'(k)};
      end
    end
    return 8'd0;
  endfunction

  // ---- banks (docs/timing.md rules 9 and 10): bank = addr / ceil(bytes / banks) ----
  typedef struct packed {
    logic        valid;
    logic [2:0]  sram;
    logic [15:0] lo;
    logic [15:0] hi;
  } bank_range_t;
  typedef bank_range_t [MAX_ACCESSES-1:0] bank_ranges_t;

  function automatic bank_ranges_t bank_ranges(input accesses_t a, input cfg_t c);
    bank_ranges_t r;
    logic [63:0] banks, bank_bytes, last;
    r = '0;
    for (int k = 0; k < MAX_ACCESSES; k++) begin
      if (a[k].valid && a[k].buf_id != 3'(BUF_DDR) && a[k].bytes != 0) begin
        banks = sram_banks(c, int'(a[k].buf_id));
        bank_bytes = (sram_bytes(c, int'(a[k].buf_id)) + banks - 1) / banks;
        if (bank_bytes == 0) bank_bytes = 1;
        last = (a[k].addr + a[k].bytes - 1) / bank_bytes;
        r[k].valid = 1'b1;
        r[k].sram = a[k].buf_id;
        r[k].lo = 16'(a[k].addr / bank_bytes);
        r[k].hi = 16'(last > banks - 1 ? banks - 1 : last);
      end
    end
    return r;
  endfunction

  function automatic logic ranges_meet(input bank_range_t x, input bank_range_t y);
    return x.valid && y.valid && x.sram == y.sram && x.lo <= y.hi && y.lo <= x.hi;
  endfunction

  // Some bank lies in all three (rule 10 with two ports: a bank two other units hold).
  function automatic logic ranges_meet3(input bank_range_t x, input bank_range_t y,
                                        input bank_range_t z);
    logic [15:0] lo, hi;
    if (!(x.valid && y.valid && z.valid && x.sram == y.sram && y.sram == z.sram)) return 1'b0;
    lo = x.lo > y.lo ? x.lo : y.lo;
    lo = lo > z.lo ? lo : z.lo;
    hi = x.hi < y.hi ? x.hi : y.hi;
    hi = hi < z.hi ? hi : z.hi;
    return lo <= hi;
  endfunction

  function automatic logic sets_meet(input bank_ranges_t x, input bank_ranges_t y);
    for (int a = 0; a < MAX_ACCESSES; a++)
      for (int b = 0; b < MAX_ACCESSES; b++) if (ranges_meet(x[a], y[b])) return 1'b1;
    return 1'b0;
  endfunction

  function automatic logic sets_meet3(input bank_ranges_t x, input bank_ranges_t y,
                                      input bank_ranges_t z);
    for (int a = 0; a < MAX_ACCESSES; a++)
      for (int b = 0; b < MAX_ACCESSES; b++)
        for (int d = 0; d < MAX_ACCESSES; d++) if (ranges_meet3(x[a], y[b], z[d])) return 1'b1;
    return 1'b0;
  endfunction

  // Rule 9: two operands of one instruction stream through a common bank of a single-ported
  // SRAM (VADD's a and b in FEATURE, COPY within OUTPUT).
  function automatic logic intra_conflict(input bank_ranges_t r, input cfg_t c);
    if (c.ports != 2'd1) return 1'b0;
    for (int a = 0; a < MAX_ACCESSES; a++)
      for (int b = a + 1; b < MAX_ACCESSES; b++) if (ranges_meet(r[a], r[b])) return 1'b1;
    return 1'b0;
  endfunction

  // ---- small arithmetic helpers ----
  function automatic logic [31:0] byte_value(input logic [7:0] v, input logic is_signed);
    return is_signed ? {{24{v[7]}}, v} : {24'd0, v};
  endfunction

  // Saturates an int32 result to uint8 / int8 (the store of an 8-bit result).
  function automatic logic [7:0] sat8(input logic [31:0] v, input logic is_signed);
    if (is_signed) begin
      if ($signed(v) > 127) return 8'h7f;
      if ($signed(v) < -128) return 8'h80;
      return v[7:0];
    end
    if ($signed(v) > 255) return 8'hff;
    if ($signed(v) < 0) return 8'h00;
    return v[7:0];
  endfunction

  /* verilator lint_on UNUSEDSIGNAL */
endpackage
