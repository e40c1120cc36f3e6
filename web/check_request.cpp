#include "check_request.hpp"
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace fifogate {

namespace {

constexpr size_t kMaxFields = 64; // far above any processor's parameters

bool is_json(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
    media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t'))
    media.remove_prefix(1);
  constexpr std::string_view kJson = "application/json";
  return media.size() == kJson.size() &&
         std::equal(media.begin(), media.end(), kJson.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

} // namespace

Result<CheckRequest> parse_check_request(std::string_view content_type, std::string body,
                                         std::string query_lang) {
  CheckRequest req;
  req.lang = std::move(query_lang);
  if (!is_json(content_type)) {
    req.text = std::move(body);
    return req;
  }
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Error::logic("the body is not valid JSON (send {\"text\": \"...\"}, or plain text "
                        "with another Content-Type)");
  if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
    return Error::logic(
        "the JSON body needs a \"text\" string: {\"text\": \"...\", \"lang\": \"en_US\"}");
  req.text = j["text"].get<std::string>();
  if (j.contains("lang") && !j["lang"].is_null()) {
    if (!j["lang"].is_string())
      return Error::logic("\"lang\" must be a string such as \"en_US\" (see GET /languages)");
    req.lang = j["lang"].get<std::string>();
  }
  for (const auto &[key, value] : j.items())
    if (value.is_string() && key != "text" && key != "lang" && req.fields.size() < kMaxFields)
      req.fields[key] = value.get<std::string>();
  return req;
}

} // namespace fifogate
