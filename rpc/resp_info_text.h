// INFO's reply on RESP: walkv's `info` result (rpc/info_method.h, a JSON object of sections)
// rendered as Redis's text format, "# Server\r\nredis_version:7.0.0\r\n...\r\n\r\n#
// Clients\r\n...".
//
// Redis's section names are accepted (any case): server, clients, memory, persistence, stats,
// replication, cpu, modules, commandstats, errorstats, cluster, keyspace; "default" (all but
// commandstats), "all" and "everything" (all of them). Each section starts with the fields Redis
// clients read (redis_version, redis_mode, tcp_port, uptime_in_seconds, connected_clients,
// used_memory, loading, aof_enabled, total_commands_processed, role:master, db0:keys=...), then
// every field of walkv's JSON section of the same name (nested objects flattened as
// parent_child). replication comes from walkv's replication section: role:master and
// connected_slaves on a primary; role:slave, master_host, master_port, master_link_status and
// slave_repl_offset (the applied seq) on a replica (docs/replication.md §3). cpu, modules and
// cluster have no JSON section: they describe a standalone server. commandstats and errorstats come from the stats section's ops and errors.
// Unknown section names are ignored, like Redis (INFO nosuch answers an empty text).
//
// Pure functions (cpu reads getrusage of this process), any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace walkv::rpc {

// A set of Redis INFO sections, one bit each (RespInfoSectionBit).
using RespInfoSections = uint32_t;

// The sections INFO's arguments name (after the command name); none = "default".
RespInfoSections RespInfoSectionsFor(const std::vector<std::string>& names);

// The argument for walkv's `info` method that returns every JSON section `sections` need:
// one section name, or "all"; nullopt when none is needed (cpu, modules, cluster alone, or no
// known section).
std::optional<std::string> RespInfoMethodSection(RespInfoSections sections);

// The text of `sections` from `info` (a result of the `info` method, any section subset; the flat
// top-level counters of `info` without arguments are read too when a section is absent).
std::string RespInfoText(const nlohmann::json& info, RespInfoSections sections);

}  // namespace walkv::rpc
