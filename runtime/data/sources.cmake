# Files of runtime/data: see runtime/CMakeLists.txt
list(APPEND PLUMB_RUNTIME_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/decode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_builtins.cpp)
# input.cpp walks containers and ci.cpp walks CIs with simdjson on-demand
# (header-only code: compiled for the host ISA, or it falls back to the slow kernel).
list(APPEND PLUMB_RUNTIME_SIMD_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/input.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ci.cpp)
list(APPEND PLUMB_RUNTIME_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/decode_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ci_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/input_test.cpp)
