#include "fifogate/params.hpp"
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
