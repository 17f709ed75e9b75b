# layered.cmake - what test_layered needs beside itself: the test
# providers (tests/providers/*.c, shared objects in providers/ of this
# build directory: a broken one of each kind and an IFS layer), the
# shipped layers (../providers), and the end-to-end test of an unmodified
# example program under ws2stat and ws2fault. Included by
# tests/CMakeLists.txt.
set(WS2T_PROVIDERS ${CMAKE_CURRENT_BINARY_DIR}/providers)

# ws2t_provider(TARGET OUTPUT SOURCE...) - a test provider OUTPUT.so.
function(ws2t_provider target output)
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES PREFIX "" OUTPUT_NAME ${output}
    LIBRARY_OUTPUT_DIRECTORY ${WS2T_PROVIDERS} C_VISIBILITY_PRESET hidden)
  target_compile_definitions(${target} PRIVATE _GNU_SOURCE)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/providers
    ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR}/providers)
  target_link_libraries(${target} PRIVATE ws2_32 Threads::Threads
                        ${CMAKE_DL_LIBS})
  add_dependencies(test_layered ${target})
endfunction()

ws2t_provider(ws2t_no_startup no_startup providers/no_startup.c)
set(WS2T_BROKEN refuse_version old_version fail_startup incomplete_table)
set(kind 1)
foreach(name ${WS2T_BROKEN})
  ws2t_provider(ws2t_${name} ${name} providers/broken.c)
  target_compile_definitions(ws2t_${name} PRIVATE BROKEN_KIND=${kind})
  math(EXPR kind "${kind} + 1")
endforeach()
ws2t_provider(ws2t_ifs_layer ifs_layer providers/ifs_layer.c
              ${PROJECT_SOURCE_DIR}/providers/lsp_chain.c
              ${PROJECT_SOURCE_DIR}/src/spi/provload.c
              ${PROJECT_SOURCE_DIR}/src/util/utf.c)

add_dependencies(test_layered ws2stat ws2fault ws2stat_tool)
target_compile_definitions(test_layered PRIVATE
  WS2T_PROVIDERS="${WS2T_PROVIDERS}"
  WS2T_LAYERS="${PROJECT_BINARY_DIR}/providers")
target_include_directories(test_layered PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/providers ${PROJECT_SOURCE_DIR}/providers)
target_link_libraries(test_layered PRIVATE ${CMAKE_DL_LIBS})

# A program never rebuilt for it, under ws2stat then ws2fault, through
# ws2catalog and a catalog file; skipped (77) while ws2catalog is not
# built.
# It runs the example programs, so it exists only where they are built.
if(WS2_EXAMPLES)
  add_test(NAME test_layered_e2e
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_layered_e2e.sh
                   ${PROJECT_BINARY_DIR})
  set_tests_properties(test_layered_e2e PROPERTIES TIMEOUT 120
                       LABELS "layered;examples" SKIP_RETURN_CODE 77)
endif()
