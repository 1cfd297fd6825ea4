; segment 0 (bpu): instructions [0, 7)
; layer conv: conv 3x3 +relu -> uint8 (1 tiles)
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x20c0 n0=108 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0
LOAD buf=WEIGHT sram_addr=0x0 dram_addr=0x0 n0=108 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
CONV in_addr=0x0 wgt_addr=0x0 acc_addr=0x0 in_h=6 in_w=6 in_c=3 out_h=6 out_w=6 out_c=4 k_h=3 k_w=3 stride_h=1 stride_w=1 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=0 accumulate=0 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev
LOAD buf=PARAM sram_addr=0x0 dram_addr=0x1000 n0=256 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
REQUANT acc_addr=0x0 out_addr=0x0 prm_addr=0x0 res_addr=0x0 n_pix=36 n_ch=4 mode=fp32 out_type=u8 has_res=0 res_signed=0 a_signed=0 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x2000 n0=144 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_prev
FINISH
