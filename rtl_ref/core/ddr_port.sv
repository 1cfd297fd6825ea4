`default_nettype none
// ddr_port: the one DDR port shared by the LOAD and STORE DMA channels (docs/timing.md rule
// 5), counted in half-bytes (2*B per cycle at ddr.bytes_per_cycle = B). LOADs have priority:
// a moving LOAD gets all of it, and a STORE moves only while no LOAD does (reads first: the
// next tile's input is on the critical path, a finished tile's output is not).
module ddr_port (
    input  wire logic [31:0] bytes_per_cycle,
    input  wire logic        load_active,
    input  wire logic        store_active,
    output logic      [63:0] load_rate,
    output logic      [63:0] store_rate,
    output logic      [ 1:0] active_transfers
);
  wire [63:0] full = 2 * 64'(bytes_per_cycle);
  assign load_rate  = full;
  assign store_rate = load_active ? 64'd0 : full;
  assign active_transfers = {1'b0, load_active} + {1'b0, store_active};
endmodule
