# Files of runtime/data: see runtime/CMakeLists.txt
