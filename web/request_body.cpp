#include "request_body.hpp"
#include "charset.hpp"
#include "check_request.hpp"
#include "httplib.hpp"
#include <cctype>

namespace fifogate {

bool FormParts::on_header(const httplib::FormData &header) {
  if (parts_.size() >= kMaxParts) {
    overflow_ = "the form has more than " + std::to_string(kMaxParts) + " parts";
    return false;
  }
  parts_.push_back(FormPart{header.name, header.filename, header.content_type, {}});
  return true;
}

bool FormParts::on_content(const char *data, size_t len) {
  if (parts_.empty())
    return false;
  if (bytes_ + len > max_bytes_) {
    overflow_ = "body over MAX_BODY_BYTES=" + std::to_string(max_bytes_) + " bytes";
    return false;
  }
  bytes_ += len;
  parts_.back().content.append(data, len);
  return true;
}

bool split_form_parts(const std::string &body, const std::string &content_type, FormParts &out) {
  std::string boundary;
  // RFC 2046: 1 to 70 characters; a longer one only makes the search slower.
  if (!httplib::detail::parse_multipart_boundary(content_type, boundary) || boundary.size() > 70)
    return false;
  httplib::detail::FormDataParser parser;
  parser.set_boundary(std::move(boundary));
  bool ok = parser.parse(
      body.data(), body.size(), [&](const httplib::FormData &h) { return out.on_header(h); },
      [&](const char *d, size_t n) { return out.on_content(d, n); });
  return ok && parser.is_valid();
}

namespace {

BodyRefusal refuse(int status, std::string message) {
  return {status, std::move(message)};
}

// The parts named `name` that are fields (not files).
std::vector<const FormPart *> fields_named(const std::vector<FormPart> &parts,
                                           const std::string &name) {
  std::vector<const FormPart *> out;
  for (const auto &p : parts)
    if (!p.is_file() && p.name == name)
      out.push_back(&p);
  return out;
}

// The charset a part's text is in: its own, else the form's _charset_
// field (HTML's way to say which one the browser used), else UTF-8.
std::string part_charset(const FormPart &p, const std::string &form_charset) {
  auto own = parse_media_type(p.content_type).charset;
  return own.empty() ? form_charset : own;
}

// `bytes` as UTF-8, or the refusal naming what could not be converted.
std::variant<std::string, BodyRefusal> utf8_of(std::string bytes, const std::string &charset,
                                               const std::string &what, int64_t max_bytes) {
  auto r = to_utf8(std::move(bytes), charset, static_cast<size_t>(max_bytes));
  if (r)
    return std::move(*r);
  if (r.error().code == E2BIG)
    return refuse(413, what + " is over MAX_BODY_BYTES=" + std::to_string(max_bytes) +
                           " bytes once converted to UTF-8");
  int status = r.error().code == EINVAL ? 415 : 400;
  return refuse(status,
                what + ": charset " + charset + " " +
                    (status == 415 ? "is not one this server knows; send UTF-8"
                                   : "does not match the bytes (" + r.error().detail + ")"));
}

struct FormText {
  std::string text, lang, source, content_type;
  std::map<std::string, std::string> fields;
  std::set<std::string> repeated = {};
};

constexpr size_t kMaxFields = 64; // far above any processor's parameters

// The fields besides the text, its language and its charset.
bool is_other_field(const std::string &name, const BodyRules &rules) {
  return name != rules.form_field && name != "lang" && name != "_charset_";
}

std::variant<FormText, BodyRefusal> from_multipart(const std::vector<FormPart> &parts,
                                                   const BodyRules &rules) {
  std::string charset = "utf-8";
  if (auto cs = fields_named(parts, "_charset_"); !cs.empty())
    charset = parse_media_type("x/x; charset=" + cs.front()->content).charset;
  const std::string &name = rules.form_field;
  auto fields = fields_named(parts, name);
  if (fields.size() > 1)
    return refuse(400, "the form has " + std::to_string(fields.size()) + " fields \"" + name +
                           "\"; send one");
  std::vector<const FormPart *> files;
  for (const auto &p : parts)
    if (p.is_file() && !(p.filename.empty() && p.content.empty())) // a file input left empty
      files.push_back(&p);
  bool have_field = !fields.empty() && !fields.front()->content.empty();
  if (files.size() > 1) {
    std::string names;
    for (const auto *f : files)
      names += (names.empty() ? "\"" : ", \"") + f->filename + "\"";
    return refuse(400, std::to_string(files.size()) + " files were uploaded (" + names +
                           "); send one file, or the text in a field \"" + name + "\"");
  }
  if (have_field && !files.empty())
    return refuse(400, "the form has both a field \"" + name + "\" and a file (\"" +
                           files.front()->filename + "\"); send one of them");
  FormText out;
  const FormPart *text = have_field ? fields.front() : !files.empty() ? files.front() : nullptr;
  if (!text && !fields.empty())
    text = fields.front(); // an empty text is still a text
  if (!text)
    return refuse(400, "the form has no field \"" + name +
                           "\" and no file; send the text in a "
                           "field \"" +
                           name + "\" (PROC_FORM_FIELD) or upload one file");
  // A file is text only when it says which charset it is in; otherwise its
  // bytes are passed as they are.
  std::string cs =
      text->is_file() ? parse_media_type(text->content_type).charset : part_charset(*text, charset);
  out.source = text->is_file() ? "file " + text->filename : "field " + name;
  auto part_type = parse_media_type(text->content_type);
  out.content_type = !text->is_file()             ? "text/plain; charset=utf-8"
                     : !part_type.charset.empty() ? part_type.as_utf8()
                     : part_type.type.empty()     ? "application/octet-stream"
                                                  : text->content_type;
  auto converted = utf8_of(text->content, cs, "the " + out.source, rules.max_bytes);
  if (auto *refusal = std::get_if<BodyRefusal>(&converted))
    return *refusal;
  out.text = std::move(std::get<std::string>(converted));
  if (auto langs = fields_named(parts, "lang"); langs.size() > 1)
    return refuse(400,
                  "the form has " + std::to_string(langs.size()) + " fields \"lang\"; send one");
  else if (!langs.empty())
    out.lang = langs.front()->content;
  for (const auto &p : parts)
    if (!p.is_file() && is_other_field(p.name, rules) && out.fields.size() < kMaxFields)
      if (!out.fields.emplace(p.name, p.content).second)
        out.repeated.insert(p.name);
  return out;
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

} // namespace

bool looks_like_form(std::string_view body) {
  if (body.empty())
    return false;
  bool pair_has_equals = false, any_pair = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '&') {
      if (any_pair && !pair_has_equals)
        return false;
      pair_has_equals = any_pair = false;
      continue;
    }
    any_pair = true;
    if (c == '=')
      pair_has_equals = true;
    else if (c == '%') {
      if (i + 2 >= body.size() || !is_hex(body[i + 1]) || !is_hex(body[i + 2]))
        return false;
      i += 2;
    } else if (!std::isalnum(static_cast<unsigned char>(c)) &&
               std::string_view("-._~*+!'()").find(c) == std::string_view::npos)
      return false;
  }
  return !any_pair || pair_has_equals;
}

