# Files of runtime/data: see runtime/CMakeLists.txt
list(APPEND PLUMB_RUNTIME_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/decode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ci.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_builtins.cpp)
# input.cpp walks containers with simdjson on-demand (compiled for the host ISA).
list(APPEND PLUMB_RUNTIME_SIMD_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/input.cpp)
list(APPEND PLUMB_RUNTIME_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/decode_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ci_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/input_test.cpp)
