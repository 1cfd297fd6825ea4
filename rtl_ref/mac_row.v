`default_nettype none
// mac_row: one output channel of the weight-stationary MAC array (docs/microarch.md).
// Holds COLS 9-bit signed weights (already minus the weight zero point) and the next tile's
// (loaded while these stream, made current by `swap`), and for every
// vector entering the pipeline computes y = wrap32(acc_in + sum_c w[c] * x[c]) through
//   stage 1            products w[c] * x[c] (exact: a 9x9 signed product fits 18 bits)
//   stages 2 .. L+1    adder tree, L = ceil(log2 COLS) levels: node j of level k adds
//                      nodes 2j and 2j+1 of level k-1, or passes node 2j through when it
//                      has no partner (odd counts)
//   stage L+2          accumulate: acc_in (delayed alongside) + the tree sum
// `levels` (0 .. L) taps the tree early: when only the first 2^levels columns carry data (the
// others multiply zero-point operands, products 0), node 0 of level `levels` already holds
// the whole sum, so stage levels+2 accumulates it and the row's depth is levels + 2. The
// driver holds `levels` while vectors are in flight (the CONV unit changes it only between
// instructions, with the pipeline empty). All stages advance together on en; y is the
// register of the last stage. Every node is
// SW = 18 + L bits wide, which cannot overflow. The nodes of all levels live in one
// unpacked array (level k from level_offset(k)), and the multiply sits inside the clocked
// block: both keep the verilated model fast (native words, products computed once per
// clock edge) without changing the hardware.
module mac_row #(
    parameter integer COLS = 32
) (
    input  wire              clk,
    input  wire              en,
    input  wire              w_load,  // capture w_in as this row's next weights (any en)
    input  wire              swap,    // the next weights become the ones in use (w_in if loading)
    input  wire [COLS*9-1:0] w_in,
    input  wire [COLS*9-1:0] xq,      // the vector entering stage 1 (minus its zero point)
    input  wire [      31:0] acc_in,  // accumulator input of that vector
    input  wire [       4:0] levels,  // tree levels used, 0 .. ceil(log2 COLS)
    output wire [      31:0] y
);
  localparam integer LEVELS = $clog2(COLS);
  localparam integer SW = 18 + LEVELS;  // node width (<= 32 for COLS <= 16384)

  // Index of level k's first node: levels 0 (the products) .. LEVELS are stored in order,
  // level i holding ceil(COLS / 2^i) nodes.
  function integer level_offset(input integer k);
    integer i;
    begin
      level_offset = 0;
      for (i = 0; i < k; i = i + 1) level_offset = level_offset + ((COLS + (1 << i) - 1) >> i);
    end
  endfunction
  localparam integer NODES = level_offset(LEVELS + 1);

  reg [8:0] w[0:COLS-1];       // the weights in use
  reg [8:0] w_next[0:COLS-1];  // the next tile's, loading while w streams
  reg [SW-1:0] node[0:NODES-1];
  genvar c, k, j;
  generate
    // Stage 1: products. Operands are sign-extended to SW bits, so the low SW bits of the
    // multiply are the exact signed product.
    for (c = 0; c < COLS; c = c + 1) begin : g_mul
      always @(posedge clk) begin
        if (w_load) w_next[c] <= w_in[c*9+:9];
        if (swap) w[c] <= w_load ? w_in[c*9+:9] : w_next[c];
      end
      wire [SW-1:0] a = {{(SW - 9) {w[c][8]}}, w[c]};
      wire [SW-1:0] b = {{(SW - 9) {xq[c*9+8]}}, xq[c*9+:9]};
      always @(posedge clk) if (en) node[c] <= a * b;
    end
    // Stages 2 .. L+1: the adder tree.
    for (k = 1; k <= LEVELS; k = k + 1) begin : g_lvl
      localparam integer NK = (COLS + (1 << k) - 1) >> k;  // nodes on this level
      localparam integer NP = (COLS + (1 << (k - 1)) - 1) >> (k - 1);  // one level down
      localparam integer OFF = level_offset(k);
      localparam integer POFF = level_offset(k - 1);
      for (j = 0; j < NK; j = j + 1) begin : g_node
        if (2 * j + 1 < NP) begin : g_pair
          always @(posedge clk) if (en) node[OFF+j] <= node[POFF+2*j] + node[POFF+2*j+1];
        end else begin : g_pass
          always @(posedge clk) if (en) node[OFF+j] <= node[POFF+2*j];
        end
      end
    end
  endgenerate
  // Node 0 of level `levels`: the sum of the first 2^levels columns.
  reg [SW-1:0] sum;
  always @(*) begin : tap_sum
    integer i;
    sum = node[0];
    for (i = 1; i <= LEVELS; i = i + 1) if (i == {27'd0, levels}) sum = node[level_offset(i)];
  end

  // acc_in travels beside the vector through stage 1 and the tree: acc_pipe[i] holds it i + 1
  // enabled edges after it entered; the accumulate stage takes it after 1 + levels.
  reg [31:0] acc_pipe[0:LEVELS];
  integer a;
  always @(posedge clk)
    if (en) begin
      acc_pipe[0] <= acc_in;
      for (a = 1; a <= LEVELS; a = a + 1) acc_pipe[a] <= acc_pipe[a-1];
    end
  reg [31:0] acc_d;
  always @(*) begin : tap_acc
    integer i;
    acc_d = acc_pipe[0];
    for (i = 1; i <= LEVELS; i = i + 1) if (i == {27'd0, levels}) acc_d = acc_pipe[i];
  end

  // Stage L+2: accumulate (two's complement, wraps like the accumulator SRAM).
  reg [31:0] acc_out;
  always @(posedge clk) if (en) acc_out <= acc_d + {{(32 - SW) {sum[SW-1]}}, sum};
  assign y = acc_out;
endmodule
`default_nettype wire
