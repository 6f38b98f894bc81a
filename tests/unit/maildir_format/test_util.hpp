// Temp directories and file helpers for the format tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fmt_test {

// A fresh directory under $TMPDIR, removed with everything in it.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "loft-fmt-XXXXXX").string();
        char* made = ::mkdtemp(tmpl.data());
        path = made ? made : "";
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string str() const { return path.string(); }
    std::string operator/(const std::string& rel) const { return (path / rel).string(); }
};

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_file(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
}

inline std::string data_file(const std::string& name) { return read_file(std::string(MAILDIR_FORMAT_DATA) + "/" + name); }

} // namespace fmt_test
