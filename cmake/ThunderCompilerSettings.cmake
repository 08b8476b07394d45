# Warnings, sanitizers and ccache, applied to every target of the project through
# thunder_target_defaults().

find_program(THUNDER_CCACHE ccache)
if(THUNDER_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${THUNDER_CCACHE}")
endif()

# Designated initializers leave defaulted members out on purpose.
set(THUNDER_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wnon-virtual-dtor -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND THUNDER_WARNING_FLAGS -Wshadow=local)
else()
  list(APPEND THUNDER_WARNING_FLAGS -Wshadow)
endif()
if(THUNDER_WERROR)
  list(APPEND THUNDER_WARNING_FLAGS -Werror)
endif()

set(THUNDER_SANITIZER_FLAGS)
if(THUNDER_SANITIZE)
  set(THUNDER_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                              -fno-omit-frame-pointer)
  add_compile_options(${THUNDER_SANITIZER_FLAGS})
  add_link_options(${THUNDER_SANITIZER_FLAGS})
endif()

# Warnings for the project's own targets only (not for consumers of the installed package).
function(thunder_target_defaults target)
  target_compile_options(${target} PRIVATE ${THUNDER_WARNING_FLAGS})
endfunction()
