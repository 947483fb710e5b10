# Files of runtime/output (evaluation records and output writers): see
# runtime/CMakeLists.txt and runtime/output/README.md.
list(APPEND PLUMB_RUNTIME_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/escape.cpp
  ${CMAKE_CURRENT_LIST_DIR}/eval.cpp
  ${CMAKE_CURRENT_LIST_DIR}/writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/table_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/evaluations_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/junit_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sarif_writer.cpp)
list(APPEND PLUMB_RUNTIME_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/escape_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/writers_test.cpp)
