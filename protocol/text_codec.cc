#include "protocol/text_codec.h"

#include <openssl/evp.h>

namespace vigil::dns {

void append_hex(std::string& out, std::span<const std::uint8_t> data) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (std::uint8_t b : data) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xF];
  }
}

void append_base64(std::string& out, std::span<const std::uint8_t> data) {
  if (data.empty()) return;
  std::size_t start = out.size();
  out.resize(start + 4 * ((data.size() + 2) / 3) + 1);
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(&out[start]), data.data(),
                          static_cast<int>(data.size()));
  out.resize(start + static_cast<std::size_t>(n));
}

void append_base32hex(std::string& out, std::span<const std::uint8_t> data) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuv";
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kDigits[(buffer >> (bits - 5)) & 0x1F];
      bits -= 5;
    }
  }
  if (bits > 0) out += kDigits[(buffer << (5 - bits)) & 0x1F];
}

void append_quoted(std::string& out, std::span<const std::uint8_t> data) {
  out += '"';
  for (std::uint8_t c : data) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += '\\';
      out += static_cast<char>('0' + c / 100);
      out += static_cast<char>('0' + (c / 10) % 10);
      out += static_cast<char>('0' + c % 10);
    }
  }
  out += '"';
}

}  // namespace vigil::dns
