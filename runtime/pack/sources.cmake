# Files of runtime/pack (pack loader and the C API of plumb/pack.h): see
# runtime/CMakeLists.txt.
list(APPEND PLUMB_RUNTIME_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/pack.cpp
  ${CMAKE_CURRENT_LIST_DIR}/manifest.cpp)
