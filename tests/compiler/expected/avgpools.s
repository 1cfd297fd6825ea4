; segment 0 (bpu): instructions [0, 10)
; layer avg: avgpool 2x2/2 (1 tiles)
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x1000 n0=144 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0
LOAD buf=PARAM sram_addr=0x0 dram_addr=0x0 n0=64 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
POOL kind=avg in_addr=0x0 out_addr=0x0 prm_addr=0x0 in_h=6 in_w=6 c=4 out_h=3 out_w=3 k_h=2 k_w=2 stride_h=2 stride_w=2 pad_t=0 pad_l=0 in_signed=0 in_zp=3 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x10c0 n0=36 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_prev +push_prev
; layer gap: global avgpool (1 tiles)
NOP +pop_next +push_prev
LOAD buf=FEATURE sram_addr=0x800 dram_addr=0x10c0 n0=36 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_next
LOAD buf=PARAM sram_addr=0x400 dram_addr=0x40 n0=64 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
POOL kind=global_avg in_addr=0x800 out_addr=0x400 prm_addr=0x400 in_h=3 in_w=3 c=4 out_h=1 out_w=1 k_h=0 k_w=0 stride_h=0 stride_w=0 pad_t=0 pad_l=0 in_signed=0 in_zp=3 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x400 dram_addr=0x1000 n0=4 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_prev
FINISH
