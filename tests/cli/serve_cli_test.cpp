// `trfpipe serve` run as a process and spoken to over HTTP (cpp-httplib's client): the endpoints,
// every error answer (400 bad JSON / UTF-8 / fields, 404, 413, 503 overloaded or over time),
// many clients at once, and a SIGTERM that lets the requests in flight finish.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin_test_support.hpp"
#include "trfpipe/language.hpp"
#include "run_cli.hpp"
#include "serve_process.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::ServeProcess;
using trfpipe::testing::TempDir;
using Json = nlohmann::ordered_json;

namespace {

const std::string& kPlugin = trfpipe::testing::kExamplePlugin;
const std::string& kExample = trfpipe::testing::kExamplePluginDir;

// The example keyword_matcher pipeline (entities from phrases: deterministic), assembled in `tmp`.
std::string keyword_pipeline(const TempDir& tmp) {
  const std::string pipe = tmp / "keywords";
  auto a = run_cli({"assemble", kExample + "/config.cfg", pipe, "--code", kPlugin,
                    "--paths.patterns", kExample + "/patterns.jsonl"});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  return pipe;
}

// A pipeline with a sentencizer only (no LibTorch, starts at once), written by Language::to_disk.
std::string sentencizer_pipeline(const TempDir& tmp) {
  auto nlp = trfpipe::Language::blank("en");
  nlp->add_pipe("sentencizer");
  nlp->to_disk(tmp / "sents");
  return tmp / "sents";
}

httplib::Result post(httplib::Client& c, const std::string& path, const std::string& body) {
  return c.Post(path.c_str(), body, "application/json");
}

Json json_of(const httplib::Result& r) { return Json::parse(r->body); }

// [[start, end, label], ...] of a Doc JSON.
Json ents(const Json& doc) {
  Json out = Json::array();
  for (const auto& e : doc.value("ents", Json::array())) out.push_back({e["start"], e["end"], e["label"]});
  return out;
}

}  // namespace

TEST(ServeCli, EndpointsAnswerAsDocumented) {
  TempDir tmp;
  ServeProcess server({keyword_pipeline(tmp), "--code", kPlugin, "--threads", "2"});
  ASSERT_GT(server.port(), 0) << server.err();
  httplib::Client c("127.0.0.1", server.port());

  auto health = c.Get("/health");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json_of(health)["status"], "ok");

  auto meta = c.Get("/meta");
  ASSERT_TRUE(meta);
  EXPECT_EQ(json_of(meta)["pipeline"], Json::parse(R"(["keywords"])"));
  EXPECT_EQ(json_of(meta)["lang"], "en");
  EXPECT_TRUE(json_of(meta).contains("trfpipe_version"));

  auto parse = post(c, "/parse", R"({"texts": ["Acme Corporation opened an office in New York City.",
                                                 "Nothing here.", ""]})");
  ASSERT_TRUE(parse);
  ASSERT_EQ(parse->status, 200) << parse->body;
  EXPECT_EQ(parse->get_header_value("Content-Type"), "application/json");
  Json docs = json_of(parse);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["text"], "Acme Corporation opened an office in New York City.");
  EXPECT_EQ(ents(docs[0]), Json::parse(R"([[0, 16, "ORG"], [37, 50, "GPE"]])"));
  EXPECT_EQ(ents(docs[1]), Json::array());
  EXPECT_EQ(docs[2]["tokens"].size(), 0u);
  // The same as `trfpipe apply` writes for the same texts.
  tmp.file("in.jsonl", "{\"text\": \"Acme Corporation opened an office in New York City.\"}\n");
  ASSERT_EQ(run_cli({"apply", tmp / "keywords", tmp / "in.jsonl", tmp / "out.jsonl", "--code", kPlugin}).exit_code, 0);
  std::ifstream applied(tmp.path / "out.jsonl");
  std::string line;
  std::getline(applied, line);
  EXPECT_EQ(Json::parse(line), docs[0]);

  auto only = post(c, "/parse", R"({"texts": ["Acme in Boston."], "attributes": ["ents"]})");
  ASSERT_TRUE(only);
  ASSERT_EQ(only->status, 200) << only->body;
  Json only_docs = json_of(only);
  EXPECT_FALSE(only_docs[0].contains("tokens"));
  EXPECT_EQ(ents(only_docs[0]), Json::parse(R"([[0, 4, "ORG"]])"));

  auto render = post(c, "/render", R"({"text": "Acme is in New York."})");
  ASSERT_TRUE(render);
  ASSERT_EQ(render->status, 200) << render->body;
  Json rendered = json_of(render);
  EXPECT_NE(rendered["ent"].get<std::string>().find("<mark class=\"entity\""), std::string::npos);
  EXPECT_NE(rendered["ent"].get<std::string>().find(">GPE</span>"), std::string::npos);
  EXPECT_NE(rendered["dep"].get<std::string>().find("<svg"), std::string::npos);

  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<textarea id=\"text\""), std::string::npos);
  EXPECT_EQ(server.terminate(), 0) << server.err();
}

