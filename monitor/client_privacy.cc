#include "monitor/client_privacy.h"

#include <array>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "protocol/rdata.h"

namespace vigil::monitor {

std::string address_text(std::span<const std::uint8_t> address) {
  std::string out;
  dns::append_address_text(out, address);
  return out;
}

std::size_t ClientPrivacy::octets(std::span<const std::uint8_t> address,
                                  std::span<std::uint8_t, 16> out) const {
  if (mode_ == ClientIpMode::kHash || (address.size() != 4 && address.size() != 16)) return 0;
  const std::size_t keep = mode_ == ClientIpMode::kFull ? address.size()
                           : address.size() == 16       ? 7
                                                        : 3;  // /56, /24
  for (std::size_t i = 0; i < address.size(); ++i) out[i] = i < keep ? address[i] : 0;
  return address.size();
}

std::string ClientPrivacy::show(std::span<const std::uint8_t> address) const {
  char buf[kMaxShown];
  return std::string(buf, show(buf, address));
}

char* ClientPrivacy::show(char* out, std::span<const std::uint8_t> address) const {
  static_assert(kMaxShown >= dns::kMaxAddressText && kMaxShown >= 32);
  switch (mode_) {
    case ClientIpMode::kFull: return dns::format_address(out, address);
    case ClientIpMode::kTruncate: {
      std::array<std::uint8_t, 16> a{};
      const std::size_t n = octets(address, a);
      return dns::format_address(out, {a.data(), n});
    }
    case ClientIpMode::kHash: {
      std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
      unsigned int len = 0;
      HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()), address.data(), address.size(),
           md.data(), &len);
      static constexpr char kHex[] = "0123456789abcdef";
      for (unsigned int i = 0; i < 16 && i < len; ++i) {
        *out++ = kHex[md[i] >> 4];
        *out++ = kHex[md[i] & 0x0F];
      }
      return out;
    }
  }
  return out;
}

}  // namespace vigil::monitor
