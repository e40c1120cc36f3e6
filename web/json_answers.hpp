#pragma once
#include "exchange.hpp"
#include "http_status.hpp"
#include "ispell_matches.hpp"
#include "worker_info.hpp"
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// The JSON bodies of the API, kept apart from the HTTP plumbing.

// POST /process with Accept: application/json: request_id, exit_code, signal,
// outcome, stdout, stderr, stderr_truncated, duration_ms, and error when the
// status is not 200. POST /check answers its failures with the same fields.
// stdout and stderr that are not UTF-8 text (or hold NUL) come as null, with
// the bytes in stdout_base64 / stderr_base64; *_encoding says which.
nlohmann::json exchange_json(const RequestId &id, const ExchangeResult &r, const HttpVerdict &v);

// UTF-8 without NUL bytes: what is answered as text.
bool is_text(std::string_view bytes);
// A 200 answer's Content-Type: the processor's own (`declared`, from the
// wire: used only when it is printable ASCII), else by what `output` is.
std::string answer_content_type(const std::string &declared, std::string_view output);
// RFC 4648 base64, padded.
std::string base64(std::string_view bytes);

// POST /check's "matches".
nlohmann::json matches_json(const std::vector<SpellMatch> &matches);

// GET /limits: the settings that bound a request.
nlohmann::json limits_json(const Config &cfg);

// GET /version: {"web": "...", "workers": [{"processor", "slot", "worker", "version"}]}.
nlohmann::json version_json(std::string_view web_version, const std::vector<WorkerInfo> &workers);

// One entry of GET /processors: a kind as its live workers describe it.
nlohmann::json processor_json(const std::string &name, bool is_default,
                              const std::vector<WorkerInfo> &workers);

// Serialised; bytes that are not UTF-8 (a command's stderr may have any)
// become U+FFFD instead of failing the answer.
std::string dump(const nlohmann::json &j);

} // namespace fifogate
