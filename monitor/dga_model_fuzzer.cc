// libFuzzer target: the DGA model file parser (a file an operator names in
// intent.model is untrusted input). Any text gives a model or an error with
// a line number, never a crash; a parsed model scores labels.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "monitor/dga_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using vigil::monitor::DgaModel;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto model = DgaModel::parse(text, &error);
  if (!model) {
    if (error.empty()) std::abort();
    return 0;
  }
  (void)model->score("xjwqkvbzlrtpmqhd");
  (void)model->score("example");
  // What it writes, it reads back.
  std::string again_error;
  if (!DgaModel::parse(model->serialize(), &again_error)) std::abort();
  return 0;
}
