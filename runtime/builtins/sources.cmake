# Files of runtime/builtins: see runtime/CMakeLists.txt
set(_plumb_builtins_dir ${CMAKE_CURRENT_LIST_DIR})
list(APPEND PLUMB_RUNTIME_SOURCES
  ${_plumb_builtins_dir}/memory.cpp
  ${_plumb_builtins_dir}/values.cpp
  ${_plumb_builtins_dir}/strings.cpp
  ${_plumb_builtins_dir}/regex.cpp
  ${_plumb_builtins_dir}/convert.cpp
  ${_plumb_builtins_dir}/net.cpp
  ${_plumb_builtins_dir}/collections.cpp)
list(APPEND PLUMB_RUNTIME_TESTS
  ${_plumb_builtins_dir}/values_test.cpp
  ${_plumb_builtins_dir}/strings_test.cpp
  ${_plumb_builtins_dir}/convert_test.cpp
  ${_plumb_builtins_dir}/net_test.cpp
  ${_plumb_builtins_dir}/collections_test.cpp
  ${_plumb_builtins_dir}/properties_test.cpp)
