#include "cli/serve_batcher.hpp"

#include <optional>

namespace trfpipe::cli {

RequestBatcher::RequestBatcher(Language& nlp, Settings settings)
    : nlp_(nlp), settings_(settings) {
  settings_.workers = std::max<size_t>(1, settings_.workers);
  settings_.max_batch = std::max<size_t>(1, settings_.max_batch);
  for (size_t i = 0; i < settings_.workers; ++i) workers_.emplace_back([this] { work(); });
}

RequestBatcher::~RequestBatcher() { stop(); }

RequestBatcher::Submitted RequestBatcher::submit(const std::shared_ptr<Job>& job) {
  job->results.assign(job->texts.size(), Json());
  if (job->texts.empty()) {
    complete(*job, 0);
    return Submitted::Queued;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return Submitted::Stopping;
    // A request larger than the whole queue still runs when the queue is empty.
    if (!queue_.empty() && queue_.size() + job->texts.size() > settings_.max_queue)
      return Submitted::Overloaded;
    for (size_t i = 0; i < job->texts.size(); ++i) queue_.push_back({job, i});
  }
  work_cv_.notify_all();
  return Submitted::Queued;
}

bool RequestBatcher::wait(Job& job, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(job.mutex);
  if (job.finished_cv.wait_until(lock, deadline, [&] { return job.finished; })) return true;
  job.cancelled = true;
  return false;
}

void RequestBatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

size_t RequestBatcher::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

void RequestBatcher::complete(Job& job, size_t n) {
  std::lock_guard<std::mutex> lock(job.mutex);
  job.done += n;
  if (job.done >= job.texts.size()) {
    job.finished = true;
    job.finished_cv.notify_all();
  }
}

void RequestBatcher::work() {
  for (;;) {
    std::vector<Item> items;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      while (!queue_.empty() && items.size() < settings_.max_batch) {
        Item item = std::move(queue_.front());
        queue_.pop_front();
        if (item.job->cancelled) complete(*item.job, 1);  // its request has answered already
        else items.push_back(std::move(item));
      }
    }
    if (!items.empty()) run_batch(items);
  }
}

// One nlp.pipe call over the items; when a text fails, the texts after it run again (its own
// request gets the error, the others their docs).
void RequestBatcher::run_batch(std::vector<Item>& items) {
  size_t start = 0;
  while (start < items.size()) {
    size_t next = start, delivered = start;
    try {
      nlp_.pipe(
          [&]() -> std::optional<std::string> {
            if (next == items.size()) return std::nullopt;
            const Item& item = items[next++];
            return item.job->texts[item.index];
          },
          [&](Doc&& doc) {
            Item& item = items[delivered];
            item.job->results[item.index] = item.job->to_json(doc);
            complete(*item.job, 1);
            ++delivered;
          },
          PipeOptions{items.size() - start, 1});
      return;
    } catch (...) {
      Item& failed = items[delivered];
      {
        std::lock_guard<std::mutex> lock(failed.job->mutex);
        if (!failed.job->error || failed.index < failed.job->error_index) {
          failed.job->error = std::current_exception();
          failed.job->error_index = failed.index;
        }
      }
      complete(*failed.job, 1);
      start = delivered + 1;
    }
  }
}

}  // namespace trfpipe::cli
