// Forms and uploads, sent by the real curl and as raw bytes: what an HTML
// form or `curl -F` sends reaches the command as the form's text, and no
// content type a browser or curl can send gets a bare 500.
#include "../support/stack.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace fgtest;
using namespace std::chrono;

namespace {

const std::string kText = "Helo wrld, naïve tesst";

// curl's answer: the status on the last line, the body before it.
HttpAnswer curl(const Stack &s, const std::string &path, std::vector<std::string> args) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "30", "-w", "\n%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("http://127.0.0.1:" + std::to_string(s.port()) + path);
  std::string out = run_capture(argv, "");
  HttpAnswer a;
  auto nl = out.rfind('\n');
  if (nl == std::string::npos)
    return a;
  a.status = std::atoi(out.c_str() + nl + 1);
  a.body = out.substr(0, nl);
  return a;
}

// A multipart/form-data body with these parts: {name, filename, type, content}.
struct Part {
  std::string name, filename, type, content;
};
std::string multipart(const std::vector<Part> &parts, const std::string &boundary = "xYzZy") {
  std::string b;
  for (const auto &p : parts) {
    b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty())
      b += "; filename=\"" + p.filename + "\"";
    b += "\r\n";
    if (!p.type.empty())
      b += "Content-Type: " + p.type + "\r\n";
    b += "\r\n" + p.content + "\r\n";
  }
  return b + "--" + boundary + "--\r\n";
}

HttpAnswer post_as(const Stack &s, const std::string &path, const std::string &type,
                   const std::string &body) {
  return http_post(s.port(), path, body, {{"Content-Type", type}});
}

class Forms : public ::testing::Test {
protected:
  void SetUp() override {
    s.start_processor();
    s.start_web();
    plain = curl(s, "/process", {"--data-binary", kText, "-H", "Content-Type: text/plain"});
    ASSERT_EQ(plain.status, 200) << plain.body;
    ASSERT_NE(plain.body.find("& Helo"), std::string::npos) << plain.body;
    ASSERT_NE(plain.body.find("& tesst"), std::string::npos) << plain.body;
  }
  Stack s;
  HttpAnswer plain; // the text sent as the body: what every form of it must answer
};

} // namespace

TEST_F(Forms, AnUrlencodedFormIsTheTextOfItsField) {
  auto a = curl(s, "/process", {"--data-urlencode", "text=" + kText});
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, plain.body);
  // Other fields (a submit button) are no part of the text.
  a = curl(s, "/process", {"--data-urlencode", "go=Check", "--data-urlencode", "text=" + kText});
  EXPECT_EQ(a.body, plain.body);
  EXPECT_NE(s.web_log().find("from=\"field text\""), std::string::npos) << s.web_log();
}

// curl --data-binary @file labels the file a form; it is a file, not a form.
TEST_F(Forms, AFileSentWithDataBinaryIsTakenAsItIs) {
  write_file(s.dir() + "/letter.txt", kText + "\nsecond lne\n");
  auto a = curl(s, "/process", {"--data-binary", "@" + s.dir() + "/letter.txt"});
  auto want = post_as(s, "/process", "text/plain", kText + "\nsecond lne\n");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, want.body);
  EXPECT_NE(a.body.find("& lne"), std::string::npos) << a.body;
  // One word is no form either.
  a = curl(s, "/process", {"--data-binary", "tesst"});
  EXPECT_NE(a.body.find("& tesst"), std::string::npos) << a.body;
}

TEST_F(Forms, AnUploadedFileOrAMultipartFieldIsTheText) {
  write_file(s.dir() + "/letter.txt", kText);
  auto a = curl(s, "/process", {"-F", "file=@" + s.dir() + "/letter.txt"});
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, plain.body);
  {
    std::string log = s.web_log();
    auto at = log.find("from=\"file letter.txt\"");
    ASSERT_NE(at, std::string::npos) << log;
    std::string line = log.substr(log.rfind('\n', at) + 1, at - log.rfind('\n', at));
    EXPECT_EQ(line.find(" in=0B"), std::string::npos) << "the upload's bytes are counted: " << line;
  }
  a = curl(s, "/process", {"-F", "text=" + kText});
  EXPECT_EQ(a.body, plain.body);
  // What a browser sends for a form with a text box and a file input left
  // empty: the empty file part is no file.
  a = post_as(s, "/process", "multipart/form-data; boundary=xYzZy",
              multipart({{"text", "", "", kText}, {"file", "", "application/octet-stream", ""}}));
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, plain.body);
  // The media type is case-insensitive.
  a = post_as(s, "/process", "Multipart/Form-Data; boundary=xYzZy",
              multipart({{"text", "", "", kText}}));
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, plain.body);
}

