// loft-mime-dump: prints what Loft answers to FETCH RFC822.SIZE, ENVELOPE,
// BODY and BODYSTRUCTURE for message files, in the golden-file format of
// tests/corpus (see tests/corpus/README.md), so the corpus test can compare
// it with Dovecot's answers byte for byte.
//
//   loft-mime-dump FILE...
//
// Output per file: "== FILE\n", then per item "NAME LEN\n" + LEN bytes + "\n"
// (RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE). A file that cannot be read,
// or whose processing throws, gets "ERROR text\n" instead of the items; the
// other files are still done. Many files per run: starting a process per
// message would dominate the test's time.
#include <imapproto/fetch_writer.hpp>
#include <mailstore/mime/envelope.hpp>
#include <mailstore/mime/message.hpp>

#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace {

bool read_file(const char* path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

void put_item(std::string& out, std::string_view name, std::string_view value) {
    out += name;
    out += ' ';
    out += std::to_string(value.size());
    out += '\n';
    out += value;
    out += '\n';
}

std::string dump(const std::string& raw) {
    using mailstore::mime::ParsedMessage;
    const ParsedMessage message = ParsedMessage::parse(raw);
    std::string out;
    put_item(out, "RFC822.SIZE", std::to_string(message.virtual_size()));
    std::string item;
    imapproto::write_envelope(item, mailstore::mime::build_envelope(message.header(message.root())));
    put_item(out, "ENVELOPE", item);
    item.clear();
    imapproto::write_body_structure(item, message, message.root(), false);
    put_item(out, "BODY", item);
    item.clear();
    imapproto::write_body_structure(item, message, message.root(), true);
    put_item(out, "BODYSTRUCTURE", item);
    return out;
}

void write_all(std::string_view s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs("usage: loft-mime-dump FILE...\n", stderr);
        return 2;
    }
    int status = 0;
    std::string raw;
    for (int i = 1; i < argc; ++i) {
        write_all("== ");
        write_all(argv[i]);
        write_all("\n");
        if (!read_file(argv[i], raw)) {
            write_all("ERROR cannot read file\n");
            status = 1;
            continue;
        }
        std::string out;
        try {
            out = dump(raw);
        } catch (const std::exception& e) {
            out = std::string("ERROR exception: ") + e.what() + "\n";
            status = 1;
        } catch (...) {
            out = "ERROR unknown exception\n";
            status = 1;
        }
        write_all(out);
        // A crash in the next file must not lose this one's answer: the test
        // names the file after the last complete one as the crasher.
        std::fflush(stdout);
    }
    return status;
}
