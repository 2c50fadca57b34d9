// Data-parallel training (docs/distributed.md): where this process sits in a process group, read
// from the environment torchrun, Slurm or `trfpipe train --n-workers` give it. Torch-free; the
// group itself (c10d TCPStore + ProcessGroupGloo) lives in training/distributed.cpp.
#pragma once
#include <string>

namespace trfpipe {

struct DistributedSettings {
  int rank = 0;
  int world_size = 1;  // 1 = train alone (no process group)
  int local_rank = 0;  // the rank among the workers of this machine (picks the GPU)
  std::string master_addr;  // host of rank 0, which serves the TCPStore rendezvous
  int master_port = 0;
  std::string source;  // where the settings came from: "environment", "Slurm" or "" (alone)
  // Seconds a rank waits for the others to join (TRFPIPE_DIST_CONNECT_TIMEOUT, default 300, as
  // torch's store timeout), and without a heartbeat from a rank before it is declared dead
  // (TRFPIPE_DIST_HEARTBEAT_TIMEOUT, default 30).
  double connect_timeout_s = 300;
  double heartbeat_timeout_s = 30;
};

// The rules, in order:
//  1. RANK and WORLD_SIZE set (torchrun, `--n-workers`, by hand): LOCAL_RANK (default: RANK),
//     MASTER_ADDR and MASTER_PORT (both required when WORLD_SIZE > 1).
//  2. Else SLURM_PROCID set (srun): rank SLURM_PROCID, world SLURM_STEP_NUM_TASKS (or SLURM_NTASKS),
//     local rank SLURM_LOCALID; MASTER_ADDR if set, else the first host of SLURM_STEP_NODELIST
//     (or SLURM_JOB_NODELIST: rank 0 runs there with Slurm's default block distribution), else
//     SLURM_LAUNCH_NODE_IPADDR; MASTER_PORT if set, else 29500.
//  3. Else world size 1.
// A malformed or inconsistent value (not an integer, RANK >= WORLD_SIZE, WORLD_SIZE > 1 without
// MASTER_ADDR ...) is a ValueError naming the variable.
DistributedSettings distributed_settings_from_environment();

// The first host of a Slurm node list: "node[03-05,9],gpu1" -> "node03"; "a,b" -> "a".
std::string first_slurm_host(const std::string& nodelist);

}  // namespace trfpipe
