// nlp.pipe as a stream (source -> batches -> sink in input order) and the thread-safety contract
// of Language: several threads processing on one Language, and n_threads workers inside one pipe
// call, give the docs one thread gives. Torch-free, so it runs under ThreadSanitizer
// (scripts/test.sh --tsan).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "pipeline/error_of.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"

using namespace trfpipe;
using trfpipe::testing::error_of;

namespace {

// A rule-based component that reads lexical attributes (the shared Vocab) and writes strings
// (the shared StringStore): tag = shape, lemma = lowercase + the batch-independent doc length,
// a sentence start after every ".".
class ShapeTagger : public Pipe {
 public:
  ShapeTagger() : Pipe("shapes") {}
  std::any predict(const std::vector<Doc*>& docs) override {
    batches.fetch_add(1);
    return {};
  }
  void set_annotations(const std::vector<Doc*>& docs, const std::any&) override {
    for (Doc* d : docs) {
      for (size_t i = 0; i < d->size(); ++i) {
        Token t = d->token(i);
        t.set_tag(t.shape_());
        t.set_lemma(t.lower_() + "/" + std::to_string(d->size()));
        t.set_is_sent_start(i == 0 || d->token(i - 1).text() == ".");
      }
    }
  }
  std::atomic<int> batches{0};
};

// A component that throws for a doc containing "BOOM".
class Bomb : public Pipe {
 public:
  Bomb() : Pipe("bomb") {}
  std::any predict(const std::vector<Doc*>& docs) override {
    for (Doc* d : docs)
      if (d->text().find("BOOM") != std::string::npos) throw ValueError("boom in '" + d->text() + "'");
    return {};
  }
  void set_annotations(const std::vector<Doc*>&, const std::any&) override {}
};

std::vector<std::string> texts(size_t n) {
  std::vector<std::string> out;
  const char* words[] = {"Apple", "buys", "U.K.", "startup", "for", "$1", "billion", "Déjà", "vu",
                         "ok", "NASA's", "rocket", "launched", "(again)", "today", "twenty-one"};
  for (size_t i = 0; i < n; ++i) {
    std::string t;
    for (size_t w = 0; w < 3 + i % 11; ++w) t += std::string(words[(i * 7 + w * 3) % 16]) + " ";
    t += i % 3 ? "." : "!";
    if (i % 5 == 0) t += " Another sentence here.";
    out.push_back(t);
  }
  return out;
}

std::unique_ptr<Language> shape_nlp() {
  auto nlp = Language::blank("en");
  nlp->add_pipe(std::make_unique<ShapeTagger>());
  return nlp;
}

std::vector<Json> stream(Language& nlp, const std::vector<std::string>& in, PipeOptions o) {
  std::vector<Json> out;
  size_t next = 0;
  nlp.pipe([&]() -> std::optional<std::string> {
             if (next == in.size()) return std::nullopt;
             return in[next++];
           },
           [&](Doc&& d) { out.push_back(d.to_json()); }, o);
  return out;
}

std::vector<Json> json_of(const std::vector<Doc>& docs) {
  std::vector<Json> out;
  for (const Doc& d : docs) out.push_back(d.to_json());
  return out;
}

}  // namespace

TEST(PipeStream, DeliversEveryDocInOrderAsTheVectorFormDoes) {
  auto nlp = shape_nlp();
  const auto in = texts(157);
  const auto expected = json_of(nlp->pipe(in, 10));
  ASSERT_EQ(expected.size(), in.size());
  EXPECT_EQ(expected[0]["tokens"][0]["tag"], "Xxxxx");  // "Apple"
  for (size_t threads : {1, 2, 3, 8})
    for (size_t batch : {1, 7, 64, 1000})
      EXPECT_EQ(stream(*nlp, in, {batch, threads}), expected) << threads << " threads, batch " << batch;
}

TEST(PipeStream, EmptyInputAndEmptyTexts) {
  auto nlp = shape_nlp();
  EXPECT_TRUE(stream(*nlp, {}, {4, 3}).empty());
  auto docs = stream(*nlp, {"", "a", ""}, {2, 2});
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["text"], "");
  EXPECT_EQ(docs[1]["text"], "a");
}

TEST(PipeStream, BatchesFollowBatchSizeAndTheDefaultIsNlpBatchSize) {
  auto nlp = shape_nlp();
  auto& tagger = static_cast<ShapeTagger&>(nlp->get_pipe("shapes"));
  stream(*nlp, texts(25), {10, 1});
  EXPECT_EQ(tagger.batches.load(), 3);
  nlp->batch_size = 5;
  tagger.batches = 0;
  stream(*nlp, texts(25), {0, 2});
  EXPECT_EQ(tagger.batches.load(), 5);
}

