// The `batch` and `txn` methods' arguments and results (docs/protocol.md, "batch" and "txn").
//
// An operation is a JSON array naming a method of the method table and its arguments, exactly as
// a request would: ["set","k","v","EX","10"], ["incrby","n","5"], ["delete","k"], ["get","k"].
// Each is checked by Bind (rpc/bind.h) like a request of its own, then built by its method's
// mutation function, so an operation means exactly what the method means; its result is the
// method's own result. Allowed: get (a read at that point in log order) and every write method
// but batch, txn, flushall, mset and msetnx.
//
// A txn compare is ["value", key, expected] (expected null: the key is absent), ["exists", key]
// or ["absent", key]. Keys, values and expected values may be {"b64": ...}.
//
// Bind hands these parameters over as JSON text (rpc/txn_args.h: TakesJson). A bad operation or
// compare gives a request the engine refuses with INVALID_ARGUMENT naming it ("ops[2]: ...",
// "compare[0]: ..."), so nothing is logged.
//
// Pure functions, any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/mutation.h"

namespace walkv::rpc {

// args[0]: the JSON text of the list of operations -> a kAtomicBatch request (or kInvalid).
Mutation ParseBatchCall(std::vector<std::string>& args);

// args: the JSON texts of compare, success and (optional) failure -> a kTransaction request.
Mutation ParseTxnCall(std::vector<std::string>& args);

// batch's result: the list of the operations' results, in order.
nlohmann::json BatchResultJson(const MutationResult& result);

// txn's result: {"succeeded": true|false, "results": [the ran branch's results]}.
nlohmann::json TxnResultJson(const MutationResult& result);

}  // namespace walkv::rpc
