// The process-group settings from the environment (include/trfpipe/distributed.hpp). No LibTorch:
// the CLI reads them before it decides how to print, and the tests check the rules directly.
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <optional>
#include <string>

#include "trfpipe/distributed.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {
namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

long long env_integer(const char* name, long long lo, long long hi) {
  std::string text = *env(name);
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < lo || v > hi)
    throw ValueError("environment variable " + std::string(name) + "='" + text +
                     "' is not an integer from " + std::to_string(lo) + " to " +
                     std::to_string(hi));
  return v;
}

double env_seconds(const char* name, double fallback) {
  if (!env(name)) return fallback;
  return double(env_integer(name, 1, 24 * 3600));
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  // Up to the first comma outside brackets; each "[a-b,c]" gives its first number, padding kept.
  std::string host;
  size_t i = 0;
  while (i < nodelist.size() && nodelist[i] != ',') {
    if (nodelist[i] != '[') {
      host += nodelist[i++];
      continue;
    }
    size_t j = i + 1;
    while (j < nodelist.size() && nodelist[j] != '-' && nodelist[j] != ',' && nodelist[j] != ']')
      host += nodelist[j++];
    const size_t close = nodelist.find(']', j);
    if (close == std::string::npos) return "";
    i = close + 1;
  }
  return host;
}

namespace {

// torchrun's variables (and `--n-workers`, and by hand).
void read_torch_variables(DistributedSettings& s) {
  if (!env("WORLD_SIZE")) throw ValueError("environment variable RANK is set but WORLD_SIZE is not");
  if (!env("RANK")) throw ValueError("environment variable WORLD_SIZE is set but RANK is not");
  s.source = "environment";
  s.world_size = int(env_integer("WORLD_SIZE", 1, INT_MAX));
  s.rank = int(env_integer("RANK", 0, INT_MAX));
  s.local_rank = env("LOCAL_RANK") ? int(env_integer("LOCAL_RANK", 0, INT_MAX)) : s.rank;
  if (s.rank >= s.world_size)
    throw ValueError("environment variable RANK=" + std::to_string(s.rank) +
                     " must be below WORLD_SIZE=" + std::to_string(s.world_size));
  if (s.world_size == 1) return;
  if (!env("MASTER_ADDR"))
    throw ValueError("environment variable MASTER_ADDR (the host of rank 0) is not set");
  if (!env("MASTER_PORT"))
    throw ValueError("environment variable MASTER_PORT (the port of rank 0's store) is not set");
  s.master_addr = *env("MASTER_ADDR");
  s.master_port = int(env_integer("MASTER_PORT", 1, 65535));
}

// A task of srun; nothing in a Slurm job that is not an srun step (a batch script).
void read_slurm_variables(DistributedSettings& s) {
  const char* world_var = env("SLURM_STEP_NUM_TASKS") ? "SLURM_STEP_NUM_TASKS" : "SLURM_NTASKS";
  if (!env(world_var)) return;
  s.source = "Slurm";
  s.world_size = int(env_integer(world_var, 1, INT_MAX));
  s.rank = int(env_integer("SLURM_PROCID", 0, INT_MAX));
  s.local_rank = env("SLURM_LOCALID") ? int(env_integer("SLURM_LOCALID", 0, INT_MAX)) : 0;
  if (s.rank >= s.world_size)
    throw ValueError("environment variable SLURM_PROCID=" + std::to_string(s.rank) +
                     " must be below " + world_var + "=" + std::to_string(s.world_size));
  if (s.world_size == 1) return;
  if (auto addr = env("MASTER_ADDR")) s.master_addr = *addr;
  else if (auto step_nodes = env("SLURM_STEP_NODELIST")) s.master_addr = first_slurm_host(*step_nodes);
  else if (auto job_nodes = env("SLURM_JOB_NODELIST")) s.master_addr = first_slurm_host(*job_nodes);
  else if (auto launch = env("SLURM_LAUNCH_NODE_IPADDR")) s.master_addr = *launch;
  if (s.master_addr.empty())
    throw ValueError("cannot tell the host of rank 0 from SLURM_STEP_NODELIST/SLURM_JOB_NODELIST: "
                     "set MASTER_ADDR");
  s.master_port = env("MASTER_PORT") ? int(env_integer("MASTER_PORT", 1, 65535)) : 29500;
}

}  // namespace

DistributedSettings distributed_settings_from_environment() {
  DistributedSettings s;
  s.connect_timeout_s = env_seconds("TRFPIPE_DIST_CONNECT_TIMEOUT", s.connect_timeout_s);
  s.heartbeat_timeout_s = env_seconds("TRFPIPE_DIST_HEARTBEAT_TIMEOUT", s.heartbeat_timeout_s);
  if (env("RANK") || env("WORLD_SIZE")) {
    read_torch_variables(s);
  } else if (env("SLURM_PROCID")) {
    read_slurm_variables(s);  // leaves world size 1 outside an srun step
  }
  return s;
}

}  // namespace trfpipe
