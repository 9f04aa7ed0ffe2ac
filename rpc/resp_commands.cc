#include "rpc/resp_commands.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <iterator>
#include <optional>
#include <utility>

#include "engine/glob.h"
#include "rpc/ascii.h"
#include "rpc/keyspace_methods.h"
#include "rpc/resp_encoder.h"
#include "rpc/resp_info_text.h"

namespace walkv::rpc {

namespace {

using json = nlohmann::json;
using Args = std::vector<std::string>;

// RespInfoReply: the INFO sections sit above RespReply::kInfoText's bit.
constexpr int kInfoSectionShift = 9;

std::string ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

RespImmediate Reply(std::string bytes, bool close_after = false) {
  return RespImmediate{std::move(bytes), close_after};
}

RespImmediate Error(std::string_view text) {
  std::string out;
  AppendRespError(out, text);
  return Reply(std::move(out));
}

RespImmediate Ok() { return Reply("+OK\r\n"); }

RespImmediate Bulk(std::string_view bytes) {
  std::string out;
  AppendRespBulk(out, bytes);
  return Reply(std::move(out));
}

RespImmediate Integer(int64_t n) {
  std::string out;
  AppendRespInteger(out, n);
  return Reply(std::move(out));
}

RespImmediate WrongArity(std::string_view full_name) {
  return Error("ERR wrong number of arguments for '" + std::string(full_name) + "' command");
}

RespImmediate SyntaxError() { return Error("ERR syntax error"); }
RespImmediate NotAnInteger() { return Error("ERR value is not an integer or out of range"); }

std::optional<int64_t> ParseInt64(std::string_view text) {
  int64_t value = 0;
  if (text.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

RespImmediate InvalidExpireTime(std::string_view command) {
  return Error("ERR invalid expire time in '" + std::string(command) + "' command");
}

// Redis 7's checks of an expiry time `n` in units of `unit_ms` (t_string.c
// getExpireMillisecondsOrReply, expire.c expireGenericCommand): the conversion to milliseconds
// and, for a relative time, the addition of now must not overflow; SET's time must be > 0.
bool ValidExpireTime(int64_t n, int64_t unit_ms, bool relative, bool allow_non_positive) {
  if (!allow_non_positive && n <= 0) return false;
  int64_t ms = 0;
  if (__builtin_mul_overflow(n, unit_ms, &ms)) return false;
  if (relative) {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    int64_t deadline = 0;
    if (__builtin_add_overflow(ms, now_ms, &deadline)) return false;
    if (!allow_non_positive && deadline <= 0) return false;
  }
  return true;
}

// Redis 7: "ERR unknown command 'x', with args beginning with: 'a' 'b' ".
RespImmediate UnknownCommand(const Args& args) {
  std::string shown;
  for (size_t i = 1; i < args.size() && shown.size() < 128; ++i) {
    shown.append("'").append(args[i], 0, 128 - shown.size()).append("' ");
  }
  return Error("ERR unknown command '" + args[0].substr(0, 128) +
               "', with args beginning with: " + shown);
}

RespImmediate UnknownSubcommand(std::string_view sub, std::string_view command) {
  return Error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try " +
               Upper(command) + " HELP.");
}

// A Call of the method table with arguments args[first..]; an argument over its parameter's
// limit is an error reply instead.
std::variant<Call, RespImmediate> MethodCall(std::string_view method_name, Args& args,
                                             size_t first) {
  const MethodSpec* method = FindMethod(method_name);
  if (method == nullptr) return Error("ERR internal: no method " + std::string(method_name));
  Call call;
  call.method = method;
  call.method_index = static_cast<size_t>(method - MethodTable().data());
  for (size_t i = first; i < args.size(); ++i) {
    const ParamSpec& param = ParamAt(*method, i - first);
    if (args[i].size() > param.max_bytes) {
      return Error("ERR " + std::string(param.name) + " is longer than walkv's limit of " +
                   std::to_string(param.max_bytes) + " bytes");
    }
    call.args.push_back(std::move(args[i]));
  }
  return call;
}

RespPlan Method(std::string_view method_name, Args& args, RespReply reply, size_t first = 1) {
  auto call = MethodCall(method_name, args, first);
  if (auto* error = std::get_if<RespImmediate>(&call)) return std::move(*error);
  RespMethodCalls calls{{}, reply};
  calls.calls.push_back(std::move(std::get<Call>(call)));
  return calls;
}

// --- commands -------------------------------------------------------------------------------

struct Env {
  RespSession& session;
  const AuthToken& auth;
};

RespPlan Ping(Args& args, Env&) {
  if (args.size() > 2) return WrongArity("ping");
  if (args.size() == 2) return Bulk(args[1]);
  return Method("ping", args, RespReply::kStatus);
}

RespPlan Echo(Args& args, Env&) { return Bulk(args[1]); }

RespPlan Quit(Args&, Env&) { return Reply("+OK\r\n", /*close_after=*/true); }

RespPlan Select(Args& args, Env&) {
  const std::optional<int64_t> db = ParseInt64(args[1]);
  if (!db) return NotAnInteger();
  if (*db != 0) return Error("ERR DB index is out of range");
  return Ok();
}

// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL], checked
// like Redis 7 (t_string.c, parseExtendedStringArgumentsOrReply): NX with XX, two kinds of
// expiry, KEEPTTL with a time or a time word without its number are syntax errors; the last of
// a repeated EX wins. The `set` method then gets the options in one canonical order.
RespPlan Set(Args& args, Env&) {
  if (args.size() == 3) return Method("set", args, RespReply::kOk);
  bool nx = false, xx = false, get = false, keepttl = false;
  std::string time_word;  // "EX", "PX", "EXAT" or "PXAT"
  std::string time;
  for (size_t i = 3; i < args.size(); ++i) {
    const std::string option = Upper(args[i]);
    const bool has_next = i + 1 < args.size();
    if (option == "NX" && !xx) {
      nx = true;
    } else if (option == "XX" && !nx) {
      xx = true;
    } else if (option == "GET") {
      get = true;
    } else if (option == "KEEPTTL" && time_word.empty()) {
      keepttl = true;
    } else if ((option == "EX" || option == "PX" || option == "EXAT" || option == "PXAT") &&
               !keepttl && (time_word.empty() || time_word == option) && has_next) {
      time_word = option;
      time = args[++i];
    } else {
      return SyntaxError();
    }
  }
  if (!time_word.empty()) {
    const std::optional<int64_t> n = ParseInt64(time);
    if (!n) return NotAnInteger();
    const bool seconds = time_word == "EX" || time_word == "EXAT";
    const bool relative = time_word == "EX" || time_word == "PX";
    if (!ValidExpireTime(*n, seconds ? 1000 : 1, relative, /*allow_non_positive=*/false)) {
      return InvalidExpireTime("set");
    }
  }
  Args call_args = {std::move(args[1]), std::move(args[2])};
  if (!time_word.empty()) {
    call_args.push_back(time_word);
    call_args.push_back(std::move(time));
  }
  if (keepttl) call_args.emplace_back("KEEPTTL");
  if (nx) call_args.emplace_back("NX");
  if (xx) call_args.emplace_back("XX");
  if (get) call_args.emplace_back("GET");
  const RespReply reply =
      get ? RespReply::kBulkOrNull : (nx || xx ? RespReply::kOkOrNull : RespReply::kOk);
  return Method("set", call_args, reply, 0);
}

// SETNX key value = SET key value NX, answered :1 if it set the key, else :0.
RespPlan SetNx(Args& args, Env&) {
  Args call_args = {std::move(args[1]), std::move(args[2]), "NX"};
  return Method("set", call_args, RespReply::kInteger, 0);
}

// GETSET key value = SET key value GET: the old value (nil if none); the key loses its expiry.
RespPlan GetSet(Args& args, Env&) {
  Args call_args = {std::move(args[1]), std::move(args[2]), "GET"};
  return Method("set", call_args, RespReply::kBulkOrNull, 0);
}

// SETEX key seconds value / PSETEX key ms value = SET key value EX|PX time; the time must be a
// positive integer, else Redis's "invalid expire time in 'setex' command".
RespPlan SetExFamily(Args& args, std::string_view name, std::string_view time_word,
                     int64_t unit_ms) {
  const std::optional<int64_t> n = ParseInt64(args[2]);
  if (!n) return NotAnInteger();
  if (!ValidExpireTime(*n, unit_ms, /*relative=*/true, /*allow_non_positive=*/false)) {
    return InvalidExpireTime(name);
  }
  Args call_args = {std::move(args[1]), std::move(args[3]), std::string(time_word),
                    std::move(args[2])};
  return Method("set", call_args, RespReply::kOk, 0);
}
RespPlan SetEx(Args& args, Env&) { return SetExFamily(args, "setex", "EX", 1000); }
RespPlan PSetEx(Args& args, Env&) { return SetExFamily(args, "psetex", "PX", 1); }

// EXPIRE key seconds, PEXPIRE key ms, EXPIREAT key unix-s, PEXPIREAT key unix-ms: 1 if the key
// exists, else 0; a time <= now deletes the key. Redis 7's NX/XX/GT/LT conditions are refused.
RespPlan ExpireFamily(Args& args, std::string_view name, int64_t unit_ms, bool relative) {
  for (size_t i = 3; i < args.size(); ++i) {
    const std::string option = Upper(args[i]);
    if (option == "NX" || option == "XX" || option == "GT" || option == "LT") {
      return Error("ERR " + Upper(name) + " option '" + option +
                   "' is not supported by walkv: use " + Upper(name) + " key time");
    }
    return Error("ERR Unsupported option " + args[i]);
  }
  const std::optional<int64_t> n = ParseInt64(args[2]);
  if (!n) return NotAnInteger();
  if (!ValidExpireTime(*n, unit_ms, relative, /*allow_non_positive=*/true)) {
    return InvalidExpireTime(name);
  }
  return Method(name, args, RespReply::kInteger);
}

RespPlan Expire(Args& args, Env&) { return ExpireFamily(args, "expire", 1000, true); }
RespPlan PExpire(Args& args, Env&) { return ExpireFamily(args, "pexpire", 1, true); }
RespPlan ExpireAt(Args& args, Env&) { return ExpireFamily(args, "expireat", 1000, false); }
RespPlan PExpireAt(Args& args, Env&) { return ExpireFamily(args, "pexpireat", 1, false); }
RespPlan Ttl(Args& args, Env&) { return Method("ttl", args, RespReply::kInteger); }
RespPlan Pttl(Args& args, Env&) { return Method("pttl", args, RespReply::kInteger); }
RespPlan Persist(Args& args, Env&) { return Method("persist", args, RespReply::kInteger); }

// SCAN cursor [MATCH pattern] [COUNT n] [TYPE type] -> scan(cursor, pattern, count), checked like
// Redis 7 (db.c, scanGenericCommand). COUNT is a hint: above walkv's kMaxScanCount it is capped.
// Every walkv value is a string: TYPE string filters nothing, another type returns no keys.
RespPlan Scan(Args& args, Env&) {
  const std::string& cursor = args[1];
  const bool decimal =
      !cursor.empty() && cursor.size() <= 20 &&
      std::all_of(cursor.begin(), cursor.end(), [](char c) { return c >= '0' && c <= '9'; });
  uint64_t cursor_value = 0;
  if (!decimal || std::from_chars(cursor.data(), cursor.data() + cursor.size(), cursor_value).ec !=
                      std::errc()) {
    return Error("ERR invalid cursor");
  }
  std::string pattern = "*";
  int64_t count = static_cast<int64_t>(kDefaultScanCount);
  bool other_type = false;
  for (size_t i = 2; i < args.size(); i += 2) {
    const std::string option = Upper(args[i]);
    if (i + 1 >= args.size()) return SyntaxError();
    if (option == "COUNT") {
      const std::optional<int64_t> n = ParseInt64(args[i + 1]);
      if (!n) return NotAnInteger();
      if (*n < 1) return SyntaxError();
      count = std::min(*n, static_cast<int64_t>(kMaxScanCount));
    } else if (option == "MATCH") {
      pattern = args[i + 1];
    } else if (option == "TYPE") {
      other_type = !EqualsIgnoreAsciiCase(args[i + 1], "string");
    } else {
      return SyntaxError();
    }
  }
  Args call_args = {std::move(args[1]), std::move(pattern), std::to_string(count)};
  return Method("scan", call_args, other_type ? RespReply::kScanNoKeys : RespReply::kScan, 0);
}

RespPlan Get(Args& args, Env&) { return Method("get", args, RespReply::kBulkOrNull); }

RespPlan Del(Args& args, Env&) {
  RespMethodCalls calls{{}, RespReply::kInteger};
  for (size_t i = 1; i < args.size(); ++i) {
    Args one = {std::move(args[i])};
    auto call = MethodCall("delete", one, 0);
    if (auto* error = std::get_if<RespImmediate>(&call)) return std::move(*error);
    calls.calls.push_back(std::move(std::get<Call>(call)));
  }
  return calls;
}

RespPlan Exists(Args& args, Env&) { return Method("exists", args, RespReply::kInteger); }
RespPlan MGet(Args& args, Env&) { return Method("mget", args, RespReply::kArrayOfBulks); }

// MSET / MSETNX key value [key value ...]: one atomic batch (one log record) through the method
// table; an odd number of words after the name is Redis's arity error.
RespPlan MSet(Args& args, Env&) {
  if (args.size() % 2 == 0) return WrongArity("mset");
  return Method("mset", args, RespReply::kOk);
}
RespPlan MSetNx(Args& args, Env&) {
  if (args.size() % 2 == 0) return WrongArity("msetnx");
  return Method("msetnx", args, RespReply::kInteger);
}
RespPlan Incr(Args& args, Env&) { return Method("incr", args, RespReply::kInteger); }
RespPlan Decr(Args& args, Env&) { return Method("decr", args, RespReply::kInteger); }

RespPlan IncrBy(Args& args, Env&) {
  if (!ParseInt64(args[2])) return NotAnInteger();
  return Method("incrby", args, RespReply::kInteger);
}

RespPlan DecrBy(Args& args, Env&) {
  if (!ParseInt64(args[2])) return NotAnInteger();
  return Method("decrby", args, RespReply::kInteger);
}

RespPlan Append(Args& args, Env&) { return Method("append", args, RespReply::kInteger); }
RespPlan StrLen(Args& args, Env&) { return Method("strlen", args, RespReply::kInteger); }
RespPlan Keys(Args& args, Env&) { return Method("keys", args, RespReply::kArrayOfBulks); }
RespPlan DbSize(Args& args, Env&) { return Method("dbsize", args, RespReply::kInteger); }

RespPlan FlushAll(Args& args, Env&) {
  if (args.size() > 2) return SyntaxError();
  if (args.size() == 2) {
    const std::string mode = Upper(args[1]);
    if (mode != "SYNC" && mode != "ASYNC") return SyntaxError();
  }
  return Method("flushall", args, RespReply::kOk, args.size());
}

// SAVE: a snapshot, answered +OK once it is durable (the `snapshot` method, on the blocking pool).
RespPlan Save(Args& args, Env&) { return Method("snapshot", args, RespReply::kOk, args.size()); }

// REPLICAOF NO ONE (and SLAVEOF NO ONE): `promote` (docs/replication.md §7), +OK once the
// replica is a primary at its new epoch. Following another primary needs a restart with
// --replica-of.
RespPlan ReplicaOf(Args& args, Env&) {
  if (Upper(args[1]) != "NO" || Upper(args[2]) != "ONE") {
    return Error("ERR walkv starts following a primary only at startup (walkv serve "
                 "--replica-of HOST:PORT); REPLICAOF NO ONE promotes a replica");
  }
  return Method("promote", args, RespReply::kOk, args.size());
}

// INFO [section ...]: the `info` method's JSON sections rendered as Redis's text
// (rpc/resp_info_text.h). Sections with nothing from the engine are answered here.
RespPlan Info(Args& args, Env&) {
  const RespInfoSections sections = RespInfoSectionsFor(
      Args(std::make_move_iterator(args.begin() + 1), std::make_move_iterator(args.end())));
  std::optional<std::string> json_section = RespInfoMethodSection(sections);
  if (!json_section) return Bulk(RespInfoText(json::object(), sections));
  Args call_args = {std::move(*json_section)};
  return Method("info", call_args, RespInfoReply(sections), 0);
}

// CONFIG GET: the few parameters clients and redis-benchmark ask for, with values that describe
// walkv (no RDB saves, every write logged, no memory limit, one database).
RespPlan Config(Args& args, Env& env) {
  const std::string sub = Lower(args[1]);
  if (sub == "get") {
    if (args.size() < 3) return WrongArity("config|get");
    static constexpr std::pair<std::string_view, std::string_view> kParameters[] = {
        {"appendfsync", "always"},
        {"appendonly", "yes"},
        {"databases", "1"},
        {"maxclients", "10000"},
        {"maxmemory", "0"},
        {"maxmemory-policy", "noeviction"},
        {"proto-max-bulk-len", "536870912"},
        {"save", ""},
        {"timeout", "0"},
    };
    std::vector<std::pair<std::string_view, std::string_view>> found;
    for (const auto& [name, value] : kParameters) {
      for (size_t i = 2; i < args.size(); ++i) {
        if (GlobMatch(Lower(args[i]), name)) {
          found.emplace_back(name, value);
          break;
        }
      }
    }
    std::string out;
    AppendRespMapHeader(out, found.size(), env.session.protocol);
    for (const auto& [name, value] : found) {
      AppendRespBulk(out, name);
      AppendRespBulk(out, value);
    }
    return Reply(std::move(out));
  }
  if (sub == "set" || sub == "resetstat" || sub == "rewrite") {
    return Error("ERR CONFIG " + Upper(sub) +
                 " is not supported by walkv: configure it with `walkv serve` flags");
  }
  return UnknownSubcommand(args[1], "config");
}

RespPlan Client(Args& args, Env& env) {
  const std::string sub = Lower(args[1]);
  if (sub == "id") {
    if (args.size() != 2) return WrongArity("client|id");
    return Integer(static_cast<int64_t>(env.session.id));
  }
  if (sub == "getname") {
    if (args.size() != 2) return WrongArity("client|getname");
    if (env.session.name.empty()) {
      std::string out;
      AppendRespNull(out, env.session.protocol);
      return Reply(std::move(out));
    }
    return Bulk(env.session.name);
  }
  if (sub == "setname") {
    if (args.size() != 3) return WrongArity("client|setname");
    for (char c : args[2]) {
      if (c < '!' || c > '~') {
        return Error("ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
    env.session.name = args[2];
    return Ok();
  }
  if (sub == "setinfo") {
    if (args.size() != 4) return WrongArity("client|setinfo");
    const std::string attr = Lower(args[2]);
    if (attr != "lib-name" && attr != "lib-ver") {
      return Error("ERR Unrecognized option '" + args[2] + "'");
    }
    return Ok();
  }
  return UnknownSubcommand(args[1], "client");
}

// Shared by AUTH and HELLO ... AUTH: the user must be "default" (walkv has no ACL users).
std::optional<RespImmediate> Authenticate(std::string_view user, std::string_view password,
                                          Env& env) {
  if (!env.auth.required()) {
    return Error(
        "ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?");
  }
  // The token is compared whatever the user name is, so the time does not tell which was wrong.
  const bool token_ok = env.auth.Matches(password);
  if (!token_ok || user != "default") {
    return Error("WRONGPASS invalid username-password pair or user is disabled.");
  }
  env.session.authenticated = true;
  return std::nullopt;
}

RespPlan Auth(Args& args, Env& env) {
  if (args.size() > 3) return SyntaxError();
  const std::string_view user = args.size() == 3 ? std::string_view(args[1]) : "default";
  if (auto error = Authenticate(user, args.back(), env)) return std::move(*error);
  return Ok();
}

RespPlan Hello(Args& args, Env& env) {
  int protocol = env.session.protocol;
  size_t i = 1;
  if (args.size() >= 2) {
    const std::optional<int64_t> version = ParseInt64(args[1]);
    if (!version) return Error("ERR Protocol version is not an integer or out of range");
    if (*version != 2 && *version != 3) return Error("NOPROTO unsupported protocol version");
    protocol = static_cast<int>(*version);
    i = 2;
  }
  std::string name;
  bool set_name = false;
  for (; i < args.size(); ++i) {
    const std::string option = Upper(args[i]);
    if (option == "AUTH" && i + 2 < args.size()) {
      if (auto error = Authenticate(args[i + 1], args[i + 2], env)) return std::move(*error);
      i += 2;
    } else if (option == "SETNAME" && i + 1 < args.size()) {
      name = args[++i];
      set_name = true;
    } else {
      return Error("ERR Syntax error in HELLO option '" + args[i] + "'");
    }
  }
  if (env.auth.required() && !env.session.authenticated) {
    return Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise "
        "the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the "
        "client and select the RESP protocol version at the same time");
  }
  env.session.protocol = protocol;
  if (set_name) env.session.name = name;
  std::string out;
  AppendRespMapHeader(out, 7, protocol);
  AppendRespBulk(out, "server");
  AppendRespBulk(out, "redis");
  AppendRespBulk(out, "version");
  AppendRespBulk(out, kRespCompatibleVersion);
  AppendRespBulk(out, "proto");
  AppendRespInteger(out, protocol);
  AppendRespBulk(out, "id");
  AppendRespInteger(out, static_cast<int64_t>(env.session.id));
  AppendRespBulk(out, "mode");
  AppendRespBulk(out, "standalone");
  AppendRespBulk(out, "role");
  AppendRespBulk(out, "master");
  AppendRespBulk(out, "modules");
  AppendRespArrayHeader(out, 0);
  return Reply(std::move(out));
}

RespPlan Command(Args& args, Env& env);

// --- the table --------------------------------------------------------------------------------

using Handler = RespPlan (*)(Args& args, Env& env);

struct RespCommand {
  std::string_view name;  // lower case
  int arity;              // Redis's: N = exactly N words (name included), -N = at least N
  bool write;
  bool before_auth;  // allowed before AUTH
  Handler handler;
  int first_key, last_key, key_step;  // COMMAND's key positions
  std::string_view method;            // the method it calls, for COMMAND DOCS's summary ("" = none)
  std::string_view group;             // COMMAND DOCS's group, as Redis files the command
};

constexpr RespCommand kCommands[] = {
    {"append", 3, true, false, &Append, 1, 1, 1, "append", "string"},
    {"auth", -2, false, true, &Auth, 0, 0, 0, "auth", "connection"},
    {"client", -2, false, false, &Client, 0, 0, 0, "", "connection"},
    {"command", -1, false, false, &Command, 0, 0, 0, "", "server"},
    {"config", -2, false, false, &Config, 0, 0, 0, "", "server"},
    {"dbsize", 1, false, false, &DbSize, 0, 0, 0, "dbsize", "server"},
    {"decr", 2, true, false, &Decr, 1, 1, 1, "decr", "string"},
    {"decrby", 3, true, false, &DecrBy, 1, 1, 1, "decrby", "string"},
    {"del", -2, true, false, &Del, 1, -1, 1, "delete", "generic"},
    {"echo", 2, false, false, &Echo, 0, 0, 0, "", "connection"},
    {"exists", -2, false, false, &Exists, 1, -1, 1, "exists", "generic"},
    {"expire", -3, true, false, &Expire, 1, 1, 1, "expire", "generic"},
    {"expireat", -3, true, false, &ExpireAt, 1, 1, 1, "expireat", "generic"},
    {"flushall", -1, true, false, &FlushAll, 0, 0, 0, "flushall", "server"},
    {"flushdb", -1, true, false, &FlushAll, 0, 0, 0, "flushall", "server"},
    {"get", 2, false, false, &Get, 1, 1, 1, "get", "string"},
    {"getset", 3, true, false, &GetSet, 1, 1, 1, "set", "string"},
    {"hello", -1, false, true, &Hello, 0, 0, 0, "", "connection"},
    {"incr", 2, true, false, &Incr, 1, 1, 1, "incr", "string"},
    {"incrby", 3, true, false, &IncrBy, 1, 1, 1, "incrby", "string"},
    {"info", -1, false, false, &Info, 0, 0, 0, "info", "server"},
    {"keys", 2, false, false, &Keys, 0, 0, 0, "keys", "generic"},
    {"mget", -2, false, false, &MGet, 1, -1, 1, "mget", "string"},
    {"mset", -3, true, false, &MSet, 1, -1, 2, "mset", "string"},
    {"msetnx", -3, true, false, &MSetNx, 1, -1, 2, "msetnx", "string"},
    {"persist", 2, true, false, &Persist, 1, 1, 1, "persist", "generic"},
    {"pexpire", -3, true, false, &PExpire, 1, 1, 1, "pexpire", "generic"},
    {"pexpireat", -3, true, false, &PExpireAt, 1, 1, 1, "pexpireat", "generic"},
    {"ping", -1, false, true, &Ping, 0, 0, 0, "ping", "connection"},
    {"psetex", 4, true, false, &PSetEx, 1, 1, 1, "set", "string"},
    {"pttl", 2, false, false, &Pttl, 1, 1, 1, "pttl", "generic"},
    {"quit", -1, false, true, &Quit, 0, 0, 0, "", "connection"},
    {"replicaof", 3, false, false, &ReplicaOf, 0, 0, 0, "promote", "server"},
    {"save", 1, false, false, &Save, 0, 0, 0, "snapshot", "server"},
    {"scan", -2, false, false, &Scan, 0, 0, 0, "scan", "generic"},
    {"select", 2, false, false, &Select, 0, 0, 0, "", "connection"},
    {"set", -3, true, false, &Set, 1, 1, 1, "set", "string"},
    {"setex", 4, true, false, &SetEx, 1, 1, 1, "set", "string"},
    {"setnx", 3, true, false, &SetNx, 1, 1, 1, "set", "string"},
    {"slaveof", 3, false, false, &ReplicaOf, 0, 0, 0, "promote", "server"},
    {"strlen", 2, false, false, &StrLen, 1, 1, 1, "strlen", "string"},
    {"ttl", 2, false, false, &Ttl, 1, 1, 1, "ttl", "generic"},
};

const RespCommand* FindCommand(std::string_view name) {
  for (const RespCommand& c : kCommands) {
    if (EqualsIgnoreAsciiCase(c.name, name)) return &c;
  }
  return nullptr;
}

void AppendCommandInfo(std::string& out, const RespCommand& c) {
  AppendRespArrayHeader(out, 6);
  AppendRespBulk(out, c.name);
  AppendRespInteger(out, c.arity);
  AppendRespArrayHeader(out, 1);
  AppendRespSimple(out, c.write ? "write" : "readonly");
  AppendRespInteger(out, c.first_key);
  AppendRespInteger(out, c.last_key);
  AppendRespInteger(out, c.key_step);
}

RespPlan Command(Args& args, Env& env) {
  if (args.size() == 1) {
    std::string out;
    AppendRespArrayHeader(out, std::size(kCommands));
    for (const RespCommand& c : kCommands) AppendCommandInfo(out, c);
    return Reply(std::move(out));
  }
  const std::string sub = Lower(args[1]);
  if (sub == "count") {
    if (args.size() != 2) return WrongArity("command|count");
    return Integer(static_cast<int64_t>(std::size(kCommands)));
  }
  if (sub == "info" || sub == "docs") {
    std::vector<const RespCommand*> chosen;
    if (args.size() == 2) {
      for (const RespCommand& c : kCommands) chosen.push_back(&c);
    } else {
      for (size_t i = 2; i < args.size(); ++i) chosen.push_back(FindCommand(args[i]));
    }
    std::string out;
    if (sub == "info") {
      AppendRespArrayHeader(out, chosen.size());
      for (const RespCommand* c : chosen) {
        if (c == nullptr) {
          AppendRespNull(out, env.session.protocol);
        } else {
          AppendCommandInfo(out, *c);
        }
      }
      return Reply(std::move(out));
    }
    // DOCS: name -> {summary, since, group}; unknown names are left out, like Redis.
    std::erase(chosen, nullptr);
    AppendRespMapHeader(out, chosen.size(), env.session.protocol);
    for (const RespCommand* c : chosen) {
      AppendRespBulk(out, c->name);
      AppendRespMapHeader(out, 3, env.session.protocol);
      AppendRespBulk(out, "summary");
      const MethodSpec* method = c->method.empty() ? nullptr : FindMethod(c->method);
      AppendRespBulk(out, method != nullptr ? method->summary : "walkv connection command");
      AppendRespBulk(out, "since");
      AppendRespBulk(out, "1.0.0");
      AppendRespBulk(out, "group");
      AppendRespBulk(out, c->group);
    }
    return Reply(std::move(out));
  }
  if (sub == "list") {
    std::string out;
    AppendRespArrayHeader(out, std::size(kCommands));
    for (const RespCommand& c : kCommands) AppendRespBulk(out, c.name);
    return Reply(std::move(out));
  }
  return UnknownSubcommand(args[1], "command");
}

}  // namespace

RespPlan PlanCommand(std::vector<std::string>& args, RespSession& session, const AuthToken& auth) {
  Env env{session, auth};
  const RespCommand* command = FindCommand(args[0]);
  if (auth.required() && !session.authenticated && (command == nullptr || !command->before_auth)) {
    return Error("NOAUTH Authentication required.");
  }
  if (command == nullptr) return UnknownCommand(args);
  const size_t n = args.size();
  if ((command->arity > 0 && n != static_cast<size_t>(command->arity)) ||
      (command->arity < 0 && n < static_cast<size_t>(-command->arity))) {
    return WrongArity(command->name);
  }
  return command->handler(args, env);
}

void AppendRespFailure(std::string& out, const Failure& failure) {
  switch (failure.code) {
    case ErrorCode::kInvalidArgument:
      AppendRespError(out, "ERR " + failure.message);
      return;
    case ErrorCode::kUnauthenticated:
      AppendRespError(out, "NOAUTH " + failure.message);
      return;
    default:
      AppendRespError(out, std::string(ErrorCodeName(failure.code)) + " " + failure.message);
      return;
  }
}

void AppendRespOutcome(std::string& out, RespReply reply, const MethodResult& outcome,
                       int protocol) {
  if (const auto* failure = std::get_if<Failure>(&outcome)) {
    AppendRespFailure(out, *failure);
    return;
  }
  const json& result = std::get<json>(outcome);
  if ((static_cast<uint32_t>(reply) & static_cast<uint32_t>(RespReply::kInfoText)) != 0) {
    AppendRespBulk(out, RespInfoText(result, static_cast<uint32_t>(reply) >> kInfoSectionShift));
    return;
  }
  auto bulk_or_null = [&](const json& v) {
    if (v.is_string()) {
      AppendRespBulk(out, v.get_ref<const std::string&>());
    } else {
      AppendRespNull(out, protocol);
    }
  };
  switch (reply) {
    case RespReply::kOk:
      AppendRespSimple(out, "OK");
      return;
    case RespReply::kOkOrNull:
      if (result.is_null()) {
        AppendRespNull(out, protocol);
      } else {
        AppendRespSimple(out, "OK");
      }
      return;
    case RespReply::kScan:
    case RespReply::kScanNoKeys: {
      const bool well_formed = result.is_array() && result.size() == 2 && result[1].is_array();
      AppendRespArrayHeader(out, 2);
      AppendRespBulk(out, well_formed ? ScalarText(result[0]) : "0");
      const size_t n = well_formed && reply == RespReply::kScan ? result[1].size() : 0;
      AppendRespArrayHeader(out, n);
      for (size_t i = 0; i < n; ++i) bulk_or_null(result[1][i]);
      return;
    }
    case RespReply::kStatus:
      AppendRespSimple(out, result.is_string() ? result.get<std::string>() : result.dump());
      return;
    case RespReply::kInteger:
      if (result.is_boolean()) {
        AppendRespInteger(out, result.get<bool>() ? 1 : 0);
      } else if (result.is_number_unsigned()) {
        AppendRespInteger(out, static_cast<int64_t>(result.get<uint64_t>()));
      } else {
        AppendRespInteger(out, result.is_number() ? result.get<int64_t>() : 0);
      }
      return;
    case RespReply::kBulkOrNull:
      bulk_or_null(result);
      return;
    case RespReply::kArrayOfBulks:
      AppendRespArrayHeader(out, result.is_array() ? result.size() : 0);
      if (result.is_array()) {
        for (const json& v : result) bulk_or_null(v);
      }
      return;
    case RespReply::kInfoText:  // handled above, with its sections
      return;
  }
}

RespReply RespInfoReply(RespInfoSections sections) {
  return static_cast<RespReply>(static_cast<uint32_t>(RespReply::kInfoText) |
                                (sections << kInfoSectionShift));
}

std::vector<std::string_view> RespCommandNames() {
  std::vector<std::string_view> names;
  for (const RespCommand& c : kCommands) names.push_back(c.name);
  return names;
}

}  // namespace walkv::rpc
