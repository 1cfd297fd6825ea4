`default_nettype none
// ddr_port: the one DDR port shared by the LOAD and STORE DMA channels (docs/timing.md rule
// 5), counted in half-bytes (2*B per cycle at ddr.bytes_per_cycle = B). First come, first
// served: of two transfers in flight (from their start to their last byte), the one that
// started first moves at the full rate and the other waits for it. DMAs that move data start
// in program order (the core's DMA order FIFO, bpu_core.sv), so the port serves them in
// program order: no transfer ever overtakes or pauses another.
module ddr_port (
    input  wire logic        clk,
    input  wire logic        rst,
    input  wire logic        halt,
    input  wire logic [31:0] bytes_per_cycle,
    input  wire logic        load_go,      // a LOAD that moves data starts in this cycle
    input  wire logic        store_go,     // a STORE that moves data starts in this cycle
    input  wire logic        load_flight,  // a LOAD started before this cycle is in flight
    input  wire logic        store_flight,
    input  wire logic        load_active,
    input  wire logic        store_active,
    output logic      [63:0] load_rate,
    output logic      [63:0] store_rate,
    output logic      [ 1:0] active_transfers
);
  logic store_first;  // of the two in flight, the STORE started first
  wire store_ahead = store_flight && (load_go || store_first);
  wire load_ahead = load_flight && (store_go || !store_first);
  wire [63:0] full = 2 * 64'(bytes_per_cycle);
  assign load_rate = store_ahead ? 64'd0 : full;
  assign store_rate = load_ahead ? 64'd0 : full;
  assign active_transfers = {1'b0, load_active} + {1'b0, store_active};
  always_ff @(posedge clk)
    if (rst) store_first <= 1'b0;
    else if (!halt) begin
      if (load_go) store_first <= store_flight;
      else if (store_go) store_first <= !load_flight;
    end
endmodule
