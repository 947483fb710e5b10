# Files of runtime/output: see runtime/CMakeLists.txt
