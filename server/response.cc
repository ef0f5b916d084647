#include "server/response.h"

#include "protocol/edns.h"

namespace vigil::server {

void write_links(Response& resp, const dns::Name& qname, const std::vector<cache::CachedRRset>& links) {
  for (const auto& link : links) {
    const auto& set = link.rrset;
    const bool own = set.type == dns::RRType::CNAME && set.name == qname;
    resp.answer(own ? qname : set.name, set);
  }
}

void AnswerContext::start_with_error(dns::EdeCode code, std::string_view text) {
  dns::Edns e;
  e.add_extended_error(code, text);
  options = e.options_wire();
  start(options);
}

}  // namespace vigil::server
