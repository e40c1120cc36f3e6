// The line cache in front of the exchange (line_cache.hpp): the lines of a
// text whose answers are cached are answered here, only the others go to a
// worker, and the answer is spliced back in order, byte for byte what the
// whole text would have got.
#include "fifogate/ispell.hpp"
#include "line_cache.hpp"
#include "web_server_impl.hpp"

namespace fifogate {

namespace {

// What an answer of the cache alone looks like to the routes: a command that
// exited 0 with nothing on stderr.
ExchangeResult answered_from_cache(std::string output) {
  ExchangeResult r;
  r.error = ExchangeError::none;
  r.output = std::move(output);
  StatusRecord s;
  s.outcome = Outcome::ok;
  s.exit_code = 0;
  r.status = s;
  return r;
}

bool succeeded(const ExchangeResult &r) {
  return r.error == ExchangeError::none && r.status && r.status->outcome == Outcome::ok &&
         r.status->stderr_text.empty();
}

} // namespace

ExchangeResult WebServer::Impl::dispatch_text(ProcessorKind &kind, const RequestId &id,
                                              std::string_view text, const RequestOptions &opts) {
  if (!line_cache.enabled())
    return dispatch(kind, id, text, opts);
  auto d = kind.described();
  const WorkerInfo &info = *d.info;
  // Only what the installed dictionaries alone decide (dict_id, from the
  // worker), for a request that tells the command nothing but its lang.
  if (info.protocol != "ispell" || info.dict_id.empty() || !opts.params.empty() ||
      !opts.headers.empty() || info.pass_request)
    return dispatch(kind, id, text, opts);
  // With no worker of the kind running, the cache does not answer for it:
  // /healthz and the answers agree, and a dictionary no worker has now is
  // not vouched for.
  if (kind.dispatcher().live_slots().empty())
    return dispatch(kind, id, text, opts);
  auto &ctx = RequestContext::current();
  const std::string prefix =
      kind.name() + '\0' + opts.lang + '\0' + info.dict_id + '\0' + info.command + '\0';
  auto same_dictionaries = [&](const ExchangeResult &r) {
    auto answered_by = read_worker_infos(kind.cfg(), {r.slot});
    return !answered_by.empty() && answered_by[0].dict_id == info.dict_id;
  };
  auto banner = line_cache.peek(prefix + "banner");
  if (!banner) {
    // The first text of this dictionary: answered whole, and remembered.
    ExchangeResult r = dispatch(kind, id, text, opts);
    ctx.cache.add("cache", "miss");
    if (succeeded(r) && same_dictionaries(r)) {
      auto b = r.output.substr(0, r.output.find('\n') + 1);
      TextLines lines = text_lines(text, ispell::checker_from_banner(b));
      std::vector<std::string_view> answered;
      for (size_t i = 0; i < lines.lines.size(); ++i)
        if (lines.answered[i])
          answered.push_back(lines.lines[i]);
      if (auto blocks = answer_blocks(r.output, answered.size())) {
        line_cache.put(prefix + "banner", blocks->banner);
        for (size_t i = 0; i < answered.size(); ++i)
          line_cache.put(prefix + std::string(answered[i]), std::move(blocks->blocks[i]));
      }
    }
    return r;
  }
  ispell::Checker checker = ispell::checker_from_banner(*banner);
  TextLines lines = text_lines(text, checker);
  std::vector<std::optional<std::string>> blocks(lines.lines.size());
  std::vector<size_t> missing;
  std::string to_send;
  for (size_t i = 0; i < lines.lines.size(); ++i) {
    if (!lines.answered[i]) {
      blocks[i] = std::string();
      continue;
    }
    // hunspell answers a long line in pieces: such a text goes whole.
    if (checker == ispell::Checker::hunspell && lines.lines[i].size() + 2 > ispell::kHunspellPiece)
      return dispatch(kind, id, text, opts);
    blocks[i] = line_cache.get(prefix + std::string(lines.lines[i]));
    if (!blocks[i]) {
      missing.push_back(i);
      to_send.append(lines.lines[i]).push_back('\n');
    }
  }
  size_t answered = 0;
  for (bool a : lines.answered)
    answered += a;
  ctx.cache.add("cache", missing.empty() ? "hit" : "partial")
      .add("lines_cached",
           std::to_string(answered - missing.size()) + "/" + std::to_string(answered));
  auto spliced = [&] {
    std::string out = *banner;
    for (const auto &b : blocks)
      out += *b;
    return out;
  };
  if (missing.empty())
    return answered_from_cache(spliced());
  RequestOptions partial = opts;
  partial.body_len = to_send.size();
  ExchangeResult r = dispatch(kind, id, to_send, partial);
  if (!succeeded(r)) {
    // A failure of the lines it was sent is the whole text's; an answer
    // with something on stderr is not cached, and is the whole text's.
    if (r.error == ExchangeError::none && r.status && r.status->outcome == Outcome::ok)
      return dispatch(kind, id, text, opts);
    return r;
  }
  auto fresh = answer_blocks(r.output, missing.size());
  if (!fresh || fresh->banner != *banner || !same_dictionaries(r)) {
    // Another checker or dictionary answered than the cache holds: the
    // whole text goes again, and nothing is mixed.
    ctx.cache.add("cache", "bypassed");
    return dispatch(kind, id, text, opts);
  }
  for (size_t k = 0; k < missing.size(); ++k) {
    size_t i = missing[k];
    line_cache.put(prefix + std::string(lines.lines[i]), fresh->blocks[k]);
    blocks[i] = std::move(fresh->blocks[k]);
  }
  r.output = spliced();
  return r;
}

} // namespace fifogate
