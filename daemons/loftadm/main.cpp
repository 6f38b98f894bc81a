#include <cstdio>

int main() {
    std::fputs("loftadm: not implemented yet\n", stderr);
    return 1;
}
