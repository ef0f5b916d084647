// The model's own few functions: the built-in defaults that are not plain
// member initialisers, names for printing, and the error's text.
#include "config/config.h"

namespace vigil::config {

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  if (line > 0 && column > 0) out += ":" + std::to_string(column);
  return out + ": " + message;
}

Config Config::defaults() {
  Config c;
  c.server.listen = {*parse_endpoint("127.0.0.1:53"), *parse_endpoint("[::1]:53")};
  // Loopback may use the resolver; everyone else is refused.
  c.access_control = {{*parse_cidr("127.0.0.0/8"), AclAction::kAllow},
                      {*parse_cidr("::1/128"), AclAction::kAllow},
                      {*parse_cidr("0.0.0.0/0"), AclAction::kRefuse},
                      {*parse_cidr("::/0"), AclAction::kRefuse}};
  c.resolver.do_not_query = {*parse_cidr("127.0.0.0/8"), *parse_cidr("::1/128"), *parse_cidr("0.0.0.0/8"),
                             *parse_cidr("::/128")};
  return c;
}

std::string_view local_zone_type_name(LocalZoneType t) {
  switch (t) {
    case LocalZoneType::kStatic: return "static";
    case LocalZoneType::kTransparent: return "transparent";
    case LocalZoneType::kRefuse: return "refuse";
    case LocalZoneType::kDeny: return "deny";
    case LocalZoneType::kRedirect: return "redirect";
    case LocalZoneType::kNoDefault: return "nodefault";
  }
  return "unknown";
}

}  // namespace vigil::config
