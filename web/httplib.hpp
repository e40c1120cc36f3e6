#pragma once
// The one way web/ includes cpp-httplib: header-only, the version pinned by
// scripts/fetch-httplib.sh. Its guards and hooks are written against this
// version's behaviour (web/http_edge tests): another one fails the build here.
#include <httplib.h>
#include <string_view>

static_assert(std::string_view(CPPHTTPLIB_VERSION) == "0.41.0",
              "fifogate's HTTP edge is written and tested against cpp-httplib 0.41.0; "
              "run scripts/fetch-httplib.sh and point FIFOGATE_HTTPLIB_DIR at it");
