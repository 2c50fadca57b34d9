// Hostile .cfg files (issue #19): 100k sections or keys (ordered_json looked keys up linearly,
// so parsing grew quadratically: a 100k-section file took 20 times as long as a 20k one) and
// sections nested hundreds of levels deep (walked recursively afterwards).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"

using trfpipe::Json;

namespace {

std::string many_sections(size_t n) {
  std::string text = "[root]\nx = 1\n";
  for (size_t i = 0; i < n; ++i) text += "[root.s" + std::to_string(i) + "]\na = " + std::to_string(i) + "\n";
  return text;
}

double seconds_to_parse(const std::string& text) {
  auto start = std::chrono::steady_clock::now();
  Json j = trfpipe::parse_cfg(text, "many.cfg");
  EXPECT_TRUE(j["root"].is_object());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(HostileCfg, HundredThousandSectionsParseInLinearTime) {
  const double small = seconds_to_parse(many_sections(20000));
  const double large = seconds_to_parse(many_sections(100000));
  // Five times the sections: about five times the time. Quadratic growth would be 25 times;
  // the bound leaves room for a busy machine, and the absolute bound for a very busy one.
  EXPECT_LT(large, 12 * small + 0.5) << "20k sections: " << small << " s, 100k: " << large << " s";
  EXPECT_LT(large, 30.0);
  Json j = trfpipe::parse_cfg(many_sections(1000), "many.cfg");
  ASSERT_EQ(j["root"].size(), 1001u);
  EXPECT_EQ(j["root"].begin().key(), "x");  // key order kept: values, then sections sorted
  EXPECT_EQ(j["root"]["s999"]["a"], 999);
}

TEST(HostileCfg, HundredThousandKeysInOneSection) {
  std::string text = "[big]\n";
  for (int i = 0; i < 100000; ++i) text += "k" + std::to_string(i) + " = " + std::to_string(i) + "\n";
  auto start = std::chrono::steady_clock::now();
  Json j = trfpipe::parse_cfg(text, "keys.cfg");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  ASSERT_EQ(j["big"].size(), 100000u);
  EXPECT_EQ(j["big"]["k99999"], 99999);
  EXPECT_EQ(std::prev(j["big"].end()).key(), "k99999");
}

TEST(HostileCfg, SectionsNestedTooDeepAreAConfigError) {
  std::string text, name = "a";
  for (int d = 0; d < 300; ++d) {
    text += "[" + name + "]\nv = " + std::to_string(d) + "\n";
    name += ".a";
  }
  try {
    trfpipe::parse_cfg(text, "deep.cfg");
    FAIL() << "no error";
  } catch (const trfpipe::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("deep.cfg"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nested more than 256"), std::string::npos) << e.what();
  }
  // 200 levels are fine.
  std::string ok;
  name = "a";
  for (int d = 0; d < 200; ++d) {
    ok += "[" + name + "]\nv = " + std::to_string(d) + "\n";
    name += ".a";
  }
  EXPECT_NO_THROW(trfpipe::interpolate(trfpipe::parse_cfg(ok, "ok.cfg")));
}

}  // namespace
