#include "monitor/block_list.h"

namespace vigil::monitor {

BlockList::BlockList(const std::vector<dns::Name>& domains, std::uint8_t rcode)
    : domains_(domains.begin(), domains.end()), rcode_(rcode) {}

std::optional<std::uint8_t> BlockList::match(const dns::Name& qname) const {
  if (domains_.empty()) return std::nullopt;
  // The name itself, then each parent up to the TLD's child.
  for (std::size_t labels = qname.label_count(); labels >= 2; --labels) {
    if (domains_.contains(labels == qname.label_count() ? qname : qname.suffix(labels))) return rcode_;
  }
  return std::nullopt;
}

}  // namespace vigil::monitor
