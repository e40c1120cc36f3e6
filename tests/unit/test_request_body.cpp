// What a request's body comes to for the command: the rules of
// web/request_body.cpp, web/media_type.cpp and web/charset.cpp.
#include "charset.hpp"
#include "media_type.hpp"
#include "request_body.hpp"
#include "result_page.hpp"
#include <gtest/gtest.h>

using namespace fifogate;

namespace {

BodyRules rules(std::string field = "text") {
  return BodyRules{std::move(field), 1000, false};
}

RequestText text_of(const DecodedBody &d) {
  if (auto *r = std::get_if<BodyRefusal>(&d)) {
    ADD_FAILURE() << r->status << " " << r->message;
    return {};
  }
  return std::get<RequestText>(d);
}

int refused(const DecodedBody &d) {
  auto *r = std::get_if<BodyRefusal>(&d);
  return r ? r->status : 0;
}

} // namespace

TEST(MediaType, TypeAndCharsetInLowerCase) {
  auto m = parse_media_type(" Text/Plain ; Charset=\"ISO-8859-1\"");
  EXPECT_EQ(m.type, "text/plain");
  EXPECT_EQ(m.charset, "iso-8859-1");
  EXPECT_TRUE(m.is_text());
  EXPECT_TRUE(parse_media_type("multipart/mixed; boundary=x").is_multipart());
  EXPECT_EQ(parse_media_type("").type, "");
}

TEST(Charset, ConvertsOrSaysWhyNot) {
  EXPECT_EQ(*to_utf8("na\xEFve", "iso-8859-1"), "naïve");
  EXPECT_EQ(*to_utf8(std::string("\xFF\xFEh\0i\0", 6), "utf-16"), "hi");
  EXPECT_EQ(*to_utf8("as is \xFF", "utf-8"), "as is \xFF"); // UTF-8 is passed, not checked
  // Some charsets grow far more than 4 times (a TSCII byte can be 4 Tamil
  // letters); the limit holds all the same.
  auto tamil = to_utf8(std::string(100, '\x82'), "tscii");
  ASSERT_TRUE(tamil.ok()) << tamil.error().message();
  EXPECT_GT(tamil->size(), 400u);
  auto over = to_utf8(std::string(100, '\x82'), "tscii", 500);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, E2BIG);
  auto unknown = to_utf8("x", "klingon");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, EINVAL);
  auto bad = to_utf8("ab\xFF", "us-ascii-strict-not-a-name");
  EXPECT_FALSE(bad.ok());
  auto cut = to_utf8(std::string("h\0i", 3), "utf-16le");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, EILSEQ);
  EXPECT_NE(cut.error().detail.find("byte 2"), std::string::npos) << cut.error().detail;
}

TEST(RequestBody, UrlencodedFieldIsTheTextAndLangComesAlong) {
  auto t =
      text_of(decode_body(parse_media_type("application/x-www-form-urlencoded"),
                          "go=Check&text=Helo+w%C3%B6rld%0D%0Aline&lang=en_GB", {}, "", rules()));
  EXPECT_EQ(t.text, "Helo wörld\r\nline");
  EXPECT_EQ(t.lang, "en_GB");
  EXPECT_EQ(t.source, "field text");
  // Another field name, as a processor sets it.
  t = text_of(decode_body(parse_media_type("application/x-www-form-urlencoded"), "q=abc", {}, "",
                          rules("q")));
  EXPECT_EQ(t.text, "abc");
  EXPECT_EQ(refused(decode_body(parse_media_type("application/x-www-form-urlencoded"), "q=abc", {},
                                "", rules())),
            400);
}

TEST(RequestBody, OnlyFormEncodedBodiesAreForms) {
  EXPECT_TRUE(looks_like_form("text=Helo+w%C3%B6rld%2C&lang=en_GB"));
  EXPECT_TRUE(looks_like_form("text="));
  EXPECT_TRUE(looks_like_form("a=1&&b=2&"));
  EXPECT_FALSE(looks_like_form(""));
  EXPECT_FALSE(looks_like_form("hello"));             // one word
  EXPECT_FALSE(looks_like_form("text=a b"));          // a raw space
  EXPECT_FALSE(looks_like_form("text=a\nb"));         // a line break
  EXPECT_FALSE(looks_like_form("text=na\xC3\xAFve")); // raw UTF-8
  EXPECT_FALSE(looks_like_form("text=100%"));         // % without two hex digits
  EXPECT_FALSE(looks_like_form("a=1&b"));             // a pair without '='
  // Such a body with the form's type is the text itself.
  auto t = text_of(decode_body(parse_media_type("application/x-www-form-urlencoded"), "Helo wrld\n",
                               {}, "", rules()));
  EXPECT_EQ(t.text, "Helo wrld\n");
  EXPECT_EQ(t.source, "body");
}

