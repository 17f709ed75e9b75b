# extra.cmake - tests of the library as a whole rather than of one area:
# libc and Winsock in one process, the exported symbols, the headers beside
# libc's and their structure layouts, and the installed package.
# Included by tests/CMakeLists.txt.

# libc's socket functions and ours in one process, linked with the SHARED
# library (the case where an exported libc namesake would do harm).
add_executable(test_libc_clash test_libc_clash/linux.c
                               test_libc_clash/winsock.c)
target_include_directories(test_libc_clash PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(test_libc_clash PRIVATE ws2_32)
add_test(NAME test_libc_clash COMMAND test_libc_clash)
set_tests_properties(test_libc_clash PROPERTIES TIMEOUT 60 LABELS "unit;abi")

# No libc namesake and no ws2__ name exported; every ws2_<name> bound by
# the headers exported.
add_test(NAME test_exports
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/check_exports.sh
                 $<TARGET_FILE:ws2_32> ${PROJECT_SOURCE_DIR}/include/ws2posix
                 ${CMAKE_C_COMPILER})
set_tests_properties(test_exports PROPERTIES TIMEOUT 60 LABELS abi)

# The headers with libc's, gcc and clang, c17 and gnu17; layout asserts
# against ours and against mingw-w64's Windows headers.
add_test(NAME test_headers
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_headers.sh
                 ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/headers)
set_tests_properties(test_headers PROPERTIES TIMEOUT 300 LABELS abi)

# cmake --install into a temporary prefix; pkg-config and find_package
# consumers built and run against it.
set(WS2_INSTALL_TEST_FLAGS "")
if(WS2_SANITIZE STREQUAL "address")
  set(WS2_INSTALL_TEST_FLAGS "-fsanitize=address,undefined")
elseif(WS2_SANITIZE STREQUAL "thread")
  set(WS2_INSTALL_TEST_FLAGS "-fsanitize=thread")
endif()
add_test(NAME test_install
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_install.sh
                 ${PROJECT_BINARY_DIR} ${CMAKE_C_COMPILER}
                 "${WS2_INSTALL_TEST_FLAGS}")
set_tests_properties(test_install PROPERTIES TIMEOUT 300 LABELS install)
