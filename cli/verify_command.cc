// `walkv verify --data-dir DIR [--json]`: read-only check of a data directory (engine/verify.h).
// Exit 0: clean; 1: damage found; 2: could not run (usage, missing directory, permission).
// Each problem has a class: "torn-tail" (what a crash leaves; serve drops it by itself) or
// "damage"; --torn-tail-ok makes a report with only torn tails exit 0.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "engine/env.h"
#include "engine/file_names.h"
#include "engine/recovery_words.h"
#include "engine/verify.h"

namespace walkv::cli {
namespace {

struct VerifyFlags {
  std::string data_dir;
  bool json = false;
  bool torn_tail_ok = false;
};

// "torn-tail": what a crash leaves, which serve drops by itself; "damage": anything else.
std::string_view ProblemClass(DamageKind kind) {
  return IsCrashTail(kind) ? "torn-tail" : "damage";
}

// Recovery's plan for one mode, as data: what it found, what it decided, what it would change.
nlohmann::json PlanJson(const RecoveryPlan& plan) {
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : plan.findings) {
    findings.push_back({{"kind", DamageKindName(f.kind)},
                        {"decision", DecisionName(f.decision)},
                        {"file", f.file},
                        {"offset", f.offset},
                        {"bytes", f.bytes}});
  }
  nlohmann::json actions = nlohmann::json::array();
  for (const Action& a : plan.actions) {
    nlohmann::json action = {
        {"action", ActionKindName(a.kind)}, {"file", a.file}, {"bytes", a.bytes}};
    if (!a.target.empty()) action["target"] = a.target;
    if (a.kind == ActionKind::kTruncate || a.kind == ActionKind::kKeepTail) action["size"] = a.size;
    actions.push_back(std::move(action));
  }
  return {{"findings", findings}, {"changes", actions}};
}

nlohmann::json OutcomeJson(const ModeOutcome& o) {
  nlohmann::json out = {
      {"would_start", o.would_start}, {"summary", o.summary}, {"actions", o.actions}};
  if (o.plan) out["plan"] = PlanJson(*o.plan);
  return out;
}

nlohmann::json ReportJson(const std::string& dir, const VerifyReport& r) {
  nlohmann::json files = nlohmann::json::array();
  for (const VerifiedFile& f : r.files) {
    nlohmann::json file = {{"name", f.name}, {"kind", f.kind},         {"bytes", f.bytes},
                           {"seq", f.seq},   {"last_seq", f.last_seq}, {"ok", f.ok}};
    if (f.kind == "head") {
      file["names"] = f.ok ? LogFileName(f.seq) : "";
    } else {
      file[f.kind == "log" ? "records" : "entries"] = f.items;
    }
    files.push_back(std::move(file));
  }
  nlohmann::json problems = nlohmann::json::array();
  for (const VerifyProblem& p : r.problems) {
    problems.push_back({{"file", p.file},
                        {"offset", p.offset},
                        {"kind", DamageKindName(p.kind)},
                        {"class", ProblemClass(p.kind)},
                        {"what", p.what},
                        {"serve",
                         {{"tolerate-tail", p.tolerate_tail},
                          {"absolute", p.absolute},
                          {"point-in-time", p.point_in_time}}}});
  }
  nlohmann::json digest = nullptr;
  if (r.digest) {
    digest = {{"seq", r.digest->seq}, {"base_seq", r.digest->base_seq}, {"value", r.digest->Hex()}};
  }
  nlohmann::json replication = {{"present", r.replication.present}};
  if (r.replication.state) {
    replication["epoch"] = r.replication.state->epoch;
    replication["role"] = ReplicationRoleName(r.replication.state->role);
    replication["primary"] = r.replication.state->primary;
  } else if (r.replication.present) {
    replication["damage_offset"] = r.replication.damage_offset;
    replication["problem"] = r.replication.problem;
  } else {
    replication["epoch"] = 0;  // no file: a fresh directory's epoch
  }
  return {{"data_dir", dir},
          {"clean", r.clean()},
          {"replication", replication},
          {"digest", digest},
          {"torn_tail_only", r.only_crash_tail()},
          {"server_running", r.server_running},
          {"files", files},
          {"problems", problems},
          {"notes", r.notes},
          {"summary",
           {{"snapshots", r.snapshots},
            {"segments", r.segments},
            {"records", r.records},
            {"keys", r.keys},
            {"bytes", r.bytes},
            {"last_seq", r.last_seq}}},
          {"recovery",
           {{"tolerate-tail", OutcomeJson(r.tolerate_tail)},
            {"absolute", OutcomeJson(r.absolute)},
            {"point-in-time", OutcomeJson(r.point_in_time)}}}};
}

void PrintHuman(const std::string& dir, const VerifyReport& r) {
  std::printf("walkv verify %s\n", dir.c_str());
  for (const VerifiedFile& f : r.files) {
    if (f.kind == "head") {
      std::printf("  %-30s %-8s %12llu bytes  names %s  %s\n", f.name.c_str(), f.kind.c_str(),
                  static_cast<unsigned long long>(f.bytes),
                  f.ok ? LogFileName(f.seq).c_str() : "?", f.ok ? "ok" : "DAMAGED");
      continue;
    }
    std::string range = f.kind == "log" ? std::to_string(f.seq) + ".." + std::to_string(f.last_seq)
                                        : std::to_string(f.seq);
    std::printf("  %-30s %-8s %12llu bytes  seq %-14s %8llu %-7s  %s\n", f.name.c_str(),
                f.kind.c_str(), static_cast<unsigned long long>(f.bytes), range.c_str(),
                static_cast<unsigned long long>(f.items), f.kind == "log" ? "records" : "keys",
                f.ok ? "ok" : "DAMAGED");
  }
  for (const std::string& note : r.notes) std::printf("note: %s\n", note.c_str());
  if (!r.problems.empty()) {
    std::printf("\n%zu problem%s:\n", r.problems.size(), r.problems.size() == 1 ? "" : "s");
    for (const VerifyProblem& p : r.problems) {
      std::printf("  %s at byte %llu: [%s] %s\n", p.file.empty() ? dir.c_str() : p.file.c_str(),
                  static_cast<unsigned long long>(p.offset),
                  std::string(ProblemClass(p.kind)).c_str(), p.what.c_str());
      std::printf("    serve --recovery-mode tolerate-tail: %s\n", p.tolerate_tail.c_str());
      std::printf("    serve --recovery-mode absolute:      %s\n", p.absolute.c_str());
      std::printf("    serve --recovery-mode point-in-time: %s\n", p.point_in_time.c_str());
    }
  }
  std::printf(
      "\nsummary: %llu snapshot(s), %llu log segment(s), %llu records, %llu bytes; "
      "serve %s\n",
      static_cast<unsigned long long>(r.snapshots), static_cast<unsigned long long>(r.segments),
      static_cast<unsigned long long>(r.records), static_cast<unsigned long long>(r.bytes),
      r.tolerate_tail.summary.c_str());
  if (r.digest) std::printf("%s\n", DescribeDigest(*r.digest).c_str());
  // docs/replication.md §7: the epoch, or why serve would refuse to start.
  if (r.replication_damaged()) {
    std::printf("replication: %s is DAMAGED at byte %llu: %s; serve refuses to start until it "
                "is restored (it holds the replication epoch)\n",
                ReplicationStateFileName().c_str(),
                static_cast<unsigned long long>(r.replication.damage_offset),
                r.replication.problem.c_str());
  } else if (r.replication.state) {
    std::printf("replication: %s\n", DescribeReplicationState(*r.replication.state).c_str());
  } else {
    std::printf("replication: epoch 0 (no %s file)\n", ReplicationStateFileName().c_str());
  }
  if (r.clean()) {
    std::printf("result: clean\n");
  } else if (r.only_crash_tail()) {
    std::printf(
        "result: TORN TAIL ONLY (the end of a write a crash interrupted; serve drops it by "
        "itself)\n");
  } else {
    std::printf("result: DAMAGE FOUND\n");
  }
}

int RunVerify(const VerifyFlags& flags) {
  Env* env = Env::Posix();
  if (!env->FileExists(flags.data_dir)) {
    std::fprintf(stderr, "walkv verify: data directory %s does not exist\n",
                 flags.data_dir.c_str());
    return kExitUsage;
  }
  const bool show_progress = isatty(STDERR_FILENO) != 0;
  VerifyProgress progress;
  if (show_progress) {
    progress = [](const std::string& file, size_t done, size_t total) {
      std::fprintf(stderr, "\rverify: [%zu/%zu] %-40s", done + 1, total, file.c_str());
    };
  }
  auto report = VerifyDataDir(env, flags.data_dir, progress);
  if (show_progress) std::fprintf(stderr, "\r%-60s\r", "");
  if (!report.ok()) {
    std::fprintf(stderr, "walkv verify: could not check %s: %s\n", flags.data_dir.c_str(),
                 report.status().message().c_str());
    return kExitUsage;
  }
  if (flags.json) {
    std::printf("%s\n", ReportJson(flags.data_dir, *report).dump().c_str());
  } else {
    PrintHuman(flags.data_dir, *report);
  }
  if (report->clean()) return kExitOk;
  return flags.torn_tail_ok && report->only_crash_tail() ? kExitOk : kExitFailure;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, CommandAction* action) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = app.add_subcommand(
      "verify",
      "Check every snapshot and log record of a data directory without changing it. Exit 0: "
      "clean; 1: damage found; 2: could not run (usage, missing or unreadable directory, not a "
      "data directory; with --torn-tail-ok a torn tail alone exits 0). Safe while a server runs on "
      "the directory.");
  verify->add_option("--data-dir", flags->data_dir, "The data directory to check.")->required();
  verify->add_flag("--json", flags->json,
                   "Print one JSON object (files, problems, summary, what serve would do) "
                   "instead of text.");
  verify->add_flag("--torn-tail-ok", flags->torn_tail_ok,
                   "Exit 0 also when the only problem is a torn tail: the end of a write a "
                   "crash interrupted, which serve drops by itself (reported as class "
                   "'torn-tail'). Any other damage still exits 1.");
  verify->callback([flags, action] { *action = [flags] { return RunVerify(*flags); }; });
}

}  // namespace walkv::cli
