#include "benchmarks/loadgen/workload.h"

namespace walkv::loadgen {

Workload::Workload(const WorkloadSpec& spec) : spec_(spec) {
  digits_ = 1;
  for (uint64_t max = spec_.keyspace > 0 ? spec_.keyspace - 1 : 0; max >= 10; max /= 10) ++digits_;
  if (digits_ < 8) digits_ = 8;
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  FastRandom random(spec_.seed * 7919 + 17);
  values_.resize(1024);
  for (std::string& value : values_) {
    value.resize(spec_.value_size);
    for (char& c : value) c = kAlphabet[random.Below(sizeof(kAlphabet) - 1)];
  }
}

void Workload::FormatKey(uint64_t index, std::string* buf) const {
  buf->resize(key_size());
  char* p = buf->data();
  for (char c : spec_.key_prefix) *p++ = c;
  for (size_t i = digits_; i > 0; --i) {
    p[i - 1] = static_cast<char>('0' + index % 10);
    index /= 10;
  }
}

}  // namespace walkv::loadgen
