// Several processor kinds behind one web: each kind in its own directory
// with its own slots and queue, served at POST /process/<name>, listed by
// GET /processors, and covered by /healthz, /version, /languages, /metrics.
#include "../support/stack.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/file_lock.hpp"
#include "fifogate/frame.hpp"
#include <atomic>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace fgtest;
using namespace std::chrono;

namespace {

// A processor of kind `name` beside the stack's own (default) one.
Proc start_kind(const Stack &s, const std::string &name, const std::string &command,
                const Env &extra = {}, const std::string &log_tag = "") {
  Env e = s.env();
  e["PROC_NAME"] = name;
  e["PROC_COMMAND"] = command;
  for (const auto &[k, v] : extra)
    e[k] = v;
  std::string log = s.dir() + "/" + name + log_tag + ".log";
  Proc p(FIFOGATE_PROCESSOR_BIN, {}, e, log, true);
  if (!p.wait_ready(seconds(10)))
    throw std::runtime_error(name + " did not become ready: " + read_file(log));
  return p;
}

nlohmann::json get_json(const Stack &s, const std::string &path) {
  auto a = http_raw(s.port(), "GET " + path +
                                  " HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n"
                                  "Connection: close\r\n\r\n");
  auto j = nlohmann::json::parse(a.body, nullptr, false);
  if (!j.is_object())
    j = {{"body", a.body}};
  j["http_status"] = a.status;
  return j;
}

// A worker played by the test, with the info file it chooses: what anyone
// in a kind's group could write. It takes requests and never answers.
struct FakeWorker {
  FakeWorker(const Stack &s, const std::string &kind, const std::string &info) {
    std::string dir = s.path("", kind);
    ::mkdir(dir.c_str(), 0770);
    for (const char *f : {"in", "out", "status"})
      if (!fifogate::ensure_fifo(dir + f, 0660).ok())
        throw std::runtime_error("mkfifo in " + dir);
    write_file(dir + "lock", "");
    auto held = fifogate::FileLock::try_acquire(dir + "lock.worker");
    if (!held.ok() || !*held)
      throw std::runtime_error("lock " + dir + "lock.worker");
    life.emplace(std::move(**held));
    if (::pwrite(life->fd(), info.data(), info.size(), 0) != static_cast<ssize_t>(info.size()))
      throw std::runtime_error("write the info");
    auto r = fifogate::open_fifo_reader(dir + "in");
    if (!r.ok())
      throw std::runtime_error(r.error().message());
    in = std::move(*r);
  }
  // The payload of the next begin record the web sends, or "" after `wait`.
  std::string next_begin(milliseconds wait) {
    std::string got;
    eventually(
        [&] {
          char buf[8192];
          auto r = fifogate::read_some(in.get(), buf, sizeof buf);
          if (r.kind == fifogate::ReadKind::data)
            parser.feed(buf, r.bytes);
          while (auto rec = parser.next())
            if (rec->kind == fifogate::frame::Kind::begin && got.empty())
              got = rec->payload;
          return !got.empty();
        },
        wait);
    return got;
  }
  std::optional<fifogate::FileLock> life;
  fifogate::UniqueFd in;
  fifogate::frame::Parser parser;
};

} // namespace

TEST(Kinds, TwoKindsAtOnceEachAnswerFromItsOwnKind) {
  Stack s;
  s.start_processor(); // "default": aspell -a
  Proc rev = start_kind(s, "rev", "rev");
  Proc upper = start_kind(s, "upper", "tr a-z A-Z");
  s.start_web();
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string word = "abc" + std::to_string(t) + "x" + std::to_string(i);
        std::string path = t % 3 == 0 ? "/process/rev" : t % 3 == 1 ? "/process/upper" : "/process";
        auto a = http_post(s.port(), path, word + "\n");
        std::string want = t % 3 == 0   ? std::string(word.rbegin(), word.rend()) + "\n"
                           : t % 3 == 1 ? "ABC" + std::to_string(t) + "X" + std::to_string(i) + "\n"
                                        : "";
        bool ok = a.status == 200 && (t % 3 == 2 ? a.body.rfind("@(#)", 0) == 0 : a.body == want);
        if (!ok) {
          ++wrong;
          ADD_FAILURE() << path << " " << word << ": " << a.status << " " << a.body;
        }
      }
    });
  for (auto &c : clients)
    c.join();
  EXPECT_EQ(wrong.load(), 0);
  // Each side's log names the kind.
  EXPECT_NE(s.web_log().find(" POST /process/rev 200 "), std::string::npos);
  EXPECT_NE(s.web_log().find("processor=upper"), std::string::npos);
  EXPECT_NE(read_file(s.dir() + "/rev.log").find("name=rev"), std::string::npos);
}

