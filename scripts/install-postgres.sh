#!/usr/bin/env bash
# Make sure a PostgreSQL server with pg_cron and plpgsql_check is installed.
#
# Finds the installed PostgreSQL major version(s) under /usr/lib/postgresql and
# installs Debian's postgresql-<major>-cron and -plpgsql-check for the newest
# one. Where the distribution has no such packages for that major (a server
# left over from an older release), installs the distribution's default
# postgresql with its matching extensions. Needs root for apt-get; without
# root it only reports what is missing.
set -euo pipefail

root=/usr/lib/postgresql

have_extensions() {  # $1 = major
    [ -f "$root/$1/lib/pg_cron.so" ] && [ -f "$root/$1/lib/plpgsql_check.so" ]
}

majors() {
    ls "$root" 2>/dev/null | grep -E '^[0-9]+$' | sort -rn || true
}

for major in $(majors); do
    if have_extensions "$major"; then
        echo "PostgreSQL $major with pg_cron and plpgsql_check is installed"
        exit 0
    fi
done

if [ "$(id -u)" != 0 ]; then
    echo "missing: PostgreSQL server with pg_cron and plpgsql_check." >&2
    echo "install as root: apt-get install postgresql postgresql-<major>-cron postgresql-<major>-plpgsql-check" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

installed=$(majors | head -n 1)
if [ -n "$installed" ] && apt-cache show "postgresql-$installed-cron" >/dev/null 2>&1 \
    && apt-cache show "postgresql-$installed-plpgsql-check" >/dev/null 2>&1; then
    apt-get install -y -qq "postgresql-$installed-cron" "postgresql-$installed-plpgsql-check" >/dev/null
else
    # No extension packages for the installed major: take the distribution's default.
    apt-get install -y -qq postgresql >/dev/null
    default=$(majors | head -n 1)
    apt-get install -y -qq "postgresql-$default-cron" "postgresql-$default-plpgsql-check" >/dev/null
fi

for major in $(majors); do
    if have_extensions "$major"; then
        echo "installed pg_cron and plpgsql_check for PostgreSQL $major"
        exit 0
    fi
done
echo "pg_cron / plpgsql_check still missing after apt-get install" >&2
exit 1
