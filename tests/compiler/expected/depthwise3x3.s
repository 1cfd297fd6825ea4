; segment 0 (bpu): instructions [0, 7)
; layer dw: conv 3x3 depthwise +relu -> uint8 (1 tiles)
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x2000 n0=392 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0
LOAD buf=WEIGHT sram_addr=0x0 dram_addr=0x0 n0=72 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
CONV in_addr=0x0 wgt_addr=0x0 acc_addr=0x0 in_h=7 in_w=7 in_c=8 out_h=7 out_w=7 out_c=8 k_h=3 k_w=3 stride_h=1 stride_w=1 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=1 accumulate=0 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev
LOAD buf=PARAM sram_addr=0x0 dram_addr=0x1000 n0=512 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
REQUANT acc_addr=0x0 out_addr=0x0 prm_addr=0x0 res_addr=0x0 n_pix=49 n_ch=8 mode=fp32 out_type=u8 has_res=0 res_signed=0 a_signed=0 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x21c0 n0=392 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_prev
FINISH