TEST_F(Forms, CheckTakesFormsWithTheirLanguage) {
  auto j = [](const HttpAnswer &a) { return nlohmann::json::parse(a.body, nullptr, false); };
  auto json = http_post(s.port(), "/check", nlohmann::json{{"text", kText}}.dump(),
                        {{"Content-Type", "application/json"}});
  ASSERT_EQ(json.status, 200) << json.body;
  auto form = curl(s, "/check", {"--data-urlencode", "text=" + kText});
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_EQ(j(form)["matches"], j(json)["matches"]);
  form = curl(s, "/check", {"-F", "text=" + kText, "-F", "lang=en_US"});
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_EQ(j(form)["lang"], "en_US");
  EXPECT_EQ(j(form)["matches"], j(json)["matches"]);
  // A dictionary that is not installed is refused as from ?lang=.
  form = curl(s, "/check", {"--data-urlencode", "text=x", "--data-urlencode", "lang=xx_YY"});
  EXPECT_EQ(form.status, 400) << form.body;
  // Two different languages: which one was meant is unknown.
  form = curl(s, "/check?lang=en_GB", {"--data-urlencode", "text=x", "-d", "lang=en_US"});
  EXPECT_EQ(form.status, 400) << form.body;
  EXPECT_NE(form.body.find("two languages"), std::string::npos) << form.body;
}

TEST_F(Forms, ADeclaredCharsetIsConvertedToUtf8) {
  std::string latin1 = "Helo wrld, na\xEFve tesst"; // ï in ISO-8859-1
  auto a = post_as(s, "/process", "text/plain; charset=ISO-8859-1", latin1);
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, plain.body);
  // A form says its charset in _charset_ (HTML) or on the Content-Type.
  a = post_as(s, "/process", "application/x-www-form-urlencoded",
              "_charset_=ISO-8859-1&text=Helo+wrld%2C+na%EFve+tesst");
  EXPECT_EQ(a.body, plain.body);
  a = post_as(s, "/process", "application/x-www-form-urlencoded; charset=iso-8859-1",
              "text=Helo+wrld%2C+na%EFve+tesst");
  EXPECT_EQ(a.body, plain.body);
  a = post_as(s, "/process", "multipart/form-data; boundary=xYzZy",
              multipart({{"file", "l.txt", "text/plain; charset=latin1", latin1}}));
  EXPECT_EQ(a.body, plain.body);
  a = post_as(s, "/process", "text/plain; charset=klingon", kText);
  EXPECT_EQ(a.status, 415) << a.body;
  EXPECT_NE(a.body.find("charset klingon"), std::string::npos) << a.body;
  a = post_as(s, "/process", "text/plain; charset=utf-16", "odd");
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_NE(a.body.find("does not match the bytes"), std::string::npos) << a.body;
}

TEST_F(Forms, FormsThatAreNotOneTextAreRefusedByName) {
  write_file(s.dir() + "/a.txt", "one");
  write_file(s.dir() + "/b.txt", "two");
  auto a =
      curl(s, "/process", {"-F", "x=@" + s.dir() + "/a.txt", "-F", "y=@" + s.dir() + "/b.txt"});
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_NE(a.body.find("2 files were uploaded (\"a.txt\", \"b.txt\")"), std::string::npos)
      << a.body;
  a = curl(s, "/process", {"--data-urlencode", "words=" + kText});
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_NE(a.body.find("no field \"text\""), std::string::npos) << a.body;
  a = curl(s, "/process", {"-F", "text=one", "-F", "file=@" + s.dir() + "/a.txt"});
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_NE(a.body.find("both a field \"text\" and a file"), std::string::npos) << a.body;
  a = curl(s, "/process", {"-d", "text=one", "-d", "text=two"});
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_NE(a.body.find("2 fields \"text\""), std::string::npos) << a.body;
  // The reason is in the log line too.
  EXPECT_NE(s.web_log().find("reason=\"the form has 2 fields"), std::string::npos) << s.web_log();
  // Nothing of this reached a worker: it still answers.
  a = curl(s, "/process", {"--data-urlencode", "text=" + kText});
  EXPECT_EQ(a.body, plain.body);
}

