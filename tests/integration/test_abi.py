"""The ABI of the installed libraries (docs/abi.md).

libmailstore.so and libimapproto.so export only their public API: symbols
in their namespace (mailstore, imapproto) and the RTTI and vtables of its
classes. Standard-library, fmt and spdlog instantiations a library uses
inside must not leak into its ABI.

scripts/abi-check compares each library's public ABI with its baseline in
abi/: the built tree must match, and a scratch library shows that the check
fails on an incompatible change without a SONAME bump and passes additions,
internal changes and a bumped SONAME."""
import pathlib
import re
import shutil
import subprocess
import sys

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


# --- the abidiff check (scripts/abi-check, docs/abi.md) ---------------------

ROOT = pathlib.Path(__file__).resolve().parents[2]
ABI_CHECK = ROOT / "scripts" / "abi-check"
needs_abigail = pytest.mark.skipif(shutil.which("abidw") is None or shutil.which("abidiff") is None,
                                   reason="abigail-tools is not installed (scripts/debian-packages.txt)")


def run_abi_check(*args):
    run = subprocess.run([sys.executable, str(ABI_CHECK), *map(str, args)], capture_output=True, text=True)
    return run.returncode, run.stdout + run.stderr


@needs_abigail
def test_built_libraries_match_their_abi_baselines(build_dir):
    """The ABI of every installed library is the committed one in abi/, or
    grew compatibly; an incompatible change fails unless its SONAME changed."""
    status, output = run_abi_check("--build-dir", build_dir)
    if status == 77:
        pytest.skip(output.strip())
    assert status == 0, output
    assert "INCOMPATIBLE" not in output
    for library in ("libmailstore", "libimapproto", "libpop3proto", "libmailstore-c"):
        assert re.search(r"^%s: (ABI unchanged|compatible ABI additions only)" % library, output, re.M), output


# A tiny library in the shape of ours: a pimpl handle, an options struct, free
# functions with an export macro, and an internal function exported for
# in-tree users but declared in an uninstalled header.
TESTLIB_HEADER = """#pragma once
#define TESTLIB_API __attribute__((visibility("default")))
namespace testlib {
struct Options {
    int depth = 0;
    %(options_extra)s
};
class TESTLIB_API Handle {
public:
    int get() const;
    %(handle_extra)s
private:
    struct Impl;
    Impl* impl_ = nullptr;
};
TESTLIB_API int apply(const Options& options);
%(functions_extra)s
}
"""
TESTLIB_INTERNAL_HEADER = """#pragma once
#include <testlib/api.hpp>
namespace testlib {
struct Internal { long a; %(internal_extra)s };
TESTLIB_API long internal_sum(const Internal& value);
}
"""
TESTLIB_SOURCE = """#include <testlib/api.hpp>
#include "internal.hpp"
namespace testlib {
struct Handle::Impl { int value; };
int Handle::get() const { return impl_ ? impl_->value : 0; }
%(handle_extra_definition)s
int apply(const Options& options) { return options.depth; }
%(functions_extra_definition)s
long internal_sum(const Internal& value) { return value.a; }
}
"""
TESTLIB_VERSION_1 = dict(options_extra="", handle_extra="", functions_extra="", internal_extra="",
                         handle_extra_definition="", functions_extra_definition="")


def build_testlib(where, soname="libtestlib.so.0", debug=True, **changes):
    """Compiles one version of the test library into `where`; returns the
    abi/libraries.txt that describes it."""
    parts = dict(TESTLIB_VERSION_1, **changes)
    (where / "include" / "testlib").mkdir(parents=True)
    (where / "include" / "testlib" / "api.hpp").write_text(TESTLIB_HEADER % parts)
    (where / "internal.hpp").write_text(TESTLIB_INTERNAL_HEADER % parts)
    (where / "lib.cpp").write_text(TESTLIB_SOURCE % parts)
    cxx = shutil.which("c++") or shutil.which("g++")
    subprocess.run([cxx, "-std=c++20", "-O1", "-fPIC", "-shared", "-fvisibility=hidden"] + (["-g"] if debug else [])
                   + ["-I", str(where / "include"), "-I", str(where), f"-Wl,-soname,{soname}",
                      str(where / "lib.cpp"), "-o", str(where / soname)], check=True)
    libraries = where / "libraries.txt"
    libraries.write_text(f"libtestlib  {soname}  include/testlib  TESTLIB_API\n")
    return libraries


