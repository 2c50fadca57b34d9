// trfpipe serve MODEL [--host 127.0.0.1] [--port 8080] [--threads N] — a pipeline as an HTTP
// service (cpp-httplib):
//   POST /parse   {"texts": [...], "attributes": [...], "include_trf": false} -> [Doc.to_json()]
//   POST /render  {"text": "..."} -> {"doc": Doc.to_json(), "ent": markup, "dep": markup}
//   GET  /health  {"status": "ok"} (503 {"status": "stopping"} while shutting down)
//   GET  /meta    the pipeline's meta.json (name, version, pipeline, labels ...)
//   GET  /        a page that renders typed text with displaCy
// Errors are JSON {"error": message, "status": code}: 400 bad JSON, invalid UTF-8, a bad field or
// text; 404; 413 body over --max-body; 503 overloaded (more than --max-queue texts waiting) or a
// request over --timeout. SIGTERM/SIGINT stop accepting connections, finish the requests in
// flight, and exit 0.
#include <CLI/CLI.hpp>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/dtype_option.hpp"
#include "cli/serve_batcher.hpp"
#include "cli/serve_page.hpp"
#include "cli/serve_request.hpp"
#include "trfpipe/displacy.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe::cli {
namespace {

struct ServeArgs {
  std::string model, host = "127.0.0.1";
  long long port = 8080;
  std::optional<long long> threads, torch_threads;
  long long max_batch = 64, max_queue = 4096, http_threads = 64;
  long long max_body = 10 * 1024 * 1024;  // bytes
  double timeout = 60;                     // seconds per request
  std::optional<std::string> code, dtype;
};

void send_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

std::string status_text(int status) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "not found: the service answers POST /parse, POST /render, GET /health, GET /meta, GET /";
    case 405: return "method not allowed";
    case 413: return "the request body is larger than the limit (--max-body)";
    case 414: return "the request URI is too long";
    default: return "HTTP error " + std::to_string(status);
  }
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}, {"status", status}});
}

class Service {
 public:
  Service(std::unique_ptr<Language> nlp, const ServeArgs& args)
      : nlp_(std::move(nlp)),
        meta_(nlp_->meta()),  // computed once: meta() is not for concurrent calls
        batcher_(*nlp_, {size_t(*args.threads), size_t(args.max_batch), size_t(args.max_queue)}),
        timeout_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(args.timeout))) {
    meta_["trfpipe_version"] = TRFPIPE_VERSION;
  }

  void routes(httplib::Server& server) {
    server.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(serve_page_html(), "text/html; charset=utf-8");
    });
    server.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      if (stopping_) send_json(res, 503, {{"status", "stopping"}});
      else send_json(res, 200, {{"status", "ok"}, {"queued", batcher_.queued()}});
    });
    server.Get("/meta", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, meta_);
    });
    server.Post("/parse", [this](const httplib::Request& req, httplib::Response& res) {
      ParseRequest r;
      try {
        r = read_parse_request(parse_request_json(req.body));
      } catch (const ValueError& e) {
        return send_error(res, 400, e.what());
      }
      std::vector<Json> docs;
      if (!run(std::move(r.texts), [r](Doc& d) { return doc_json(d, r); }, res, docs)) return;
      send_json(res, 200, Json(std::move(docs)));
    });
    server.Post("/render", [this](const httplib::Request& req, httplib::Response& res) {
      std::string text;
      try {
        text = read_render_request(parse_request_json(req.body));
      } catch (const ValueError& e) {
        return send_error(res, 400, e.what());
      }
      std::vector<Json> docs;
      if (!run({std::move(text)}, [](Doc& d) { return d.to_json(); }, res, docs)) return;
      send_json(res, 200, {{"doc", docs[0]},
                           {"ent", displacy::render(docs, "ent")},
                           {"dep", displacy::render(docs, "dep")}});
    });
    // Every answer of 400 and above passes here: httplib's own (404, 413 ...) get a JSON body.
    server.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request&, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours
          send_error(res, res.status, status_text(res.status));
          return httplib::Server::HandlerResponse::Handled;
        }));
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown error";
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          send_error(res, 500, "internal error: " + what);
        });
  }

  void stop_accepting() { stopping_ = true; }
  void finish() { batcher_.stop(); }

 private:
  // Runs the texts through the pipeline; answers the error itself and returns false when a text
  // fails (400 naming it), the server is overloaded or stopping (503) or the time is up (503).
  bool run(std::vector<std::string> texts, std::function<Json(Doc&)> to_json,
           httplib::Response& res, std::vector<Json>& out) {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    auto job = std::make_shared<RequestBatcher::Job>();
    job->texts = std::move(texts);
    job->to_json = std::move(to_json);
    switch (batcher_.submit(job)) {
      case RequestBatcher::Submitted::Overloaded:
        res.set_header("Retry-After", "1");
        send_error(res, 503, "overloaded: " + std::to_string(batcher_.queued()) +
                                 " texts are waiting (--max-queue); retry later");
        return false;
      case RequestBatcher::Submitted::Stopping:
        send_error(res, 503, "the server is shutting down");
        return false;
      case RequestBatcher::Submitted::Queued:
        break;
    }
    if (!batcher_.wait(*job, deadline)) {
      res.set_header("Retry-After", "1");
      send_error(res, 503, "the request took longer than the time limit (--timeout)");
      return false;
    }
    if (job->error) {
      try {
        std::rethrow_exception(job->error);
      } catch (const std::exception& e) {
        send_error(res, 400, "texts[" + std::to_string(job->error_index) + "]: " + e.what());
      }
      return false;
    }
    out = std::move(job->results);
    return true;
  }

  std::unique_ptr<Language> nlp_;
  Json meta_;
  RequestBatcher batcher_;
  std::chrono::steady_clock::duration timeout_;
  std::atomic<bool> stopping_{false};
};

