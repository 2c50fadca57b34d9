// GET / of `trfpipe serve` in headless Chromium (Debian's `chromium`, scripts/setup.sh): the page
// fills the box from ?text=, submits it through its own form handler, and the DOM Chromium dumps
// after the page's script ran holds the entities displaCy-style, as POST /parse has them. A
// screenshot of the page is saved as serve_page.png in the build directory (not committed).
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "plugin_test_support.hpp"
#include "run_cli.hpp"
#include "serve_process.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::RunOptions;
using trfpipe::testing::run_cli;
using trfpipe::testing::run_process;
using trfpipe::testing::ServeProcess;
using trfpipe::testing::TempDir;
using Json = nlohmann::ordered_json;

namespace {

std::string chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(p)) return p;
  return "";
}

std::string url_encode(const std::string& s) {
  std::string out;
  const char* hex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Chromium's headless flags for a test: no sandbox (containers), no GPU, no network of its own,
// a fresh profile.
std::vector<std::string> headless(const TempDir& tmp) {
  return {"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--user-data-dir=" + (tmp.path / "profile").string()};
}

}  // namespace

TEST(ServeBrowser, PageRendersTheEntitiesOfTypedText) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
  TempDir tmp;
  const std::string pipe = tmp / "keywords";
  const std::string& plugin = trfpipe::testing::kExamplePlugin;
  const std::string example = trfpipe::testing::kExamplePluginDir;
  ASSERT_EQ(run_cli({"assemble", example + "/config.cfg", pipe, "--code", plugin,
                     "--paths.patterns", example + "/patterns.jsonl"}).exit_code, 0);
  ServeProcess server({pipe, "--code", plugin});
  ASSERT_GT(server.port(), 0) << server.err();

  const std::string text = "Wile E. Coyote bought a Road Runner Trap from Acme Corporation in New York City.";
  httplib::Client c("127.0.0.1", server.port());
  auto parsed = c.Post("/parse", Json{{"texts", {text}}}.dump(), "application/json");
  ASSERT_TRUE(parsed);
  const Json ents = Json::parse(parsed->body)[0]["ents"];
  ASSERT_EQ(ents.size(), 4u) << parsed->body;  // PERSON, PRODUCT, ORG, GPE

  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/?text=" + url_encode(text);
  RunOptions o;
  o.program = browser;
  o.timeout_seconds = 120;
  std::vector<std::string> args = headless(tmp);
  args.push_back("--virtual-time-budget=20000");
  args.push_back("--dump-dom");
  args.push_back(url);
  auto dom = run_process(args, o);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_NE(dom.out.find("data-state=\"done\""), std::string::npos) << dom.out.substr(0, 3000);
  EXPECT_NE(dom.out.find("<textarea id=\"text\""), std::string::npos);
  size_t marks = 0;
  for (size_t at = dom.out.find("<mark class=\"entity\""); at != std::string::npos;
       at = dom.out.find("<mark class=\"entity\"", at + 1))
    ++marks;
  EXPECT_EQ(marks, ents.size()) << dom.out;
  for (const Json& e : ents) {
    // The entity's text (characters; this text is ASCII) followed by its label in the mark.
    const std::string span = text.substr(e["start"].get<size_t>(), e["end"].get<size_t>() - e["start"].get<size_t>());
    const size_t at = dom.out.find(span + "\n    <span");
    ASSERT_NE(at, std::string::npos) << span << "\n" << dom.out;
    const size_t label = dom.out.find(">" + e["label"].get<std::string>() + "</span>", at);
    EXPECT_NE(label, std::string::npos) << e.dump();
    EXPECT_LT(label, dom.out.find("</mark>", at));
  }
  EXPECT_NE(dom.out.find("displacy-word"), std::string::npos);  // the tokens below

  const std::string png = std::string(TRFPIPE_BINARY_DIR) + "/serve_page.png";
  fs::remove(png);
  args = headless(tmp);
  args.insert(args.end(), {"--virtual-time-budget=20000", "--hide-scrollbars",
                           "--window-size=1200,900", "--screenshot=" + png, url});
  auto shot = run_process(args, o);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  std::ifstream f(png, std::ios::binary);
  std::string head(8, '\0');
  f.read(head.data(), 8);
  EXPECT_EQ(head, std::string("\x89PNG\r\n\x1a\n", 8)) << png;
  EXPECT_EQ(server.terminate(), 0) << server.err();
}
