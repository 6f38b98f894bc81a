"""libmailstore.so and libimapproto.so export only their public API: symbols
in their namespace (mailstore, imapproto) and the RTTI and vtables of its
classes. Standard-library, fmt and spdlog instantiations a library uses
inside must not leak into its ABI."""
import re
import shutil
import subprocess

import pytest

# Symbols every shared object defines.
ELF_STANDARD = {"_init", "_fini", "__bss_start", "_edata", "_end", "__data_start", "data_start",
                "_IO_stdin_used", "__dso_handle", "__TMC_END__"}


def exported(library, demangle):
    args = ["nm", "-D", "--defined-only"] + (["-C"] if demangle else []) + [str(library)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    symbols = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] != "A":  # A: version node names
            symbols.append(parts[2])
    return symbols


def exports_of(library, namespace):
    """The demangled exports of `library`, after checking that every one is
    in `namespace` (or its RTTI/vtables) or an ELF standard symbol."""
    assert library.exists(), library
    mangled = exported(library, demangle=False)
    demangled = exported(library, demangle=True)
    assert len(mangled) == len(demangled)
    assert mangled, f"{library.name} exports nothing"
    ours_mangled = re.compile(r"^_Z(T[IVST])?N[KVRO]*%d%s" % (len(namespace), namespace))
    ours_demangled = tuple(prefix + namespace + "::" for prefix in
                           ("", "typeinfo for ", "typeinfo name for ", "vtable for ", "VTT for ",
                            "guard variable for "))
    strays = [d for m, d in zip(mangled, demangled)
              if m not in ELF_STANDARD and not ours_mangled.match(m) and not d.startswith(ours_demangled)]
    assert not strays, f"exported outside namespace {namespace}:\n" + "\n".join(strays[:40])
    return demangled


@pytest.mark.skipif(shutil.which("nm") is None, reason="nm (binutils) is not installed")
def test_libmailstore_exports_only_namespace_mailstore(build_dir):
    demangled = exports_of(build_dir / "libmailstore" / "libmailstore.so.0", "mailstore")
    # The public logging API is there.
    assert any(d.startswith("mailstore::log::write_forwarded(") for d in demangled)
    assert any(d.startswith("mailstore::log::configure(") for d in demangled)


@pytest.mark.skipif(shutil.which("nm") is None, reason="nm (binutils) is not installed")
def test_libimapproto_exports_only_namespace_imapproto(build_dir):
    demangled = exports_of(build_dir / "libimapproto" / "libimapproto.so.0", "imapproto")
    # The response writer's public functions are there; its helpers are not.
    for name in ("write_string", "write_nstring", "write_astring", "write_header_string",
                 "write_display_string", "write_envelope", "write_body_structure",
                 "envelope_text", "bodystructure_text", "body_text"):
        # Functions returning std::string carry an [abi:cxx11] tag.
        pattern = re.compile(r"^imapproto::" + name + r"(\[abi:cxx11\])?\(")
        assert any(pattern.match(d) for d in demangled), name
    assert not any("anonymous namespace" in d for d in demangled)


def test_public_log_header_compiles_without_fmt(tmp_path):
    """<mailstore/log.hpp> with MAILSTORE_LOG_NO_FMT needs neither fmt nor spdlog."""
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[2]
    src = tmp_path / "t.cpp"
    src.write_text("#define MAILSTORE_LOG_NO_FMT\n#include <mailstore/log.hpp>\n"
                   "int main() { mailstore::log::LogSettings s; s.set_log_path(\"x\");\n"
                   "  mailstore::log::Logger(\"t\").info(\"hi\"); return s.log_path().size() == 1 ? 0 : 1; }\n")
    cxx = shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        pytest.skip("no C++ compiler")
    # An include path with only our public headers: fmt is not on it... but it
    # is installed system-wide, so check the preprocessed output instead.
    pre = subprocess.run([cxx, "-std=c++20", "-E", "-I", str(root / "libmailstore" / "include"), str(src)],
                         capture_output=True, text=True)
    assert pre.returncode == 0, pre.stderr
    assert "fmt/format.h" not in pre.stdout and "spdlog" not in pre.stdout
