// The LanguageTool API on the real web and worker, with real aspell:
// requests shaped as ltex-ls, the Obsidian plugin and browser add-ons send
// them, answers compared with aspell's own.
#include "../support/stack.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace fgtest;
using namespace std::chrono;

namespace {

const std::map<std::string, std::string> kForm = {
    {"Content-Type", "application/x-www-form-urlencoded"}};

std::string form_escape(const std::string &v) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v)
    out += std::isalnum(c) ? std::string(1, static_cast<char>(c))
                           : std::string("%") + hex[c >> 4] + hex[c & 15];
  return out;
}

// [offset, offset + length) of `utf8` in UTF-16 units, as a JavaScript client cuts it.
std::string js_substr(const std::string &utf8, size_t offset, size_t length) {
  std::string out;
  size_t units = 0;
  for (size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (units >= offset && units < offset + length)
      out += utf8.substr(i, n);
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return out;
}

// aspell's own misspellings of one line, each with its suggestions, in order.
std::vector<std::pair<std::string, std::vector<std::string>>>
aspell_misses(const std::string &line, const std::string &lang) {
  std::string out = run_capture({"aspell", "-a", "--lang=" + lang}, "^" + line + "\n");
  std::vector<std::pair<std::string, std::vector<std::string>>> misses;
  size_t at = 0;
  while (at < out.size()) {
    size_t nl = out.find('\n', at);
    std::string l = out.substr(at, nl - at);
    at = nl == std::string::npos ? out.size() : nl + 1;
    if (l.size() < 2 || (l[0] != '&' && l[0] != '#'))
      continue;
    std::string word = l.substr(2, l.find(' ', 2) - 2);
    std::vector<std::string> sugg;
    if (size_t colon = l.find(": "); l[0] == '&' && colon != std::string::npos) {
      std::string rest = l.substr(colon + 2);
      for (size_t p = 0; p <= rest.size();) {
        size_t comma = rest.find(", ", p);
        sugg.push_back(rest.substr(p, comma - p));
        p = comma == std::string::npos ? rest.size() + 1 : comma + 2;
      }
    }
    misses.emplace_back(word, sugg);
  }
  return misses;
}

nlohmann::json check(Stack &s, const std::string &body,
                     const std::map<std::string, std::string> &headers = kForm) {
  auto a = http_post(s.port(), "/v2/check", body, headers);
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.header("content-type"), "application/json");
  return a.status == 200 ? nlohmann::json::parse(a.body) : nlohmann::json::object();
}

} // namespace

TEST(V2Check, ReportsExactlyAspellsMisspellingsWithTheirSuggestions) {
  Stack s;
  s.start_processor();
  s.start_web();
  for (std::string lang : {"en_US", "en_GB"}) {
    std::string text = "This sentense has a speling mistake, colour and color, 😀 wrod café.";
    std::string code = lang == "en_US" ? "en-US" : "en-GB";
    auto j = check(s, "language=" + code + "&text=" + form_escape(text));
    auto expected = aspell_misses(text, lang);
    ASSERT_FALSE(expected.empty());
    ASSERT_EQ(j["matches"].size(), expected.size()) << j.dump(1);
    for (size_t i = 0; i < expected.size(); ++i) {
      const auto &m = j["matches"][i];
      EXPECT_EQ(js_substr(text, m["offset"], m["length"]), expected[i].first) << lang;
      std::vector<std::string> got;
      for (const auto &r : m["replacements"])
        got.push_back(r["value"]);
      EXPECT_EQ(got, expected[i].second) << expected[i].first;
    }
    EXPECT_EQ(j["language"]["code"], code);
    EXPECT_EQ(j["software"]["name"], "fifogate");
    EXPECT_EQ(j["software"]["apiVersion"], 1);
    EXPECT_EQ(j["warnings"]["incompleteResults"], false);
  }
}

TEST(V2Check, TakesTheRequestShapesOfEditorClients) {
  Stack s;
  s.start_processor();
  s.start_web();
  std::string text = "First line is fine.\nThe scond line has a 😀 mistke.";
  std::string form = "language=en-US&text=" + form_escape(text);
  auto plain = check(s, form);
  ASSERT_EQ(plain["matches"].size(), 2u);
  EXPECT_EQ(js_substr(text, plain["matches"][1]["offset"], plain["matches"][1]["length"]),
            "mistke");
  EXPECT_EQ(plain["matches"][1]["sentence"], "The scond line has a 😀 mistke.");
  // ltex-ls: the same form, labelled application/json, with its other fields.
  auto ltex = check(s, form + "&motherTongue=de-DE&enabledOnly=false&level=picky",
                    {{"Content-Type", "application/json"}});
  EXPECT_EQ(ltex["matches"], plain["matches"]);
  // A query string (GET), as some add-ons test the server.
  auto get = http_get(s.port(), "/v2/check?language=en-US&text=" + form_escape(text));
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(nlohmann::json::parse(get.body)["matches"], plain["matches"]);
  // The Obsidian plugin and gramma's Markdown mode: `data` annotations;
  // markup is not checked and positions are of the whole document.
  nlohmann::json data = {{"annotation",
                          {{{"markup", "## "}},
                           {{"text", "Heding"}},
                           {{"markup", "\n\n"}, {"interpretAs", "\n\n"}},
                           {{"text", "Some "}},
                           {{"markup", "`cdoe`"}},
                           {{"text", " and 😀 "}},
                           {{"markup", "**"}},
                           {{"text", "txet"}},
                           {{"markup", "**"}}}}};
  std::string doc = "## Heding\n\nSome `cdoe` and 😀 **txet**";
  auto annotated = check(s, "language=en-US&data=" + form_escape(data.dump()));
  ASSERT_EQ(annotated["matches"].size(), 2u) << annotated.dump(1);
  EXPECT_EQ(js_substr(doc, annotated["matches"][0]["offset"], annotated["matches"][0]["length"]),
            "Heding");
  EXPECT_EQ(js_substr(doc, annotated["matches"][1]["offset"], annotated["matches"][1]["length"]),
            "txet");
}

