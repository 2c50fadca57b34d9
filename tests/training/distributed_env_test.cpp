// The process-group settings read from torchrun's and Slurm's environment variables.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "trfpipe/distributed.hpp"
#include "trfpipe/error.hpp"

using trfpipe::distributed_settings_from_environment;
using trfpipe::first_slurm_host;

namespace {

// Sets the variables for one test and restores a clean slate after it.
class Environment : public ::testing::Test {
 protected:
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void set(const char* name, const char* value) { ::setenv(name, value, 1); }
  static void clear() {
    for (const char* name :
         {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID",
          "SLURM_NTASKS", "SLURM_STEP_NUM_TASKS", "SLURM_LOCALID", "SLURM_STEP_NODELIST",
          "SLURM_JOB_NODELIST", "SLURM_LAUNCH_NODE_IPADDR", "TRFPIPE_DIST_CONNECT_TIMEOUT",
          "TRFPIPE_DIST_HEARTBEAT_TIMEOUT"})
      ::unsetenv(name);
  }
  static std::string error_of_settings() {
    try {
      distributed_settings_from_environment();
    } catch (const trfpipe::ValueError& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

TEST_F(Environment, NothingSetMeansAlone) {
  auto s = distributed_settings_from_environment();
  EXPECT_EQ(s.world_size, 1);
  EXPECT_EQ(s.rank, 0);
  EXPECT_EQ(s.source, "");
}

TEST_F(Environment, TorchrunVariables) {
  set("RANK", "3");
  set("WORLD_SIZE", "4");
  set("LOCAL_RANK", "1");
  set("MASTER_ADDR", "10.0.0.7");
  set("MASTER_PORT", "29501");
  set("TRFPIPE_DIST_HEARTBEAT_TIMEOUT", "12");
  auto s = distributed_settings_from_environment();
  EXPECT_EQ(s.rank, 3);
  EXPECT_EQ(s.world_size, 4);
  EXPECT_EQ(s.local_rank, 1);
  EXPECT_EQ(s.master_addr, "10.0.0.7");
  EXPECT_EQ(s.master_port, 29501);
  EXPECT_EQ(s.source, "environment");
  EXPECT_EQ(s.heartbeat_timeout_s, 12);
  EXPECT_EQ(s.connect_timeout_s, 300);
}

TEST_F(Environment, WorldSizeOneNeedsNoMaster) {
  set("RANK", "0");
  set("WORLD_SIZE", "1");
  EXPECT_EQ(distributed_settings_from_environment().world_size, 1);
}

TEST_F(Environment, BadTorchrunVariablesNameTheVariable) {
  set("RANK", "2");
  set("WORLD_SIZE", "2");
  set("MASTER_ADDR", "127.0.0.1");
  set("MASTER_PORT", "1");
  EXPECT_EQ(error_of_settings(), "environment variable RANK=2 must be below WORLD_SIZE=2");
  set("RANK", "-1");
  EXPECT_NE(error_of_settings().find("RANK='-1' is not an integer from 0"), std::string::npos);
  set("RANK", "0");
  set("MASTER_PORT", "70000");
  EXPECT_NE(error_of_settings().find("MASTER_PORT='70000'"), std::string::npos);
  ::unsetenv("MASTER_PORT");
  EXPECT_NE(error_of_settings().find("MASTER_PORT"), std::string::npos);
  set("TRFPIPE_DIST_CONNECT_TIMEOUT", "soon");
  EXPECT_NE(error_of_settings().find("TRFPIPE_DIST_CONNECT_TIMEOUT='soon'"), std::string::npos);
}

TEST_F(Environment, SlurmTaskOfSrun) {
  set("SLURM_PROCID", "5");
  set("SLURM_NTASKS", "8");
  set("SLURM_STEP_NUM_TASKS", "6");
  set("SLURM_LOCALID", "1");
  set("SLURM_JOB_NODELIST", "gpu[07-09],cpu1");
  set("SLURM_STEP_NODELIST", "gpu[08-09]");
  set("SLURM_LAUNCH_NODE_IPADDR", "10.1.1.1");
  auto s = distributed_settings_from_environment();
  EXPECT_EQ(s.source, "Slurm");
  EXPECT_EQ(s.rank, 5);
  EXPECT_EQ(s.world_size, 6);  // the step's tasks
  EXPECT_EQ(s.local_rank, 1);
  EXPECT_EQ(s.master_addr, "gpu08");
  EXPECT_EQ(s.master_port, 29500);
  ::unsetenv("SLURM_STEP_NODELIST");
  EXPECT_EQ(distributed_settings_from_environment().master_addr, "gpu07");
  ::unsetenv("SLURM_JOB_NODELIST");
  EXPECT_EQ(distributed_settings_from_environment().master_addr, "10.1.1.1");
  set("MASTER_ADDR", "head");
  set("MASTER_PORT", "4000");
  s = distributed_settings_from_environment();
  EXPECT_EQ(s.master_addr, "head");
  EXPECT_EQ(s.master_port, 4000);
  set("SLURM_PROCID", "6");
  EXPECT_NE(error_of_settings().find("SLURM_PROCID=6 must be below SLURM_STEP_NUM_TASKS=6"),
            std::string::npos);
}

TEST_F(Environment, TorchrunVariablesWinOverSlurm) {
  set("SLURM_PROCID", "0");
  set("SLURM_NTASKS", "4");
  set("RANK", "0");
  set("WORLD_SIZE", "1");
  EXPECT_EQ(distributed_settings_from_environment().world_size, 1);
}

TEST_F(Environment, FirstSlurmHost) {
  EXPECT_EQ(first_slurm_host("node[03-05,9],gpu1"), "node03");
  EXPECT_EQ(first_slurm_host("a,b"), "a");
  EXPECT_EQ(first_slurm_host("single"), "single");
  EXPECT_EQ(first_slurm_host("rack[2-3]-n[1-4]"), "rack2-n1");
  EXPECT_EQ(first_slurm_host("broken[1-"), "");
}