@pytest.fixture
def testlib_baseline(tmp_path):
    """abi/libtestlib.abi made from version 1 of the test library."""
    if shutil.which("c++") is None and shutil.which("g++") is None:
        pytest.skip("no C++ compiler")
    v1 = tmp_path / "v1"
    libraries = build_testlib(v1)
    baselines = tmp_path / "abi"
    status, output = run_abi_check("--update", "--build-dir", v1, "--source-root", v1,
                                   "--libraries", libraries, "--baseline-dir", baselines)
    assert status == 0, output
    assert (baselines / "libtestlib.abi").exists()
    # Only the public ABI is recorded: not the internal function nor its type.
    text = (baselines / "libtestlib.abi").read_text()
    assert "apply" in text and "internal_sum" not in text
    return baselines


def check_testlib(tmp_path, baselines, name, **changes):
    where = tmp_path / name
    libraries = build_testlib(where, **changes)
    return run_abi_check("--build-dir", where, "--source-root", where, "--libraries", libraries,
                         "--baseline-dir", baselines)


@needs_abigail
def test_abi_check_passes_the_same_library(tmp_path, testlib_baseline):
    status, output = check_testlib(tmp_path, testlib_baseline, "same")
    assert status == 0, output
    assert "libtestlib: ABI unchanged (libtestlib.so.0)" in output


@needs_abigail
def test_abi_check_fails_on_a_changed_struct_layout(tmp_path, testlib_baseline):
    status, output = check_testlib(tmp_path, testlib_baseline, "member", options_extra="long added = 0;")
    assert status == 1, output
    assert "INCOMPATIBLE" in output and "Options" in output


@needs_abigail
def test_abi_check_fails_on_a_removed_function(tmp_path, testlib_baseline):
    # Version 2 adds Handle::set; the baseline made from it loses it again in version 3.
    v2 = dict(handle_extra="void set(int value);",
              handle_extra_definition="void Handle::set(int value) { if (impl_) impl_->value = value; }")
    libraries = build_testlib(tmp_path / "v2", **v2)
    baselines = tmp_path / "abi-v2"
    status, output = run_abi_check("--update", "--build-dir", tmp_path / "v2", "--source-root", tmp_path / "v2",
                                   "--libraries", libraries, "--baseline-dir", baselines)
    assert status == 0, output
    status, output = check_testlib(tmp_path, baselines, "removed")
    assert status == 1, output
    assert "INCOMPATIBLE" in output and "Handle::set" in output


@needs_abigail
def test_abi_check_passes_additions(tmp_path, testlib_baseline):
    status, output = check_testlib(
        tmp_path, testlib_baseline, "added",
        functions_extra="TESTLIB_API int apply_twice(const Options& options);",
        functions_extra_definition="int apply_twice(const Options& options) { return 2 * options.depth; }")
    assert status == 0, output
    assert "libtestlib: compatible ABI additions only (pass)" in output
    assert "apply_twice" in output


@needs_abigail
def test_abi_check_ignores_internal_interface_changes(tmp_path, testlib_baseline):
    # The internal struct changes layout: exported, but not public.
    status, output = check_testlib(tmp_path, testlib_baseline, "internal", internal_extra="long b;")
    assert status == 0, output
    assert "ABI unchanged" in output


@needs_abigail
def test_abi_check_accepts_an_incompatible_change_with_a_soname_bump(tmp_path, testlib_baseline):
    status, output = check_testlib(tmp_path, testlib_baseline, "bumped", soname="libtestlib.so.1",
                                   options_extra="long added = 0;")
    assert status == 0, output
    assert "SONAME changed from libtestlib.so.0 to libtestlib.so.1" in output
    assert "--update" in output


@needs_abigail
def test_abi_check_skips_loudly_without_debug_info(tmp_path, testlib_baseline):
    status, output = check_testlib(tmp_path, testlib_baseline, "release", debug=False)
    assert status == 77, output
    assert "SKIPPED" in output and "no debug information" in output
