#include "engine/replaceable_engine.h"

#include "engine/str_cat.h"

namespace walkv {

ReplaceableEngine::ReplaceableEngine(std::unique_ptr<Engine> first)
    : options_(first->options()),
      first_recovery_(first->recovery_summary()),
      current_(std::shared_ptr<Engine>(std::move(first))) {}

ReplaceableEngine::~ReplaceableEngine() { Close().IgnoreError(); }

Status ReplaceableEngine::Reopen() {
  std::shared_ptr<Engine> old = Current();
  Status closed = old->Close();
  if (!closed.ok() && options_.log) {
    options_.log(LogLevel::kWarn,
                 StrCat("closing the engine before reopening it: ", closed.ToString()));
  }
  StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(options_);
  if (!opened.ok()) return opened.status();
  std::shared_ptr<Engine> fresh(std::move(opened).value());
  {
    MutexLock lock(&listeners_mu_);
    for (auto& [id, l] : listeners_) {
      l.engine_id = fresh->AddCommitListener(l.listener);
      l.engine = fresh;
    }
    // Under listeners_mu_: an AddCommitListener is either moved above or registers on `fresh`.
    WriterLock current_lock(&current_mu_);
    current_ = std::move(fresh);
  }
  reopens_.fetch_add(1);
  return Status::Ok();
}

uint64_t ReplaceableEngine::reopens() const { return reopens_.load(); }

std::optional<std::string> ReplaceableEngine::Get(std::string_view key) {
  return Current()->Get(key);
}

std::vector<std::string> ReplaceableEngine::Keys(std::string_view pattern) {
  return Current()->Keys(pattern);
}

std::optional<uint64_t> ReplaceableEngine::ValueLength(std::string_view key) {
  return Current()->ValueLength(key);
}

uint64_t ReplaceableEngine::Size() { return Current()->Size(); }

std::optional<std::vector<std::string>> ReplaceableEngine::KeysUpTo(std::string_view pattern,
                                                                    size_t max_keys) {
  return Current()->KeysUpTo(pattern, max_keys);
}

uint64_t ReplaceableEngine::Scan(uint64_t cursor, size_t count, std::string_view pattern,
                                 std::vector<std::string>* keys) {
  return Current()->Scan(cursor, count, pattern, keys);
}

int64_t ReplaceableEngine::Pttl(std::string_view key) { return Current()->Pttl(key); }

void ReplaceableEngine::Submit(Mutation m, Callback done) {
  Current()->Submit(std::move(m), std::move(done));
}

StatusOr<uint64_t> ReplaceableEngine::SweepExpired() { return Current()->SweepExpired(); }

StatusOr<SnapshotInfo> ReplaceableEngine::Snapshot() { return Current()->Snapshot(); }

StatusOr<SnapshotInfo> ReplaceableEngine::SnapshotKeeping(size_t keep_snapshots) {
  return Current()->SnapshotKeeping(keep_snapshots);
}

EngineStats ReplaceableEngine::Stats() { return Current()->Stats(); }

uint64_t ReplaceableEngine::AddCommitListener(CommittedRecordsListener listener) {
  MutexLock lock(&listeners_mu_);
  std::shared_ptr<Engine> engine = Current();
  const uint64_t id = next_listener_id_++;
  Listener& l = listeners_[id];
  l.listener = std::move(listener);
  l.engine_id = engine->AddCommitListener(l.listener);
  l.engine = engine;
  return id;
}

void ReplaceableEngine::RemoveCommitListener(uint64_t id) {
  std::weak_ptr<Engine> on;
  uint64_t engine_id = 0;
  {
    MutexLock lock(&listeners_mu_);
    auto it = listeners_.find(id);
    if (it == listeners_.end()) return;
    on = it->second.engine;
    engine_id = it->second.engine_id;
    listeners_.erase(it);
  }
  if (std::shared_ptr<Engine> engine = on.lock()) engine->RemoveCommitListener(engine_id);
}

Status ReplaceableEngine::ReadCommittedRecords(uint64_t from_seq, size_t max_bytes,
                                               std::string* out) {
  return Current()->ReadCommittedRecords(from_seq, max_bytes, out);
}

Status ReplaceableEngine::ReadCommittedRecordsAt(replication::LogCursor* cursor,
                                                 size_t max_bytes, std::string* out) {
  return Current()->ReadCommittedRecordsAt(cursor, max_bytes, out);
}

uint64_t ReplaceableEngine::LastShippableSeq() { return Current()->LastShippableSeq(); }

Status ReplaceableEngine::AppendReplicatedRecords(std::string_view records) {
  return Current()->AppendReplicatedRecords(records);
}

bool ReplaceableEngine::IsReplica() { return Current()->IsReplica(); }

ReplicationState ReplaceableEngine::replication_state() { return Current()->replication_state(); }

Status ReplaceableEngine::ObservePrimary(const std::string& primary, uint64_t epoch) {
  return Current()->ObservePrimary(primary, epoch);
}

StatusOr<Engine::PromoteResult> ReplaceableEngine::Promote() { return Current()->Promote(); }

Status ReplaceableEngine::Close() { return Current()->Close(); }

}  // namespace walkv
