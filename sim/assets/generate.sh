#!/usr/bin/env bash
# How the committed simulator assets were made. Run once by hand; the simulator only reads the
# resulting files, so neither ffmpeg nor openssl is needed at run time.
#   snapshot-704x576.jpg / snapshot-1280x720.jpg: ffmpeg test pattern (testsrc2), one frame each,
#     JPEG quality 5 (about 25 KB and 45 KB: the real DS-KV6124-E1 snapshot was 704x576, 24.7 KB).
#   sim-cert.pem / sim-key.pem: self-signed RSA 2048 certificate, CN=hikbridge-sim, valid 20 years,
#     SAN localhost + 127.0.0.1 + ::1 (devices ship self-signed certificates like this one).
# Regenerating the certificate changes its SHA-256 fingerprint: tests read it from the device.
set -euo pipefail
cd "$(dirname "$0")"

ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=704x576:rate=1" -frames:v 1 -q:v 5 snapshot-704x576.jpg
ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=1280x720:rate=1" -frames:v 1 -q:v 5 snapshot-1280x720.jpg

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 7300 \
  -subj "/CN=hikbridge-sim" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
  -keyout sim-key.pem -out sim-cert.pem