TEST(ServeCli, BadRequestsGetClearJsonErrors) {
  TempDir tmp;
  ServeProcess server({sentencizer_pipeline(tmp), "--max-body", "1100000"});
  ASSERT_GT(server.port(), 0) << server.err();
  httplib::Client c("127.0.0.1", server.port());
  auto expect_error = [&](const httplib::Result& r, int status, const std::string& part) {
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    Json j = Json::parse(r->body);
    EXPECT_EQ(j["status"], status);
    EXPECT_NE(j["error"].get<std::string>().find(part), std::string::npos) << j.dump();
  };
  expect_error(post(c, "/parse", "{\"texts\": [\"unterminated"), 400, "invalid JSON");
  expect_error(post(c, "/parse", "{\"texts\": [\"bad \xff byte\"]}"), 400, "UTF-8");
  // nlohmann throws out_of_range, not parse_error, for a number beyond a double (found by fuzzing)
  expect_error(post(c, "/parse", "\r\r\r\r7777e777"), 400, "number overflow");
  expect_error(post(c, "/render", R"({"text": "a", "n": 1e999})"), 400, "number overflow");
  expect_error(post(c, "/parse", R"({"text": "one"})"), 400, "unknown field \"text\"");
  expect_error(post(c, "/parse", R"({"texts": "one"})"), 400, "\"texts\" must be a list");
  expect_error(post(c, "/parse", R"({"texts": ["a", 3]})"), 400, "texts[1] is not a string");
  expect_error(post(c, "/parse", R"({"texts": ["a"], "attributes": ["bogus"]})"), 400, "unknown attribute");
  expect_error(post(c, "/render", R"(["no"])"), 400, "{\"text\"");
  expect_error(post(c, "/parse", "{\"texts\": [\"" + std::string(1200000, 'x') + "\"]}"), 413, "--max-body");
  expect_error(c.Get("/nowhere"), 404, "POST /parse");
  // A text the pipeline refuses (longer than nlp.max_length): named by its index.
  expect_error(post(c, "/parse", "{\"texts\": [\"fine\", \"" + std::string(1000001, 'x') + "\"]}"),
               400, "texts[1]: [E088]");
  // After all these, the server still answers.
  auto ok = post(c, "/parse", R"({"texts": ["Still fine. Yes."]})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(Json::parse(ok->body)[0]["sents"].size(), 2u);
  EXPECT_EQ(server.terminate(), 0) << server.err();
}

TEST(ServeCli, ManyClientsAtOnceGetTheirOwnDocs) {
  TempDir tmp;
  ServeProcess server({keyword_pipeline(tmp), "--code", kPlugin, "--threads", "2", "--max-batch", "8"});
  ASSERT_GT(server.port(), 0) << server.err();
  std::atomic<int> good{0}, bad{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;  // why each bad request was bad, for the failure message
  auto failed = [&](std::string why) {
    ++bad;
    std::lock_guard<std::mutex> lock(failures_mutex);
    failures.push_back(std::move(why));
  };
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t)
    clients.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", server.port());
      for (int i = 0; i < 15; ++i) {
        const std::string name = "client" + std::to_string(t) + "_" + std::to_string(i);
        const std::string text = name + " visited New York with Acme.";
        auto r = post(c, "/parse", Json{{"texts", {text, "Acme " + name}}}.dump());
        if (!r) {
          failed(name + ": " + httplib::to_string(r.error()));
          continue;
        }
        if (r->status != 200) {
          failed(name + ": HTTP " + std::to_string(r->status) + " " + r->body);
          continue;
        }
        Json docs = Json::parse(r->body);
        const size_t n = name.size();
        const bool right = docs.size() == 2 && docs[0]["text"] == text &&
                           ents(docs[0]) == Json::array({{n + 9, n + 17, "GPE"}, {n + 23, n + 27, "ORG"}}) &&
                           ents(docs[1]) == Json::array({{0, 4, "ORG"}});
        if (right)
          ++good;
        else
          failed(name + ": wrong docs " + docs.dump());
      }
    });
  for (auto& th : clients) th.join();
  EXPECT_EQ(bad.load(), 0) << ::testing::PrintToString(failures) << "\n" << server.err();
  EXPECT_EQ(good.load(), 16 * 15);
  EXPECT_EQ(server.terminate(), 0) << server.err();
}

