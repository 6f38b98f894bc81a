#!/bin/sh
# Installs the example configuration into sysconfdir/loft (meson install
# script). A file that already exists there is left alone: `make install`
# over an existing installation must never overwrite an admin's settings.
# The pristine copy is always installed under docs (see dist/meson.build),
# so new example files can be compared by hand after an upgrade.
#
#   install-example-config.sh SOURCE_DIR CONFIG_DIR
set -eu
src=$1
dest="${DESTDIR:-}$2"

cd "$src"
find . -type f \( -name '*.conf' -o -name '*.conf.ext' \) | sort | while read -r f; do
    target="$dest/${f#./}"
    if [ -e "$target" ]; then
        echo "Keeping existing $target"
        continue
    fi
    mkdir -p "$(dirname "$target")"
    # Readable by all, as Dovecot's: loft-lda runs as the recipient and
    # reads loft.conf. Secrets (keys, SQL passwords) belong in files of
    # their own, read with "<file" or named by args, readable by root only.
    cp "$f" "$target"
    chmod 0644 "$target"
    echo "Installing $target"
done