TEST_F(Forms, AFieldOverMaxBodyBytesIs413) {
  Stack small(Env{{"MAX_BODY_BYTES", "1000"}});
  small.start_processor();
  small.start_web();
  auto a = post_as(small, "/process", "multipart/form-data; boundary=xYzZy",
                   multipart({{"text", "", "", std::string(1200, 'a')}}));
  EXPECT_EQ(a.status, 413) << a.body;
  // Under the limit as ISO-8859-1, over it as UTF-8.
  a = post_as(small, "/process", "text/plain; charset=iso-8859-1", std::string(900, '\xE9'));
  EXPECT_EQ(a.status, 413) << a.body;
  EXPECT_NE(a.body.find("once converted to UTF-8"), std::string::npos) << a.body;
  a = post_as(small, "/process", "application/x-www-form-urlencoded", "text=ok");
  EXPECT_EQ(a.status, 200) << a.body;
}

TEST(FormsRaw, AnEmptyFormFieldSettingPassesFormsAsTheyCame) {
  Stack s(Env{{"PROC_FORM_FIELD", ""}});
  s.start_processor();
  s.start_web();
  std::string encoded = "text=Helo+wrld%2C+na%C3%AFve+tesst";
  auto a = post_as(s, "/process", "application/x-www-form-urlencoded", encoded);
  EXPECT_EQ(a.status, 200) << a.body;
  // The command saw the encoded form: aspell checks its pieces as words.
  EXPECT_EQ(a.body, post_as(s, "/process", "text/plain", encoded).body);
  EXPECT_NE(a.body.find("& AFve"), std::string::npos) << a.body;
}

// Every content type a browser or curl can send, on both routes: an answer
// that says what happened, never a 500, and the server serves on.
TEST_F(Forms, NoContentTypeGetsA500) {
  struct Case {
    std::string type, body;
    int process, check; // the expected status on each route
  };
  std::string one_file = multipart({{"f", "a.txt", "text/plain", kText}});
  std::string two_files =
      multipart({{"f", "a.txt", "text/plain", "a"}, {"g", "b.txt", "text/plain", "b"}});
  std::string a_field = multipart({{"text", "", "", kText}});
  std::string cut_short = "--xYzZy\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nHelo";
  std::vector<Case> cases = {
      {"text/plain", kText, 200, 200},
      {"text/plain; charset=utf-8", kText, 200, 200},
      {"text/plain; charset=windows-1252", "caf\xE9", 200, 200},
      {"application/octet-stream", kText, 200, 200},
      {"application/x-www-form-urlencoded", "text=Helo+wrld", 200, 200},
      {"multipart/form-data; boundary=xYzZy", one_file, 200, 200},
      {"multipart/form-data; boundary=xYzZy", two_files, 400, 400},
      {"multipart/form-data; boundary=xYzZy", a_field, 200, 200},
      {"multipart/form-data", a_field, 400, 400},                                   // no boundary
      {"multipart/form-data; boundary=" + std::string(71, '-'), a_field, 400, 400}, // RFC 2046
      {"multipart/form-data; boundary=xYzZy", cut_short, 400, 400},
      {"multipart/form-data; boundary=xYzZy", "garbage", 400, 400},
      {"multipart/mixed; boundary=xYzZy", one_file, 415, 415},
      {"application/json", "{\"text\": \"Helo\"}", 200, 200},
      {"application/json", "{not json", 200, 400},
      {"application/x-unknown", kText, 200, 200},
      {"", kText, 200, 200},
  };
  for (const auto &path : {"/process", "/check"}) {
    for (const auto &c : cases) {
      std::string head = std::string("POST ") + path + " HTTP/1.1\r\nHost: x\r\n";
      if (!c.type.empty())
        head += "Content-Type: " + c.type + "\r\n";
      head += "Content-Length: " + std::to_string(c.body.size()) + "\r\nConnection: close\r\n\r\n";
      auto a = http_raw(s.port(), head + c.body);
      int want = std::string(path) == "/process" ? c.process : c.check;
      EXPECT_EQ(a.status, want) << path << " " << c.type << ": " << a.body;
      if (a.status >= 400) {
        EXPECT_GT(a.body.size(), 30u) << path << " " << c.type << ": says why";
      }
    }
  }
  EXPECT_EQ(s.web_log().find(" 500 "), std::string::npos) << s.web_log();
  auto a = curl(s, "/process", {"--data-urlencode", "text=" + kText});
  EXPECT_EQ(a.body, plain.body);
}

