# `cmake --install`: the plumb command, libplumb_runtime, its headers, the
# stdlib and a CMake package for embedders:
#   find_package(plumb)  ->  plumb::runtime (C API of plumb/pack.h), plumb::plumb
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The installed plumb finds the installed runtime wherever the prefix is moved.
set_target_properties(plumb PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
install(TARGETS plumb RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS plumb_runtime LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Unspecified)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/runtime/include/plumb DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" PATTERN "*.def")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/stdlib/ DESTINATION ${CMAKE_INSTALL_DATADIR}/plumb/stdlib)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/embed DESTINATION ${CMAKE_INSTALL_DATADIR}/plumb/examples)

set(PLUMB_CONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/plumb)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/plumbConfig.cmake.in
  ${CMAKE_BINARY_DIR}/plumbConfig.cmake INSTALL_DESTINATION ${PLUMB_CONFIG_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_BINDIR CMAKE_INSTALL_DATADIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/plumbConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/plumbConfig.cmake ${CMAKE_BINARY_DIR}/plumbConfigVersion.cmake
        DESTINATION ${PLUMB_CONFIG_DIR})
