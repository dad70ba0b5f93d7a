#!/usr/bin/env bash
# Makes a TEST certificate authority and certificates for a mutual-TLS mosquitto: one server
# certificate, one for the back office, and one per box. For tests, demos and lab brokers only:
# the keys are unencrypted and the CA key sits next to the certificates.
#
# Usage: deploy/mosquitto/make-test-ca.sh OUT_DIR [SERVER_NAME] [BOX ...]
#   OUT_DIR       created if missing; must not already hold ca.key (never overwrite a CA)
#   SERVER_NAME   DNS name of the broker (default: localhost; 127.0.0.1 and ::1 are always added)
#   BOX           <site>/<camera>, e.g. jkt-sudirman-01/cam-01; becomes the certificate CN, which the
#                 broker uses as the username (use_identity_as_username), so the ACL patterns in
#                 deploy/mosquitto/acl confine the box to etle/v1/<site>/<camera>/.
# Writes ca.crt, ca.key, server.crt/.key, backoffice.crt/.key, and per box <site>__<camera>.crt/.key.
set -euo pipefail
out="${1:?usage: make-test-ca.sh OUT_DIR [SERVER_NAME] [BOX ...]}"
server="${2:-localhost}"
shift $(( $# >= 2 ? 2 : 1 ))
days=825
mkdir -p "$out"
if [ -e "$out/ca.key" ]; then
  echo "$out/ca.key exists: refusing to overwrite a CA (use a new folder)" >&2
  exit 1
fi
umask 077

# EC P-256 keys: quick to make, and every TLS stack in use supports them.
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# A config file instead of -subj: a CN like site/camera holds a '/', which -subj would split.
sign() {  # sign NAME CN EXTENSIONS
  local name="$1" cn="$2" ext="$3" conf="$out/.$1.cnf"
  printf '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=%s\n[ext]\n%b\n' "$cn" "$ext" > "$conf"
  newkey "$out/$name.key"
  openssl req -new -key "$out/$name.key" -config "$conf" -out "$out/$name.csr"
  openssl x509 -req -in "$out/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -days "$days" -sha256 -extfile "$conf" -extensions ext -out "$out/$name.crt" 2>/dev/null
  rm -f "$out/$name.csr" "$conf"
}

newkey "$out/ca.key"
openssl req -new -x509 -key "$out/ca.key" -days "$days" -sha256 -subj "/CN=etle test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$out/ca.crt"

client_ext='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth'
sign server "$server" "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:$server,IP:127.0.0.1,IP:::1"
sign backoffice backoffice "$client_ext"
for box in "$@"; do
  if ! [[ "$box" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]]; then
    echo "box '$box' is not <site>/<camera> (ids: letters, digits, _ . -)" >&2
    exit 1
  fi
  sign "${box/\//__}" "$box" "$client_ext"
done
chmod 644 "$out"/*.crt
echo "test CA and certificates written to $out"