// What the page's form sends with its script off: the same page back, the
// text in its box and the misspellings marked and listed.
TEST_F(Forms, ABrowsersFormGetsThePageWithTheResult) {
  std::map<std::string, std::string> browser = {
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}};
  auto a = http_post(s.port(), "/check", "text=Helo+%3Cb%3Ewrld%3C%2Fb%3E&lang=", browser);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(a.header("content-security-policy").find("form-action 'self'"), std::string::npos);
  EXPECT_NE(a.body.find("<p class=\"count\">2 misspellings</p>"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("<mark class=\"miss\">Helo</mark> &lt;b&gt;<mark class=\"miss\">wrld</mark>"
                        "&lt;/b&gt;"),
            std::string::npos)
      << a.body;
  EXPECT_NE(a.body.find("<strong>wrld</strong>"), std::string::npos);
  EXPECT_NE(a.body.find("world"), std::string::npos) << "a suggestion";
  // The line break after <textarea> is not part of the text (HTML drops it).
  EXPECT_NE(a.body.find(">\nHelo &lt;b&gt;wrld&lt;/b&gt;</textarea>"), std::string::npos) << a.body;
  EXPECT_EQ(a.body.find("<b>"), std::string::npos) << "the text is never markup";
  EXPECT_EQ(a.body.find("{{"), std::string::npos) << "every marker filled";
  // The dictionary chosen stays chosen.
  a = http_post(s.port(), "/check", "text=colour&lang=en_GB", browser);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.body.find("<option value=\"en_GB\" selected>"), std::string::npos);
  EXPECT_NE(a.body.find("No misspellings found."), std::string::npos);
  // A failure is the page too, with the status and the reason.
  a = http_post(s.port(), "/check", "words=x", browser);
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("<h2>Check failed</h2><p>the form has no field &quot;text&quot;"),
            std::string::npos)
      << a.body;
  // GET / is the same page, empty.
  auto page = http_get(s.port(), "/");
  EXPECT_EQ(page.body.find("{{"), std::string::npos);
  EXPECT_EQ(page.body.find("id=\"served\""), std::string::npos);
  EXPECT_NE(page.body.find("<form id=\"form\" method=\"post\" action=\"check\">"),
            std::string::npos);
}

// The command learns what its input is from FIFOGATE_CONTENT_TYPE.
TEST(FormsContentType, TheCommandIsToldWhatTheBodyIs) {
  const std::string say = "sh -c 'cat >/dev/null; printf %s \"${FIFOGATE_CONTENT_TYPE-unset}\"'";
  Stack s(Env{{"PROC_COMMAND", say}});
  s.start_processor();
  s.start_web();
  EXPECT_EQ(post_as(s, "/process", "text/markdown", "# hi").body, "text/markdown");
  EXPECT_EQ(s.post("x").body, "unset") << "no Content-Type, no variable";
  EXPECT_EQ(post_as(s, "/process", "application/x-www-form-urlencoded", "text=a").body,
            "text/plain; charset=utf-8");
  EXPECT_EQ(post_as(s, "/process", "text/csv; charset=latin1", "a,b").body,
            "text/csv; charset=utf-8");
  EXPECT_EQ(post_as(s, "/process", "multipart/form-data; boundary=xYzZy",
                    multipart({{"f", "t.csv", "text/csv", "a,b"}}))
                .body,
            "text/csv");
  EXPECT_EQ(post_as(s, "/process", "multipart/form-data; boundary=xYzZy",
                    multipart({{"f", "blob", "", "a,b"}}))
                .body,
            "application/octet-stream");
  // The rest of the environment is the processor's, with LC_ALL=C.UTF-8.
  Stack env(Env{{"PROC_COMMAND", "sh -c 'cat >/dev/null; printf %s/%s \"$LC_ALL\" \"$MARK\"'"}});
  env.start_processor({{"LC_ALL", "C"}, {"MARK", "kept"}});
  env.start_web();
  EXPECT_EQ(post_as(env, "/process", "text/plain", "x").body, "C.UTF-8/kept");
  // Forms passed as they came keep their own type, boundary and all.
  Stack raw(Env{{"PROC_COMMAND", say}, {"PROC_FORM_FIELD", ""}});
  raw.start_processor();
  raw.start_web();
  EXPECT_EQ(post_as(raw, "/process", "multipart/form-data; boundary=xYzZy",
                    multipart({{"text", "", "", "a"}}))
                .body,
            "multipart/form-data; boundary=xYzZy");
}
