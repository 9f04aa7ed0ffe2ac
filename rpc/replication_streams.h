// ReplicationStreams: the primary's running replication streams (docs/replication.md §2), one
// thread each, owned by the Service.
//
// A JSON connection that receives `replicate` answers nothing itself: once every earlier response
// is flushed it hands its socket (a dup of the descriptor; the connection then closes its own) to
// Start(), and the stream's thread does the rest, so an I/O thread never waits for the disk:
//   1. the handshake answer line: CONTINUE with the primary's seq, digest and replication epoch,
//      or an error (STALE_EPOCH: the replica sent a higher epoch than this server's, §7;
//      TOO_FAR_BEHIND: the records from from_seq are no longer on disk; DIVERGED: the replica
//      claims a seq past the primary's end or a digest that differs at the primary's last seq);
//   2. then binary frames (rpc/replication_frames.h): RECORDS from a replication::ReplicationFeed
//      (about 1 MiB each, records byte for byte) and a HEARTBEAT after each RECORDS frame that
//      drains the feed and after every 500 ms without records (with this server's epoch
//      appended when the request carried one).
// Once streaming (after the handshake answer and any snapshot) a second thread per stream, the
// ACK reader, blocks on the socket for what the replica sends: ACK frames (kind 3, u64
// durable_seq) are kept per stream for `info replication` (replicas()) and, with semi-sync
// (`--sync-replicas`), reported at once to the Service's SyncReplicaWaiter, which releases the
// writes they confirm on this thread; anything else, or EOF, ends the stream (the sender notices
// within one heartbeat interval). The stream's thread shuts the socket down, joins the reader and
// closes the socket when it ends. It ends when a send fails (the replica went away, or
// it did not read for kSendTimeout), when its feed is cut off (a replica too slow for the live
// buffer: it must reconnect), or at destruction.
//
// Thread safety: Start() and active() from any thread (mu_ guards the list and each descriptor).
// The destructor stops every stream (shutdown(2) on its socket unblocks a send; the feed wait is
// bounded by the heartbeat interval) and joins its thread. The engine must outlive this object
// (in `walkv serve` the engine is closed first, then the Server and with it this object are
// destroyed: a stream meanwhile only waits for records that no longer come).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/mutex.h"
#include "engine/thread_annotations.h"

namespace walkv::rpc {

class Service;

// The arguments of a `replicate` request, already checked.
struct ReplicateRequest {
  std::string id_json;           // the request's id, as JSON text
  uint64_t from_seq = 1;         // the first record the replica lacks (>= 1)
  std::optional<uint64_t> digest;  // the replica's D(from_seq - 1), when it sent one
  bool accept_snapshot = false;    // the replica takes a SNAPSHOT answer (§4)
  // The replica's replication epoch (§7), when it sent one: a higher one than this server's is
  // refused (STALE_EPOCH), and only then do heartbeats carry this server's epoch.
  std::optional<uint64_t> epoch;
};

class ReplicationStreams {
 public:
  ReplicationStreams(Engine& engine, Service& service);
  ~ReplicationStreams();
  ReplicationStreams(const ReplicationStreams&) = delete;
  ReplicationStreams& operator=(const ReplicationStreams&) = delete;

  // Takes ownership of the connected socket `fd` and starts its stream thread.
  void Start(int fd, ReplicateRequest request);

  // Streams whose thread is still running.
  size_t active() const;

  // One running stream as `info replication` shows it.
  struct ReplicaInfo {
    std::string address;     // the replica's address as this primary sees it ("127.0.0.1:41234")
    uint64_t acked_seq = 0;  // the newest seq it ACKed (from_seq - 1 until its first ACK)
    uint64_t sent_seq = 0;   // the newest seq this stream sent it
  };
  std::vector<ReplicaInfo> replicas() const;

 private:
  struct Stream {
    int fd = -1;  // written under mu_; -1 once the stream's thread closed it
    std::thread thread;
    std::atomic<bool> done{false};
    std::string address;  // the peer, set by Start()
    std::atomic<uint64_t> acked_seq{0};
    std::atomic<uint64_t> sent_seq{0};
    std::thread ack_reader;  // started by Run once streaming; joined by the stream's thread
    std::atomic<bool> reader_ended{false};
  };
  void Run(Stream* stream, ReplicateRequest request);
  // §7: the error to refuse `request` with when the replica has seen a newer epoch than this
  // server's (logged as an error: this server has been superseded); nullopt otherwise.
  std::optional<std::string> StaleEpochRefusal(const ReplicateRequest& request);
  void ReapDone() REQUIRES(mu_);
  // The ACK reader's loop: blocking reads of the replica's ACK frames into stream->acked_seq
  // (and the SyncReplicaWaiter, if any) until EOF, a socket error or shutdown(2), or a frame
  // other than ACK; then sets reader_ended.
  void ReadAcks(Stream* stream, int fd);

  Engine& engine_;
  Service& service_;
  std::atomic<bool> stopping_{false};
  mutable Mutex mu_;
  std::list<std::unique_ptr<Stream>> streams_ GUARDED_BY(mu_);
};

}  // namespace walkv::rpc
