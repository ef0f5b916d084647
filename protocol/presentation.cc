#include "protocol/presentation.h"

#include <cstdio>
#include <memory>

#include "protocol/ldns_include.h"
#include "protocol/rdata.h"
#include "protocol/wire_reader.h"

namespace vigil::dns {
namespace {

struct LdnsRdfDeleter {
  void operator()(ldns_rdf* p) const { ldns_rdf_deep_free(p); }
};
struct LdnsRrDeleter {
  void operator()(ldns_rr* p) const { ldns_rr_free(p); }
};
struct LdnsBufferDeleter {
  void operator()(ldns_buffer* p) const { ldns_buffer_free(p); }
};
struct FileDeleter {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::unique_ptr<ldns_rdf, LdnsRdfDeleter> to_ldns_dname(const Name& n) {
  std::string text = n.to_text();
  return std::unique_ptr<ldns_rdf, LdnsRdfDeleter>(ldns_dname_new_frm_str(text.c_str()));
}

// Converts an ldns RR through its uncompressed wire form into ours, so that
// the project's own validation applies to everything ldns accepted.
Expected<ResourceRecord, TextError> from_ldns(const ldns_rr* rr) {
  std::unique_ptr<ldns_buffer, LdnsBufferDeleter> buf(ldns_buffer_new(512));
  if (ldns_rr2buffer_wire(buf.get(), rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) {
    return TextError{0, "record cannot be converted to wire format"};
  }
  std::span<const std::uint8_t> wire(ldns_buffer_begin(buf.get()), ldns_buffer_position(buf.get()));
  WireReader r(wire);
  ResourceRecord out;
  std::uint16_t type = 0;
  std::uint16_t cls = 0;
  std::uint16_t rdlength = 0;
  if (r.read_name(out.name, wire.size(), false) != Error::kOk || !r.read_u16(type) || !r.read_u16(cls) ||
      !r.read_u32(out.ttl) || !r.read_u16(rdlength) || r.remaining() != rdlength) {
    return TextError{0, "record cannot be converted to wire format"};
  }
  out.type = static_cast<RRType>(type);
  out.rclass = static_cast<RRClass>(cls);
  if (Error e = read_rdata(wire, r.pos(), rdlength, out.type, out.rdata); e != Error::kOk) {
    return TextError{0, std::string("invalid RDATA for type ") + type_to_string(out.type) + ": " +
                            std::string(error_message(e))};
  }
  return out;
}

}  // namespace

Expected<ResourceRecord, TextError> parse_record(std::string_view text, const Name& origin,
                                                 std::uint32_t default_ttl) {
  auto ldns_origin = to_ldns_dname(origin);
  ldns_rr* raw = nullptr;
  std::string line(text);
  ldns_status st = ldns_rr_new_frm_str(&raw, line.c_str(), default_ttl, ldns_origin.get(), nullptr);
  std::unique_ptr<ldns_rr, LdnsRrDeleter> rr(raw);
  if (st != LDNS_STATUS_OK || rr == nullptr) {
    return TextError{1, std::string("cannot parse record \"") + line + "\": " + ldns_get_errorstr_by_id(st)};
  }
  auto out = from_ldns(rr.get());
  if (!out.ok()) return TextError{1, out.error().message};
  return out;
}

std::optional<TextError> for_each_zone_record(
    std::string_view text, const Name& origin, std::uint32_t default_ttl,
    const std::function<std::string(ResourceRecord& record, std::size_t line)>& each) {
  if (text.empty()) return std::nullopt;
  std::string copy(text);
  std::unique_ptr<std::FILE, FileDeleter> f(fmemopen(copy.data(), copy.size(), "r"));
  if (!f) return TextError{0, "cannot open text"};
  // ldns updates origin and previous owner as it reads $ORIGIN and blank owners.
  std::unique_ptr<ldns_rdf, LdnsRdfDeleter> cur_origin = to_ldns_dname(origin);
  std::unique_ptr<ldns_rdf, LdnsRdfDeleter> prev;
  std::uint32_t ttl = default_ttl;
  int line = 1;
  while (std::feof(f.get()) == 0) {
    ldns_rr* raw = nullptr;
    // ldns has counted the record's newline by the time it returns: report
    // the line the record started on.
    const auto start_line = static_cast<std::size_t>(line);
    ldns_rdf* o = cur_origin.release();
    ldns_rdf* p = prev.release();
    ldns_status st = ldns_rr_new_frm_fp_l(&raw, f.get(), &ttl, &o, &p, &line);
    cur_origin.reset(o);
    prev.reset(p);
    std::unique_ptr<ldns_rr, LdnsRrDeleter> rr(raw);
    switch (st) {
      case LDNS_STATUS_OK: break;
      case LDNS_STATUS_SYNTAX_EMPTY:
      case LDNS_STATUS_SYNTAX_TTL:
      case LDNS_STATUS_SYNTAX_ORIGIN: continue;
      case LDNS_STATUS_SYNTAX_INCLUDE: return TextError{start_line, "$INCLUDE is not supported"};
      default: return TextError{start_line, ldns_get_errorstr_by_id(st)};
    }
    auto converted = from_ldns(rr.get());
    if (!converted.ok()) return TextError{start_line, converted.error().message};
    if (std::string why = each(*converted, start_line); !why.empty()) return TextError{start_line, why};
  }
  return std::nullopt;
}

Expected<std::vector<ResourceRecord>, TextError> parse_zone_text(std::string_view text, const Name& origin,
                                                                 std::uint32_t default_ttl) {
  std::vector<ResourceRecord> records;
  auto error = for_each_zone_record(text, origin, default_ttl, [&](ResourceRecord& rr, std::size_t) {
    records.push_back(std::move(rr));
    return std::string();
  });
  if (error) return *error;
  return records;
}

}  // namespace vigil::dns
