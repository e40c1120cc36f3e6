#include "request_context.hpp"

namespace fifogate {

namespace {
thread_local RequestContext *t_current = nullptr;
// Outside a request (a hook httplib calls before one is bound): a scratch one.
thread_local RequestContext t_unbound;
} // namespace

RequestContext &RequestContext::current() {
  return t_current ? *t_current : t_unbound;
}

ScopedRequest::ScopedRequest(RequestContext &c) {
  t_current = &c;
}
ScopedRequest::~ScopedRequest() {
  t_current = nullptr;
}

} // namespace fifogate
