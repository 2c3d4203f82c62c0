#include "server/pubsub.h"

#include "server/glob.h"

namespace groupd {

namespace {

bool AddTo(std::unordered_map<std::string, PubSub::ClientSet, StringHash, std::equal_to<>>& map,
           Client* c, std::string_view name) {
  auto it = map.find(name);
  if (it == map.end()) it = map.emplace(std::string(name), PubSub::ClientSet{}).first;
  return it->second.insert(c).second;
}

bool RemoveFrom(
    std::unordered_map<std::string, PubSub::ClientSet, StringHash, std::equal_to<>>& map,
    Client* c, std::string_view name) {
  auto it = map.find(name);
  if (it == map.end()) return false;
  bool removed = it->second.erase(c) > 0;
  if (it->second.empty()) map.erase(it);
  return removed;
}

}  // namespace

namespace {
bool IsMonitorChannel(std::string_view ch) { return ch.substr(0, 10) == "__gevent__"; }
}  // namespace

bool PubSub::Subscribe(Client* c, std::string_view channel) {
  if (!c->channels.emplace(channel).second) return false;
  bool was_new = channels_.find(channel) == channels_.end();
  AddTo(channels_, c, channel);
  if (was_new && IsMonitorChannel(channel)) monitor_channels_++;
  return true;
}

bool PubSub::Unsubscribe(Client* c, std::string_view channel) {
  auto it = c->channels.find(channel);
  if (it == c->channels.end()) return false;
  c->channels.erase(it);
  RemoveFrom(channels_, c, channel);
  if (IsMonitorChannel(channel) && channels_.find(channel) == channels_.end()) {
    monitor_channels_--;
  }
  return true;
}

bool PubSub::PSubscribe(Client* c, std::string_view pattern) {
  if (!c->patterns.emplace(pattern).second) return false;
  AddTo(patterns_, c, pattern);
  return true;
}

bool PubSub::PUnsubscribe(Client* c, std::string_view pattern) {
  auto it = c->patterns.find(pattern);
  if (it == c->patterns.end()) return false;
  c->patterns.erase(it);
  RemoveFrom(patterns_, c, pattern);
  return true;
}

void PubSub::RemoveClient(Client* c) {
  for (const auto& ch : c->channels) {
    RemoveFrom(channels_, c, ch);
    if (IsMonitorChannel(ch) && channels_.find(ch) == channels_.end()) monitor_channels_--;
  }
  for (const auto& p : c->patterns) RemoveFrom(patterns_, c, p);
  c->channels.clear();
  c->patterns.clear();
}

void WriteMessageFrame(Client& c, std::string_view channel, std::string_view payload) {
  const size_t start = c.out.size();
  c.writer.Push(3);
  c.writer.Bulk("message");
  c.writer.Bulk(channel);
  c.writer.Bulk(payload);
  c.KeepPushFrame(start);
}

void WritePMessageFrame(Client& c, std::string_view pattern, std::string_view channel,
                        std::string_view payload) {
  const size_t start = c.out.size();
  c.writer.Push(4);
  c.writer.Bulk("pmessage");
  c.writer.Bulk(pattern);
  c.writer.Bulk(channel);
  c.writer.Bulk(payload);
  c.KeepPushFrame(start);
}

size_t PubSub::Publish(std::string_view channel, std::string_view payload, DeliverySink& sink,
                       const ClientSet* skip, bool match_patterns) {
  size_t receivers = 0;
  auto it = channels_.find(channel);
  if (it != channels_.end()) {
    // Delivery never closes a client synchronously (closing waits for the end of the loop
    // turn), so iterating the live set is safe.
    for (Client* c : it->second) {
      if (skip != nullptr && skip->count(c)) continue;
      WriteMessageFrame(*c, channel, payload);
      sink.Delivered(*c);
      receivers++;
    }
  }
  if (!match_patterns) return receivers;
  for (const auto& [pattern, subs] : patterns_) {
    if (!GlobMatch(pattern, channel)) continue;
    for (Client* c : subs) {
      if (skip != nullptr && skip->count(c)) continue;
      WritePMessageFrame(*c, pattern, channel, payload);
      sink.Delivered(*c);
      receivers++;
    }
  }
  return receivers;
}

const PubSub::ClientSet* PubSub::Subscribers(std::string_view channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : &it->second;
}

bool PubSub::WouldDeliver(std::string_view channel, bool match_patterns) const {
  if (channels_.find(channel) != channels_.end()) return true;
  if (!match_patterns) return false;
  for (const auto& [pattern, subs] : patterns_) {
    if (GlobMatch(pattern, channel)) return true;
  }
  return false;
}

}  // namespace groupd
