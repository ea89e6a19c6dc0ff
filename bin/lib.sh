# Shared by the bin/ scripts: where things are, and building on first use. Sourced, not run.
CARAPACE_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARAPACE_HOME

carapace_log() { printf '%s\n' "$*" >&2; }

# Builds the project (without tests) when an artifact the caller needs is missing.
carapace_ensure_built() {
    local missing=0 f
    for f in "$@"; do
        compgen -G "$CARAPACE_HOME/$f" >/dev/null || missing=1
    done
    if [ "$missing" = 1 ]; then
        carapace_log "carapace: building (first use; mvn package without tests) ..."
        (cd "$CARAPACE_HOME" && mvn -B -q -DskipTests package) >&2 || {
            carapace_log "carapace: build failed; run 'mvn -B package' in $CARAPACE_HOME to see why"
            exit 2
        }
    fi
}
