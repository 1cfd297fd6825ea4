`default_nettype none
// ddr_port: the one DDR port shared by the LOAD and STORE DMA channels (docs/timing.md rule
// 5). Each cycle it grants every channel that moves data an equal share of
// ddr.bytes_per_cycle, counted in half-bytes so that two channels share exactly:
// alone 2*B half-bytes, together B each (the round-robin arbiter's long-run share).
module ddr_port (
    input  wire logic [31:0] bytes_per_cycle,
    input  wire logic        load_active,
    input  wire logic        store_active,
    output logic      [63:0] load_rate,
    output logic      [63:0] store_rate,
    output logic      [ 1:0] active_transfers
);
  wire [63:0] full = 2 * 64'(bytes_per_cycle);
  wire both = load_active && store_active;
  assign load_rate = both ? full / 2 : full;
  assign store_rate = both ? full / 2 : full;
  assign active_transfers = {1'b0, load_active} + {1'b0, store_active};
endmodule
