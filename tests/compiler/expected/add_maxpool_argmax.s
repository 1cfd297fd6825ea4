; segment 0 (bpu): instructions [0, 14)
; layer add: add +relu (VADD) (1 tiles)
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x1000 n0=256 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0
LOAD buf=FEATURE sram_addr=0x100 dram_addr=0x1100 n0=256 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0
LOAD buf=PARAM sram_addr=0x0 dram_addr=0x0 n0=64 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
VADD a_addr=0x0 b_addr=0x100 out_addr=0x0 prm_addr=0x0 n=256 a_signed=0 b_signed=0 out_signed=0 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x1200 n0=256 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_prev +push_prev
; layer pool: maxpool 3x3/2 (1 tiles)
NOP +pop_next +push_prev
LOAD buf=FEATURE sram_addr=0x800 dram_addr=0x1200 n0=256 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_next +push_next
POOL kind=max in_addr=0x800 out_addr=0x400 prm_addr=0x0 in_h=8 in_w=8 c=4 out_h=4 out_w=4 k_h=3 k_w=3 stride_h=2 stride_w=2 pad_t=1 pad_l=1 in_signed=0 in_zp=0 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x400 dram_addr=0x1000 n0=64 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_prev +push_prev
; layer argmax: argmax over 4 (1 tiles)
NOP +pop_next +push_prev
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x1000 n0=64 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_next +push_next
ARGMAX in_addr=0x0 out_addr=0x0 n=16 c=4 in_signed=0 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x1040 n0=64 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_prev
FINISH
