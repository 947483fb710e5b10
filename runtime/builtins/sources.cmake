# Files of runtime/builtins: see runtime/CMakeLists.txt
