# clang 14 rejects one header of Debian's ANTLR runtime (InterpreterDataReader.h:
# a const std::vector member in a defaulted constructor; g++ accepts it). Plumb
# never uses that class, so the fuzz build puts first on the include path a copy
# of the umbrella antlr4-runtime.h without that one include; every other header
# still comes from /usr/include/antlr4-runtime.
set(PLUMB_ANTLR_SHIM ${CMAKE_BINARY_DIR}/antlr-shim)
file(READ /usr/include/antlr4-runtime/antlr4-runtime.h PLUMB_ANTLR_UMBRELLA)
string(REPLACE "#include \"misc/InterpreterDataReader.h\"" "" PLUMB_ANTLR_UMBRELLA "${PLUMB_ANTLR_UMBRELLA}")
file(WRITE ${PLUMB_ANTLR_SHIM}/antlr4-runtime.h "${PLUMB_ANTLR_UMBRELLA}")
include_directories(BEFORE SYSTEM ${PLUMB_ANTLR_SHIM})
