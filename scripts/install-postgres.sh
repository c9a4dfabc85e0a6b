#!/usr/bin/env bash
# Make sure a PostgreSQL server with pg_cron and plpgsql_check is installed,
# and Debian's prometheus (promtool, the server the scrape test starts) and
# prometheus-postgres-exporter (the queries.yaml test).
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

have_prometheus() {
    command -v promtool >/dev/null && [ -x /usr/bin/prometheus ] \
        && [ -x /usr/bin/prometheus-postgres-exporter ]
}

# The tests start their own Prometheus and postgres_exporter on free ports of
# 127.0.0.1; the Debian packages' system services must not stay running.
stop_prometheus_services() {
    for service in prometheus prometheus-postgres-exporter prometheus-node-exporter; do
        if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
            systemctl disable --now "$service" >/dev/null 2>&1 || true
        elif command -v service >/dev/null; then
            service "$service" stop >/dev/null 2>&1 || true
        fi
    done
}

install_prometheus() {
    if have_prometheus; then
        echo "prometheus, promtool and prometheus-postgres-exporter are installed"
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "missing: prometheus / prometheus-postgres-exporter (their tests skip);" \
            "install as root: apt-get install prometheus prometheus-postgres-exporter" >&2
        return 0
    fi
    apt-get install -y -qq --no-install-recommends prometheus prometheus-postgres-exporter >/dev/null
    stop_prometheus_services
    echo "installed prometheus and prometheus-postgres-exporter (system services stopped)"
}

for major in $(majors); do
    if have_extensions "$major"; then
        echo "PostgreSQL $major with pg_cron and plpgsql_check is installed"
        if ! have_prometheus && [ "$(id -u)" = 0 ]; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
        fi
        install_prometheus
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
        install_prometheus
        exit 0
    fi
done
echo "pg_cron / plpgsql_check still missing after apt-get install" >&2
exit 1
