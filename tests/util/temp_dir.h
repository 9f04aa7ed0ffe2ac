// TempDir: a fresh directory under $TMPDIR (or /tmp) for one test, removed with everything in it
// when the object goes away. Tests never write into the working directory.
#pragma once

#include <string>

namespace walkv::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Sub(const std::string& name) const;

 private:
  std::string path_;
};

}  // namespace walkv::testing
