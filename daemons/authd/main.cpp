#include <cstdio>

int main() {
    std::fputs("loft-authd: not implemented yet\n", stderr);
    return 1;
}
