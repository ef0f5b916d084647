// libFuzzer target: message parsing, and the invariants that tie the parser,
// the writer and presentation format together.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "protocol/message.h"
#include "protocol/message_view.h"
#include "protocol/rdata.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::dns;
  std::span<const std::uint8_t> wire(data, size);
  MessageView view;
  // A prefix parse (the query log's, for messages longer than it keeps)
  // accepts whatever a whole parse does, and its records stay in bounds.
  MessageView prefix;
  if (prefix.parse_prefix(wire) == Error::kOk) {
    auto cursor = prefix.records();
    RecordRef r;
    while (cursor.next(r)) check(std::size_t{r.rdata_pos} + r.rdlength <= wire.size());
    for (Section s : {Section::kAnswer, Section::kAuthority, Section::kAdditional}) {
      check(prefix.count(s) <= prefix.declared(s));
    }
  }
  if (view.parse(wire) != Error::kOk) return 0;
  check(prefix.count(Section::kAnswer) == view.count(Section::kAnswer));

  Message first = Message::from_view(view);
  for (Section s : {Section::kAnswer, Section::kAuthority, Section::kAdditional}) {
    for (const ResourceRecord& rr : first.section(s)) {
      // Stored RDATA of a parsed record is valid stored RDATA.
      check(validate_stored_rdata(rr.type, rr.rdata) == Error::kOk);
      // Names survive presentation format exactly.
      auto back = Name::from_text(rr.name.to_text());
      check(back.ok() && back->exact_equals(rr.name));
      (void)rr.to_text();
    }
  }
  (void)first.to_text();

  // What we write we can read, and writing is idempotent.
  std::vector<std::uint8_t> w1 = first.to_wire();
  auto second = Message::parse(w1);
  check(second.ok());
  if (second->header.tc && !first.header.tc) return 0;  // grew past 64 KiB when decompressed
  std::vector<std::uint8_t> w2 = second->to_wire();
  check(w1 == w2);
  return 0;
}
