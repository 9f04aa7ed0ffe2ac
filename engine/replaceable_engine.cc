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
  current_.store(std::shared_ptr<Engine>(std::move(opened).value()));
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
  std::shared_ptr<Engine> engine = Current();
  const uint64_t inner = engine->AddCommitListener(std::move(listener));
  MutexLock lock(&listeners_mu_);
  const uint64_t id = next_listener_id_++;
  listeners_[id] = {engine, inner};
  return id;
}

void ReplaceableEngine::RemoveCommitListener(uint64_t id) {
  std::pair<std::weak_ptr<Engine>, uint64_t> entry;
  {
    MutexLock lock(&listeners_mu_);
    auto it = listeners_.find(id);
    if (it == listeners_.end()) return;
    entry = std::move(it->second);
    listeners_.erase(it);
  }
  if (std::shared_ptr<Engine> engine = entry.first.lock()) {
    engine->RemoveCommitListener(entry.second);
  }
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

Status ReplaceableEngine::Close() { return Current()->Close(); }

}  // namespace walkv