TEST(RequestBody, OneFileOrOneFieldFromMultipart) {
  auto form = parse_media_type("multipart/form-data; boundary=b");
  std::vector<FormPart> file = {{"upload", "a.md", "text/markdown", "# hi"}};
  auto t = text_of(decode_body(form, "", file, "", rules()));
  EXPECT_EQ(t.text, "# hi");
  EXPECT_EQ(t.source, "file a.md");
  // A binary file's bytes pass untouched.
  std::string bin("\x1f\x8b\0\xff", 4);
  t = text_of(decode_body(form, "", {{"f", "x.gz", "application/gzip", bin}}, "", rules()));
  EXPECT_EQ(t.text, bin);
  EXPECT_EQ(refused(decode_body(form, "", {{"f", "a", "text/plain", "1"}, {"g", "b", "", "2"}}, "",
                                rules())),
            400);
  EXPECT_EQ(refused(decode_body(form, "", {{"other", "", "", "x"}}, "", rules())), 400);
  // An empty text field counts as a text when there is nothing else.
  t = text_of(decode_body(form, "", {{"text", "", "", ""}}, "", rules()));
  EXPECT_EQ(t.text, "");
}

TEST(RequestBody, OtherTypesAndTheRawSetting) {
  EXPECT_EQ(
      refused(decode_body(parse_media_type("multipart/mixed; boundary=b"), "x", {}, "", rules())),
      415);
  auto t =
      text_of(decode_body(parse_media_type("application/json"), "{\"text\":1}", {}, "", rules()));
  EXPECT_EQ(t.text, "{\"text\":1}"); // /process: JSON is a body like any other
  BodyRules check = rules();
  check.json_text = true;
  t = text_of(decode_body(parse_media_type("application/json"), "{\"text\":\"hi\",\"lang\":\"de\"}",
                          {}, "en", check));
  EXPECT_EQ(t.text, "hi");
  EXPECT_EQ(t.lang, "de");
  t = text_of(decode_body(parse_media_type("application/x-www-form-urlencoded"), "text=a+b", {}, "",
                          rules("")));
  EXPECT_EQ(t.text, "text=a+b");
  BodyRules raw_check = rules("");
  raw_check.json_text = true; // forms pass undecoded; /check's JSON is still read
  t = text_of(
      decode_body(parse_media_type("application/json"), "{\"text\":\"hi\"}", {}, "", raw_check));
  EXPECT_EQ(t.text, "hi");
  EXPECT_EQ(refused(decode_body(parse_media_type("application/x-www-form-urlencoded"),
                                "text=a&text=a", {}, "", rules())),
            400)
      << "a field given twice, even with the same value";
  EXPECT_EQ(refused(decode_body(parse_media_type("application/x-www-form-urlencoded"),
                                "text=a&lang=de", {}, "en", rules())),
            400);
}

extern const char *const fifogate_index_html;

TEST(ResultPage, TheTemplateHasEachMarkerOnceAndTextStaysText) {
  EXPECT_EQ(page_template_problem(fifogate_index_html), "");
  EXPECT_NE(page_template_problem("{{text}} {{langs}}"), "");
  PageContent c;
  c.text = "naïve {{langs}} </textarea><script>x</script> tezt";
  c.languages = {"de", "en_US"};
  c.lang = "en_US";
  c.matches = std::vector<SpellMatch>{{"naïve", 0, 5, 1, 1, {"naive"}},
                                      {"tezt", 46, 4, 1, 47, {"text", "test"}}};
  std::string page = render_page("[{{text}}|{{langs}}|{{result}}]", c);
  EXPECT_NE(page.find("[naïve {{langs}} &lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt; tezt|"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("|<option value=\"de\">de</option><option value=\"en_US\" selected>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<mark class=\"miss\">naïve</mark> {{langs}}"), std::string::npos) << page;
  EXPECT_NE(page.find("&lt;/script&gt; <mark class=\"miss\">tezt</mark></div>"), std::string::npos)
      << page;
  EXPECT_NE(page.find("<strong>tezt</strong> <span class=\"meta\">line 1, column 47</span>: "
                      "text, test"),
            std::string::npos)
      << page;
}