int run_serve(ServeArgs args) {
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  if (!args.threads) args.threads = cores;
  // Each of the --threads batches in flight gets its share of the cores inside LibTorch.
  set_num_threads(int(args.torch_threads ? *args.torch_threads : std::max(1LL, cores / *args.threads)));
  // SIGTERM/SIGINT go to the thread waiting for them below, not to a worker: blocked here, before
  // any thread starts, so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (int rc = use_dtype(args.dtype)) return rc;
  load_code(args.code);
  std::unique_ptr<Language> nlp = Language::load(args.model);
  (*nlp)("Warm up.");  // loads what the first request would (LibTorch, lazy caches)
  Service service(std::move(nlp), args);
  httplib::Server server;
  const size_t http_threads = size_t(args.http_threads);
  // One thread per open connection (keep-alive): enough for the clients served at once.
  server.new_task_queue = [http_threads] { return new httplib::ThreadPool(http_threads); };
  server.set_payload_max_length(size_t(args.max_body));
  server.set_keep_alive_max_count(1000);
  server.set_read_timeout(std::max<time_t>(1, time_t(args.timeout)));
  server.set_write_timeout(std::max<time_t>(1, time_t(args.timeout)));
  // Debian's cpp-httplib is a compiled library that listens with a backlog of 5: a burst of clients
  // connecting at once overflows it, and the dropped handshakes fail or wait seconds. Its default
  // socket options also set SO_REUSEPORT, which lets a second server share a busy port silently.
  // So: our own options (SO_REUSEADDR only), remembering the socket to listen on it again below.
  int listen_socket = -1;
  server.set_socket_options([&listen_socket](int socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_socket = socket;
  });
  service.routes(server);
  int port = int(args.port);
  if (port == 0) {
    port = server.bind_to_any_port(args.host);
    if (port < 0) return fail("Can't listen on " + args.host);
  } else if (!server.bind_to_port(args.host, port)) {
    return fail("Can't listen on " + args.host + ":" + std::to_string(port),
                "Is the port in use? Choose another with --port (0 = any free port).");
  }
  if (listen_socket >= 0) ::listen(listen_socket, SOMAXCONN);  // a second listen() sets the backlog
  std::atomic<bool> signalled{false};
  std::thread signal_waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    signalled = true;
    service.stop_accepting();
    server.stop();  // in-flight requests finish; listen_after_bind returns
  });
  std::cerr << "\u2714 Serving " << args.model << " on http://" << args.host << ":" << port
            << " (" << *args.threads << " threads)" << std::endl;
  const bool ok = server.listen_after_bind();
  const bool by_signal = signalled;
  if (!by_signal) pthread_kill(signal_waiter.native_handle(), SIGTERM);  // wakes the waiter
  signal_waiter.join();
  service.finish();
  if (!ok && !by_signal) return fail("The server stopped unexpectedly");
  std::cerr << "\u2714 Stopped" << std::endl;
  return 0;
}

CommandRunner serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  app.add_option("MODEL", args->model, "a pipeline directory or blank:<lang>")->required();
  app.add_option("--host", args->host, "the address to listen on");
  add_integer_option(app, "--port", args->port, "the port (0 = any free port, printed at start)",
                     "--port must be in 0-65535", 0, 65535);
  add_integer_option(app, "--threads", args->threads,
                     "batches processed at once (default: the number of cores); LibTorch gets "
                     "cores / threads threads each",
                     "--threads must be a positive integer", 1, 1024);
  add_integer_option(app, "--torch-threads", args->torch_threads,
                     "LibTorch threads per batch instead of cores / --threads",
                     "--torch-threads must be a positive integer", 1, 1024);
  add_integer_option(app, "--max-batch", args->max_batch,
                     "texts per batch, taken from all waiting requests",
                     "--max-batch must be a positive integer", 1, 1 << 20);
  add_integer_option(app, "--max-queue", args->max_queue,
                     "texts waiting before requests are refused with 503",
                     "--max-queue must be a positive integer", 1, 1LL << 30);
  add_integer_option(app, "--max-body", args->max_body, "request body limit in bytes (413 above)",
                     "--max-body must be a positive integer", 1, 1LL << 40);
  app.add_option("--timeout", args->timeout, "seconds a request may take (503 after)")
      ->check(CLI::PositiveNumber);
  add_integer_option(app, "--http-threads", args->http_threads,
                     "connections served at once (one thread each, while kept alive)",
                     "--http-threads must be a positive integer", 1, 4096);
  add_code_option(app, args->code);
  add_dtype_option(app, args->dtype);
  return [args] { return run_serve(*args); };
}

}  // namespace

TRFPIPE_COMMAND("serve", "Serve a pipeline over HTTP: /parse, /render, /health, /meta and a displaCy page",
                serve_command);

}  // namespace trfpipe::cli
