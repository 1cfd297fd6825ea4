# Sources of the compiler front end (compiler/passes/), added to the
# bpusim_compiler target by one line in compiler/CMakeLists.txt. The passes derive PyTorch's
# parameters with the golden reference's scalar formulas (one source of truth for quantize,
# wrap32), hence the golden dependency.
target_sources(bpusim_compiler PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/float_ops.cc
  ${CMAKE_CURRENT_LIST_DIR}/fold_constants.cc
  ${CMAKE_CURRENT_LIST_DIR}/frontend.cc
  ${CMAKE_CURRENT_LIST_DIR}/fusion.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_edit.cc
  ${CMAKE_CURRENT_LIST_DIR}/layout.cc
  ${CMAKE_CURRENT_LIST_DIR}/pytorch_params.cc
  ${CMAKE_CURRENT_LIST_DIR}/qdq.cc
  ${CMAKE_CURRENT_LIST_DIR}/requant_mode.cc
)
target_link_libraries(bpusim_compiler PUBLIC bpusim::golden)
