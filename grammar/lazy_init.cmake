# Run after antlr4 (grammar/CMakeLists.txt): makes the generated lexer's and
# parser's static tables (their ATNs, deserialised and verified, and the DFA
# caches) be built on the first construction of a lexer or parser instead of
# at process start. antlr4 4.7.2 emits a static `Initializer _init` member
# whose constructor does that work: ~6M instructions in every start of
# plumb, including the runs that never parse (a warm program cache, decision
# 29; --version). Here that member's definition is removed and the
# constructors build a function-local static Initializer (thread-safe, once).
# If the generated code does not have the expected shape (another antlr4),
# the file is left as generated: start-up stays eager, behaviour unchanged.
foreach(cls PlumbLexer PlumbParser)
  set(f ${GEN}/${cls}.cpp)
  file(READ ${f} src)
  set(def "${cls}::Initializer ${cls}::_init;")
  string(REGEX MATCH "${cls}::${cls}\\([A-Za-z]+ \\*input\\) : [A-Za-z]+\\(input\\) {" ctor "${src}")
  string(FIND "${src}" "${def}" at)
  if(at EQUAL -1 OR ctor STREQUAL "")
    message(WARNING "grammar/lazy_init.cmake: ${cls}.cpp is not shaped as antlr4 4.7.2 emits it; "
                    "its tables stay initialised at start-up")
    continue()
  endif()
  string(REPLACE "${def}" "// ${def}  (removed by grammar/lazy_init.cmake)" src "${src}")
  string(REPLACE "${ctor}" "${ctor}\n  static Initializer init_once;  // grammar/lazy_init.cmake\n  (void)init_once;" src "${src}")
  file(WRITE ${f} "${src}")
endforeach()
