// The registered domain of a name: its public suffix plus one label
// ("www.example.co.uk" → "example.co.uk"), found with the Public Suffix
// List through libpsl. The intent detectors aggregate by it: the names a
// DNS tunnel or a DGA bot generates differ, their registered domain does
// not.
#pragma once

#include <string>
#include <string_view>

struct psl_ctx_st;

namespace vigil::monitor {

class PublicSuffixList {
 public:
  // The newer of libpsl's built-in list and Debian's publicsuffix package
  // (/usr/share/publicsuffix), as libpsl's psl_latest() picks.
  PublicSuffixList();
  // A list file (.dat or libpsl's .dafsa); throws std::runtime_error when
  // it cannot be read.
  explicit PublicSuffixList(const std::string& file);
  ~PublicSuffixList();
  PublicSuffixList(const PublicSuffixList&) = delete;
  PublicSuffixList& operator=(const PublicSuffixList&) = delete;

  // `name`: lowercase presentation form, with or without the trailing dot.
  // The registered domain, a suffix of `name` (without the dot); empty when
  // the name is a public suffix itself, the root, or too long to be a name.
  std::string_view registered_domain(std::string_view name) const;
  bool is_public_suffix(std::string_view name) const;
  // The registered domain under the ICANN section only: a name below a
  // private-section suffix (cloudfront.net, blogspot.com) gives the
  // platform's domain, and a name under a TLD the list does not know gives
  // nothing (no implicit "*" rule). What a registrar sold, which is what a
  // DGA bot needs: the DGA detector scores this.
  std::string_view icann_domain(std::string_view name) const;

 private:
  psl_ctx_st* ctx_;
};

}  // namespace vigil::monitor
