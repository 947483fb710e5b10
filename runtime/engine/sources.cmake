# Files of runtime/engine (bulk evaluation): see runtime/CMakeLists.txt
list(APPEND PLUMB_RUNTIME_SOURCES ${CMAKE_CURRENT_LIST_DIR}/engine.cpp ${CMAKE_CURRENT_LIST_DIR}/explain.cpp
  ${CMAKE_CURRENT_LIST_DIR}/params.cpp)
list(APPEND PLUMB_RUNTIME_TESTS ${CMAKE_CURRENT_LIST_DIR}/engine_test.cpp)
