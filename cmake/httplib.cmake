# cpp-httplib, header-only: scripts/fetch-httplib.sh fetches the pinned
# version's httplib.h from Debian's archive into a cache outside the tree.
# Compiled into our own objects, so the sanitizers instrument it too.
if(DEFINED ENV{XDG_CACHE_HOME})
  set(_fifogate_cache "$ENV{XDG_CACHE_HOME}/fifogate")
else()
  set(_fifogate_cache "$ENV{HOME}/.cache/fifogate")
endif()
set(FIFOGATE_HTTPLIB_DIR "${_fifogate_cache}/cpp-httplib-0.41.0" CACHE PATH
    "Directory holding cpp-httplib 0.41.0's httplib.h (scripts/fetch-httplib.sh puts it there)")
if(NOT EXISTS "${FIFOGATE_HTTPLIB_DIR}/httplib.h")
  message(FATAL_ERROR "cpp-httplib: ${FIFOGATE_HTTPLIB_DIR}/httplib.h not found; "
                      "run scripts/fetch-httplib.sh (scripts/deps.sh does) or set FIFOGATE_HTTPLIB_DIR")
endif()
add_library(fifogate_httplib INTERFACE)
# SYSTEM: the library's own code is not held to our warning flags.
target_include_directories(fifogate_httplib SYSTEM BEFORE INTERFACE "${FIFOGATE_HTTPLIB_DIR}")
# httplib listens with a backlog of 5. A burst of new connections (a thousand
# clients starting at once) overflows it, and every connection that overflowed
# waits for the kernel's retransmissions (1 s, then 3 s) before the web sees
# its request. SOMAXCONN asks for as many as the kernel allows
# (net.core.somaxconn).
target_compile_definitions(fifogate_httplib INTERFACE CPPHTTPLIB_LISTEN_BACKLOG=SOMAXCONN)
