# Sources of the compiler back end (compiler/lower/, program_builder, compile), added to the
# bpusim_compiler target by compiler/CMakeLists.txt.
set(BPUSIM_COMPILER_BACKEND_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/access_tracker.cc
  ${CMAKE_CURRENT_LIST_DIR}/estimate.cc
  ${CMAKE_CURRENT_LIST_DIR}/footprint.cc
  ${CMAKE_CURRENT_LIST_DIR}/host_ops.cc
  ${CMAKE_CURRENT_LIST_DIR}/layout.cc
  ${CMAKE_CURRENT_LIST_DIR}/lower.cc
  ${CMAKE_CURRENT_LIST_DIR}/lower_conv.cc
  ${CMAKE_CURRENT_LIST_DIR}/lower_vector.cc
  ${CMAKE_CURRENT_LIST_DIR}/memory_plan.cc
  ${CMAKE_CURRENT_LIST_DIR}/ops.cc
  ${CMAKE_CURRENT_LIST_DIR}/report.cc
  ${CMAKE_CURRENT_LIST_DIR}/schedule.cc
  ${CMAKE_CURRENT_LIST_DIR}/schedule_check.cc
  ${CMAKE_CURRENT_LIST_DIR}/shape_infer.cc
  ${CMAKE_CURRENT_LIST_DIR}/sram.cc
  ${CMAKE_CURRENT_LIST_DIR}/tiling.cc
  ${CMAKE_CURRENT_LIST_DIR}/../program_builder.cc
  ${CMAKE_CURRENT_LIST_DIR}/../compile.cc
  ${CMAKE_CURRENT_LIST_DIR}/../graph_passes.cc
)
