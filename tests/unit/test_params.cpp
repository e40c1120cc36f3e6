#include "fifogate/begin_options.hpp"
#include "fifogate/config.hpp"
#include "fifogate/params.hpp"
#include "request_command.hpp"
#include <gtest/gtest.h>

using namespace fifogate;

TEST(Params, TheDeclarationIsReadAndCheckedAtStartUp) {
  auto r = parse_param_rules("  to=^(html|latex|man)$\twidth=[0-9]{1,3} ");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "to");
  EXPECT_EQ((*r)[1].pattern, "[0-9]{1,3}");
  EXPECT_TRUE(parse_param_rules("")->empty());
  for (const char *bad : {"to", "to=", "To=x", "1x=y", "a-b=x", "to=( ", "a=x a=y", "=x"}) {
    auto e = parse_param_rules(bad);
    EXPECT_FALSE(e.ok()) << bad;
    if (!e.ok()) {
      EXPECT_NE(e.error().message().find("PROC_PARAMS"), std::string::npos);
    }
  }
}

TEST(Params, AValueMustBeDeclaredAndMatchItsWholeRule) {
  auto rules = *parse_param_rules("to=html|man any=[\\s\\S]*");
  EXPECT_FALSE(params_problem(rules, {{"to", "html"}}));
  EXPECT_FALSE(params_problem(rules, {}));
  auto p = params_problem(rules, {{"to", "htmlx"}});
  ASSERT_TRUE(p);
  EXPECT_NE(p->find("to"), std::string::npos);
  EXPECT_NE(p->find("html|man"), std::string::npos) << "names the rule";
  auto u = params_problem(rules, {{"from", "x"}});
  ASSERT_TRUE(u);
  EXPECT_NE(u->find("unknown parameter from"), std::string::npos);
  EXPECT_NE(u->find("to, any"), std::string::npos) << *u;
  EXPECT_TRUE(params_problem(rules, {{"any", std::string("a\0b", 3)}})) << "NUL";
  EXPECT_TRUE(params_problem(rules, {{"any", "\xff"}})) << "not UTF-8";
  EXPECT_TRUE(params_problem(rules, {{"any", std::string(kMaxParamBytes + 1, 'a')}}));
  EXPECT_FALSE(params_problem(rules, {{"any", "a b\n$(x);'\"-"}}));
}

TEST(Params, AValueIsOneArgumentAndAMissingOneDropsItsArgument) {
  auto rules = *parse_param_rules("to=.* w=.*");
  std::vector<std::string> argv = {"pandoc",        "-t",      "{to}",
                                   "--columns={w}", "{other}", "{print $1}"};
  auto out = substitute_params(argv, rules, {{"to", "a b; rm -rf /"}, {"w", "{to}"}});
  EXPECT_EQ(out, (std::vector<std::string>{"pandoc", "-t", "a b; rm -rf /", "--columns={to}",
                                           "{other}", "{print $1}"}));
  auto none = substitute_params(argv, rules, {});
  EXPECT_EQ(none, (std::vector<std::string>{"pandoc", "-t", "{other}", "{print $1}"}));
  EXPECT_EQ(param_variable("to_x2"), "FIFOGATE_PARAM_TO_X2");
}

