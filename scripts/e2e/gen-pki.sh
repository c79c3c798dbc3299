#!/usr/bin/env bash
# The e2e cluster's own PKI, made with openssl: a CA, the apiserver's serving certificate
# (127.0.0.1), client certificates for admin (system:masters), the kubelet (system:node:NODE),
# the apiserver's kubelet client, the controller-manager and the scheduler, and the service
# account signing key.   gen-pki.sh DIR NODE
set -euo pipefail
dir=$1 node=$2
mkdir -p "$dir"
cd "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
  -subj /CN=config-init-e2e-ca 2>/dev/null
cert() { # name subject [subjectAltName]
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  if [ -n "${3:-}" ]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >"$1.ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' >"$1.ext"
  fi
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 2 \
    -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
cert apiserver /CN=kube-apiserver \
  "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
cert kubelet "/O=system:nodes/CN=system:node:$node" "IP:127.0.0.1,DNS:localhost,DNS:$node"
cert admin /O=system:masters/CN=e2e-admin
cert apiserver-kubelet-client /O=system:masters/CN=kube-apiserver-kubelet-client
cert controller-manager /CN=system:kube-controller-manager
cert scheduler /CN=system:kube-scheduler
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
