#include "protocol/result.h"

namespace vigil::dns {

std::string_view error_message(Error e) {
  switch (e) {
    case Error::kOk: return "ok";
    case Error::kTruncated: return "data ends before the structure does";
    case Error::kLabelTooLong: return "label longer than 63 octets";
    case Error::kNameTooLong: return "name longer than 255 octets";
    case Error::kBadLabelType: return "unsupported label type";
    case Error::kBadPointer: return "compression pointer out of bounds or not backwards";
    case Error::kTooManyPointers: return "too many compression pointers";
    case Error::kEmptyLabel: return "empty label";
    case Error::kBadEscape: return "bad escape sequence";
    case Error::kBadRdata: return "RDATA does not match its type";
    case Error::kRdataTooLong: return "RDATA longer than 65535 octets";
    case Error::kTrailingData: return "trailing data after the last section";
    case Error::kOptNotInAdditional: return "OPT record outside the additional section";
    case Error::kMultipleOpt: return "more than one OPT record";
    case Error::kBadOptOwner: return "OPT owner name is not the root";
    case Error::kBadOptRdata: return "malformed EDNS options";
    case Error::kNoSpace: return "no space left in the output buffer";
    case Error::kBadText: return "presentation format not understood";
  }
  return "unknown error";
}

std::string_view error_name(Error e) {
  switch (e) {
    case Error::kOk: return "Ok";
    case Error::kTruncated: return "Truncated";
    case Error::kLabelTooLong: return "LabelTooLong";
    case Error::kNameTooLong: return "NameTooLong";
    case Error::kBadLabelType: return "BadLabelType";
    case Error::kBadPointer: return "BadPointer";
    case Error::kTooManyPointers: return "TooManyPointers";
    case Error::kEmptyLabel: return "EmptyLabel";
    case Error::kBadEscape: return "BadEscape";
    case Error::kBadRdata: return "BadRdata";
    case Error::kRdataTooLong: return "RdataTooLong";
    case Error::kTrailingData: return "TrailingData";
    case Error::kOptNotInAdditional: return "OptNotInAdditional";
    case Error::kMultipleOpt: return "MultipleOpt";
    case Error::kBadOptOwner: return "BadOptOwner";
    case Error::kBadOptRdata: return "BadOptRdata";
    case Error::kNoSpace: return "NoSpace";
    case Error::kBadText: return "BadText";
  }
  return "Unknown";
}

}  // namespace vigil::dns
