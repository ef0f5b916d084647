#include "monitor/registered_domain.h"

#include <libpsl.h>

#include <cstring>
#include <stdexcept>

namespace vigil::monitor {

namespace {

// A name's presentation form is at most 4 × 255 octets (every octet as \DDD).
constexpr std::size_t kMaxText = 1024;

// `name` without its trailing dot, NUL-terminated in `buf`; false when it
// does not fit or is empty.
bool terminated(std::string_view name, char (&buf)[kMaxText + 1], std::size_t& length) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxText) return false;
  std::memcpy(buf, name.data(), name.size());
  buf[name.size()] = '\0';
  length = name.size();
  return true;
}

}  // namespace

PublicSuffixList::PublicSuffixList() : ctx_(psl_latest(nullptr)) {
  if (ctx_ == nullptr) ctx_ = const_cast<psl_ctx_t*>(psl_builtin());  // never freed (psl_free ignores it)
  if (ctx_ == nullptr)
    throw std::runtime_error("public suffix list: libpsl has no list (built-in or system)");
}

PublicSuffixList::PublicSuffixList(const std::string& file) : ctx_(psl_load_file(file.c_str())) {
  if (ctx_ == nullptr) throw std::runtime_error("public suffix list: cannot load " + file);
}

PublicSuffixList::~PublicSuffixList() {
  psl_free(ctx_);
}

std::string_view PublicSuffixList::registered_domain(std::string_view name) const {
  char buf[kMaxText + 1];
  std::size_t length = 0;
  if (!terminated(name, buf, length)) return {};
  const char* r = psl_registrable_domain(ctx_, buf);
  if (r == nullptr) return {};
  // r points into buf: the same offset in `name`.
  const auto offset = static_cast<std::size_t>(r - buf);
  return name.substr(offset, length - offset);
}

bool PublicSuffixList::is_public_suffix(std::string_view name) const {
  char buf[kMaxText + 1];
  std::size_t length = 0;
  if (!terminated(name, buf, length)) return false;
  return psl_is_public_suffix2(ctx_, buf, PSL_TYPE_ANY) != 0;
}

std::string_view PublicSuffixList::icann_domain(std::string_view name) const {
  char buf[kMaxText + 1];
  std::size_t length = 0;
  if (!terminated(name, buf, length)) return {};
  constexpr int kIcann = PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE;
  if (psl_is_public_suffix2(ctx_, buf, kIcann) != 0) return {};  // a suffix itself
  // The longest ICANN suffix: try each suffix from the second label on.
  std::size_t previous = 0;
  for (std::size_t i = 0; i < length; ++i) {
    if (buf[i] != '.') continue;
    const std::size_t start = i + 1;
    if (start < length && psl_is_public_suffix2(ctx_, buf + start, kIcann) != 0)
      return name.substr(previous, length - previous);
    previous = start;
  }
  return {};
}

}  // namespace vigil::monitor
