// Declared parameters: a value from the query string or the body's fields
// reaches the command as one argument and one variable, never through a
// shell; the web and the worker each refuse what the declaration does not
// allow. And the request metadata a processor asks for.
#include "../support/stack.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/file_lock.hpp"
#include "fifogate/frame.hpp"
#include "fifogate/status_record.hpp"
#include <csignal>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace fgtest;
using namespace fifogate;
using namespace std::chrono;

namespace {

// Prints each argument after $0 in brackets, then the parameter variables.
const char *kEcho = "sh -c 'for a in \"$@\"; do printf \"[%s]\" \"$a\"; done; echo; "
                    "env | grep ^FIFOGATE_ | grep -v CONTENT_TYPE | sort' sh {v} --mode={mode}";

std::string query_escape(const std::string &v) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v)
    if (std::isalnum(c))
      out += static_cast<char>(c);
    else
      out += std::string("%") + hex[c >> 4] + hex[c & 15];
  return out;
}

} // namespace

TEST(Params, EachValueReachesTheCommandAsOneArgumentAndOneVariable) {
  Stack s(Env{{"PROC_COMMAND", kEcho}, {"PROC_PARAMS", "v=[\\s\\S]* mode=fast|slow"}});
  s.start_processor();
  s.start_web();
  for (std::string v : {std::string("two words"), std::string("it's \"quoted\""),
                        std::string("$(touch /tmp/fifogate-pwned)"), std::string("a;b|c&&d"),
                        std::string("line\nbreak"), std::string("-rf"), std::string("{mode}"),
                        std::string(1000, 'x')}) {
    auto a = http_post(s.port(), "/process?mode=fast&v=" + query_escape(v), "");
    ASSERT_EQ(a.status, 200) << v << ": " << a.body;
    EXPECT_EQ(a.body.substr(0, a.body.find("\nFIFOGATE_")), "[" + v + "][--mode=fast]") << v;
    EXPECT_NE(a.body.find("FIFOGATE_PARAM_MODE=fast\n"), std::string::npos) << a.body;
    // (grep keeps the first line of a value that has several)
    EXPECT_NE(a.body.find("FIFOGATE_PARAM_V=" + v.substr(0, v.find('\n'))), std::string::npos)
        << a.body;
  }
  EXPECT_FALSE(::access("/tmp/fifogate-pwned", F_OK) == 0) << "a value was run by a shell";
  // A parameter not given leaves its argument out and its variable unset.
  auto none = http_post(s.port(), "/process?v=x", "");
  EXPECT_EQ(none.body, "[x]\nFIFOGATE_PARAM_V=x\n");
}

