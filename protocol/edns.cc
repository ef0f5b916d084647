#include "protocol/edns.h"

#include "protocol/wire_reader.h"

namespace vigil::dns {

std::vector<ExtendedError> Edns::extended_errors() const {
  std::vector<ExtendedError> out;
  for (const auto& o : options) {
    if (o.code != static_cast<std::uint16_t>(EdnsOptionCode::kExtendedError)) continue;
    if (auto e = decode_extended_error(o.data)) out.push_back(std::move(*e));
  }
  return out;
}

void Edns::add_extended_error(EdeCode code, std::string_view text) {
  options.push_back(
      {static_cast<std::uint16_t>(EdnsOptionCode::kExtendedError), encode_extended_error(code, text)});
}

const EdnsOption* Edns::find_option(EdnsOptionCode code) const {
  for (const auto& o : options) {
    if (o.code == static_cast<std::uint16_t>(code)) return &o;
  }
  return nullptr;
}

std::vector<std::uint8_t> Edns::options_wire() const {
  std::vector<std::uint8_t> out;
  for (const auto& o : options) {
    std::uint8_t h[4];
    store_u16(h, o.code);
    store_u16(h + 2, static_cast<std::uint16_t>(o.data.size()));
    out.insert(out.end(), h, h + 4);
    out.insert(out.end(), o.data.begin(), o.data.end());
  }
  return out;
}

Error Edns::parse_options(std::span<const std::uint8_t> rdata, std::vector<EdnsOption>& out) {
  return for_each_edns_option(rdata, [&](std::uint16_t code, std::span<const std::uint8_t> data) {
    out.push_back({code, {data.begin(), data.end()}});
  });
}

std::vector<std::uint8_t> encode_extended_error(EdeCode code, std::string_view text) {
  if (text.size() > kMaxEdeTextLength) text = text.substr(0, kMaxEdeTextLength);
  auto c = static_cast<std::uint16_t>(code);
  std::vector<std::uint8_t> out;
  out.reserve(2 + text.size());
  out.push_back(static_cast<std::uint8_t>(c >> 8));
  out.push_back(static_cast<std::uint8_t>(c));
  for (char ch : text) out.push_back(static_cast<std::uint8_t>(ch));
  return out;
}

std::optional<ExtendedError> decode_extended_error(std::span<const std::uint8_t> data) {
  if (data.size() < 2) return std::nullopt;
  ExtendedError e;
  e.code = static_cast<EdeCode>(load_u16(data.data()));
  // RFC 8914 §2: EXTRA-TEXT is not NUL-terminated, but drop one if sent.
  std::size_t len = data.size() - 2;
  if (len > 0 && data[2 + len - 1] == 0) --len;
  e.text.assign(reinterpret_cast<const char*>(data.data() + 2), len);
  return e;
}

std::size_t padding_for_block(std::size_t size, std::size_t block) {
  if (block == 0) return 0;
  std::size_t with_header = size + 4;
  std::size_t rem = with_header % block;
  return rem == 0 ? 0 : block - rem;
}

}  // namespace vigil::dns