TEST(V2Check, RefusesAsLanguageToolDoes) {
  Stack s(Env{{"WEB_V2_MAX_TEXT_LENGTH", "20"}});
  s.start_processor();
  s.start_web();
  auto error = [&](const std::string &body, int status, const std::string &says) {
    auto a = http_post(s.port(), "/v2/check", body, kForm);
    EXPECT_EQ(a.status, status) << body << ": " << a.body;
    EXPECT_EQ(a.body.rfind("Error: ", 0), 0u) << a.body;
    EXPECT_NE(a.body.find(says), std::string::npos) << a.body;
  };
  error("language=en-US", 400, "Missing 'text' or 'data'");
  error("language=xx-YY&text=hello", 400, "en-US");
  error("language=en-US&text=%FFhello", 400, "UTF-8");
  error("language=en-US&text=a%00b", 400, "NUL");
  error("language=en-US&data=%7B", 400, "'data' is not JSON");
  error("language=en-US&text=" + std::string(21, 'a'), 413, "limit of 20 characters");
  // 20 characters of which 10 are emoji: characters, not bytes or units.
  std::string emoji;
  for (int i = 0; i < 10; ++i)
    emoji += "😀 ";
  auto fits = http_post(s.port(), "/v2/check", "language=en-US&text=" + form_escape(emoji), kForm);
  EXPECT_EQ(fits.status, 200) << fits.body;
  // The server keeps serving.
  EXPECT_EQ(check(s, "language=en-US&text=tset")["matches"].size(), 1u);
}

TEST(V2Check, LanguagesHealthAndLimits) {
  Stack s(Env{{"WEB_V2_MAX_TEXT_LENGTH", "5000"}});
  s.start_processor();
  s.start_web();
  auto langs = http_get(s.port(), "/v2/languages");
  ASSERT_EQ(langs.status, 200);
  auto list = nlohmann::json::parse(langs.body);
  bool us = false;
  for (const auto &l : list)
    us = us || (l["longCode"] == "en-US" && l["code"] == "en");
  EXPECT_TRUE(us) << langs.body;
  auto health = http_get(s.port(), "/v2/healthcheck");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "OK");
  auto info = http_get(s.port(), "/v2/configinfo?language=en-US");
  ASSERT_EQ(info.status, 200);
  EXPECT_EQ(nlohmann::json::parse(info.body)["parameter"]["maxTextLength"], 5000);
  auto wrong = http_raw(s.port(), "DELETE /v2/check HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("allow"), "GET, POST");
}

TEST(V2Check, TakesTheTokenAsApiKeyAndAnswersBrowserAddOns) {
  Stack s(Env{{"WEB_TOKEN", "s3cret"}, {"WEB_CORS_ORIGINS", "chrome-extension://abcdef"}});
  s.start_processor();
  s.start_web();
  auto none = http_post(s.port(), "/v2/check", "language=en-US&text=tset", kForm);
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_EQ(none.body.rfind("Error: ", 0), 0u);
  auto wrong = http_post(s.port(), "/v2/check", "language=en-US&text=tset&apiKey=nope", kForm);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(
      http_post(s.port(), "/v2/check", "language=en-US&text=tset&apiKey=s3cret", kForm).status,
      200);
  EXPECT_EQ(
      http_post(s.port(), "/v2/check", "language=en-US&text=tset&api_key=s3cret", kForm).status,
      200);
  auto bearer = kForm;
  bearer["Authorization"] = "Bearer s3cret";
  EXPECT_EQ(http_post(s.port(), "/v2/check", "language=en-US&text=tset", bearer).status, 200);
  bearer["Authorization"] = "Bearer nope";
  EXPECT_EQ(http_post(s.port(), "/v2/check", "language=en-US&text=tset", bearer).status, 401);
  // What a client asks before it checks needs no token.
  EXPECT_EQ(http_get(s.port(), "/v2/languages").status, 200);
  EXPECT_EQ(http_get(s.port(), "/languages").status, 401);
  // A browser add-on's preflight, then its request.
  auto pre = http_raw(s.port(), "OPTIONS /v2/check HTTP/1.1\r\nHost: x\r\n"
                                "Origin: chrome-extension://abcdef\r\n"
                                "Access-Control-Request-Method: POST\r\n\r\n");
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.header("access-control-allow-methods"), "GET, POST");
  auto from_addon = kForm;
  from_addon["Origin"] = "chrome-extension://abcdef";
  auto a = http_post(s.port(), "/v2/check", "language=en-US&text=tset&apiKey=s3cret", from_addon);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("access-control-allow-origin"), "chrome-extension://abcdef");
}

TEST(V2Check, NeedsASpellCheckerBehindIt) {
  Stack s(Env{{"PROC_COMMAND", "cat"}});
  s.start_processor();
  s.start_web();
  ASSERT_TRUE(eventually(
      [&] { return http_get(s.port(), "/processors").body.find("cat") != std::string::npos; },
      seconds(5)));
  auto a = http_post(s.port(), "/v2/check", "language=auto&text=hello", kForm);
  EXPECT_EQ(a.status, 501) << a.body;
  EXPECT_NE(a.body.find("spell checker"), std::string::npos) << a.body;
}
