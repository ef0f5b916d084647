#include "protocol/message.h"

#include "protocol/message_builder.h"
#include "protocol/message_view.h"
#include "protocol/rdata.h"
#include "protocol/wire_reader.h"

namespace vigil::dns {

std::string ResourceRecord::to_text() const {
  std::string out = name.to_text();
  out += '\t';
  out += std::to_string(ttl);
  out += '\t';
  out += class_to_string(rclass);
  out += '\t';
  out += type_to_string(type);
  out += '\t';
  append_rdata_text(out, type, rdata);
  return out;
}

Rcode Message::rcode() const {
  unsigned upper = edns ? edns->flags.extended_rcode : 0U;
  return static_cast<Rcode>((upper << 4) | header.rcode);
}

void Message::set_rcode(Rcode r) {
  auto v = static_cast<unsigned>(r);
  header.rcode = static_cast<std::uint8_t>(v & 0xF);
  if (edns) edns->flags.extended_rcode = static_cast<std::uint8_t>(v >> 4);
}

std::vector<ResourceRecord>& Message::section(Section s) {
  switch (s) {
    case Section::kAuthority: return authority;
    case Section::kAdditional: return additional;
    default: return answer;
  }
}

const std::vector<ResourceRecord>& Message::section(Section s) const {
  return const_cast<Message*>(this)->section(s);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

Message Message::from_view(const MessageView& view) {
  Message m;
  m.header = view.header();
  std::span<const std::uint8_t> wire = view.wire();
  // Questions: re-walk the validated question section.
  {
    std::size_t pos = kHeaderSize;
    for (std::size_t i = 0; i < view.count(Section::kQuestion); ++i) {
      Question q;
      q.name = view.name_at(pos);
      WireReader r(wire, pos);
      (void)r.skip_name(wire.size());
      std::uint16_t t = 0;
      std::uint16_t c = 0;
      r.read_u16(t);
      r.read_u16(c);
      q.type = static_cast<RRType>(t);
      q.rclass = static_cast<RRClass>(c);
      m.questions.push_back(q);
      pos = r.pos();
    }
  }
  m.answer.reserve(view.count(Section::kAnswer));
  m.authority.reserve(view.count(Section::kAuthority));
  m.additional.reserve(view.count(Section::kAdditional));
  auto cursor = view.records();
  RecordRef ref;
  while (cursor.next(ref)) {
    if (ref.type == RRType::OPT) {
      Edns e;
      e.udp_payload = ref.rclass;
      e.flags = EdnsFlags::from_ttl(ref.ttl);
      (void)Edns::parse_options(view.rdata(ref), e.options);
      m.edns = std::move(e);
      continue;
    }
    ResourceRecord rr;
    rr.name = view.name_at(ref.name_pos);
    rr.type = ref.type;
    rr.rclass = static_cast<RRClass>(ref.rclass);
    rr.ttl = ref.ttl;
    (void)read_rdata(wire, ref.rdata_pos, ref.rdlength, ref.type, rr.rdata);
    m.section(ref.section).push_back(std::move(rr));
  }
  return m;
}

Expected<Message> Message::parse(std::span<const std::uint8_t> wire) {
  MessageView view;
  if (Error e = view.parse(wire); e != Error::kOk) return e;
  return from_view(view);
}

Expected<std::size_t> Message::write(std::span<std::uint8_t> buffer, std::size_t limit) const {
  MessageBuilder b(buffer, limit);
  b.set_header(header);
  b.set_rcode(rcode());
  std::vector<std::uint8_t> options;
  if (edns) {
    options = edns->options_wire();
    EdnsOut out{edns->udp_payload, edns->flags.version, edns->flags.dnssec_ok, options};
    if (Error e = b.set_edns(out); e != Error::kOk) return e;
  }
  for (const Question& q : questions) {
    if (Error e = b.add_question(q.name, q.type, q.rclass); e != Error::kOk) return e;
  }
  for (Section s : {Section::kAnswer, Section::kAuthority, Section::kAdditional}) {
    for (const ResourceRecord& rr : section(s)) {
      if (b.truncated()) break;
      (void)b.add_record(s, rr.name, rr.type, rr.rclass, rr.ttl, rr.rdata);
    }
  }
  return b.finish();
}

std::vector<std::uint8_t> Message::to_wire(std::size_t limit) const {
  // Written into this thread's scratch buffer, then copied out at its
  // size: a fresh vector of `limit` octets (64 KiB, zeroed, and kept as the
  // result's capacity) for each 40-octet upstream query was most of a cold
  // resolution's memset and malloc work (issue 24).
  thread_local std::vector<std::uint8_t> scratch(kMaxMessageSize);
  const std::size_t room = std::min(limit, kMaxMessageSize);
  auto n = write({scratch.data(), room}, room);
  if (!n.ok()) return {};
  return {scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(*n)};
}

std::string Message::to_text() const {
  std::string out;
  auto add = [&out](auto&&... parts) { (out.append(parts), ...); };
  add(";; ->>HEADER<<- opcode: ", opcode_to_string(header.opcode), ", status: ", rcode_to_string(rcode()),
      ", id: ", std::to_string(header.id), "\n;; flags:");
  const std::pair<bool, const char*> flags[] = {{header.qr, " qr"}, {header.aa, " aa"}, {header.tc, " tc"},
                                                {header.rd, " rd"}, {header.ra, " ra"}, {header.ad, " ad"},
                                                {header.cd, " cd"}};
  for (const auto& [on, text] : flags) {
    if (on) add(text);
  }
  add("; QUERY: ", std::to_string(questions.size()), ", ANSWER: ", std::to_string(answer.size()),
      ", AUTHORITY: ", std::to_string(authority.size()),
      ", ADDITIONAL: ", std::to_string(additional.size() + (edns ? 1 : 0)), "\n");
  if (edns) {
    add("\n;; OPT PSEUDOSECTION:\n; EDNS: version: ", std::to_string(edns->flags.version),
        ", flags:", edns->flags.dnssec_ok ? " do" : "", "; udp: ", std::to_string(edns->udp_payload), "\n");
    for (const auto& e : edns->extended_errors()) {
      add("; EDE: ", std::to_string(static_cast<unsigned>(e.code)), " (", ede_to_string(e.code), ")");
      if (!e.text.empty()) add(": (", e.text, ")");
      add("\n");
    }
  }
  add("\n;; QUESTION SECTION:\n");
  for (const Question& q : questions) {
    add(";", q.name.to_text(), "\t\t", class_to_string(q.rclass), "\t", type_to_string(q.type), "\n");
  }
  const std::pair<Section, const char*> sections[] = {
      {Section::kAnswer, "ANSWER"}, {Section::kAuthority, "AUTHORITY"}, {Section::kAdditional, "ADDITIONAL"}};
  for (const auto& [s, title] : sections) {
    if (section(s).empty()) continue;
    add("\n;; ", title, " SECTION:\n");
    for (const ResourceRecord& rr : section(s)) add(rr.to_text(), "\n");
  }
  return out;
}

Message make_query(std::uint16_t id, const Name& name, RRType type, bool rd, std::uint16_t payload) {
  Message m;
  m.header.id = id;
  m.header.rd = rd;
  m.questions.push_back({name, type, RRClass::IN});
  if (payload > 0) {
    m.edns = Edns{};
    m.edns->udp_payload = payload;
  }
  return m;
}

}  // namespace vigil::dns
