// Helpers shared by the unit tests: a temporary directory and file reading.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace loft_test {

// A temporary directory, removed with everything in it at scope exit.
class TempDir {
public:
    explicit TempDir(std::string_view tag = "loft-test") : path(make(tag)) {}
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    // Write `text` to `rel` (creating directories) and return the full path.
    std::string write(const std::string& rel, std::string_view text) const {
        std::filesystem::path p = path / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
    std::string str() const { return path.string(); }

    const std::filesystem::path path;

private:
    static std::filesystem::path make(std::string_view tag) {
        std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(tag) + "-XXXXXX")).string();
        char* made = ::mkdtemp(tmpl.data());
        REQUIRE(made != nullptr);
        return made;
    }
};

// The whole content of a file ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace loft_test