namespace {

std::variant<FormText, BodyRefusal> from_urlencoded(const MediaType &type, const std::string &raw,
                                                    const BodyRules &rules) {
  httplib::Params params;
  httplib::detail::parse_query_text(raw, params);
  std::string charset = type.charset.empty() ? "utf-8" : type.charset;
  if (auto it = params.find("_charset_"); it != params.end() && type.charset.empty())
    charset = parse_media_type("x/x; charset=" + it->second).charset;
  const std::string &name = rules.form_field;
  // Counted in the body itself: the parsed list keeps identical pairs once.
  std::map<std::string, size_t> counts;
  for (size_t at = 0; at <= raw.size();) {
    size_t amp = raw.find('&', at);
    std::string pair = raw.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    ++counts[httplib::decode_query_component(pair.substr(0, pair.find('=')))];
    if (amp == std::string::npos)
      break;
    at = amp + 1;
  }
  size_t n = counts[name];
  if (n == 0)
    return refuse(400, "the form has no field \"" + name + "\"; send the text as " + name +
                           "=... (PROC_FORM_FIELD), or as the body with Content-Type text/plain");
  if (n > 1)
    return refuse(400, "the form has " + std::to_string(n) + " fields \"" + name + "\"; send one");
  FormText out;
  out.source = "field " + name;
  out.content_type = "text/plain; charset=utf-8";
  auto converted =
      utf8_of(params.find(name)->second, charset, "the field " + name, rules.max_bytes);
  if (auto *refusal = std::get_if<BodyRefusal>(&converted))
    return *refusal;
  out.text = std::move(std::get<std::string>(converted));
  if (counts["lang"] > 1)
    return refuse(400,
                  "the form has " + std::to_string(counts["lang"]) + " fields \"lang\"; send one");
  if (auto it = params.find("lang"); it != params.end())
    out.lang = it->second;
  for (const auto &[key, value] : params)
    if (is_other_field(key, rules) && out.fields.size() < kMaxFields) {
      out.fields.emplace(key, value);
      if (counts[key] > 1)
        out.repeated.insert(key);
    }
  return out;
}

} // namespace