TEST(Kinds, UnknownNamesAre404ListingTheKnownAndAKindWithoutWorkerIs503) {
  Stack s;
  s.start_processor();
  Proc rev = start_kind(s, "rev", "rev");
  ASSERT_EQ(::mkdir(s.path("", "idle").c_str(), 0770), 0); // a kind whose processor is down
  s.start_web();
  auto a = http_post(s.port(), "/process/nosuch", "x");
  EXPECT_EQ(a.status, 404) << a.body;
  EXPECT_NE(a.body.find("no processor named nosuch"), std::string::npos) << a.body;
  for (const char *known : {"default", "rev", "idle"})
    EXPECT_NE(a.body.find(known), std::string::npos) << a.body;
  for (const char *bad : {"/process/a.b", "/process/%2e%2e", "/process/" /* empty */})
    EXPECT_EQ(http_post(s.port(), bad, "x").status, 404) << bad;
  auto idle = http_post(s.port(), "/process/idle", "x");
  EXPECT_EQ(idle.status, 503) << idle.body;
  EXPECT_NE(idle.body.find("no worker"), std::string::npos) << idle.body;
  // The other kinds are not affected.
  EXPECT_EQ(http_post(s.port(), "/process/rev", "ab\n").body, "ba\n");
  // /healthz: the default kind is up; one kind has no worker, and it says so.
  auto h = get_json(s, "/healthz");
  EXPECT_EQ(h["http_status"], 200) << h;
  EXPECT_EQ(h["status"], "degraded") << h;
  EXPECT_EQ(h["processors"]["idle"], 0) << h;
  EXPECT_EQ(h["processors"]["rev"], 1) << h;
  EXPECT_EQ(get_json(s, "/healthz?processor=idle")["http_status"], 503);
  EXPECT_EQ(get_json(s, "/healthz?processor=rev")["status"], "ok");
  EXPECT_EQ(get_json(s, "/healthz?processor=nosuch")["http_status"], 404);
}

TEST(Kinds, ProcessorsListsEachLiveKindWithItsSettingsAndWorkers) {
  Stack s;
  s.start_processor({{"PROC_MODE", "warm"}});
  Proc rev1 = start_kind(s, "rev", "rev", {{"PROC_TIMEOUT_MS", "7000"}}, "1");
  Proc rev2 = start_kind(s, "rev", "rev", {{"PROC_TIMEOUT_MS", "7000"}}, "2");
  Proc gz = start_kind(s, "gz", "gzip -c",
                       {{"PROC_CONTENT_TYPE", "application/gzip"},
                        {"PROC_PARAMS", "level=[1-9]"},
                        {"PROC_PASS_HEADERS", "X-User"}});
  ::mkdir(s.path("", "idle").c_str(), 0770);
  s.start_web();
  auto j = get_json(s, "/processors");
  ASSERT_EQ(j["http_status"], 200) << j;
  EXPECT_EQ(j["default"], "default");
  std::map<std::string, nlohmann::json> by_name;
  for (const auto &p : j["processors"])
    by_name[p["name"]] = p;
  EXPECT_EQ(by_name.count("idle"), 0u) << "only live kinds are listed: " << j;
  ASSERT_EQ(by_name.size(), 3u) << j;
  EXPECT_EQ(by_name["rev"]["workers"], 2) << j;
  EXPECT_EQ(by_name["rev"]["command"], "rev");
  EXPECT_EQ(by_name["rev"]["protocol"], "raw");
  EXPECT_EQ(by_name["rev"]["limits"]["timeout_ms"], 7000);
  EXPECT_EQ(by_name["gz"]["content_type"], "application/gzip");
  EXPECT_EQ(by_name["gz"]["params"], nlohmann::json({{"level", "[1-9]"}})) << j;
  EXPECT_EQ(by_name["gz"]["pass_headers"], nlohmann::json::array({"x-user"})) << j;
  EXPECT_EQ(by_name["default"]["protocol"], "ispell");
  EXPECT_EQ(by_name["default"]["mode"], "warm");
  EXPECT_EQ(by_name["default"]["default"], true);
  EXPECT_FALSE(by_name["default"]["languages"].empty()) << j;
  EXPECT_EQ(by_name["default"]["versions"].size(), 1u);
  // /version and /metrics name the kind of each worker.
  auto v = get_json(s, "/version");
  int revs = 0;
  for (const auto &w : v["workers"])
    revs += w["processor"] == "rev";
  EXPECT_EQ(revs, 2) << v;
  auto m = http_get(s.port(), "/metrics").body;
  EXPECT_NE(m.find("fifogate_workers_live{processor=\"rev\"} 2\n"), std::string::npos) << m;
  EXPECT_NE(m.find("fifogate_workers_live{processor=\"idle\"} 0\n"), std::string::npos) << m;
  // /check needs an ispell kind.
  auto c = http_post(s.port(), "/check/rev", "{\"text\":\"x\"}", {{"Accept", "application/json"}});
  EXPECT_EQ(c.status, 501) << c.body;
  EXPECT_NE(c.body.find("/process/rev"), std::string::npos) << c.body;
  EXPECT_EQ(http_post(s.port(), "/check/default", "{\"text\":\"helo\"}").status, 200);
}

