#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/client.h"

namespace groupd {

// Told about every client that received a frame, so it can be flushed and its output buffer
// limit checked. Implemented by Server.
class DeliverySink {
 public:
  virtual ~DeliverySink() = default;
  virtual void Delivered(Client& client) = 0;
};

// Channel and pattern subscriptions with Redis's semantics. Clients mirror their own
// subscriptions in Client::channels / Client::patterns; this class holds the reverse index.
// Used only on the loop thread.
class PubSub {
 public:
  using ClientSet = std::unordered_set<Client*>;

  // Return true when the subscription is new.
  bool Subscribe(Client* c, std::string_view channel);
  bool Unsubscribe(Client* c, std::string_view channel);
  bool PSubscribe(Client* c, std::string_view pattern);
  bool PUnsubscribe(Client* c, std::string_view pattern);

  // Drops every subscription of c (connection close, RESET) without writing frames.
  void RemoveClient(Client* c);

  // Writes "message channel payload" to subscribers of channel and "pmessage pattern channel
  // payload" to subscribers of matching patterns. Clients in `skip` receive nothing (they got the
  // frame by another route). Returns the number of frames written.
  size_t Publish(std::string_view channel, std::string_view payload, DeliverySink& sink,
                 const ClientSet* skip = nullptr, bool match_patterns = true);

  // Subscribers of exactly this channel, or nullptr.
  const ClientSet* Subscribers(std::string_view channel) const;
  bool HasPatterns() const { return !patterns_.empty(); }
  // True when publishing on channel would reach anyone.
  bool WouldDeliver(std::string_view channel, bool match_patterns = true) const;

  size_t NumPatterns() const { return patterns_.size(); }
  // Channels whose name starts with "__gevent__" that have subscribers (monitors).
  size_t NumMonitorChannels() const { return monitor_channels_; }
  size_t NumChannels() const { return channels_.size(); }
  template <typename Fn>
  void ForEachChannel(Fn&& fn) const {
    for (const auto& [name, subs] : channels_) fn(name, subs.size());
  }

 private:
  std::unordered_map<std::string, ClientSet, StringHash, std::equal_to<>> channels_;
  std::unordered_map<std::string, ClientSet, StringHash, std::equal_to<>> patterns_;
  size_t monitor_channels_ = 0;
};

// Writes a pub/sub frame of 3 (or 4 with pattern) bulk strings as a push frame.
void WriteMessageFrame(Client& c, std::string_view channel, std::string_view payload);
void WritePMessageFrame(Client& c, std::string_view pattern, std::string_view channel,
                        std::string_view payload);

}  // namespace groupd
