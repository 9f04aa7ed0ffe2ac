#include "engine/expiry_requests.h"

#include <utility>

#include "engine/engine.h"

namespace walkv {

Mutation CompareAndSetRequest(std::string key, std::optional<std::string> expected,
                              std::string value) {
  Mutation m;
  m.type = MutationType::kSet;
  m.key = std::move(key);
  m.value = std::move(value);
  m.request = MutationRequest::kCompareAndSet;
  m.expected = std::move(expected);
  return m;
}

Mutation SetRequest(std::string key, std::string value, ExpiryRequest expiry,
                    SetOptions options) {
  Mutation m;
  m.type = MutationType::kSet;
  m.key = std::move(key);
  m.value = std::move(value);
  m.request = MutationRequest::kSetWithOptions;
  m.expiry = expiry;
  m.set_options = options;
  return m;
}

Mutation ExpireRequest(std::string key, ExpiryRequest expiry) {
  Mutation m;
  m.type = MutationType::kExpireAt;
  m.key = std::move(key);
  m.request = MutationRequest::kExpire;
  m.expiry = expiry;
  return m;
}

Mutation PersistRequest(std::string key) {
  Mutation m;
  m.type = MutationType::kPersist;
  m.key = std::move(key);
  m.request = MutationRequest::kPersist;
  return m;
}

Mutation BatchSetRequest(std::vector<std::string> pairs, bool only_if_none_exist) {
  Mutation m;
  m.type = MutationType::kBatch;
  m.request = only_if_none_exist ? MutationRequest::kBatchIfNoneExist : MutationRequest::kAsIs;
  m.batch.reserve(pairs.size() / 2);
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    m.batch.push_back({MutationType::kSet, std::move(pairs[i]), std::move(pairs[i + 1])});
  }
  return m;
}

Mutation InvalidRequest(std::string why) {
  Mutation m;
  m.value = std::move(why);
  m.request = MutationRequest::kInvalid;
  return m;
}

StatusOr<bool> Engine::Expire(std::string_view key, int64_t ttl_ms) {
  auto r = Write(ExpireRequest(std::string(key), {ExpiryRequest::Kind::kRelative, ttl_ms}));
  if (!r.ok()) return r.status();
  return r->existed;
}

StatusOr<bool> Engine::Persist(std::string_view key) {
  auto r = Write(PersistRequest(std::string(key)));
  if (!r.ok()) return r.status();
  return r->existed;
}

}  // namespace walkv