DecodedBody decode_body(const MediaType &type, std::string raw, std::vector<FormPart> parts,
                        const std::string &query_lang, const BodyRules &rules) {
  RequestText out{{}, query_lang, "body", type.header, {}};
  bool forms = !rules.form_field.empty(); // else forms pass as they came
  std::variant<FormText, BodyRefusal> form = FormText{};
  if (!forms && (type.is_multipart() || type.is("application/x-www-form-urlencoded"))) {
    form = FormText{std::move(raw), {}, "body", type.header, {}};
  } else if (type.is("multipart/form-data")) {
    form = from_multipart(parts, rules);
  } else if (type.is("application/x-www-form-urlencoded") && looks_like_form(raw)) {
    form = from_urlencoded(type, raw, rules);
  } else if (type.is_multipart()) {
    return refuse(415, "unsupported Content-Type " + type.type +
                           "; send text/plain, a form field \"" + rules.form_field +
                           "\", or one file");
  } else if (rules.json_text && type.is("application/json")) {
    // Its "lang" wins over ?lang=, which fills in when it has none.
    auto j = parse_check_request(type.type, std::move(raw), query_lang);
    if (!j)
      return refuse(400, j.error().message());
    out.lang = std::move(j->lang);
    form =
        FormText{std::move(j->text), {}, "body", "text/plain; charset=utf-8", std::move(j->fields)};
  } else {
    std::string what = "the body";
    auto converted = type.is_text() ? utf8_of(std::move(raw), type.charset, what, rules.max_bytes)
                                    : std::variant<std::string, BodyRefusal>(std::move(raw));
    if (auto *refusal = std::get_if<BodyRefusal>(&converted))
      return *refusal;
    bool converted_text = type.is_text() && !type.charset.empty();
    form = FormText{std::move(std::get<std::string>(converted)),
                    {},
                    "body",
                    converted_text ? type.as_utf8() : type.header,
                    {}};
  }
  if (auto *refusal = std::get_if<BodyRefusal>(&form))
    return *refusal;
  auto &f = std::get<FormText>(form);
  if (!f.lang.empty() && !query_lang.empty() && f.lang != query_lang)
    return refuse(400, "two languages: ?lang=" + query_lang + " and \"" + f.lang +
                           "\" in the body; send one");
  out.text = std::move(f.text);
  out.source = std::move(f.source);
  out.content_type = std::move(f.content_type);
  out.fields = std::move(f.fields);
  out.repeated = std::move(f.repeated);
  if (!f.lang.empty())
    out.lang = std::move(f.lang);
  if (static_cast<int64_t>(out.text.size()) > rules.max_bytes)
    return refuse(413, "the text is over MAX_BODY_BYTES=" + std::to_string(rules.max_bytes) +
                           " bytes once converted to UTF-8");
  return out;
}

} // namespace fifogate
