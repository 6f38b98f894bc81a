// main() for replaying a fuzz target's corpus without libFuzzer: the normal
// build links each target with this file so `meson test --suite unit` runs
// every input of tests/fuzz/corpus/<target>/ through LLVMFuzzerTestOneInput
// with any compiler. A failed FUZZ_CHECK aborts, which fails the test.
//
// Usage: replay_<target> DIR_OR_FILE...   (directories are read one level
// deep, files in name order). An argument that names nothing, or a run that
// finds no input at all, is an error: a misspelt corpus path must not pass.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional, as in libFuzzer: a target that defines it gets it called once
// before the first input (weak, so it is null when the target has none).
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

bool read_file(const std::filesystem::path& path, std::vector<std::uint8_t>& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

} // namespace

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        fs::path arg(argv[i]);
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            for (const auto& entry : fs::directory_iterator(arg, ec))
                if (entry.is_regular_file(ec))
                    inputs.push_back(entry.path());
            if (ec) {
                std::fprintf(stderr, "replay: %s: %s\n", argv[i], ec.message().c_str());
                return 2;
            }
        } else if (fs::is_regular_file(arg, ec)) {
            inputs.push_back(arg);
        } else {
            std::fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
            return 2;
        }
    }
    if (inputs.empty()) {
        std::fprintf(stderr, "replay: no inputs\n");
        return 2;
    }
    std::sort(inputs.begin(), inputs.end());
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    std::vector<std::uint8_t> data;
    for (const auto& path : inputs) {
        if (!read_file(path, data)) {
            std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
            return 2;
        }
        // Named first so that a crash or a failed check says which input did it.
        std::fprintf(stderr, "replay: %s\n", path.c_str());
        // Exactly `size` bytes, as libFuzzer passes them (reading past the end
        // is visible to AddressSanitizer in sanitized builds), and never a
        // null pointer, which libFuzzer does not pass either.
        static std::uint8_t empty_input = 0;
        LLVMFuzzerTestOneInput(data.empty() ? &empty_input : data.data(), data.size());
    }
    std::printf("replayed %zu inputs\n", inputs.size());
    return 0;
}
