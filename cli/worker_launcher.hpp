// `trfpipe train --n-workers N`: this process starts N copies of the trfpipe binary as the ranks
// of a process group on this machine (what `torchrun --no-python --nproc_per_node=N` does):
// RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and MASTER_PORT (a free
// port) in their environment. SIGINT/SIGTERM are passed on to every worker; when a worker fails,
// the others get a grace period to stop by themselves (they notice through the process group),
// then SIGTERM, then SIGKILL.
#pragma once
#include <string>
#include <vector>

namespace trfpipe::cli {

// Runs the workers with `args` (the arguments after the program name) and waits for all of them.
// Returns 0 when all succeeded; 1 with a message naming the first failed rank and how it ended;
// 128 + the signal number when stopped by SIGINT/SIGTERM.
int run_local_workers(int n_workers, const std::vector<std::string>& args);

}  // namespace trfpipe::cli