// A kind's slots are its own: one kind with its only worker busy does not
// hold up another kind's requests.
TEST(Kinds, ABusyKindDoesNotHoldUpAnother) {
  Stack s;
  s.start_processor();
  Proc slow = start_kind(s, "slow", "sh -c 'cat; sleep 3'", {{"PROC_PROTOCOL", "raw"}});
  s.start_web();
  std::thread busy([&] { EXPECT_EQ(http_post(s.port(), "/process/slow", "x").status, 200); });
  ASSERT_TRUE(eventually(
      [&] {
        return read_file(s.dir() + "/slow.log").find("req=") == std::string::npos &&
               http_get(s.port(), "/metrics").body.find("fifogate_requests_in_flight 1\n") !=
                   std::string::npos;
      },
      seconds(5)));
  auto a = s.post("helo\n");
  // Answered while the slow kind's request is still running (it logs when done).
  bool slow_still_running = read_file(s.dir() + "/slow.log").find("req=") == std::string::npos;
  busy.join();
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(slow_still_running) << "the default kind waited for the slow kind's worker";
}

TEST(Kinds, TheDefaultKindIsASetting) {
  Stack s;
  Proc rev = start_kind(s, "rev", "rev");
  s.start_web({{"WEB_DEFAULT_PROCESSOR", "rev"}});
  auto a = s.post("abc\n");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "cba\n");
  EXPECT_EQ(get_json(s, "/processors")["default"], "rev");
}

// A FIFO (or a symlink) where a kind's life lock belongs: opened for read it
// would block until a writer came, holding the kind's locks. Nothing waits
// on it, and the default kind keeps answering.
TEST(Kinds, ALifeLockThatIsAFifoOrASymlinkHangsNothing) {
  Stack s;
  s.start_processor();
  ASSERT_EQ(::mkdir(s.path("", "fifo").c_str(), 0770), 0);
  ASSERT_EQ(::mkfifo(s.path("lock.worker", "fifo").c_str(), 0660), 0);
  ASSERT_EQ(::mkdir(s.path("", "link").c_str(), 0770), 0);
  // The default kind's live worker, through a symlink: not this kind's.
  ASSERT_EQ(::symlink(s.path("lock.worker").c_str(), s.path("lock.worker", "link").c_str()), 0);
  s.start_web();
  auto quick = [&](const std::string &req, milliseconds within) {
    bool post = req.rfind("POST", 0) == 0;
    auto t0 = steady_clock::now();
    auto a = http_raw(s.port(),
                      req + " HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n" +
                          (post ? "Content-Length: 5\r\n" : "") + "Connection: close\r\n\r\n" +
                          (post ? "helo\n" : ""),
                      within);
    EXPECT_LT(steady_clock::now() - t0, within) << req;
    return a;
  };
  for (int i = 0; i < 3; ++i) {
    auto h = quick("GET /healthz", seconds(1));
    EXPECT_EQ(h.status, 200) << h.body;
    EXPECT_NE(h.body.find("\"fifo\":0"), std::string::npos) << h.body;
    EXPECT_NE(h.body.find("\"link\":0"), std::string::npos) << h.body;
  }
  EXPECT_EQ(quick("GET /processors", seconds(1)).status, 200);
  EXPECT_EQ(quick("POST /process", seconds(1)).status, 200);
  EXPECT_EQ(quick("POST /process/fifo", seconds(5)).status, 503);
  EXPECT_EQ(quick("POST /process/link", seconds(5)).status, 503);
  std::string log = s.web_log();
  size_t said = log.find("processor fifo: slot 0 has no worker");
  EXPECT_NE(said, std::string::npos) << log;
  EXPECT_NE(log.find("fifo/lock.worker"), std::string::npos) << log;
  EXPECT_EQ(log.find("processor fifo: slot 0 has no worker", said + 1), std::string::npos)
      << "said once: " << log;
  EXPECT_NE(log.find("processor link: slot 0 has no worker"), std::string::npos) << log;
}

