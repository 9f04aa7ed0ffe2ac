#include "rpc/service.h"

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <spdlog/spdlog.h>
#include <exception>
#include <utility>
#include <vector>

#include "rpc/binary_json.h"
#include "rpc/response.h"

namespace walkv::rpc {

namespace {

std::vector<std::string_view> MethodNames() {
  std::vector<std::string_view> names;
  for (const MethodSpec& m : MethodTable()) names.push_back(m.name);
  return names;
}

// REPLICA_TIMEOUT's message: what the client may rely on (the write is durable here).
std::string ReplicaFailureMessage(const SyncReplicaOptions& options, SyncOutcome outcome) {
  std::string message = "durable on the primary, not confirmed by " +
                        std::to_string(options.replicas) + " replica(s)";
  if (outcome == SyncOutcome::kShutDown) return message + ": the server is shutting down";
  return message + " within " + std::to_string(options.timeout.count()) + " ms";
}

}  // namespace

Service::Service(Engine& engine, AuthToken auth)
    : engine_(engine),
      auth_(std::move(auth)),
      metrics_(MethodNames()),
      context_{engine_, metrics_, facts_},
      blocking_pool_(std::make_unique<asio::thread_pool>(kBlockingThreads)),
      replication_streams_(std::make_unique<ReplicationStreams>(engine_, *this)) {
  context_.replication_streams = replication_streams_.get();
  context_.promote = [this] { return Promote(); };
}

Service::~Service() {
  StopFollowing();
  blocking_pool_->join();
}

void Service::FollowPrimary(const std::string& host, uint16_t port) {
  follower_ = std::make_unique<ReplicaFollower>(engine_, host, port);
  context_.replica_follower = follower_.get();
  follower_->Start();
}

void Service::EnableSyncReplicas(SyncReplicaOptions options) {
  if (options.replicas == 0) return;
  sync_waiter_ = std::make_unique<SyncReplicaWaiter>(options);
  context_.sync_waiter = sync_waiter_.get();
}

void Service::StopFollowing() {
  if (follower_ != nullptr) follower_->Stop();
}

std::optional<std::string> Service::ReadOnlyReason() const {
  if (follower_ == nullptr || !engine_.IsReplica()) return std::nullopt;  // promoted: writable
  return "this server is a replica of " + follower_->primary() + "; write there";
}

MethodResult Service::Promote() {
  MutexLock lock(&promote_mu_);
  auto already_primary = [&](uint64_t epoch, uint64_t last_seq) {
    return Failure{ErrorCode::kAlreadyPrimary,
                   "this server is already a primary at replication epoch " +
                       std::to_string(epoch) + " (last seq " + std::to_string(last_seq) + ")"};
  };
  if (!engine_.IsReplica()) {
    return already_primary(engine_.replication_state().epoch, engine_.Stats().last_seq);
  }
  // The follower first: once it has stopped, no more of the old primary's records are applied.
  if (follower_ != nullptr) follower_->Stop();
  auto promoted = engine_.Promote();
  if (!promoted.ok()) {
    spdlog::error("promote failed: {}; this server stays a read-only replica and no longer "
                  "follows its primary: restart it",
                  promoted.status().ToString());
    return FailureFromStatus(promoted.status());
  }
  if (promoted->already_primary) return already_primary(promoted->epoch, promoted->last_seq);
  const std::string from = follower_ != nullptr ? follower_->primary() : std::string();
  return nlohmann::json{{"role", "primary"},
                        {"epoch", promoted->epoch},
                        {"last_seq", promoted->last_seq},
                        {"promoted_from", from}};
}

void Service::AppendReject(std::string& out, std::string_view id_json, ErrorCode code,
                           std::string_view message) {
  metrics_.CountError(code);
  metrics_.requests_total.fetch_add(1, std::memory_order_relaxed);
  AppendError(out, id_json, code, message);
}

std::string Service::Reject(std::string_view id_json, ErrorCode code, std::string_view message) {
  std::string out;
  AppendReject(out, id_json, code, message);
  return out;
}

void Service::AppendOutcome(std::string& out, std::string_view id, const MethodResult& result,
                            bool b64_results) {
  if (const auto* failure = std::get_if<Failure>(&result)) {
    AppendReject(out, id, failure->code, failure->message);
    return;
  }
  metrics_.requests_total.fetch_add(1, std::memory_order_relaxed);
  const nlohmann::json& value = std::get<nlohmann::json>(result);
  if (b64_results) {
    nlohmann::json encoded = value;
    if (EncodeNonUtf8Strings(encoded)) {
      AppendResult(out, id, encoded);
      return;
    }
  }
  AppendResult(out, id, value);
}

MethodResult Service::Run(Call& call) {
  metrics_.CountOp(call.method_index);
  // An exception (std::bad_alloc, a bug) must not take the server down or leave the request
  // unanswered.
  try {
    return call.method->run(context_, call.args);
  } catch (const std::exception& e) {
    return Failure{ErrorCode::kInternalError, e.what()};
  }
}

void Service::RunAndAppend(Call& call, std::string& out) {
  AppendOutcome(out, call.id, Run(call), call.b64_results);
}

void Service::CountRejected(ErrorCode code) {
  metrics_.CountError(code);
  metrics_.requests_total.fetch_add(1, std::memory_order_relaxed);
}

void Service::CountAnswered() { metrics_.requests_total.fetch_add(1, std::memory_order_relaxed); }

void Service::CountOutcome(const MethodResult& result) {
  if (const auto* failure = std::get_if<Failure>(&result)) {
    CountRejected(failure->code);
  } else {
    CountAnswered();
  }
}

MethodResult Service::RunRead(Call& call) {
  MethodResult result = Run(call);
  CountOutcome(result);
  return result;
}

MethodResult Service::WriteOutcome(const PendingWrite& w) {
  MethodResult result;
  if (!w.exception.empty()) {
    result = Failure{ErrorCode::kInternalError, w.exception};
  } else if (!w.status.ok()) {
    result = FailureFromStatus(w.status);
  } else if (!w.replica_failure.empty()) {
    result = Failure{ErrorCode::kReplicaTimeout, w.replica_failure};
  } else {
    result = w.method->write_result(w.result);
  }
  CountOutcome(result);
  return result;
}

void Service::ExecuteBlockingOutcome(Call call, std::function<void(MethodResult)> done) {
  asio::post(*blocking_pool_, [this, call = std::move(call), done = std::move(done)]() mutable {
    MethodResult result = Run(call);
    CountOutcome(result);
    done(std::move(result));
  });
}

void Service::ExecuteRead(Call& call, std::string& out) { RunAndAppend(call, out); }

void Service::ExecuteBlocking(Call call, Done done) {
  asio::post(*blocking_pool_, [this, call = std::move(call), done = std::move(done)]() mutable {
    std::string line;
    RunAndAppend(call, line);
    done(std::move(line));
  });
}

void Service::SubmitWrite(Call& call, std::unique_ptr<PendingWrite> w, CompletionQueue& queue) {
  metrics_.CountOp(call.method_index);
  w->b64_results = call.b64_results;
  PendingWrite* raw = w.release();  // owned by the callback below until it pushes it
  try {
    Mutation m = call.method->mutation(call.args);
    if (sync_waiter_ != nullptr) {
      engine_.Submit(std::move(m), [raw, &queue, waiter = sync_waiter_.get()](
                                       StatusOr<MutationResult> r) {
        if (!r.ok() || r->seq == 0) {  // nothing was logged: nothing to confirm
          if (r.ok()) raw->result = *r;
          if (!r.ok()) raw->status = r.status();
          queue.Push(std::unique_ptr<PendingWrite>(raw));
          return;
        }
        raw->result = *r;
        waiter->Park(r->seq, [raw, &queue, waiter](SyncOutcome outcome) {
          if (outcome == SyncOutcome::kTimedOut || outcome == SyncOutcome::kShutDown) {
            raw->replica_failure = ReplicaFailureMessage(waiter->options(), outcome);
          }
          queue.Push(std::unique_ptr<PendingWrite>(raw));
        });
      });
      return;
    }
    // Two pointers: fits std::function's small buffer, so no allocation per write here.
    engine_.Submit(std::move(m), [raw, &queue](StatusOr<MutationResult> r) {
      if (r.ok()) {
        raw->result = *r;
      } else {
        raw->status = r.status();
      }
      queue.Push(std::unique_ptr<PendingWrite>(raw));
    });
  } catch (const std::exception& e) {  // std::bad_alloc: Submit did not take the mutation
    raw->exception = e.what();
    if (raw->exception.empty()) raw->exception = "unknown exception";
    queue.Push(std::unique_ptr<PendingWrite>(raw));
  }
}

void Service::AppendWriteResponse(const PendingWrite& w, std::string& out) {
  if (!w.exception.empty()) {
    AppendOutcome(out, w.id, Failure{ErrorCode::kInternalError, w.exception});
  } else if (!w.status.ok()) {
    AppendOutcome(out, w.id, FailureFromStatus(w.status));
  } else if (!w.replica_failure.empty()) {
    AppendOutcome(out, w.id, Failure{ErrorCode::kReplicaTimeout, w.replica_failure});
  } else {
    AppendOutcome(out, w.id, w.method->write_result(w.result), w.b64_results);
  }
}

}  // namespace walkv::rpc
