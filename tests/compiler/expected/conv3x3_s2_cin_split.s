; segment 0 (bpu): instructions [0, 25)
; layer conv: conv 3x3/2 -> uint8 (2 tiles)
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x3000 n0=16 n1=9 n2=9 dram_stride1=0x28 dram_stride2=0x168
LOAD buf=WEIGHT sram_addr=0x0 dram_addr=0x0 n0=16 n1=9 n2=6 dram_stride1=0x28 dram_stride2=0x168 +push_next
CONV in_addr=0x0 wgt_addr=0x0 acc_addr=0x0 in_h=9 in_w=9 in_c=16 out_h=5 out_w=5 out_c=6 k_h=3 k_w=3 stride_h=2 stride_w=2 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=0 accumulate=0 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev +push_prev
LOAD buf=FEATURE sram_addr=0x800 dram_addr=0x3010 n0=16 n1=9 n2=9 dram_stride1=0x28 dram_stride2=0x168
LOAD buf=WEIGHT sram_addr=0x400 dram_addr=0x10 n0=16 n1=9 n2=6 dram_stride1=0x28 dram_stride2=0x168 +push_next
CONV in_addr=0x800 wgt_addr=0x400 acc_addr=0x0 in_h=9 in_w=9 in_c=16 out_h=5 out_w=5 out_c=6 k_h=3 k_w=3 stride_h=2 stride_w=2 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=0 accumulate=1 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev +push_prev
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x3020 n0=8 n1=9 n2=9 dram_stride1=0x28 dram_stride2=0x168 +pop_next
LOAD buf=WEIGHT sram_addr=0x0 dram_addr=0x20 n0=8 n1=9 n2=6 dram_stride1=0x28 dram_stride2=0x168 +push_next
CONV in_addr=0x0 wgt_addr=0x0 acc_addr=0x0 in_h=9 in_w=9 in_c=8 out_h=5 out_w=5 out_c=6 k_h=3 k_w=3 stride_h=2 stride_w=2 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=0 accumulate=1 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev +push_prev
LOAD buf=PARAM sram_addr=0x0 dram_addr=0x2000 n0=384 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
REQUANT acc_addr=0x0 out_addr=0x0 prm_addr=0x0 res_addr=0x0 n_pix=25 n_ch=6 mode=fp32 out_type=u8 has_res=0 res_signed=0 a_signed=0 +pop_prev +push_next
LOAD buf=FEATURE sram_addr=0x800 dram_addr=0x3000 n0=16 n1=9 n2=9 dram_stride1=0x28 dram_stride2=0x168 +pop_next
LOAD buf=WEIGHT sram_addr=0x400 dram_addr=0x870 n0=16 n1=9 n2=6 dram_stride1=0x28 dram_stride2=0x168 +push_next
STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x3cc0 n0=6 n1=5 n2=5 dram_stride1=0xc dram_stride2=0x3c +pop_prev
CONV in_addr=0x800 wgt_addr=0x400 acc_addr=0x800 in_h=9 in_w=9 in_c=16 out_h=5 out_w=5 out_c=6 k_h=3 k_w=3 stride_h=2 stride_w=2 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=0 accumulate=0 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev +push_prev
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x3010 n0=16 n1=9 n2=9 dram_stride1=0x28 dram_stride2=0x168 +pop_next
LOAD buf=WEIGHT sram_addr=0x0 dram_addr=0x880 n0=16 n1=9 n2=6 dram_stride1=0x28 dram_stride2=0x168 +push_next
CONV in_addr=0x0 wgt_addr=0x0 acc_addr=0x800 in_h=9 in_w=9 in_c=16 out_h=5 out_w=5 out_c=6 k_h=3 k_w=3 stride_h=2 stride_w=2 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=0 accumulate=1 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev
LOAD buf=FEATURE sram_addr=0x800 dram_addr=0x3020 n0=8 n1=9 n2=9 dram_stride1=0x28 dram_stride2=0x168 +pop_next
LOAD buf=WEIGHT sram_addr=0x400 dram_addr=0x890 n0=8 n1=9 n2=6 dram_stride1=0x28 dram_stride2=0x168 +push_next
CONV in_addr=0x800 wgt_addr=0x400 acc_addr=0x800 in_h=9 in_w=9 in_c=8 out_h=5 out_w=5 out_c=6 k_h=3 k_w=3 stride_h=2 stride_w=2 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=0 accumulate=1 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev
LOAD buf=PARAM sram_addr=0x400 dram_addr=0x2180 n0=384 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
REQUANT acc_addr=0x800 out_addr=0x400 prm_addr=0x400 res_addr=0x0 n_pix=25 n_ch=6 mode=fp32 out_type=u8 has_res=0 res_signed=0 a_signed=0 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x400 dram_addr=0x3cc6 n0=6 n1=5 n2=5 dram_stride1=0xc dram_stride2=0x3c +pop_prev
FINISH
