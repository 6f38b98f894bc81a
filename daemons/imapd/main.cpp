// loft-imapd: the IMAP server (docs/imapd.md). Being written.
#include <cstdio>

int main() {
    std::fputs("loft-imapd: not implemented yet\n", stderr);
    return 1;
}
