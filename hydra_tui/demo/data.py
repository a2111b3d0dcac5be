"""Fixed names and texts the demo world is made of."""

from __future__ import annotations

import hashlib

SYSTEMS = ("x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin")

USERS = {
    # username: (password, fullname, email, roles)
    "alice": (
        "alice-pw",
        "Alice Liddell",
        "alice@example.org",
        ["restart-jobs", "cancel-build", "bump-to-front", "eval-jobset"],
    ),
    "bob": ("bob-pw", "Bob Builder", "bob@example.org", []),
    "root": ("root-pw", "Hydra Admin", "root@example.org", ["admin"]),
}

HELLO_JOBS = (
    "hello",
    "hello-static",
    "tests.unit",
    "tests.integration",
    "tests.vm-boot",
    "docs.manual",
    "coverage",
    "tarball",
    "lint",
    "bench",
    "installer.iso",
    "tested",
)

BIG_PREFIXES = (
    "",
    "",
    "",
    "python313Packages.",
    "python312Packages.",
    "haskellPackages.",
    "perlPackages.",
    "rubyPackages.",
    "nodePackages.",
    "ocamlPackages.",
    "linuxPackages.",
    "vimPlugins.",
)

BIG_WORDS = [
    "acme",
    "alpha",
    "apache",
    "arrow",
    "aspell",
    "atk",
    "audit",
    "autoconf",
    "automake",
    "bash",
    "bat",
    "bind",
    "bison",
    "boost",
    "brotli",
    "bzip2",
    "cairo",
    "capnp",
    "ceph",
    "clang",
    "cmake",
    "coreutils",
    "cryptsetup",
    "cups",
    "curl",
    "dbus",
    "diffutils",
    "dnsmasq",
    "docker",
    "dovecot",
    "e2fsprogs",
    "elfutils",
    "emacs",
    "expat",
    "ffmpeg",
    "file",
    "findutils",
    "firefox",
    "flac",
    "flex",
    "fontconfig",
    "freetype",
    "fuse",
    "gawk",
    "gcc",
    "gdb",
    "gettext",
    "ghc",
    "git",
    "glib",
    "glibc",
    "gmp",
    "gnugrep",
    "gnupg",
    "gnused",
    "gnutar",
    "go",
    "gperf",
    "grub",
    "gst",
    "gtk",
    "gzip",
    "harfbuzz",
    "htop",
    "icu",
    "imagemagick",
    "iproute2",
    "iptables",
    "jq",
    "kbd",
    "kmod",
    "krb5",
    "less",
    "libarchive",
    "libcap",
    "libffi",
    "libgit2",
    "libjpeg",
    "libpng",
    "libressl",
    "libsodium",
    "libtool",
    "libuv",
    "libxml2",
    "libxslt",
    "llvm",
    "lua",
    "lvm2",
    "lz4",
    "m4",
    "mariadb",
    "mesa",
    "meson",
    "mpfr",
    "nano",
    "ncurses",
    "neovim",
    "nettle",
    "nginx",
    "ninja",
    "nix",
    "nodejs",
    "numpy",
    "openblas",
    "openldap",
    "openssh",
    "openssl",
    "pam",
    "pandas",
    "pango",
    "patch",
    "patchelf",
    "pcre2",
    "perl",
    "php",
    "pixman",
    "pkg-config",
    "postgresql",
    "procps",
    "python",
    "qemu",
    "readline",
    "redis",
    "requests",
    "ripgrep",
    "rsync",
    "ruby",
    "rustc",
    "samba",
    "scipy",
    "sqlite",
    "strace",
    "sudo",
    "systemd",
    "tcl",
    "texinfo",
    "tmux",
    "tzdata",
    "util-linux",
    "vim",
    "wayland",
    "wget",
    "which",
    "xz",
    "yarn",
    "zlib",
    "zsh",
    "zstd",
]

ERROR_TEXT = (
    "error:\n"
    "       … while evaluating the attribute 'hydraJobs.tests'\n"
    "\n"
    "         at /nix/store/8zq3a0y8kpq0c4b6j0h7n5lmi6dfwyrv-source/release.nix:42:5:\n"
    "\n"
    "           41|   tests = import ./tests { inherit pkgs; };\n"
    "           42|     hello-check = pkgs.callPackage ./check.nix { };\n"
    "             |     ^\n"
    "\n"
    "       error: attribute 'callPackag' missing; did you mean 'callPackage'?\n"
)

NIX32 = "0123456789abcdfghijklmnpqrsvwxyz"


def store_hash(text: str) -> str:
    """A deterministic 32-character Nix-style base32 hash."""
    digest = hashlib.sha256(text.encode()).digest()
    return "".join(NIX32[b % 32] for b in digest[:32])


def git_rev(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def mix(n: int) -> int:
    """A cheap deterministic integer hash (Knuth's multiplicative), for per-build choices at scale."""
    return ((n * 2654435761) ^ (n >> 7)) & 0xFFFFFFFF
