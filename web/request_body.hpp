#pragma once
#include "media_type.hpp"
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace httplib {
struct FormData;
}

namespace fifogate {

// One part of a multipart/form-data body.
struct FormPart {
  std::string name;
  std::string filename;     // empty for a field
  std::string content_type; // the part's own Content-Type, if it had one
  std::string content;
  // A browser sends a file input as a part with a filename and a type (an
  // empty one when no file was chosen); curl -F name=@file likewise. A
  // field has neither.
  bool is_file() const { return !filename.empty() || !content_type.empty(); }
};

// Collects the parts cpp-httplib's multipart parser reports, within bounds.
class FormParts {
public:
  static constexpr size_t kMaxParts = 1000;
  explicit FormParts(size_t max_bytes) : max_bytes_(max_bytes) {}
  bool on_header(const httplib::FormData &header);
  bool on_content(const char *data, size_t len);
  // Why collecting stopped early (empty while it has not).
  const std::string &overflow() const { return overflow_; }
  size_t bytes() const { return bytes_; } // the parts' contents, headers not counted
  std::vector<FormPart> take() { return std::move(parts_); }

private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::vector<FormPart> parts_;
  std::string overflow_;
};

// Splits a whole multipart/form-data body with cpp-httplib's parser, in one
// pass. False when it is not well-formed (or its boundary is over 70
// characters, RFC 2046's limit).
bool split_form_parts(const std::string &body, const std::string &content_type, FormParts &out);

// How a route takes its body.
struct BodyRules {
  // PROC_FORM_FIELD: the form field that is the text. Empty: every body
  // reaches the command as it came, forms included.
  std::string form_field = "text";
  int64_t max_bytes = 0;  // MAX_BODY_BYTES, also for the text after conversion
  bool json_text = false; // application/json is {"text": ..., "lang": ...} (POST /check)
};

// The text for the command, and the parameters that came with it.
struct RequestText {
  std::string text;
  std::string lang;
  std::string source; // for the log: "body", "field text", "file letter.txt"
  // What the text is, for the command: the request's own Content-Type when
  // the body passes as it came; "<type>; charset=utf-8" once converted or
  // taken from a form; an uploaded file's own type.
  std::string content_type;
  // A form's other fields, or a JSON body's other string members: values
  // for the processor's declared parameters, where it declares them.
  std::map<std::string, std::string> fields;
  // The names of those the form gives more than once (`fields` holds the
  // first): a declared parameter among them is refused, as in the query.
  std::set<std::string> repeated = {}; // (= {}: aggregate initialisers may leave it out)
};

// The answer the web gives instead, and why.
struct BodyRefusal {
  int status;
  std::string message;
};

using DecodedBody = std::variant<RequestText, BodyRefusal>;

// True when `body` is in form encoding (name=value pairs joined by '&', no
// byte a form encoder leaves unescaped). curl --data-binary @file sends a
// file with the form's Content-Type; a text with a space, a line break or
// any non-ASCII byte is such a file, not a form, and is taken as it is.
bool looks_like_form(std::string_view body);

// What the request's body comes to. `raw` is the body as read unless it was
// read as `parts` (multipart/form-data). `query_lang` is ?lang=; a form's or
// a JSON body's "lang" may give it instead, but not a different one.
DecodedBody decode_body(const MediaType &type, std::string raw, std::vector<FormPart> parts,
                        const std::string &query_lang, const BodyRules &rules);

} // namespace fifogate
