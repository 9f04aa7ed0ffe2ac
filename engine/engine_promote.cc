// EngineImpl's replication role and epoch (docs/replication.md §7): the REPLICATION file loaded
// at Init, the epochs a replica hears from its primary, and Promote, the one switch from replica
// mode to primary mode.
//
// Promote's order is the contract of engine.h: under the commit token (so no replicated append
// and no commit is in progress or starts), REPLICATION is written with the new epoch and synced;
// only then does replica_mode_ turn false, which is what lets Submit through. A crash at any
// point before the file is durable leaves a replica at the old epoch that has accepted no write;
// after it, a primary at the new epoch (which it also is when restarted without --replica-of).
#include "engine/engine_impl.h"
#include "engine/str_cat.h"

namespace walkv {

Status EngineImpl::LoadReplicationRole() {
  auto loaded = LoadReplicationState(env_, options_.data_dir);
  if (!loaded.ok()) return loaded.status();
  replica_mode_.store(options_.replica, std::memory_order_release);
  MutexLock lock(&replication_mu_);
  replication_ = *loaded;
  if (!options_.replica && replication_.role == ReplicationRole::kReplica) {
    Log(LogLevel::kWarn,
        StrCat("this data directory was last a replica of ", replication_.primary,
               " and now starts as a primary without `walkv cli promote`: its epoch stays ",
               replication_.epoch, ", so the old primary is not fenced (docs/replication.md §7)"));
    ReplicationState primary{replication_.epoch, ReplicationRole::kPrimary, ""};
    WALKV_RETURN_IF_ERROR(WriteReplicationState(env_, options_.data_dir, primary));
    replication_ = primary;
  }
  return Status::Ok();
}

ReplicationState EngineImpl::replication_state() {
  MutexLock lock(&replication_mu_);
  return replication_;
}

Status EngineImpl::ObservePrimary(const std::string& primary, uint64_t epoch) {
  MutexLock lock(&replication_mu_);
  if (!IsReplica()) return Status::Ok();
  ReplicationState next{std::max(epoch, replication_.epoch), ReplicationRole::kReplica, primary};
  if (next == replication_) return Status::Ok();
  if (next.epoch > replication_.epoch) {
    Log(LogLevel::kInfo, StrCat("replication epoch ", replication_.epoch, " -> ", next.epoch,
                                " (heard from the primary ", primary, ")"));
  }
  WALKV_RETURN_IF_ERROR(WriteReplicationState(env_, options_.data_dir, next));
  replication_ = std::move(next);
  return Status::Ok();
}

StatusOr<Engine::PromoteResult> EngineImpl::Promote() {
  MutexLock close_lock(&close_mu_);  // Close waits: the sweeper it stops is started here
  if (closed_) return Status::ShuttingDown("the engine is shutting down");
  WALKV_RETURN_IF_ERROR(WaitForCommitToken());
  PromoteResult result;
  result.last_seq = last_seq_.load();
  Status written;
  {
    MutexLock lock(&replication_mu_);
    if (!IsReplica()) {
      result.already_primary = true;
      result.epoch = replication_.epoch;
    } else {
      ReplicationState next{replication_.epoch + 1, ReplicationRole::kPrimary, ""};
      written = WriteReplicationState(env_, options_.data_dir, next);
      if (written.ok()) {
        Log(LogLevel::kWarn,
            StrCat("promoted: this replica of ", replication_.primary,
                   " is now a primary at replication epoch ", next.epoch, ", last seq ",
                   result.last_seq));
        replication_ = next;
        result.epoch = next.epoch;
        replica_mode_.store(false, std::memory_order_release);  // Submit is accepted from here
      }
    }
  }
  {
    MutexLock lock(&queue_mu_);
    ReturnCommitToken(last_batch_size_);
  }
  if (!written.ok()) return written;
  if (!result.already_primary && options_.active_expiry_sweep && sweeper_ != nullptr) {
    sweeper_->Start();
  }
  return result;
}

}  // namespace walkv
