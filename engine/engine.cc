// Engine::Open and the blocking conveniences over Engine::Submit.
#include "engine/engine.h"

#include <future>

#include "engine/engine_impl.h"

namespace walkv {

StatusOr<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("no data directory given");
  Env* env = options.env != nullptr ? options.env : Env::Posix();
  auto engine = std::make_unique<EngineImpl>(options, env);
  WALKV_RETURN_IF_ERROR(engine->Init());
  return std::unique_ptr<Engine>(std::move(engine));
}

std::optional<std::vector<std::string>> Engine::KeysUpTo(std::string_view pattern,
                                                         size_t max_keys) {
  std::vector<std::string> keys = Keys(pattern);
  if (keys.size() > max_keys) return std::nullopt;
  return keys;
}

StatusOr<MutationResult> Engine::Write(Mutation m) {
  std::promise<StatusOr<MutationResult>> promise;
  auto future = promise.get_future();
  Submit(std::move(m), [&promise](StatusOr<MutationResult> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Status Engine::Set(std::string_view key, std::string_view value) {
  return Write({MutationType::kSet, std::string(key), std::string(value)}).status();
}

StatusOr<bool> Engine::Delete(std::string_view key) {
  auto r = Write({MutationType::kDelete, std::string(key), {}});
  if (!r.ok()) return r.status();
  return r->existed;
}

StatusOr<uint64_t> Engine::Append(std::string_view key, std::string_view value) {
  auto r = Write({MutationType::kAppend, std::string(key), std::string(value)});
  if (!r.ok()) return r.status();
  return r->new_length;
}

Status Engine::FlushAll() { return Write({MutationType::kFlushAll, {}, {}}).status(); }

namespace {

StatusOr<int64_t> WriteCounter(Engine& engine, std::string_view key, int64_t delta,
                               MutationRequest request) {
  auto r = engine.Write({MutationType::kSet, std::string(key), std::to_string(delta), request});
  if (!r.ok()) return r.status();
  return r->counter;
}

}  // namespace

StatusOr<int64_t> Engine::IncrBy(std::string_view key, int64_t delta) {
  return WriteCounter(*this, key, delta, MutationRequest::kIncrBy);
}

StatusOr<int64_t> Engine::DecrBy(std::string_view key, int64_t delta) {
  return WriteCounter(*this, key, delta, MutationRequest::kDecrBy);
}

}  // namespace walkv
