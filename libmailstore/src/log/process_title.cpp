// Setting the process title the way ps shows it: Linux reads a process's
// command line from the memory argv points at, so the title is written over
// argv (and the environment strings right after it, once environ has been
// copied elsewhere).
#include <mailstore/log.hpp>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sys/prctl.h>

extern char** environ;

namespace mailstore::log {

namespace {
std::mutex g_title_mutex;
char* g_area = nullptr;
size_t g_area_size = 0;
} // namespace

void init_process_title(int argc, char** argv) noexcept {
    std::lock_guard<std::mutex> lock(g_title_mutex);
    if (g_area || argc <= 0 || !argv || !argv[0])
        return;
    char* start = argv[0];
    char* end = argv[0] + std::strlen(argv[0]) + 1;
    for (int i = 1; i < argc; ++i)
        if (argv[i] == end)
            end = argv[i] + std::strlen(argv[i]) + 1;
    // Environment strings usually follow argv; take them over too, after
    // moving environ to the heap so getenv() keeps working.
    size_t env_count = 0;
    bool env_contiguous = true;
    for (char** e = environ; e && *e; ++e) {
        ++env_count;
        if (*e != end)
            env_contiguous = false;
        else
            end = *e + std::strlen(*e) + 1;
    }
    if (env_contiguous && env_count > 0) {
        char** copy = static_cast<char**>(std::calloc(env_count + 1, sizeof(char*)));
        if (copy) {
            for (size_t i = 0; i < env_count; ++i)
                copy[i] = strdup(environ[i]);
            environ = copy;
        } else {
            end = argv[argc - 1] + std::strlen(argv[argc - 1]) + 1;
        }
    } else if (!env_contiguous) {
        // Only the argv part is ours to reuse.
        end = start;
        for (int i = 0; i < argc; ++i)
            if (argv[i] == end)
                end = argv[i] + std::strlen(argv[i]) + 1;
    }
    // Keep argv[1..] readable for the caller (CLI parsing happens later):
    // copy them to the heap as well.
    for (int i = 0; i < argc; ++i)
        argv[i] = strdup(argv[i]);
    g_area = start;
    g_area_size = static_cast<size_t>(end - start);
}

void set_process_title(std::string_view title) noexcept {
    std::lock_guard<std::mutex> lock(g_title_mutex);
    char name[16] = {};
    std::memcpy(name, title.data(), std::min(title.size(), sizeof name - 1));
    ::prctl(PR_SET_NAME, name, 0, 0, 0);
    if (!g_area || g_area_size < 2)
        return;
    std::string text = "loft/" + std::string(title);
    size_t n = std::min(text.size(), g_area_size - 1);
    std::memcpy(g_area, text.data(), n);
    std::memset(g_area + n, 0, g_area_size - n);
}

} // namespace mailstore::log
