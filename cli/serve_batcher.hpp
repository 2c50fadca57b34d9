// The work queue of `trfpipe serve`: the texts of all requests in flight go into one queue, and
// each of --threads workers takes up to --max-batch of them at a time, from whichever requests
// they came, through one nlp.pipe call (batching concurrent requests: bench/serve_bench.sh
// measures it against one request per call). A request waits for its own texts only.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "trfpipe/language.hpp"

namespace trfpipe::cli {

class RequestBatcher {
 public:
  // One request's texts and, once done, their JSON (made by `to_json` on the worker thread).
  struct Job {
    std::vector<std::string> texts;
    std::function<Json(Doc&)> to_json;
    std::vector<Json> results;
    // The first text that failed (its index and the error); the other texts still run.
    std::exception_ptr error;
    size_t error_index = 0;
    std::atomic<bool> cancelled{false};  // timed out: texts not started yet are skipped

   private:
    friend class RequestBatcher;
    std::mutex mutex;
    std::condition_variable finished_cv;
    size_t done = 0;
    bool finished = false;
  };

  struct Settings {
    size_t workers = 1;       // batches processed at once
    size_t max_batch = 64;    // texts per batch
    size_t max_queue = 4096;  // texts waiting before new requests are refused (overloaded)
  };
  RequestBatcher(Language& nlp, Settings settings);
  ~RequestBatcher();  // stop()

  enum class Submitted { Queued, Overloaded, Stopping };
  Submitted submit(const std::shared_ptr<Job>& job);
  // Waits until the job is finished or the deadline passes (then cancels it); true when finished.
  bool wait(Job& job, std::chrono::steady_clock::time_point deadline);
  // Finishes the queued texts, then joins the workers; later submits answer Stopping.
  void stop();
  size_t queued() const;

 private:
  struct Item {
    std::shared_ptr<Job> job;
    size_t index;
  };
  void work();
  void run_batch(std::vector<Item>& items);
  static void complete(Job& job, size_t n);

  Language& nlp_;
  Settings settings_;
  mutable std::mutex mutex_;
  std::condition_variable work_cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace trfpipe::cli