TEST(Params, TheWebRefusesWhatTheDeclarationDoesNotAllow) {
  Stack s(Env{{"PROC_COMMAND", kEcho}, {"PROC_PARAMS", "v=[^-][\\s\\S]* mode=fast|slow"}});
  s.start_processor();
  s.start_web();
  struct Case {
    std::string query, want;
  };
  for (const Case &c : std::vector<Case>{
           {"mode=medium", "parameter mode does not match its rule fast|slow"},
           {"v=-rf", "parameter v does not match its rule"},
           {"v=a%00b", "parameter v is not UTF-8 text without NUL"},
           {"v=" + std::string(2 * 1024, 'a'), "parameter v is over 1024 bytes"},
           {"to=html", "unknown parameter to; this processor takes v, mode"},
           {"mode=fast&mode=slow", "parameter mode is given more than once"},
           {"lang=en", "lang needs an aspell, hunspell or ispell -a command"},
       }) {
    auto a = http_post(s.port(), "/process?" + c.query, "");
    EXPECT_EQ(a.status, 400) << c.query.substr(0, 80) << ": " << a.body;
    EXPECT_NE(a.body.find(c.want), std::string::npos) << c.query.substr(0, 80) << ": " << a.body;
  }
  // 10 KB: in a form field (a query string that long is refused by its length, 414).
  auto big = http_post(s.port(), "/process", "text=x&v=" + std::string(10 * 1024, 'a'),
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(big.status, 400) << big.body;
  EXPECT_NE(big.body.find("parameter v is over 1024 bytes"), std::string::npos) << big.body;
  EXPECT_EQ(s.processor_log().find("req="), std::string::npos) << "nothing ran";
}

// A form's fields and a JSON body's members are parameters too, where declared.
TEST(Params, AFormFieldOrAJsonMemberGivesAParameter) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'cat; echo; echo \"to=$FIFOGATE_PARAM_TO\"'"},
              {"PROC_PROTOCOL", "raw"},
              {"PROC_PARAMS", "to=html|man"}});
  s.start_processor();
  s.start_web();
  auto f = http_post(s.port(), "/process", "text=hello&to=man&go=Send",
                     {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(f.status, 200) << f.body;
  EXPECT_EQ(f.body, "hello\nto=man\n");
  auto clash = http_post(s.port(), "/process?to=html", "text=hello&to=man",
                         {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(clash.status, 400) << clash.body;
  auto bad = http_post(s.port(), "/process", "text=hello&to=pdf",
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(bad.status, 400) << bad.body;
}

// The worker trusts nothing on the wire: a begin record written by hand,
// past the web, with values the declaration does not allow, is refused
// before anything runs.
TEST(Params, TheWorkerRefusesWhatTheWebWouldHaveRefused) {
  std::signal(SIGPIPE, SIG_IGN);
  Stack s(Env{{"PROC_COMMAND", kEcho}, {"PROC_PARAMS", "v=[a-z]+ mode=fast|slow"}});
  s.start_processor();
  struct Case {
    std::string options, want;
  };
  for (const Case &c : std::vector<Case>{
           {"len=0\nparam.v=a%3Bb", "parameter v does not match its rule [a-z]+"},
           {"len=0\nparam.v=a%00b", "parameter v is not UTF-8 text without NUL"},
           {"len=0\nparam.rm=x", "unknown parameter rm"},
           {"len=0\nparam.mode=fast\nlang=en", "lang needs"},
       }) {
    auto lock = lock_within(s.path("lock"), seconds(2));
    auto out = open_fifo_reader(s.path("out"));
    auto status = open_fifo_reader(s.path("status"));
    auto in = open_fifo_writer(s.path("in"), Deadline::in(seconds(2)));
    ASSERT_TRUE(out.ok() && status.ok() && in.ok());
    auto id = RequestId::random();
    std::string recs =
        frame::encode(frame::Kind::begin, id, c.options) + frame::encode(frame::Kind::end, id, "0");
    ASSERT_TRUE(write_all(in->get(), recs, Deadline::in(seconds(2)), "in").ok());
    in->reset();
    frame::Parser p;
    std::string text;
    ASSERT_TRUE(eventually(
        [&] {
          char buf[8192];
          auto r = read_some(status->get(), buf, sizeof buf);
          if (r.kind == ReadKind::data)
            p.feed(buf, r.bytes);
          while (auto rec = p.next())
            if (rec->id == id && rec->kind == frame::Kind::status)
              text += rec->payload;
          return decode_status(text).ok();
        },
        seconds(5)));
    auto st = decode_status(text);
    EXPECT_EQ(st->outcome, Outcome::bad_input) << c.options;
    EXPECT_NE(st->message.find(c.want), std::string::npos) << c.options << ": " << st->message;
  }
}

TEST(Params, TheRequestAndListedHeadersReachTheCommandWhenAskedFor) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'env | grep ^FIFOGATE_ | sort'"},
              {"PROC_PROTOCOL", "raw"},
              {"PROC_PARAMS", "q=.*"},
              {"PROC_PASS_REQUEST", "1"},
              {"PROC_PASS_HEADERS", "X-User, accept-language"}});
  s.start_processor();
  s.start_web();
  auto a = http_post(s.port(), "/process/default?q=a%20b", "x",
                     {{"X-User", "alice"}, {"X-Other", "never"}, {"Content-Type", "text/x-y"}});
  ASSERT_EQ(a.status, 200) << a.body;
  for (std::string want :
       std::vector<std::string>{"FIFOGATE_METHOD=POST\n", "FIFOGATE_PATH=/process/default\n",
                                "FIFOGATE_QUERY=q=a%20b\n", "FIFOGATE_HEADER_X_USER=alice\n",
                                "FIFOGATE_PARAM_Q=a b\n", "FIFOGATE_CONTENT_TYPE=text/x-y\n",
                                "FIFOGATE_REQUEST_ID=" + a.header("x-request-id") + "\n"})
    EXPECT_NE(a.body.find(want), std::string::npos) << want << " in:\n" << a.body;
  EXPECT_EQ(a.body.find("never"), std::string::npos) << "an unlisted header reached the command";
  EXPECT_EQ(a.body.find("ACCEPT_LANGUAGE"), std::string::npos) << "not sent, not set";
  // Credentials for the web are never passed on.
  Proc p(
      FIFOGATE_PROCESSOR_BIN, {},
      [&] {
        Env e = s.env();
        e["PROC_PASS_HEADERS"] = "Authorization";
        return e;
      }(),
      s.dir() + "/bad.log");
  auto st = p.wait(seconds(5));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(WEXITSTATUS(*st), 100);
  EXPECT_NE(read_file(s.dir() + "/bad.log").find("never passed on"), std::string::npos);
}

// A query key is a parameter name or a 400, whether or not the kind has
// described itself yet: a newline in one would add a line of the client's
// choosing to the begin record (a passed header, here).
TEST(Params, AQueryKeyThatIsNoNameIsRefusedBeforeAndAfterTheKindIsDescribed) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'env | grep ^FIFOGATE_HEADER_; echo ran'"},
              {"PROC_PROTOCOL", "raw"},
              {"PROC_PASS_HEADERS", "X-User"}});
  s.start_processor();
  std::string info = read_file(s.path("lock.worker"));
  write_file(s.path("lock.worker"), ""); // a worker that has not said what it takes yet
  s.start_web();
  for (int i = 0; i < 2; ++i) {
    auto a = http_post(s.port(), "/process?a%0Aheader.x-user=evil", "");
    EXPECT_EQ(a.status, 400) << a.body;
    EXPECT_NE(a.body.find("parameter name \"a?header.x-user\" is not"), std::string::npos)
        << a.body;
  }
  // Described a moment later: the empty info was not kept for a second.
  write_file(s.path("lock.worker"), info);
  auto u = http_post(s.port(), "/process?undeclared=1", "");
  EXPECT_EQ(u.status, 400) << u.body;
  EXPECT_NE(u.body.find("unknown parameter undeclared; this processor takes none"),
            std::string::npos)
      << u.body;
  EXPECT_EQ(s.processor_log().find("req="), std::string::npos) << "nothing reached the worker";
}