// Memory is bounded: the source is never read more than 2 × n_threads batches (+ the one being
// filled) ahead of the sink, however long the input.
TEST(PipeStream, ReadsOnlyAFewBatchesAheadOfTheSink) {
  auto nlp = shape_nlp();
  for (size_t threads : {1, 4}) {
    const size_t batch = 8, n = 2000;
    size_t read = 0, delivered = 0, most_ahead = 0;
    nlp->pipe([&]() -> std::optional<std::string> {
                if (read == n) return std::nullopt;
                most_ahead = std::max(most_ahead, read - delivered);
                ++read;
                return "text number " + std::to_string(read);
              },
              [&](Doc&&) { ++delivered; }, {batch, threads});
    EXPECT_EQ(delivered, n);
    const size_t bound = threads == 1 ? batch : (2 * threads + 1) * batch;
    EXPECT_LE(most_ahead, bound) << threads << " threads";
  }
}

// A failing doc: every doc before it reaches the sink, then its error: the failing input is the
// one after the last delivered, for any batch size and number of threads.
TEST(PipeStream, AFailingDocStopsTheStreamAfterTheDocsBeforeIt) {
  auto nlp = shape_nlp();
  nlp->add_pipe(std::make_unique<Bomb>());
  auto in = texts(100);
  in[37] = "This one goes BOOM here.";
  for (size_t threads : {1, 3})
    for (size_t batch : {1, 8, 50}) {
      std::vector<std::string> got;
      size_t next = 0;
      std::string error = error_of([&] {
        nlp->pipe([&]() -> std::optional<std::string> {
                    if (next == in.size()) return std::nullopt;
                    return in[next++];
                  },
                  [&](Doc&& d) { got.push_back(d.text()); }, {batch, threads});
      });
      EXPECT_NE(error.find("boom in 'This one goes BOOM here.'"), std::string::npos) << error;
      ASSERT_EQ(got.size(), 37u) << threads << " threads, batch " << batch;
      EXPECT_EQ(got.back(), in[36]);
    }
  // Invalid UTF-8 and too-long texts fail in the tokenizer the same way.
  auto bad = texts(20);
  bad[5] = "ab\xff";
  size_t next = 0, count = 0;
  EXPECT_THROW(nlp->pipe([&]() -> std::optional<std::string> {
                           if (next == bad.size()) return std::nullopt;
                           return bad[next++];
                         },
                         [&](Doc&&) { ++count; }, {4, 2}),
               ValueError);
  EXPECT_EQ(count, 5u);
}

TEST(PipeStream, SourceErrorsComeAfterTheDocsReadBeforeThemAndSinkErrorsAtOnce) {
  auto nlp = shape_nlp();
  for (size_t threads : {1, 4}) {
    size_t read = 0, delivered = 0;
    std::string error = error_of([&] {
      nlp->pipe([&]() -> std::optional<std::string> {
                  if (read == 23) throw DataError("in.jsonl", 24, "bad line");
                  return "text " + std::to_string(read++);
                },
                [&](Doc&&) { ++delivered; }, {10, threads});
    });
    EXPECT_NE(error.find("in.jsonl:24"), std::string::npos) << error;
    EXPECT_EQ(delivered, 23u);

    size_t sunk = 0;
    std::string sink_error = error_of([&] {
      nlp->pipe([&]() -> std::optional<std::string> { return std::string("endless input"); },
                [&](Doc&&) {
                  if (++sunk == 15) throw Error("the sink is full");
                },
                {4, threads});
    });
    EXPECT_EQ(sink_error, "the sink is full");
    EXPECT_EQ(sunk, 15u);
  }
}

TEST(PipeStream, DocSourceAnnotatesGivenDocs) {
  auto nlp = shape_nlp();
  const auto in = texts(30);
  const auto expected = json_of(nlp->pipe(in));
  for (size_t threads : {1, 2}) {
    size_t next = 0;
    std::vector<Json> got;
    nlp->pipe([&]() -> std::optional<Doc> {
                if (next == in.size()) return std::nullopt;
                return nlp->make_doc(in[next++]);
              },
              [&](Doc&& d) { got.push_back(d.to_json()); }, {4, threads});
    EXPECT_EQ(got, expected);
  }
}

// The contract in language.hpp: processing calls run concurrently on one Language. 8 threads,
// each streaming (and calling nlp(text)) over the same texts on a fresh Vocab, give what one
// thread gives.
TEST(LanguageThreads, EightThreadsOnOneLanguageGiveTheResultsOfOne) {
  const auto in = texts(300);
  std::vector<Json> expected;
  {
    auto nlp = shape_nlp();
    expected = stream(*nlp, in, {16, 1});
  }
  auto nlp = shape_nlp();  // fresh: the threads race to add the same strings and lexemes
  std::vector<std::vector<Json>> results(8);
  std::vector<Json> single(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      results[t] = stream(*nlp, in, {size_t(1 + t * 5), t % 2 ? size_t(2) : size_t(1)});
      single[t] = (*nlp)(in[t * 17]).to_json();
    });
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < 8; ++t) {
    EXPECT_EQ(results[t], expected) << "thread " << t;
    EXPECT_EQ(single[t], expected[t * 17]) << "thread " << t;
  }
}
