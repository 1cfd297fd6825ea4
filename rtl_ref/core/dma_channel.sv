`default_nettype none
// dma_channel: one DMA engine (LOAD: DDR -> SRAM, STORE: SRAM -> DDR), docs/timing.md rules
// 4 and 5. At `go` it counts the transfer's bus bytes: every run of n0 bytes at DDR address
// a crosses the bus as whole aligned bursts, ceil((a mod burst + n0) / burst) of them. It
// then waits ddr.latency_cycles (the request is pipelined: no bandwidth used), then moves the
// bus bytes through the shared DDR port (ddr_port.sv), `rate` half-bytes per cycle as the
// port grants them. `unit_fin` in the cycle its last byte moves; the payload reaches the SRAM
// (or DDR) at that edge. A transfer that moves nothing takes one cycle.
module dma_channel #(
    parameter bit STORE = 0
) (
    input  wire logic             clk,
    input  wire logic             rst,
    input  wire logic             halt,
    /* verilator lint_off UNUSEDSIGNAL */  // uses the DDR keys of the configuration
    input  wire bpu_pkg::cfg_t    cfg,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic             go,
    input  wire logic     [255:0] instr,  // the engine's run_instr: go cycle to unit_fin
    input  wire logic     [ 63:0] rate,       // half-bytes granted in this cycle when active
    output logic                  active,     // moving data in this cycle
    output logic                  flight,     // a transfer started before this cycle is on
    output logic                  unit_fin,
    output logic          [ 63:0] bus_bytes   // of the transfer starting now (go)
);
  import bpu_pkg::*;
  typedef enum logic [1:0] {
    IDLE,
    WAIT,
    DATA
  } phase_t;
  phase_t phase;
  logic [63:0] wait_left, remaining;

  // Bus bytes of a transfer: every run rounded out to whole aligned bursts.
  /* verilator lint_off UNUSEDSIGNAL */  // the instruction's DMA fields only
  function automatic logic [63:0] count_bus_bytes(input logic [255:0] i, input logic [63:0] burst);
    logic [63:0] n0, n1, n2, s1, s2, base, bursts, mask, plane;
    n0 = 64'(`BPU_F_N0(i));
    n1 = 64'(`BPU_F_N1(i));
    n2 = 64'(`BPU_F_N2(i));
    s1 = 64'(`BPU_F_DRAM_STRIDE1(i));
    s2 = 64'(`BPU_F_DRAM_STRIDE2(i));
    base = 64'(`BPU_F_DRAM_ADDR(i));
    mask = burst - 1;  // ddr.burst_bytes is a power of two
    if (n0 == 0 || n1 == 0 || n2 == 0) return 64'd0;
    bursts = 0;
    if ((s1 & mask) == 0 && (s2 & mask) == 0) begin
      bursts = n1 * n2 * (((base & mask) + n0 + mask) / burst);
    end else begin
      for (logic [63:0] i2 = 0; i2 < n2; i2++) begin
        plane = base + i2 * s2;
        if ((s1 & mask) == 0) bursts += n1 * (((plane & mask) + n0 + mask) / burst);
        else
          for (logic [63:0] i1 = 0; i1 < n1; i1++)
            bursts += (((plane + i1 * s1) & mask) + n0 + mask) / burst;
      end
    end
    return bursts * burst;
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  assign bus_bytes = go ? count_bus_bytes(instr, 64'(cfg.ddr_burst)) : 64'd0;
  assign flight = phase != IDLE;
  wire starts_moving = go && bus_bytes != 0 && cfg.ddr_latency == 0;
  assign active = phase == DATA || starts_moving;
  wire [63:0] left = starts_moving ? 2 * bus_bytes : remaining;
  assign unit_fin = (go && bus_bytes == 0) || (active && left <= rate);

  // The DMA's data path: the whole 3-D transfer at the edge its last byte crosses the port.
  /* verilator lint_off UNUSEDSIGNAL */  // the instruction's DMA fields only
  wire [255:0] ins = instr;  // held by the engine from the go cycle to unit_fin
  /* verilator lint_on UNUSEDSIGNAL */
  always_ff @(posedge clk) begin
    if (rst) begin
      phase <= IDLE;
      wait_left <= '0;
      remaining <= '0;
    end else if (!halt) begin
      if (unit_fin) begin
        phase <= IDLE;
        if (!(go && bus_bytes == 0))
          bpu_dma_copy(STORE ? 1 : 0, int'(`BPU_F_BUF(ins)), 64'(`BPU_F_SRAM_ADDR(ins)),
                       64'(`BPU_F_DRAM_ADDR(ins)), int'(`BPU_F_N0(ins)), int'(`BPU_F_N1(ins)),
                       int'(`BPU_F_N2(ins)), 64'(`BPU_F_DRAM_STRIDE1(ins)),
                       64'(`BPU_F_DRAM_STRIDE2(ins)));
      end else if (active) begin
        phase <= DATA;
        remaining <= left - rate;
      end else if (go) begin
        // cycles go+1 .. go+latency-1 still wait; data moves from go+latency
        remaining <= 2 * bus_bytes;
        wait_left <= 64'(cfg.ddr_latency) - 1;
        phase <= cfg.ddr_latency == 1 ? DATA : WAIT;
      end else if (phase == WAIT) begin
        wait_left <= wait_left - 1;
        if (wait_left == 1) phase <= DATA;
      end
    end
  end
endmodule