TEST(Params, ARequestWithoutParametersLeavesOutEveryArgumentNamingOne) {
  Stack s(Env{{"PROC_COMMAND", kEcho}, {"PROC_PARAMS", "v=.* mode=fast|slow"}});
  s.start_processor();
  s.start_web();
  auto a = http_post(s.port(), "/process", "");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "\n") << "no {v}, no --mode={mode}";
}

// As in the query: a declared parameter, or lang, given twice in a form is
// refused, not taken from its first field. Other fields may repeat.
TEST(Params, AParameterGivenTwiceInAFormIsRefused) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'cat; echo; echo \"to=$FIFOGATE_PARAM_TO\"'"},
              {"PROC_PROTOCOL", "raw"},
              {"PROC_PARAMS", "to=html|man"}});
  s.start_processor();
  s.start_web();
  const std::map<std::string, std::string> form = {
      {"Content-Type", "application/x-www-form-urlencoded"}};
  auto twice = http_post(s.port(), "/process", "text=hi&to=man&to=html", form);
  EXPECT_EQ(twice.status, 400) << twice.body;
  EXPECT_NE(twice.body.find("parameter to is given more than once"), std::string::npos)
      << twice.body;
  auto langs = http_post(s.port(), "/process", "text=hi&lang=en&lang=de", form);
  EXPECT_EQ(langs.status, 400) << langs.body;
  EXPECT_NE(langs.body.find("2 fields \"lang\""), std::string::npos) << langs.body;
  std::string multipart = "--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhi\r\n"
                          "--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nman\r\n"
                          "--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nhtml\r\n"
                          "--b--\r\n";
  auto parts = http_post(s.port(), "/process", multipart,
                         {{"Content-Type", "multipart/form-data; boundary=b"}});
  EXPECT_EQ(parts.status, 400) << parts.body;
  EXPECT_NE(parts.body.find("parameter to is given more than once"), std::string::npos)
      << parts.body;
  auto ok = http_post(s.port(), "/process", "text=hi&to=man&go=1&go=2", form);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, "hi\nto=man\n");
}

// The answer's type is the processor's to choose, and it is served from the
// web's origin: a browser runs nothing in it.
TEST(Params, AProcessAnswerIsSandboxedButThePageIsNot) {
  Stack s(Env{{"PROC_COMMAND", "cat"},
              {"PROC_PROTOCOL", "raw"},
              {"PROC_CONTENT_TYPE", "text/html; charset=utf-8"}});
  s.start_processor();
  s.start_web();
  auto a = http_post(s.port(), "/process", "<script>alert(1)</script>");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(a.header("content-security-policy"), "sandbox; default-src 'none'");
  auto page = http_get(s.port(), "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-security-policy").find("sandbox"), std::string::npos)
      << page.header("content-security-policy");
}