// A kind's directory, or a FIFO in it, that is a symlink to another kind's
// is no way into that kind: not served, or the request fails on its own.
TEST(Kinds, SymlinksInTheKindDirectoryLeadNowhere) {
  Stack s;
  s.start_processor();
  Proc rev = start_kind(s, "rev", "rev");
  Proc evil = start_kind(s, "evil", "rev");
  ASSERT_EQ(::symlink(s.path("", "rev").c_str(), (s.dir() + "/alias").c_str()), 0);
  ASSERT_EQ(::unlink(s.path("out", "evil").c_str()), 0);
  ASSERT_EQ(::symlink(s.path("out", "rev").c_str(), s.path("out", "evil").c_str()), 0);
  s.start_web();
  auto alias = http_post(s.port(), "/process/alias", "ab\n");
  EXPECT_EQ(alias.status, 404) << alias.body;
  std::atomic<bool> done{false};
  std::thread others([&] {
    while (!done)
      EXPECT_EQ(http_post(s.port(), "/process/rev", "ab\n").body, "ba\n");
  });
  for (int i = 0; i < 3; ++i) {
    auto a = http_post(s.port(), "/process/evil", "cd\n", {}, seconds(10));
    EXPECT_TRUE(a.status == 502 || a.status == 504) << a.status << " " << a.body;
    EXPECT_EQ(a.body.find("dc"), std::string::npos) << a.body;
  }
  done = true;
  others.join();
  EXPECT_EQ(http_post(s.port(), "/process/rev", "xy\n").body, "yx\n");
}

// The info file's numbers come from whoever can write the kind's directory:
// they only ever lower the web's limits, and absurd ones are not taken.
TEST(Kinds, AnInfoFileCannotRaiseTheWebsDeadline) {
  Stack s;
  s.start_processor();
  FakeWorker fake(s, "fake",
                  "worker=test:1\nprotocol=raw\ncommand=cat\ntimeout_ms=3600000\n"
                  "max_body_bytes=99999999999999999999\nmax_output_bytes=2199023255553\n");
  s.start_web({{"PROC_TIMEOUT_MS", "300"}});
  auto t0 = steady_clock::now();
  auto a = http_post(s.port(), "/process/fake", "x", {}, seconds(15));
  EXPECT_EQ(a.status, 504) << a.body;
  EXPECT_LT(steady_clock::now() - t0, seconds(6)) << "the web waited for the file's deadline";
  EXPECT_FALSE(fake.next_begin(seconds(1)).empty()) << "the request did reach the worker";
  auto j = get_json(s, "/processors");
  for (const auto &p : j["processors"])
    if (p["name"] == "fake") {
      EXPECT_EQ(p["limits"]["timeout_ms"], 3600000) << p; // what it says, shown as it says it
      EXPECT_TRUE(p["limits"]["max_body_bytes"].is_null()) << p;
      EXPECT_TRUE(p["limits"]["max_output_bytes"].is_null()) << p;
    }
}

// PROC_PASS_HEADERS as the info file says it: the web's own credentials are
// never passed, whatever the file lists.
TEST(Kinds, AnInfoFileCannotHaveTheWebsCredentialsPassed) {
  Stack s;
  s.start_processor();
  FakeWorker fake(s, "fake",
                  "worker=test:1\nprotocol=raw\ncommand=cat\n"
                  "pass_headers=x-user,authorization,cookie,proxy-authorization,x_user\n");
  s.start_web({{"PROC_TIMEOUT_MS", "300"}});
  std::thread req([&] {
    http_post(s.port(), "/process/fake", "x",
              {{"Authorization", "Bearer secret"},
               {"Cookie", "session=secret"},
               {"Proxy-Authorization", "Basic secret"},
               {"X-User", "alice"},
               {"X_User", "mallory"}},
              seconds(10));
  });
  std::string begin = fake.next_begin(seconds(5));
  req.join();
  EXPECT_NE(begin.find("\nheader.x-user=alice"), std::string::npos) << begin;
  EXPECT_EQ(begin.find("secret"), std::string::npos) << begin;
  EXPECT_EQ(begin.find("mallory"), std::string::npos) << begin;
}
