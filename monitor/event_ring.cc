#include "monitor/event_ring.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

namespace vigil::monitor {

namespace {

static_assert(std::is_trivially_copyable_v<QueryEvent> && std::is_standard_layout_v<QueryEvent>,
              "events are copied into the ring as octets");

// A record: its length (0: the rest up to the end is unused, go on at 0)
// and whether a policy hit follows; the fixed fields before `policy`; the
// policy hit, when there is one; the octet counts; the message's and the
// query's octets; padded to 8.
constexpr std::size_t kHeader = 8;
constexpr std::size_t kFixed = offsetof(QueryEvent, policy);
constexpr std::size_t kSizes = 8;

constexpr std::size_t round8(std::size_t n) {
  return (n + 7) & ~std::size_t{7};
}

}  // namespace

const std::size_t EventRing::kMaxRecord =
    round8(kHeader + kFixed + sizeof(PolicyEvent) + kSizes + QueryEvent::kMaxMessage + QueryEvent::kMaxQuery);

EventRing::EventRing(std::size_t capacity_bytes)
    : capacity_(round8(std::max(capacity_bytes, 2 * kMaxRecord))), bytes_(new std::uint8_t[capacity_]) {}

namespace {
// What publish() copies: a producer that set a size past its array (not
// through set_message/set_query) gets it cut, never a consumer's overflow.
std::size_t message_octets(const QueryEvent& e) {
  return std::min<std::size_t>(e.message_size, QueryEvent::kMaxMessage);
}
std::size_t query_octets(const QueryEvent& e) {
  return std::min<std::size_t>(e.query_size, QueryEvent::kMaxQuery);
}
}  // namespace

std::size_t EventRing::record_bytes(const QueryEvent& e) {
  return round8(kHeader + kFixed + (e.policy.hit ? sizeof(PolicyEvent) : 0) + kSizes + message_octets(e) +
                query_octets(e));
}

QueryEvent* EventRing::claim() {
  static const QueryEvent kBlank{};
  std::memcpy(static_cast<void*>(&p_event_), &kBlank, kFixed);
  p_event_.policy.hit = false;
  p_event_.message_size = p_event_.message_full_size = p_event_.query_size = 0;
  return &p_event_;
}

bool EventRing::publish() {
  const QueryEvent& e = p_event_;
  const std::size_t need = record_bytes(e);
  std::size_t offset = p_head_ % capacity_;
  // An event never straddles the end (offsets and lengths are multiples
  // of 8, so the end has room for the length word that says so).
  const std::size_t skip = offset + need > capacity_ ? capacity_ - offset : 0;
  if (p_head_ + skip + need - p_tail_ > capacity_) {
    p_tail_ = tail_.load(std::memory_order_acquire);
    if (p_head_ + skip + need - p_tail_ > capacity_) return false;
  }
  std::uint8_t* out = bytes_.get();
  if (skip != 0) {
    const std::uint32_t zero = 0;
    std::memcpy(out + offset, &zero, sizeof zero);
    p_head_ += skip;
    offset = 0;
  }
  std::uint8_t* p = out + offset;
  const auto length = static_cast<std::uint32_t>(need);
  const std::uint32_t flags = e.policy.hit ? 1 : 0;
  std::memcpy(p, &length, 4);
  std::memcpy(p + 4, &flags, 4);
  p += kHeader;
  std::memcpy(p, &e, kFixed);
  p += kFixed;
  if (e.policy.hit) {
    std::memcpy(p, &e.policy, sizeof(PolicyEvent));
    p += sizeof(PolicyEvent);
  }
  const auto message = static_cast<std::uint16_t>(message_octets(e));
  const auto query = static_cast<std::uint16_t>(query_octets(e));
  const std::uint16_t sizes[4] = {message, e.message_full_size, query, 0};
  std::memcpy(p, sizes, kSizes);
  p += kSizes;
  std::memcpy(p, e.message.data(), message);
  p += message;
  std::memcpy(p, e.query.data(), query);
  p_head_ += need;
  events_in_.store(events_in_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  head_.store(p_head_, std::memory_order_release);
  return true;
}

const QueryEvent* EventRing::peek() {
  for (;;) {
    if (c_tail_ == c_head_) {
      c_head_ = head_.load(std::memory_order_acquire);
      if (c_tail_ == c_head_) return nullptr;
    }
    if (c_decoded_ == c_tail_) return &c_event_;
    const std::size_t offset = c_tail_ % capacity_;
    const std::uint8_t* p = bytes_.get() + offset;
    std::uint32_t length = 0, flags = 0;
    std::memcpy(&length, p, 4);
    if (length == 0) {  // the end of the ring: the event is at 0
      c_tail_ += capacity_ - offset;
      continue;
    }
    std::memcpy(&flags, p + 4, 4);
    p += kHeader;
    std::memcpy(static_cast<void*>(&c_event_), p, kFixed);
    p += kFixed;
    if ((flags & 1) != 0) {
      std::memcpy(static_cast<void*>(&c_event_.policy), p, sizeof(PolicyEvent));
      p += sizeof(PolicyEvent);
    } else {
      c_event_.policy.hit = false;
    }
    std::uint16_t sizes[4];
    std::memcpy(sizes, p, kSizes);
    p += kSizes;
    c_event_.message_size = sizes[0];
    c_event_.message_full_size = sizes[1];
    c_event_.query_size = sizes[2];
    std::memcpy(c_event_.message.data(), p, c_event_.message_size);
    p += c_event_.message_size;
    std::memcpy(c_event_.query.data(), p, c_event_.query_size);
    c_decoded_ = c_tail_;
    c_length_ = length;
    return &c_event_;
  }
}

void EventRing::release() {
  if (c_length_ == 0) return;  // nothing peeked
  c_tail_ += c_length_;
  c_length_ = 0;
  if (++c_events_ % kReleaseBatch == 0) commit();
}

void EventRing::commit() {
  events_out_.store(c_events_, std::memory_order_release);
  tail_.store(c_tail_, std::memory_order_release);
}

}  // namespace vigil::monitor
