`default_nettype none
// conv_unit: CONV on the weight-stationary MAC array (rtl_ref/mac_array.v), docs/timing.md
// rule 6. The instruction is split into passes — one per block of output channels (ROWS, or
// min(ROWS, COLS) on the diagonal for a depthwise CONV), block of COLS input channels and
// kernel tap — in that nesting order. Each pass feeds one weight beat per output channel it
// computes (ROWS, or fewer in the last block of output channels; the array's w_last ends
// the load early and the rows not loaded are not written back) and one input vector per
// output pixel; the array double-buffers its weights, so pass k+1's weights load while pass
// k streams (im2col address generation: stride, dilation, padding; a padding
// tap or a channel beyond the tile carries the zero point, so it adds nothing). The next
// pass's weights load while the previous pass drains. The array's accumulator input is 0:
// the accumulation happens at the output, where each result word is added to the ACC SRAM
// entry (read-modify-write in one cycle; the first pass of a channel block overwrites when
// `accumulate` = 0), so a pass never reads a partial sum that is still in the pipeline.
// Cycles: R_1 + sum over passes k >= 2 of max(N, R_k) + N + D_mac, with R_k the weight beats
// of pass k, N = out_h*out_w and D_mac = ceil(log2 used_cols) + 2 (below); one cycle when
// there is nothing to compute.
module conv_unit #(
    parameter int ROWS = 32,
    parameter int COLS = 32
) (
    input  wire logic         clk,
    input  wire logic         rst,
    input  wire logic         halt,
    input  wire logic [ 63:0] cycle,
    input  wire logic         go,
    input  wire logic [255:0] instr,  // the engine's run_instr: from the go cycle to unit_fin
    output logic              unit_fin
);
  import bpu_pkg::*;

  // ---- the instruction: the engine holds it from the go cycle to unit_fin ----
  /* verilator lint_off UNUSEDSIGNAL */  // the opcode's fields only
  wire [255:0] I = instr;
  /* verilator lint_on UNUSEDSIGNAL */
  wire [31:0] in_h = 32'(`BPU_F_IN_H(I)), in_w = 32'(`BPU_F_IN_W(I)), in_c = 32'(`BPU_F_IN_C(I));
  wire [31:0] out_w = 32'(`BPU_F_OUT_W(I)), out_c = 32'(`BPU_F_OUT_C(I));
  wire [31:0] k_h = 32'(`BPU_F_K_H(I)), k_w = 32'(`BPU_F_K_W(I));
  wire dw = `BPU_F_DEPTHWISE(I) == 1'b1;
  wire [31:0] block = dw ? (ROWS < COLS ? ROWS : COLS) : ROWS;  // output channels per pass
  wire [31:0] n_ob = (out_c + block - 1) / block;
  wire [31:0] n_cb = dw ? 32'd1 : (in_c + COLS - 1) / COLS;
  wire [31:0] pixels = 32'(`BPU_F_OUT_H(I)) * out_w;
  wire [63:0] passes = 64'(n_ob) * 64'(n_cb) * 64'(k_h) * 64'(k_w);
  wire empty = passes == 0 || pixels == 0;
  wire [7:0] w_zp_byte = `BPU_F_WGT_ZP(I) [7:0];
  wire [7:0] x_zp_byte = `BPU_F_IN_ZP(I) [7:0];

  // ---- feed side: two pointers over the passes (ob, cb, ky, kx). The weight feeder loads
  // pass k+1's rows while the input feeder streams pass k's pixels (the array double-buffers
  // its weights and accepts the inputs of a pass only once its weights are in use).
  typedef struct packed {
    logic [31:0] ob, cb, ky, kx;
  } pass_t;
  typedef struct packed {
    pass_t       ps;
    logic [31:0] row;   // weight beat
    logic        done;  // every pass's weights fed
  } wfeed_t;
  typedef struct packed {
    pass_t       ps;
    logic [31:0] oy, ox, p;  // input vector
    logic        done;       // every pass's inputs fed
  } xfeed_t;
  wfeed_t wf_q, wf;
  xfeed_t xf_q, xf;
  assign wf = go ? '0 : wf_q;
  assign xf = go ? '0 : xf_q;
  logic active;
  wire w_feeding = (go || active) && !wf.done && !empty;
  wire x_feeding = (go || active) && !xf.done && !empty;

  // Adder-tree levels the instruction uses: only the first min(COLS, in_c) columns carry data
  // (dense; the diagonal's first min(block, out_c) when depthwise), so the array's depth is
  // ceil(log2 of that) + 2 — a wider array never lengthens a narrow CONV.
  wire [31:0] used_cols = dw ? (out_c < block ? out_c : block) : (in_c < COLS ? in_c : COLS);
  function automatic logic [4:0] clog2(input logic [31:0] n);
    logic [4:0] bits = 0;
    while ((64'd1 << bits) < 64'(n)) bits = bits + 1;
    return bits;
  endfunction

  // Output channels of pass block `ob`: block, or what is left of out_c in the last block.
  function automatic logic [31:0] rows_of(input logic [31:0] ob);
    return out_c - ob * block < block ? out_c - ob * block : block;
  endfunction

  // ---- MAC array ----
  logic w_valid, w_ready, x_valid, x_ready, x_last, y_valid, y_last;
  logic [COLS*8-1:0] w_data, x_data;
  logic [ROWS*32-1:0] y_data;
  mac_array #(
      .ROWS(ROWS),
      .COLS(COLS)
  ) array (
      .clk(clk),
      .rst(rst),
      .w_valid(w_valid),
      .w_ready(w_ready),
      .w_last(wf.row == rows_of(wf.ps.ob) - 1),
      .w_data(w_data),
      .w_signed(`BPU_F_WGT_SIGNED(I)),
      .w_zp(`BPU_F_WGT_ZP(I)),
      .x_valid(x_valid),
      .x_ready(x_ready),
      .x_data(x_data),
      .x_signed(`BPU_F_IN_SIGNED(I)),
      .x_zp(`BPU_F_IN_ZP(I)),
      .x_acc('0),
      .x_last(x_last),
      .x_levels(clog2(used_cols)),
      .y_valid(y_valid),
      .y_ready(1'b1),
      .y_data(y_data),
      .y_last(y_last)
  );

  // Weight row `row` of the pass: W[row][c] (dense: out channel ob*ROWS+row, input channel
  // cb*COLS+c; depthwise: only the diagonal c = row carries channel ob*block+row's weight).
  always_comb begin
    logic [31:0] oc, ic;
    logic [63:0] base;
    ic = '0;
    base = '0;
    w_data = '0;
    oc = wf.ps.ob * block + wf.row;
    for (int c = 0; c < COLS; c++) begin
      w_data[c*8+:8] = w_zp_byte;
      if (dw) begin
        if (w_feeding && 32'(c) == wf.row && wf.row < block && oc < out_c)
          w_data[c*8+:8] = 8'(bpu_rd8(BUF_WEIGHT, 64'(`BPU_F_WGT_ADDR(I)) +
                                      64'(oc) * 64'(k_h) * 64'(k_w) + 64'(wf.ps.ky) * 64'(k_w) + 64'(wf.ps.kx),
                                      cycle));
      end else begin
        ic = wf.ps.cb * COLS + 32'(c);
        base = 64'(`BPU_F_WGT_ADDR(I)) + ((64'(oc) * 64'(k_h) + 64'(wf.ps.ky)) * 64'(k_w) + 64'(wf.ps.kx)) *
               64'(in_c);
        if (w_feeding && oc < out_c && ic < in_c) w_data[c*8+:8] = 8'(bpu_rd8(BUF_WEIGHT, base + 64'(ic), cycle));
      end
    end
  end

  // Input vector of pixel (oy, ox) for tap (ky, kx): x[c] = input channel cb*COLS+c (dense)
  // or ob*block+c (depthwise) at row oy*stride - pad + ky*dil, column likewise.
  always_comb begin
    logic signed [31:0] iy, ix;
    logic [31:0] ch;
    logic in_image;
    logic [63:0] pix;
    x_data = '0;
    iy = $signed(xf.oy * 32'(`BPU_F_STRIDE_H(I))) - $signed(32'(`BPU_F_PAD_T(I))) +
         $signed(xf.ps.ky * 32'(`BPU_F_DIL_H(I)));
    ix = $signed(xf.ox * 32'(`BPU_F_STRIDE_W(I))) - $signed(32'(`BPU_F_PAD_L(I))) +
         $signed(xf.ps.kx * 32'(`BPU_F_DIL_W(I)));
    in_image = iy >= 0 && iy < $signed(in_h) && ix >= 0 && ix < $signed(in_w);
    pix = 64'(`BPU_F_IN_ADDR(I)) + (64'(iy) * 64'(in_w) + 64'(ix)) * 64'(in_c);
    for (int c = 0; c < COLS; c++) begin
      x_data[c*8+:8] = x_zp_byte;
      ch = (dw ? xf.ps.ob * block : xf.ps.cb * COLS) + 32'(c);
      if (x_feeding && in_image && ch < in_c && (!dw || 32'(c) < block))
        x_data[c*8+:8] = 8'(bpu_rd8(BUF_FEATURE, pix + 64'(ch), cycle));
    end
  end

  assign w_valid = w_feeding;
  assign x_valid = x_feeding;
  assign x_last = xf.p == pixels - 1;

  // The pass after `s` in feed order: tap (kx, then ky), channel block, output block.
  function automatic pass_t next_pass(input pass_t s);
    pass_t n = s;
    if (s.kx != k_w - 1) n.kx = s.kx + 1;
    else begin
      n.kx = 0;
      if (s.ky != k_h - 1) n.ky = s.ky + 1;
      else begin
        n.ky = 0;
        if (s.cb != n_cb - 1) n.cb = s.cb + 1;
        else begin
          n.cb = 0;
          n.ob = s.ob + 1;
        end
      end
    end
    return n;
  endfunction
  function automatic logic is_last_pass(input pass_t s);
    return s.kx == k_w - 1 && s.ky == k_h - 1 && s.cb == n_cb - 1 && s.ob == n_ob - 1;
  endfunction

  // Next weight beat: the rows of the pass, then the next pass.
  function automatic wfeed_t advance_w(input wfeed_t s);
    wfeed_t n = s;
    if (s.row != rows_of(s.ps.ob) - 1) n.row = s.row + 1;
    else begin
      n.row = 0;
      if (is_last_pass(s.ps)) n.done = 1'b1;
      else n.ps = next_pass(s.ps);
    end
    return n;
  endfunction

  // Next input vector: the pixels of the pass, then the next pass.
  function automatic xfeed_t advance_x(input xfeed_t s);
    xfeed_t n = s;
    n.p = s.p + 1;
    if (s.ox == out_w - 1) begin
      n.ox = 0;
      n.oy = s.oy + 1;
    end else n.ox = s.ox + 1;
    if (s.p == pixels - 1) begin
      n.p = 0;
      n.ox = 0;
      n.oy = 0;
      if (is_last_pass(s.ps)) n.done = 1'b1;
      else n.ps = next_pass(s.ps);
    end
    return n;
  endfunction

  // ---- output side: which pass and pixel the array's output belongs to ----
  logic [63:0] out_pass;  // pass index of the output stream
  logic [31:0] out_p, out_ob;
  logic [63:0] passes_per_ob_q;
  wire out_first = (out_pass % passes_per_ob_q) == 0;  // first pass of its output block
  wire last_pass = out_pass == passes - 1;
  assign unit_fin = (go && empty) || (active && y_valid && y_last && last_pass);

  always_ff @(posedge clk) begin
    if (rst) begin
      wf_q <= '0;
      xf_q <= '0;
      active <= 1'b0;
      out_pass <= '0;
      out_p <= '0;
      out_ob <= '0;
      passes_per_ob_q <= 64'd1;
    end else if (!halt) begin
      if (go) begin
        active <= !empty;
        out_pass <= '0;
        out_p <= '0;
        out_ob <= '0;
        passes_per_ob_q <= 64'(n_cb) * 64'(k_h) * 64'(k_w);
      end
      if (w_feeding && w_ready) wf_q <= advance_w(wf);
      else if (go) wf_q <= wf;
      if (x_feeding && x_ready) xf_q <= advance_x(xf);
      else if (go) xf_q <= xf;
      if (active && y_valid) begin
        // accumulate the ROWS results of this pixel into ACC
        for (int r = 0; r < ROWS; r++) begin
          logic [31:0] oc, old;
          logic [63:0] addr;
          oc = out_ob * block + 32'(r);
          if (32'(r) < block && oc < out_c) begin
            addr = 64'(`BPU_F_ACC_ADDR(I)) + (64'(out_p) * 64'(out_c) + 64'(oc)) * 4;
            old = (out_first && !`BPU_F_ACCUMULATE(I)) ? 32'd0 : 32'(bpu_rd32(BUF_ACC, addr, cycle));
            bpu_wr32(BUF_ACC, addr, int'(old + y_data[r*32+:32]));
          end
        end
        if (y_last) begin
          out_p <= 0;
          out_pass <= out_pass + 1;
          if ((out_pass + 1) % passes_per_ob_q == 0) out_ob <= out_ob + 1;
          if (last_pass) active <= 1'b0;
        end else out_p <= out_p + 1;
      end
    end
  end
endmodule
