# One interface target carries the warning and sanitizer flags for every target.
add_library(fifogate_warnings INTERFACE)
target_compile_options(fifogate_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wconversion -Wno-sign-conversion $<$<BOOL:${FIFOGATE_WERROR}>:-Werror>)
if(FIFOGATE_SANITIZE)
  target_compile_options(fifogate_warnings INTERFACE -fsanitize=${FIFOGATE_SANITIZE}
    -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(fifogate_warnings INTERFACE -fsanitize=${FIFOGATE_SANITIZE})
endif()
