#include "fifogate/status_record.hpp"
#include <array>
#include <charconv>
#include <utility>

namespace fifogate {

static constexpr std::array<std::pair<Outcome, const char *>, 9> kNames{{
    {Outcome::ok, "ok"},
    {Outcome::failed, "failed"},
    {Outcome::timeout, "timeout"},
    {Outcome::spawn_failed, "spawn_failed"},
    {Outcome::bad_input, "bad_input"},
    {Outcome::truncated, "truncated"},
    {Outcome::output_limit, "output_limit"},
    {Outcome::abandoned, "abandoned"},
    {Outcome::internal, "internal"},
}};

const char *outcome_name(Outcome o) {
  for (auto &[v, n] : kNames)
    if (v == o)
      return n;
  return "internal";
}

std::optional<Outcome> outcome_from_name(std::string_view name) {
  for (auto &[v, n] : kNames)
    if (name == n)
      return v;
  return std::nullopt;
}

// Values are single-line: a newline would end the field early.
static std::string one_line(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c == '\n' || c == '\r')
      c = ' ';
  return out;
}

std::string encode_status(const StatusRecord &s) {
  std::string out;
  out += "id=" + s.id.hex() + "\n";
  out += std::string("outcome=") + outcome_name(s.outcome) + "\n";
  out += "exit_code=" + std::to_string(s.exit_code) + "\n";
  out += "signal=" + std::to_string(s.signal) + "\n";
  out += "duration_ms=" + std::to_string(s.duration_ms) + "\n";
  out += "stderr_truncated=" + std::string(s.stderr_truncated ? "1" : "0") + "\n";
  out += "message=" + one_line(s.message) + "\n";
  out += "worker=" + one_line(s.worker) + "\n";
  if (!s.content_type.empty())
    out += "content_type=" + one_line(s.content_type) + "\n";
  out += "stderr_len=" + std::to_string(s.stderr_text.size()) + "\n\n";
  out += s.stderr_text;
  return out;
}

template <class T> static bool parse_int(std::string_view v, T &out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size();
}

Result<StatusRecord> decode_status(std::string_view text) {
  StatusRecord s;
  size_t stderr_len = 0;
  bool have_id = false, have_outcome = false, have_len = false;
  for (;;) {
    auto nl = text.find('\n');
    if (nl == std::string_view::npos)
      return Error::logic("decode status: missing blank line after the fields");
    auto line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.empty())
      break;
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return Error::logic("decode status: field without '=': " + std::string(line.substr(0, 40)));
    auto key = line.substr(0, eq), val = line.substr(eq + 1);
    bool good = true;
    if (key == "id") {
      auto id = RequestId::from_hex(val);
      good = id.has_value();
      if (id)
        s.id = *id;
      have_id = good;
    } else if (key == "outcome") {
      auto o = outcome_from_name(val);
      good = o.has_value();
      if (o)
        s.outcome = *o;
      have_outcome = good;
    } else if (key == "exit_code") {
      good = parse_int(val, s.exit_code);
    } else if (key == "signal") {
      good = parse_int(val, s.signal);
    } else if (key == "duration_ms") {
      good = parse_int(val, s.duration_ms);
    } else if (key == "stderr_truncated") {
      good = val == "0" || val == "1";
      s.stderr_truncated = val == "1";
    } else if (key == "message") {
      s.message = std::string(val);
    } else if (key == "worker") {
      s.worker = std::string(val);
    } else if (key == "content_type") {
      s.content_type = std::string(val);
    } else if (key == "stderr_len") {
      good = parse_int(val, stderr_len) && stderr_len <= kMaxStderr;
      have_len = good;
    } // unknown keys are skipped: a newer worker may add fields
    if (!good)
      return Error::logic("decode status: bad value for " + std::string(key));
  }
  if (!have_id || !have_outcome || !have_len)
    return Error::logic("decode status: id, outcome and stderr_len are required");
  if (text.size() != stderr_len)
    return Error::logic("decode status: stderr_len " + std::to_string(stderr_len) + " but " +
                        std::to_string(text.size()) + " bytes follow");
  s.stderr_text = std::string(text);
  return s;
}

} // namespace fifogate
