`default_nettype none
// mac_row: one output channel of the weight-stationary MAC array (docs/microarch.md).
// Holds COLS 9-bit signed weights (already minus the weight zero point), and for every
// vector entering the pipeline computes y = wrap32(acc_in + sum_c w[c] * x[c]) through
//   stage 1            products w[c] * x[c] (18-bit signed; a 9x9 product always fits)
//   stages 2 .. L+1    adder tree, L = ceil(log2 COLS) levels
//   stage L+2          accumulate: acc_in (delayed alongside) + sign-extended tree sum
// All stages advance together on en; y is the register of the last stage.
module mac_row #(
    parameter integer COLS = 32
) (
    input  wire              clk,
    input  wire              en,
    input  wire              w_load,  // capture w_in as this row's weights (any state of en)
    input  wire [COLS*9-1:0] w_in,
    input  wire [COLS*9-1:0] xq,      // the vector entering stage 1 (minus its zero point)
    input  wire [      31:0] acc_in,  // accumulator input of that vector
    output wire [      31:0] y
);
  localparam integer PW = 18;  // product width
  localparam integer LEVELS = $clog2(COLS);
  localparam integer SW = PW + LEVELS;  // tree sum width (<= 32 for COLS <= 16384)

  reg [COLS*9-1:0] w;
  always @(posedge clk) if (w_load) w <= w_in;

  // Stage 1: products. Operands are sign-extended to the product width so the low PW bits
  // of the unsigned multiply are the exact signed product.
  reg [COLS*PW-1:0] prod;
  genvar c;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_mul
      wire [PW-1:0] a = {{(PW - 9) {w[c*9+8]}}, w[c*9+:9]};
      wire [PW-1:0] b = {{(PW - 9) {xq[c*9+8]}}, xq[c*9+:9]};
      always @(posedge clk) if (en) prod[c*PW+:PW] <= a * b;
    end
  endgenerate

  // Stages 2 .. L+1: the adder tree.
  wire [SW-1:0] sum;
  adder_tree #(
      .N (COLS),
      .IW(PW),
      .OW(SW)
  ) u_tree (
      .clk   (clk),
      .en    (en),
      .leaves(prod),
      .sum   (sum)
  );

  // acc_in travels beside the vector through stage 1 and the tree.
  wire [31:0] acc_d;
  pipe_delay #(
      .W(32),
      .N(1 + LEVELS)
  ) u_acc_delay (
      .clk(clk),
      .rst(1'b0),
      .en (en),
      .d  (acc_in),
      .q  (acc_d)
  );

  // Stage L+2: accumulate (two's complement, wraps like the accumulator SRAM).
  reg [31:0] acc_out;
  always @(posedge clk) if (en) acc_out <= acc_d + {{(32 - SW) {sum[SW-1]}}, sum};
  assign y = acc_out;
endmodule
`default_nettype wire
