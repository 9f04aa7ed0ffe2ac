#include "rpc/service.h"

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <exception>
#include <utility>
#include <vector>

#include "rpc/response.h"

namespace walkv::rpc {

namespace {

std::vector<std::string_view> MethodNames() {
  std::vector<std::string_view> names;
  for (const MethodSpec& m : MethodTable()) names.push_back(m.name);
  return names;
}

}  // namespace

Service::Service(Engine& engine)
    : engine_(engine),
      metrics_(MethodNames()),
      context_{engine_, metrics_},
      blocking_pool_(std::make_unique<asio::thread_pool>(kBlockingThreads)) {}

Service::~Service() { blocking_pool_->join(); }

std::string Service::Reject(std::string_view id_json, ErrorCode code, std::string_view message) {
  metrics_.CountError(code);
  metrics_.requests_total.fetch_add(1, std::memory_order_relaxed);
  return EncodeError(id_json, code, message);
}

void Service::Execute(Call call, Done done) {
  metrics_.CountOp(call.method_index);
  const MethodSpec& method = *call.method;
  auto run = [this, handler = method.handler, id = std::move(call.id), args = std::move(call.args),
              done = std::move(done)]() mutable {
    Respond respond = [this, id, done = std::move(done)](MethodResult result) {
      if (auto* failure = std::get_if<Failure>(&result)) {
        done(Reject(id, failure->code, failure->message));
      } else {
        metrics_.requests_total.fetch_add(1, std::memory_order_relaxed);
        done(EncodeResult(id, std::get<nlohmann::json>(result)));
      }
    };
    // Handlers report failures through `respond`; an exception (std::bad_alloc, a bug) must not
    // take the server down or leave the request unanswered.
    try {
      handler(context_, args, respond);
    } catch (const std::exception& e) {
      respond(Failure{ErrorCode::kInternalError, e.what()});
    }
  };
  if (method.kind == MethodKind::kBlocking) {
    asio::post(*blocking_pool_, std::move(run));
  } else {
    run();
  }
}

}  // namespace walkv::rpc