// The web compiles the rules a kind's info file declares, and anyone in the
// kind's group can write that file: a rule std::regex would recurse on too
// deeply, or match in exponential time, is refused before it is compiled.
TEST(Params, ARuleTooLongOrNestedTooDeeplyIsRefusedBeforeItIsCompiled) {
  auto long_rule = parse_param_rules("x=" + std::string(kMaxRuleBytes + 1, 'a'));
  ASSERT_FALSE(long_rule.ok());
  EXPECT_NE(long_rule.error().message().find("over 256 bytes"), std::string::npos)
      << long_rule.error().message();
  EXPECT_TRUE(parse_param_rules("x=" + std::string(kMaxRuleBytes, 'a')).ok());
  auto nested = [](size_t depth) {
    return "x=" + std::string(depth, '(') + "a" + std::string(depth, ')');
  };
  EXPECT_TRUE(parse_param_rules(nested(kMaxRuleDepth)).ok());
  auto deep = parse_param_rules(nested(kMaxRuleDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.error().message().find("deeper than 16"), std::string::npos)
      << deep.error().message();
  // Deep nesting within 256 bytes, and brackets and escapes that hide nothing.
  EXPECT_FALSE(parse_param_rules(nested(120)).ok());
  EXPECT_TRUE(parse_param_rules("x=[(((((((((((((((((((]\\(\\(\\(\\(\\(\\(\\(\\(\\(\\(\\(\\(\\(\\("
                                "\\(\\(\\(\\(a")
                  .ok());
  EXPECT_FALSE(parse_param_rules("x=[]" + std::string(20, '(') + "a" + std::string(20, ')')).ok())
      << "\"]\" right after \"[\" ends the class, as std::regex reads it";
}

TEST(Params, ARuleThatRepeatsAQuantifiedOrAlternatingGroupIsRefused) {
  for (const char *bad : {"^(a|aa)+$", "^([a-z]+,?)*$", "(a*)*", "(a+)+", "(x(a?))*", "(ab{2})+",
                          "(a|b){2,}", "(?:a+)*", "((a)|b)*", "(a+){1,9}"}) {
    auto r = parse_param_rules(std::string("x=") + bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message().find("exponential time"), std::string::npos)
          << r.error().message();
      EXPECT_NE(r.error().message().find("the rule of x"), std::string::npos);
    }
  }
  for (const char *good :
       {"^[a-z]{2}(_[A-Z]{2})?$", "^(html|latex|man)$", "[0-9]{1,3}", "[\\s\\S]*", "fast|slow",
        "(ab)+", "(a){1}", "([a-z]+)?", "^[^-][\\s\\S]*", "(\\+)+", "([+*])*", "(a|b)"}) {
    auto r = parse_param_rules(std::string("x=") + good);
    EXPECT_TRUE(r.ok()) << good << ": " << (r.ok() ? "" : r.error().message());
  }
}

TEST(Params, AnArgumentNamingAParameterIsLeftOutWhenTheRequestGivesNone) {
  auto cfg = config_from([](const std::string &k) -> std::optional<std::string> {
    if (k == "PROC_COMMAND")
      return "printf [%s] {width} --to={to} x";
    if (k == "PROC_PARAMS")
      return "width=[0-9]{1,3} to=html|man";
    return std::nullopt;
  });
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  auto none = request_command(*cfg, BeginOptions{}, RequestId::random(), {});
  ASSERT_TRUE(std::holds_alternative<RequestCommand>(none)) << std::get<std::string>(none);
  EXPECT_EQ(std::get<RequestCommand>(none).argv, (std::vector<std::string>{"printf", "[%s]", "x"}));
  BeginOptions some;
  some.params["to"] = "man";
  auto one = request_command(*cfg, some, RequestId::random(), {});
  ASSERT_TRUE(std::holds_alternative<RequestCommand>(one));
  EXPECT_EQ(std::get<RequestCommand>(one).argv,
            (std::vector<std::string>{"printf", "[%s]", "--to=man", "x"}));
}

// A name reaches the worker as one key whatever it holds: a newline in it
// cannot add a line (a passed header, say) to the begin record.
TEST(Params, NamesInTheBeginRecordAreEncodedAndPassedHeadersAreChecked) {
  BeginOptions o;
  o.params["a\nheader.x-user"] = "evil";
  o.params["b=c"] = "d";
  o.headers["x-user\nparam.to"] = "man";
  std::string wire = encode_begin_options(o);
  EXPECT_EQ(wire.find("\nheader.x-user="), std::string::npos) << wire;
  EXPECT_EQ(wire.find("\nparam.to="), std::string::npos) << wire;
  auto back = decode_begin_options(wire);
  EXPECT_EQ(back.params, o.params);
  EXPECT_EQ(back.headers, o.headers);
  for (const char *ok : {"x-user", "accept-language", "x-1"})
    EXPECT_TRUE(passable_header(ok)) << ok;
  for (const char *bad : {"authorization", "cookie", "proxy-authorization", "X-User", "x_user",
                          "x user", "x-user\n", ""})
    EXPECT_FALSE(passable_header(bad)) << bad;
}