// One request with many texts fills the queue (--max-batch 1 keeps it full for a while): another
// request is refused with 503 and Retry-After; a request over --timeout gets 503 as well.
TEST(ServeCli, OverloadedAndTimedOutRequestsGet503) {
  TempDir tmp;
  ServeProcess server({sentencizer_pipeline(tmp), "--threads", "1", "--max-batch", "1",
                       "--max-queue", "10", "--timeout", "1"});
  ASSERT_GT(server.port(), 0) << server.err();
  Json big = {{"texts", Json::array()}};
  for (int i = 0; i < 200000; ++i) big["texts"].push_back("Text number " + std::to_string(i) + ". Done.");
  httplib::Client slow("127.0.0.1", server.port());
  slow.set_read_timeout(120, 0);
  std::optional<httplib::Result> slow_result;
  std::thread slow_request([&] { slow_result.emplace(post(slow, "/parse", big.dump())); });
  httplib::Client c("127.0.0.1", server.port());
  std::optional<httplib::Result> refused;
  for (int i = 0; i < 200; ++i) {  // until the big request is queued
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto h = c.Get("/health");
    if (h && Json::parse(h->body).value("queued", 0) > 10) {
      refused.emplace(post(c, "/parse", R"({"texts": ["one"]})"));
      break;
    }
  }
  slow_request.join();
  ASSERT_TRUE(refused && *refused) << "the big request never showed in /health's queue";
  EXPECT_EQ((*refused)->status, 503) << (*refused)->body;
  EXPECT_EQ((*refused)->get_header_value("Retry-After"), "1");
  EXPECT_NE(Json::parse((*refused)->body)["error"].get<std::string>().find("overloaded"), std::string::npos);
  ASSERT_TRUE(slow_result && *slow_result);
  EXPECT_EQ((*slow_result)->status, 503) << (*slow_result)->body.substr(0, 200);
  EXPECT_NE(Json::parse((*slow_result)->body)["error"].get<std::string>().find("--timeout"), std::string::npos);
  // The cancelled texts are dropped: the server answers again soon.
  int later = 0;
  for (int i = 0; i < 100 && later != 200; ++i) {
    auto r = post(c, "/parse", R"({"texts": ["Back. Again."]})");
    later = r ? r->status : 0;
    if (later != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(later, 200);
  EXPECT_EQ(server.terminate(), 0) << server.err();
}

// SIGTERM while a request runs: it still gets its docs, then the server exits 0 and stops
// listening.
TEST(ServeCli, SigtermFinishesRequestsInFlight) {
  TempDir tmp;
  ServeProcess server({sentencizer_pipeline(tmp), "--threads", "1", "--max-batch", "4"});
  ASSERT_GT(server.port(), 0) << server.err();
  Json many = {{"texts", Json::array()}};
  for (int i = 0; i < 40000; ++i) many["texts"].push_back("Sentence " + std::to_string(i) + ". More.");
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(120, 0);
  std::optional<httplib::Result> result;
  std::thread request([&] { result.emplace(post(c, "/parse", many.dump())); });
  httplib::Client probe("127.0.0.1", server.port());
  for (int i = 0; i < 200; ++i) {  // until it is being processed
    auto h = probe.Get("/health");
    if (h && Json::parse(h->body).value("queued", 0) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(server.pid(), SIGTERM);
  request.join();
  ASSERT_TRUE(result && *result) << (result ? httplib::to_string(result->error()) : "no result");
  ASSERT_EQ((*result)->status, 200) << (*result)->body.substr(0, 300);
  Json docs = Json::parse((*result)->body);
  ASSERT_EQ(docs.size(), 40000u);
  EXPECT_EQ(docs[39999]["text"], "Sentence 39999. More.");
  EXPECT_EQ(server.wait(60), 0) << server.err();
  EXPECT_NE(server.err().find("Stopped"), std::string::npos) << server.err();
  httplib::Client after("127.0.0.1", server.port());
  EXPECT_FALSE(after.Get("/health"));  // nothing listens any more
}

TEST(ServeCli, BadOptionsAndModels) {
  TempDir tmp;
  auto r = run_cli({"serve", (tmp.path / "missing").string(), "--port", "0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("E050"), std::string::npos) << r.err;
  EXPECT_EQ(run_cli({"serve", "blank:en", "--port", "70000"}).exit_code, 2);
  {  // A port another server listens on is an error, not a shared port.
    ServeProcess first({"blank:en"});
    ASSERT_GT(first.port(), 0) << first.err();
    auto second = run_cli({"serve", "blank:en", "--port", std::to_string(first.port())});
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_NE(second.err.find("Is the port in use?"), std::string::npos) << second.err;
    EXPECT_EQ(first.terminate(), 0) << first.err();
  }
  EXPECT_EQ(run_cli({"serve", "blank:en", "--threads", "0"}).exit_code, 2);
}
