`default_nettype none
// mac_array: weight-stationary ROWS x COLS int8 MAC array (docs/microarch.md, the contract
// shared with the SystemC model) with double-buffered weights: every row holds the weights it
// streams with (active) and the next tile's (shadow). A tile operation:
//   1. LOAD: up to ROWS weight beats on w_* into the shadow registers (row 0 first, COLS bytes
//      each); the beat with w_last (or row ROWS-1) completes the tile's weights, so a tile
//      that computes only its first K output rows loads K beats; rows not loaded keep old
//      weights and their outputs are meaningless (the driver discards them). w_ready is 1
//      while the shadow is not complete — also while the previous tile streams, so the next
//      tile's weights load behind it.
//   2. SWAP: complete shadow weights become active at the end of the cycle in which the array
//      is not streaming, or accepts the streaming tile's last vector (x_last); a load's last
//      beat swaps in the same cycle (forwarded). The array streams from the next cycle.
//   3. STREAM: input vectors on x_* (COLS bytes + ROWS int32 accumulator inputs); one per
//      cycle when x_valid && x_ready (x_ready = streaming && en). The beat with x_last ends
//      the tile; the next tile streams the cycle after when its weights are complete.
// Each accepted vector leaves on y_* DEPTH = x_levels + 2 enabled cycles later as ROWS int32
// sums y[r] = wrap32(x_acc[r] + sum_c (w[r][c] - w_zp) * (x[c] - x_zp)). x_levels (at most
// ceil(log2 COLS), the full adder tree) taps the tree early when only the first 2^x_levels
// columns carry data (the others hold zero-point operands); the driver holds it from the
// first vector of a tile sequence until its last output.
// Back pressure: the pipeline is a single stall domain, en = !y_valid || y_ready. When the
// output register holds a vector that is not taken, every stage holds and x_ready is 0;
// weight beats are accepted whatever en is.
// Operands: bytes are sign- (x_signed/w_signed) or zero-extended to 9 bits, then the 9-bit
// signed zero point is subtracted modulo 2^9 (exact whenever the zero point lies in the
// byte type's range, which the driver and the ISA require).
module mac_array #(
    parameter integer ROWS = 32,
    parameter integer COLS = 32
) (
    input wire clk,
    input wire rst,

    input  wire              w_valid,
    output wire              w_ready,
    input  wire              w_last,    // this beat is the tile's last weight row
    input  wire [COLS*8-1:0] w_data,    // byte c = W[row][c]
    input  wire              w_signed,
    input  wire [       8:0] w_zp,

    input  wire              x_valid,
    output wire              x_ready,
    input  wire [COLS*8-1:0] x_data,    // byte c = x[c]
    input  wire              x_signed,
    input  wire [       8:0] x_zp,
    input  wire [ROWS*32-1:0] x_acc,    // word r = accumulator input of row r
    input  wire              x_last,
    input  wire [       4:0] x_levels,  // adder-tree levels used (depth x_levels + 2)

    output wire               y_valid,
    input  wire               y_ready,
    output wire [ROWS*32-1:0] y_data,   // word r = output of row r
    output wire               y_last
);
  localparam integer DEPTH = $clog2(COLS) + 2;
  localparam integer RB = (ROWS > 1) ? $clog2(ROWS) : 1;  // weight row counter width

  // ---- control: the shadow fills (row counter w_row, `loaded` once complete) while the
  // active weights stream (`streaming`); a swap moves a complete shadow into the active
  // registers when the stream is idle or ends in this cycle.
  reg loaded, streaming;
  reg [RB-1:0] w_row;
  wire en = !y_valid || y_ready;
  assign w_ready = !loaded;
  assign x_ready = streaming && en;
  wire w_fire = w_valid && w_ready;
  wire x_fire = x_valid && x_ready;
  wire w_last_row = w_last || ({{(32 - RB) {1'b0}}, w_row} == ROWS - 1);
  wire shadow_done = loaded || (w_fire && w_last_row);
  wire swap = shadow_done && (!streaming || (x_fire && x_last));

  always @(posedge clk) begin
    if (rst) begin
      loaded <= 1'b0;
      streaming <= 1'b0;
      w_row <= {RB{1'b0}};
    end else begin
      if (w_fire) w_row <= w_last_row ? {RB{1'b0}} : w_row + 1'b1;
      loaded <= shadow_done && !swap;
      if (swap) streaming <= 1'b1;
      else if (x_fire && x_last) streaming <= 1'b0;
    end
  end

  // ---- operand preparation: byte -> 9-bit, minus zero point (shared by all rows).
  wire [COLS*9-1:0] wq;
  wire [COLS*9-1:0] xq;
  genvar c, r;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_opnd
      assign wq[c*9+:9] = {w_signed & w_data[c*8+7], w_data[c*8+:8]} - w_zp;
      assign xq[c*9+:9] = {x_signed & x_data[c*8+7], x_data[c*8+:8]} - x_zp;
    end
  endgenerate

  // ---- datapath: one pipelined row per output channel.
  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      mac_row #(
          .COLS(COLS)
      ) u_row (
          .clk   (clk),
          .en    (en),
          .w_load(w_fire && {{(32 - RB) {1'b0}}, w_row} == r),
          .swap  (swap),
          .w_in  (wq),
          .xq    (xq),
          .acc_in(x_acc[r*32+:32]),
          .levels(x_levels),
          .y     (y_data[r*32+:32])
      );
    end
  endgenerate

  // ---- valid and last bits travel beside the vector: vl[i] holds them i + 1 enabled edges
  // after the transfer; the output takes them after x_levels + 2.
  reg [1:0] vl[0:DEPTH-1];
  integer i;
  always @(posedge clk)
    if (rst) begin
      for (i = 0; i < DEPTH; i = i + 1) vl[i] <= 2'b00;
    end else if (en) begin
      vl[0] <= {x_fire && x_last, x_fire};
      for (i = 1; i < DEPTH; i = i + 1) vl[i] <= vl[i-1];
    end
  reg [1:0] vl_out;
  always @(*) begin : tap_valid
    integer k;
    vl_out = vl[1];
    for (k = 2; k < DEPTH; k = k + 1) if (k == {27'd0, x_levels} + 1) vl_out = vl[k];
  end
  assign y_valid = vl_out[0];
  assign y_last  = vl_out[1];
endmodule
`default_nettype wire
